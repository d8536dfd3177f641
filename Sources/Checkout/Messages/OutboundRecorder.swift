import Foundation
import Postgres

/// Writes a committed transition's outbound consequences in its own transaction (called by
/// ``OrderTransitions`` after the state and history are saved): the order webhook events of
/// ``OrderOutbound/webhookEvents(from:to:)``, each with a snapshot of the order as saved.
struct OutboundRecorder: Sendable {
    let settings: OutboundSettings
    let orders = OrderStore()
    let webhooks = OrderWebhookStore()

    func record(_ db: Connection, orderID: UUID, before: OrderState, after: OrderState, effects: [OrderEffect])
        throws
    {
        guard settings.orderWebhooks else { return }
        let types = OrderOutbound.webhookEvents(from: before, to: after)
        guard !types.isEmpty, let saved = try orders.order(db, id: orderID) else { return }
        let snapshot = AdminOrder(saved, items: try orders.items(db, orderID: orderID))
        try webhooks.enqueue(db, order: snapshot, orderID: orderID, types: types)
    }
}
