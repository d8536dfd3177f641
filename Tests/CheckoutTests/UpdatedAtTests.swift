import Foundation
import Postgres
import Testing

@testable import Checkout

/// `updated_at` is kept by one trigger (migration 014), not by each statement: the reconciler and the
/// retention pass read it as "time since the order last changed state", so bookkeeping writes must not
/// move it and state changes always must.
@Suite("updated_at: one trigger, state changes only for orders")
struct UpdatedAtTests {
    static let past = "2000-01-01 00:00:00+00"

    static func isPast(_ h: CheckoutHarness, _ table: String, _ key: String, _ id: any PostgresEncodable) throws
        -> Bool
    {
        try h.count(
            "SELECT (updated_at = '\(past)'::timestamptz)::int::bigint AS n FROM \(table) WHERE \(key) = $1", [id])
            == 1
    }

    @Test(
        "orders: bookkeeping writes leave updated_at alone",
        arguments: [
            "session_checked_at = now()", "session_checked_at = to_timestamp(0)", "idempotency_key = NULL",
            "customer_email = NULL",
        ])
    func bookkeepingKeepsTheAge(assignment: String) throws {
        let h = try CheckoutHarness()
        try h.product("p")
        let checkout = try h.checkout([("p", 1)], key: "key-1")
        try h.pool.withConnection { db in
            try db.execute("UPDATE orders SET updated_at = '\(Self.past)' WHERE id = $1", [checkout.orderID])
            try db.execute("UPDATE orders SET \(assignment) WHERE id = $1", [checkout.orderID])
        }
        #expect(try Self.isPast(h, "orders", "id", checkout.orderID))
    }

    @Test("orders: a state change through the one mutation path moves updated_at, with no SQL of its own")
    func stateChangeMovesIt() throws {
        let h = try CheckoutHarness()
        try h.product("p")
        let checkout = try h.checkout([("p", 1)])
        try h.pool.withConnection { db in
            try db.execute("UPDATE orders SET updated_at = '\(Self.past)' WHERE id = $1", [checkout.orderID])
        }
        #expect(try h.apply(.beginRetry, to: checkout.orderID).newState != nil)
        #expect(try !Self.isPast(h, "orders", "id", checkout.orderID))
        #expect(
            try h.count(
                "SELECT (updated_at > now() - interval '1 minute')::int::bigint AS n FROM orders WHERE id = $1",
                [checkout.orderID]) == 1)
    }

    @Test(
        "orders: any write of a state column moves it, even one that forgot updated_at",
        arguments: ["needs_attention = true", "attention_reason = 'x'", "session_attempt = session_attempt + 1"])
    func stateColumnsMoveIt(assignment: String) throws {
        let h = try CheckoutHarness()
        try h.product("p")
        let checkout = try h.checkout([("p", 1)])
        try h.pool.withConnection { db in
            try db.execute("UPDATE orders SET updated_at = '\(Self.past)' WHERE id = $1", [checkout.orderID])
            try db.execute("UPDATE orders SET \(assignment) WHERE id = $1", [checkout.orderID])
        }
        #expect(try !Self.isPast(h, "orders", "id", checkout.orderID))
    }

    @Test("every other table: any update moves it; a statement that sets it itself keeps its value")
    func otherTables() throws {
        let h = try CheckoutHarness()
        try h.product("p", stock: 5)
        let checkout = try h.checkout([("p", 1)])
        try h.pool.withConnection { db in
            try db.execute("UPDATE products SET updated_at = '\(Self.past)' WHERE id = 'p'")
            try db.execute("UPDATE checkout_sessions SET updated_at = '\(Self.past)' WHERE id = $1", [checkout.id])
        }
        #expect(try Self.isPast(h, "products", "id", "p"))
        try h.product("p", amount: 999, stock: 5)  // the catalog upsert
        #expect(try !Self.isPast(h, "products", "id", "p"))
        try h.deliverAll(try h.simulator.expire(sessionID: checkout.id))  // the session row's status
        #expect(try !Self.isPast(h, "checkout_sessions", "id", checkout.id))

        try h.pool.withConnection { db in
            try db.execute("UPDATE stock_reservations SET updated_at = '\(Self.past)'")
            try db.execute("UPDATE stock_reservations SET quantity = quantity")  // no updated_at in the statement
        }
        #expect(
            try h.count("SELECT count(*)::bigint AS n FROM stock_reservations WHERE updated_at = '\(Self.past)'") == 0)
        try h.pool.withConnection { db in
            try db.execute("UPDATE products SET stock = 4, updated_at = '\(Self.past)' WHERE id = 'p'")
        }
        #expect(try Self.isPast(h, "products", "id", "p"), "an explicit value (a test ageing a row) is kept")
    }
}
