import Foundation

/// The answer of create-checkout-session and retry-session (docs/API.md §2):
/// `{"id": "cs_…", "url": "https://…", "orderId": "<uuid>", "orderNumber": "DO-…"}`.
public struct CheckoutSessionResult: Sendable, Equatable, Encodable {
    /// The Checkout Session id.
    public var id: String
    /// Where to send the customer (Stripe's hosted page).
    public var url: String
    public var orderID: UUID
    public var orderNumber: String

    /// Memberwise.
    public init(id: String, url: String, orderID: UUID, orderNumber: String) {
        self.id = id
        self.url = url
        self.orderID = orderID
        self.orderNumber = orderNumber
    }

    enum CodingKeys: String, CodingKey {
        case id, url, orderId, orderNumber
    }

    /// Encodes docs/API.md's JSON shape (absent values as explicit `null`).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(url, forKey: .url)
        try c.encode(orderID.lowercased, forKey: .orderId)
        try c.encode(orderNumber, forKey: .orderNumber)
    }
}
