import Foundation
import Postgres

/// All SQL about the catalog and its stock (the stock ledger is in `Stock/ProductStore+Stock.swift`).
/// Parameterized statements only; every method runs on the caller's connection (and transaction).
public struct ProductStore: Sendable {
    /// Stateless; create freely.
    public init() {}

    static let columns =
        "id, title, unit_amount, currency, active, stock, recurring_interval, recurring_interval_count"

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
            INSERT INTO products (id, title, unit_amount, currency, active, stock, recurring_interval,
                                  recurring_interval_count)
            VALUES ($1, $2, $3, $4, $5, $6::integer, $7, $8::integer)
            ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, unit_amount = EXCLUDED.unit_amount,
                currency = EXCLUDED.currency, active = EXCLUDED.active, stock = EXCLUDED.stock,
                recurring_interval = EXCLUDED.recurring_interval,
                recurring_interval_count = EXCLUDED.recurring_interval_count,
                stock_epoch = CASE WHEN (products.stock IS NULL) <> (EXCLUDED.stock IS NULL)
                                   THEN products.stock_epoch + 1 ELSE products.stock_epoch END
            RETURNING \(Self.columns)
            """,
            [
                product.id, product.title, product.unitAmount, product.currency, product.active, product.stock,
                product.recurring?.interval.rawValue, product.recurring?.intervalCount,
            ])
        return try Self.decode(rows[0])
    }

    static func decode(_ row: Row) throws -> Product {
        let interval: String? = try row.decode("recurring_interval")
        let count: Int? = try row.decode("recurring_interval_count")
        return Product(
            id: try row.decode("id"), title: try row.decode("title"), unitAmount: try row.decode("unit_amount"),
            currency: try row.decode("currency"), active: try row.decode("active"), stock: try row.decode("stock"),
            recurring: interval.flatMap(RecurringPrice.Interval.init(rawValue:)).map {
                RecurringPrice(interval: $0, intervalCount: count ?? 1)
            })
    }
}
