import Foundation
import Postgres

/// Writes a committed transition's outbound consequences in its own transaction (called by
/// ``OrderTransitions`` after the state and history are saved): the customer messages the transition
/// asked for or implies (``OrderOutbound/customerMessages(from:to:)``), each recorded once with its
/// `mail` job, and the order webhook events of ``OrderOutbound/webhookEvents(from:to:)``, each with a
/// snapshot of the order as saved.
struct OutboundRecorder: Sendable {
    let settings: OutboundSettings
    let orders = OrderStore()
    let webhooks = OrderWebhookStore()
    let messages = CustomerMessageStore()

    func record(_ db: Connection, orderID: UUID, before: OrderState, after: OrderState, effects: [OrderEffect])
        throws
    {
        if settings.customerMessages {
            let asked = effects + OrderOutbound.derivedMessages(explicit: effects, from: before, to: after)
            for case .customerMessage(let kind, let key) in asked {
                try messages.record(db, orderID: orderID, kind: kind, key: key)
            }
        }
        guard settings.orderWebhooks else { return }
        let types = OrderOutbound.webhookEvents(from: before, to: after)
        guard !types.isEmpty, let saved = try orders.order(db, id: orderID) else { return }
        let snapshot = AdminOrder(saved, items: try orders.items(db, orderID: orderID))
        try webhooks.enqueue(db, order: snapshot, orderID: orderID, types: types)
    }
}
