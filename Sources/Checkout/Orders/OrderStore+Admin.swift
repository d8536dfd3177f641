import Foundation
import Postgres

extension OrderStore {
    /// One page of orders for the admin list, newest first, keyset-paginated on (created_at, id).
    /// Returns the records and the cursor of the last one when there may be more.
    public func adminList(_ db: Connection, _ query: AdminOrderQuery) throws -> (orders: [OrderRecord], next: String?) {
        let cursor = query.cursor.flatMap(AdminOrderCursor.init)
        let rows = try db.query(
            """
            SELECT \(Self.columns) FROM orders
            WHERE ($1::text IS NULL OR status = $1::text)
              AND ($2::text IS NULL OR payment_status = $2::text)
              AND ($3::text IS NULL OR fulfillment_status = $3::text)
              AND ($4::boolean IS NULL OR needs_attention = $4::boolean)
              AND ($5::text IS NULL OR id IN (
                   -- One indexed arm per field (migration 009's trigram indexes for the fragments), so the
                   -- search never scans every order.
                   SELECT id FROM orders WHERE lower(order_number) LIKE lower($9::text)
                   UNION SELECT id FROM orders WHERE lower(customer_email) LIKE lower($9::text)
                   UNION SELECT id FROM orders WHERE checkout_session_id = $5::text
                   UNION SELECT id FROM orders WHERE payment_intent_id = $5::text
                   UNION SELECT order_id FROM checkout_sessions WHERE id = $5::text))
              AND ($10::text IS NULL
                   OR ($10::text = 'none' AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = orders.id
                                                           AND r.kind = 'refund'))
                   OR EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = orders.id AND r.kind = 'refund'
                              AND r.status = $10::text))
              AND ($11::text IS NULL
                   OR ($11::text = 'none' AND NOT EXISTS (SELECT 1 FROM disputes d WHERE d.order_id = orders.id))
                   OR EXISTS (SELECT 1 FROM disputes d WHERE d.order_id = orders.id AND d.status = $11::text))
              AND ($6::bigint IS NULL
                   OR (created_at, id) < (timestamptz 'epoch' + $6::bigint * interval '1 microsecond', $7::uuid))
            ORDER BY created_at DESC, id DESC
            LIMIT $8
            """,
            [
                query.status?.rawValue, query.paymentStatus?.rawValue, query.fulfillmentStatus?.rawValue,
                query.needsAttention, query.q, cursor?.createdMicros, cursor?.id, query.limit + 1,
                query.q.map(Self.containsPattern), query.refundStatus, query.disputeStatus,
            ])
        let page = Array(rows.prefix(query.limit))
        var next: String?
        if rows.count > query.limit, let last = page.last {
            next = AdminOrderCursor(createdMicros: try last.decode("created_us"), id: try last.decode("id")).text
        }
        return (try page.map(Self.decodeOrder), next)
    }

    /// A `LIKE` pattern matching `fragment` anywhere (the query lower-cases both sides in Postgres): `%`, `_`
    /// and the backslash in the fragment match themselves (backslash is LIKE's default escape). The trigram
    /// indexes of migration 009 serve it.
    static func containsPattern(_ fragment: String) -> String {
        var escaped = ""
        for c in fragment {
            if c == "\\" || c == "%" || c == "_" { escaped.append("\\") }
            escaped.append(c)
        }
        return "%" + escaped + "%"
    }
}
