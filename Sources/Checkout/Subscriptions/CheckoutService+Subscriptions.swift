import Foundation
import Postgres

/// Subscriptions in the public and admin API (docs/API.md §3 and §4, "Subscriptions and renewals").
extension CheckoutService {
    /// The order with its subscription (the one it started or renews), if any: the by-session lookup.
    public func attachingSubscription(_ order: PublicOrder) throws(CheckoutError) -> PublicOrder {
        guard let id = UUID(uuidString: order.id) else { return order }
        let row = try run { try pool.withConnection { db in try SubscriptionStore().subscription(db, forOrder: id) } }
        var copy = order
        copy.subscription = row.map(PublicSubscription.init)
        return copy
    }

    /// `GET /api/admin/subscriptions`.
    public func adminSubscriptions(_ query: AdminSubscriptionQuery) throws(CheckoutError) -> AdminSubscriptionList {
        try run {
            try pool.withConnection { db in
                AdminSubscriptionList(
                    subscriptions: try SubscriptionStore().list(db, query).map { AdminSubscription($0) })
            }
        }
    }

    /// `GET /api/admin/subscriptions/:id`: with its orders (checkout order and renewals, newest first) and
    /// invoices. Throws ``CheckoutError/subscriptionNotFound``.
    public func adminSubscription(_ id: String) throws(CheckoutError) -> AdminSubscription {
        guard Self.isSubscriptionID(id) else { throw .subscriptionNotFound }
        return try run {
            try pool.withConnection { db in
                let store = SubscriptionStore()
                guard let row = try store.subscription(db, id: id) else { throw CheckoutError.subscriptionNotFound }
                let ids = try orders.subscriptionOrderIDs(db, subscriptionID: id, checkoutOrderID: row.orderID)
                let items = try orders.items(db, orderIDs: ids)
                let records = try ids.compactMap { try orders.order(db, id: $0) }
                return AdminSubscription(
                    row, orders: records.map { AdminOrder($0, items: items[$0.id] ?? []) },
                    invoices: try store.invoices(db, subscriptionID: id))
            }
        }
    }

    /// `POST /api/admin/subscriptions/:id/cancel`: asks Stripe to cancel at the period's end (default) or
    /// now. No row is locked while Stripe is called; Stripe's answer is then applied like a snapshot of the
    /// same moment as the one held (ties go to the further-along state, so a cancel shows at once and a
    /// later event from Stripe still wins). Stripe's `customer.subscription.updated/deleted` follows.
    public func cancelSubscription(_ id: String, atPeriodEnd: Bool) throws(CheckoutError) -> AdminSubscription {
        let current = try adminSubscription(id)
        guard !SubscriptionRules.finalStatuses.contains(current.status) else {
            throw .subscriptionNotCancellable(status: current.status)
        }
        guard let billing = gateway as? any SubscriptionGateway else {
            throw .stripeUnavailable(orderID: nil, detail: "this payment gateway cannot cancel subscriptions")
        }
        let answer: SubscriptionSnapshot
        do {
            answer = try billing.cancelSubscription(
                id, atPeriodEnd: atPeriodEnd, idempotencyKey: "subscription:\(id):cancel:\(atPeriodEnd ? "end" : "now")"
            )
        } catch {
            throw stripeFailure(error, orderID: nil, action: "cancel subscription \(id)")
        }
        try run {
            try pool.transaction { db in
                let store = SubscriptionStore()
                let row = try store.lock(db, id: id)
                var snapshot = answer
                snapshot.at = row.snapshotAt ?? now()
                guard let next = SubscriptionRules.apply(snapshot, to: row) else { return }
                try store.save(
                    db, SubscriptionRules.derive(next, newestInvoice: try store.newestInvoice(db, subscriptionID: id)))
            }
        }
        return try adminSubscription(id)
    }

    /// Stripe subscription ids (`sub_…`) we could have stored: 1–255 printable ASCII.
    static func isSubscriptionID(_ id: String) -> Bool {
        (1...255).contains(id.utf8.count) && id.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }
}
