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
              AND ($5::text IS NULL
                   OR strpos(lower(order_number), lower($5::text)) > 0
                   OR strpos(lower(coalesce(customer_email, '')), lower($5::text)) > 0
                   OR checkout_session_id = $5::text OR payment_intent_id = $5::text
                   OR EXISTS (SELECT 1 FROM checkout_sessions s WHERE s.order_id = orders.id AND s.id = $5::text))
              AND ($6::bigint IS NULL
                   OR (created_at, id) < (timestamptz 'epoch' + $6::bigint * interval '1 microsecond', $7::uuid))
            ORDER BY created_at DESC, id DESC
            LIMIT $8
            """,
            [
                query.status?.rawValue, query.paymentStatus?.rawValue, query.fulfillmentStatus?.rawValue,
                query.needsAttention, query.q, cursor?.createdMicros, cursor?.id, query.limit + 1,
            ])
        let page = Array(rows.prefix(query.limit))
        var next: String?
        if rows.count > query.limit, let last = page.last {
            next = AdminOrderCursor(createdMicros: try last.decode("created_us"), id: try last.decode("id")).text
        }
        return (try page.map(Self.decodeOrder), next)
    }
}
