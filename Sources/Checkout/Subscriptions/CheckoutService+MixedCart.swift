import Foundation

/// Mixed carts: a cart with any recurring line is one Checkout Session in `mode=subscription`, its one-time
/// lines billed on the first invoice only (https://docs.stripe.com/api/checkout/sessions/create,
/// `line_items`). The order is that first invoice's order: same order number, stock and status rules.
extension CheckoutService {
    /// Stripe's limits for a subscription-mode session: at most 20 recurring and 20 one-time lines.
    static let maximumRecurringLines = 20
    static let maximumOneTimeLinesWithSubscription = 20

    /// Refuses, as the customer's 400, a cart Stripe would refuse in subscription mode: more lines than its
    /// limits, or recurring lines with different billing periods (one subscription bills on one schedule).
    static func checkSubscriptionLines(_ lines: [OrderItemRecord]) throws(CheckoutError) {
        let recurring = lines.filter { $0.recurring != nil }
        guard let first = recurring.first else { return }
        guard recurring.count <= maximumRecurringLines else {
            throw .validation(
                field: "items",
                message: "at most \(maximumRecurringLines) subscription items per checkout (Stripe's limit)")
        }
        let oneTime = lines.count - recurring.count
        guard oneTime <= maximumOneTimeLinesWithSubscription else {
            throw .validation(
                field: "items",
                message:
                    "at most \(maximumOneTimeLinesWithSubscription) one-time items next to a subscription (Stripe's limit)"
            )
        }
        if let other = recurring.first(where: { $0.recurring != first.recurring }) {
            throw .validation(
                field: "items[\(other.lineNo)].productId",
                message:
                    "bills \(other.recurring?.description ?? ""), other subscription items \(first.recurring?.description ?? ""): one checkout has one billing period"
            )
        }
    }

    /// `subscription_data[metadata]`: only the order id (the subscription and its invoices find their
    /// order by it); nil for a cart without recurring lines.
    static func subscriptionMetadata(orderID: UUID, items: [OrderItemRecord]) -> [String: String]? {
        items.contains { $0.recurring != nil } ? ["order_id": orderID.lowercased] : nil
    }
}
