import Foundation
import Postgres

/// All SQL about the catalog and its stock. Parameterized statements only; every method runs on the
/// caller's connection (and transaction).
public struct ProductStore: Sendable {
    /// Stateless; create freely.
    public init() {}

    static let columns = "id, title, unit_amount, currency, active, stock"

    /// Products with the given ids (any that exist, active or not).
    public func products(_ db: Connection, ids: [String]) throws -> [Product] {
        // Product ids cannot contain ',' (CHECK on products.id), so one text parameter carries the list.
        try db.query(
            "SELECT \(Self.columns) FROM products WHERE id = ANY(string_to_array($1::text, ','))",
            [ids.joined(separator: ",")]
        ).map(Self.decode)
    }

    /// The catalog ordered by id; `activeOnly` for the public list.
    public func list(_ db: Connection, activeOnly: Bool) throws -> [Product] {
        try db.query(
            "SELECT \(Self.columns) FROM products WHERE active OR NOT $1::boolean ORDER BY id", [activeOnly]
        ).map(Self.decode)
    }

    /// One product, or nil.
    public func product(_ db: Connection, id: String) throws -> Product? {
        try db.query("SELECT \(Self.columns) FROM products WHERE id = $1", [id]).first.map(Self.decode)
    }

    /// Creates or replaces a product. `stock` is the number available now (reservations held by
    /// pending orders were already subtracted from it). Switching between limited (a number) and
    /// unlimited (nil) starts a new `stock_epoch`: reservations taken before give nothing back to the
    /// new count, so a switch never creates units.
    @discardableResult
    public func upsert(_ db: Connection, _ product: Product) throws -> Product {
        let rows = try db.query(
            """
            INSERT INTO products (id, title, unit_amount, currency, active, stock)
            VALUES ($1, $2, $3, $4, $5, $6::integer)
            ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, unit_amount = EXCLUDED.unit_amount,
                currency = EXCLUDED.currency, active = EXCLUDED.active, stock = EXCLUDED.stock,
                stock_epoch = CASE WHEN (products.stock IS NULL) <> (EXCLUDED.stock IS NULL)
                                   THEN products.stock_epoch + 1 ELSE products.stock_epoch END,
                updated_at = now()
            RETURNING \(Self.columns)
            """,
            [product.id, product.title, product.unitAmount, product.currency, product.active, product.stock])
        return try Self.decode(rows[0])
    }

    // MARK: - Stock ledger (`stock_reservations`)

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
                UPDATE products SET stock = stock - $1::integer, updated_at = now()
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
            UPDATE stock_reservations SET status = 'released', updated_at = now()
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
                UPDATE products SET stock = stock + $1::integer, updated_at = now()
                WHERE id = $2 AND stock IS NOT NULL AND stock_epoch = $3
                """, [quantity, productID, epoch])
        }
    }

    /// The order was paid: its `reserved` reservations become `committed` (sold).
    public func commitReservations(_ db: Connection, orderID: UUID) throws {
        try db.execute(
            """
            UPDATE stock_reservations SET status = 'committed', updated_at = now()
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

    static func decode(_ row: Row) throws -> Product {
        Product(
            id: try row.decode("id"), title: try row.decode("title"), unitAmount: try row.decode("unit_amount"),
            currency: try row.decode("currency"), active: try row.decode("active"), stock: try row.decode("stock"))
    }
}
