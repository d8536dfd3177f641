import Foundation

/// One row of `stock_reservations` as the admin detail view shows it.
public struct StockReservationRecord: Sendable, Equatable {
    public var productID: String
    public var quantity: Int
    public var status: String
    public var limited: Bool
    public var createdAt: Date
    public var updatedAt: Date
}
