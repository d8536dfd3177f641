import Foundation
import Stripe

/// The slice of Stripe Billing the admin API uses (cancel a subscription), beside ``PaymentGateway``: the
/// real `StripeClient` conforms; a gateway that does not cannot cancel (503 `stripe_unavailable`).
public protocol SubscriptionGateway: Sendable {
    /// Cancels at the end of the current period (`atPeriodEnd`) or now; answers Stripe's subscription.
    func cancelSubscription(_ id: String, atPeriodEnd: Bool, idempotencyKey: String) throws(PaymentGatewayError)
        -> SubscriptionSnapshot
}

extension StripeClient: SubscriptionGateway {
    public func cancelSubscription(_ id: String, atPeriodEnd: Bool, idempotencyKey: String)
        throws(PaymentGatewayError) -> SubscriptionSnapshot
    {
        do {
            let subscription =
                atPeriodEnd
                ? try updateSubscription(id, cancelAtPeriodEnd: true, idempotencyKey: idempotencyKey)
                : try cancelSubscription(id, idempotencyKey: idempotencyKey)
            return SubscriptionSnapshot(subscription, at: .distantPast)
        } catch {
            throw PaymentGatewayError(error)
        }
    }
}

extension SubscriptionSnapshot {
    /// A Stripe subscription as a snapshot observed at `at` (an event's `created`).
    init(_ subscription: Subscription, at: Date) {
        func date(_ unix: Int64?) -> Date? { unix.map { Date(timeIntervalSince1970: TimeInterval($0)) } }
        self.init(
            id: subscription.id, status: subscription.status, customerID: subscription.customer,
            currentPeriodStart: date(subscription.currentPeriodStart),
            currentPeriodEnd: date(subscription.currentPeriodEnd),
            cancelAtPeriodEnd: subscription.cancelAtPeriodEnd, canceledAt: date(subscription.canceledAt), at: at)
    }
}
