import Foundation
import Postgres

/// The stock ledger (`stock_reservations`): where units are taken, committed and given back. The rules it
/// keeps are S1–S7 of docs/invariants.md.
extension ProductStore {
    /// Reserves the order's stock: per product (quantities of its lines summed, products in id order
    /// so concurrent transactions lock product rows in one order) takes the units from the count and
    /// writes a reservation row (`reserved`, or `committed` for an order already paid), recording
    /// whether the product was limited and its `stock_epoch`. All or nothing: returns the first product
    /// that is short (nothing changed), nil when every unit was taken. Unlimited products always succeed.
    public func reserve(_ db: Connection, orderID: UUID, items: [OrderItemRecord], committed: Bool = false) throws
        -> String?
    {
        try db.execute("SAVEPOINT reserve_stock")
        for (productID, quantity) in Self.quantities(items) {
            let taken = try db.query(
                """
                UPDATE products SET stock = stock - $1::integer
                WHERE id = $2 AND (stock IS NULL OR stock >= $1::integer)
                RETURNING stock IS NOT NULL AS limited, stock_epoch
                """, [quantity, productID]
            ).first
            guard let taken else {
                try db.execute("ROLLBACK TO SAVEPOINT reserve_stock")
                try db.execute("RELEASE SAVEPOINT reserve_stock")
                return productID
            }
            try db.execute(
                """
                INSERT INTO stock_reservations (order_id, product_id, quantity, status, limited, stock_epoch)
                VALUES ($1, $2, $3, $4, $5, $6)
                """,
                [
                    orderID, productID, quantity, committed ? "committed" : "reserved",
                    try taken.decode("limited", as: Bool.self), try taken.decode("stock_epoch", as: Int.self),
                ])
        }
        try db.execute("RELEASE SAVEPOINT reserve_stock")
        return nil
    }

    /// Releases the order's `reserved` reservations (a released or committed one is never released
    /// again) and gives their units back, in product id order, only to the count they came from: a
    /// reservation taken while the product was unlimited, or before it last switched between limited
    /// and unlimited (another `stock_epoch`), gives nothing back.
    public func releaseReservations(_ db: Connection, orderID: UUID) throws {
        let released = try db.query(
            """
            UPDATE stock_reservations SET status = 'released'
            WHERE order_id = $1 AND status = 'reserved'
            RETURNING product_id, quantity, limited, stock_epoch
            """, [orderID]
        ).map {
            (
                try $0.decode("product_id", as: String.self), try $0.decode("quantity", as: Int.self),
                try $0.decode("limited", as: Bool.self), try $0.decode("stock_epoch", as: Int.self)
            )
        }
        for (productID, quantity, limited, epoch) in released.sorted(by: { $0.0 < $1.0 }) where limited {
            try db.execute(
                """
                UPDATE products SET stock = stock + $1::integer
                WHERE id = $2 AND stock IS NOT NULL AND stock_epoch = $3
                """, [quantity, productID, epoch])
        }
    }

    /// The order was paid: its `reserved` reservations become `committed` (sold).
    public func commitReservations(_ db: Connection, orderID: UUID) throws {
        try db.execute(
            """
            UPDATE stock_reservations SET status = 'committed'
            WHERE order_id = $1 AND status = 'reserved'
            """, [orderID])
    }

    /// Every reservation row of the order, oldest first (admin detail view).
    public func reservations(_ db: Connection, orderID: UUID) throws -> [StockReservationRecord] {
        try db.query(
            """
            SELECT product_id, quantity, status, limited, created_at, updated_at
            FROM stock_reservations WHERE order_id = $1 ORDER BY id
            """, [orderID]
        ).map { row in
            StockReservationRecord(
                productID: try row.decode("product_id"), quantity: try row.decode("quantity"),
                status: try row.decode("status"), limited: try row.decode("limited"),
                createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"))
        }
    }

    /// Quantities per product (lines of one product summed), in product id order.
    static func quantities(_ items: [OrderItemRecord]) -> [(String, Int)] {
        Dictionary(items.map { ($0.productID, $0.quantity) }, uniquingKeysWith: +).sorted { $0.key < $1.key }
            .map { ($0.key, $0.value) }
    }
}
