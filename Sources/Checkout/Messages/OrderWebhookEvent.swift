import Foundation
import Postgres

/// One outbound order webhook event: what `ORDER_WEBHOOK_URL` receives for one consequence of an order's
/// transition (docs/API.md §5a). Stripe's envelope, so receivers that know Stripe's know this one:
///
/// ```json
/// {"id": "oevt_…", "object": "event", "type": "order.paid", "created": 1764806400,
///  "data": {"object": { …the admin order… }}}
/// ```
///
/// `data.object` is the admin order (docs/API.md §4, without `sessions`, `payments`, `reservations`,
/// `events` and `history`) as it was when the transition committed: a snapshot, so a late or retried
/// delivery still says what the order looked like then.
struct OrderWebhookEvent: Encodable {
    struct Payload: Encodable {
        var object: AdminOrder
    }

    var id: String
    var object = "event"
    var type: String
    var created: Int64
    var data: Payload

    /// A fresh, unguessable event id: `oevt_` + 32 hex digits.
    static func newID() -> String {
        "oevt_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    /// The exact bytes that are signed and sent (keys sorted, so the body is reproducible).
    func body() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }
}

/// Enqueues order webhook events in the transition's transaction (`order_webhook` outbox jobs).
struct OrderWebhookStore: Sendable {
    let outbox = OutboxStore()

    /// The outbox job kind.
    static let jobKind = "order_webhook"

    /// One job per event type, each with its own event id and the body frozen now. The dedupe key is the
    /// event id, so nothing ever merges two events.
    func enqueue(_ db: Connection, order: AdminOrder, orderID: UUID, types: [String], now: Date = Date()) throws {
        for type in types {
            let event = OrderWebhookEvent(
                id: OrderWebhookEvent.newID(), type: type, created: Int64(now.timeIntervalSince1970),
                data: .init(object: order))
            try outbox.enqueue(
                db, kind: Self.jobKind, orderID: orderID,
                payload: [
                    "orderId": orderID.lowercased, "eventId": event.id, "type": type,
                    "body": String(decoding: try event.body(), as: UTF8.self),
                ],
                dedupeKey: "\(Self.jobKind):\(event.id)")
        }
    }
}
