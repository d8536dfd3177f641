import Foundation
import Postgres

extension WebhookProcessor {
    /// A session we never created, made by Stripe from the recovery link of one of our expired
    /// sessions (`recovered_from`): it belongs to the order of that session. It is stored beside the
    /// session it was recovered from (same attempt), so later lookups by its id (the success page, the
    /// reconciler) find the order, and its payment then goes through the same rules as any other
    /// payment of the order (a late payment re-takes the stock or is flagged). Returns a refusal when
    /// `recovered_from` is not a session of this order.
    func recordRecoveredSession(
        _ db: Connection, _ sessionID: String, from recoveredFrom: String, order: inout OrderRecord,
        _ mapping: StripeEventMapping
    ) throws -> String? {
        guard let original = try orders.orderID(db, sessionID: recoveredFrom), original == order.id else {
            return "session \(sessionID) was recovered from \(recoveredFrom), which is not a session of this order"
        }
        try orders.insertRecoveredSession(
            db, id: sessionID, orderID: order.id, recoveredFrom: recoveredFrom,
            status: mapping.sessionStatus ?? .unknown, paymentStatus: mapping.sessionPaymentStatus,
            paymentIntentID: mapping.paymentIntentID)
        order.state.sessionIDs.insert(sessionID)
        return nil
    }
}
