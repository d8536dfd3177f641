import Foundation

/// The rules that keep a `subscriptions` row current whatever order Stripe's events arrive in, any number
/// of times. Pure: the store locks the row, asks these, and writes the answer (docs/invariants.md,
/// "Subscriptions").
///
/// - A snapshot (`customer.subscription.created/updated/deleted`) replaces the row's Stripe fields only
///   when it is not older than the one the row holds (event `created`); when two have the same second,
///   the one further along wins (canceled over anything, then the later period end, then the status
///   rank, then `cancel_at_period_end`), so the result does not depend on the arrival order.
/// - `canceled` and `incomplete_expired` are final: Stripe never revives such a subscription, so such a
///   snapshot wins over any live one whatever their times.
/// - The session's facts (originating order, customer, e-mail) are set once and never changed.
/// - The invoice facts decide the flag and may override the shown status: see
///   ``effectiveStatus(stripeStatus:snapshotAt:newestInvoice:)``.
public enum SubscriptionRules {
    static let finalStatuses: Set<String> = ["canceled", "incomplete_expired"]

    static func rank(_ status: String?) -> Int {
        switch status {
        case nil: return -1
        case "incomplete": return 0
        case "trialing": return 1
        case "active": return 2
        case "paused": return 3
        case "past_due": return 4
        case "unpaid": return 5
        case "incomplete_expired", "canceled": return 9
        default: return 6
        }
    }

    /// Whether `snapshot` should replace what `row` holds.
    public static func supersedes(_ snapshot: SubscriptionSnapshot, _ row: SubscriptionRecord) -> Bool {
        if let stored = row.stripeStatus, finalStatuses.contains(stored) {
            // Final: only another final snapshot that is newer may refine it (e.g. canceled_at).
            return finalStatuses.contains(snapshot.status) && (row.snapshotAt.map { snapshot.at > $0 } ?? true)
        }
        // Final whenever it happened: a snapshot of an earlier, live state never undoes it (and a final
        // snapshot that arrives after a later live one still ends the subscription).
        if finalStatuses.contains(snapshot.status) { return true }
        guard let at = row.snapshotAt, row.stripeStatus != nil else { return true }
        if snapshot.at != at { return snapshot.at > at }
        let new = (
            finalStatuses.contains(snapshot.status) ? 1 : 0, snapshot.currentPeriodEnd ?? .distantPast,
            rank(snapshot.status), snapshot.cancelAtPeriodEnd ? 1 : 0
        )
        let old = (
            0, row.currentPeriodEnd ?? .distantPast, rank(row.stripeStatus), row.cancelAtPeriodEnd ? 1 : 0
        )
        return new > old
    }

    /// The row after `snapshot`, or nil when it changes nothing (older, or already held).
    public static func apply(_ snapshot: SubscriptionSnapshot, to row: SubscriptionRecord) -> SubscriptionRecord? {
        var next = row
        if supersedes(snapshot, row) {
            next.stripeStatus = snapshot.status
            next.currentPeriodStart = snapshot.currentPeriodStart
            next.currentPeriodEnd = snapshot.currentPeriodEnd
            next.cancelAtPeriodEnd = snapshot.cancelAtPeriodEnd
            next.canceledAt = snapshot.canceledAt
            next.snapshotAt = snapshot.at
        }
        if next.customerID == nil { next.customerID = snapshot.customerID }
        return next == row ? nil : next
    }

    /// The session's facts, set once: the originating order, the customer and the e-mail. A paid
    /// session means the first invoice was paid: until Stripe's own snapshot arrives the row shows
    /// `active`.
    public static func link(
        _ row: SubscriptionRecord, orderID: UUID?, customerID: String?, customerEmail: String?, sessionPaid: Bool
    ) -> SubscriptionRecord? {
        var next = row
        if next.stripeStatus == nil, sessionPaid, next.status == "incomplete" { next.status = "active" }
        if next.orderID == nil { next.orderID = orderID }
        if next.customerID == nil { next.customerID = customerID }
        if next.customerEmail == nil { next.customerEmail = customerEmail }
        return next == row ? nil : next
    }

    /// The status shown: Stripe's, unless a renewal invoice event at or after the snapshot says otherwise
    /// (the newest invoice failed while Stripe's snapshot still says active or trialing: `past_due`; it was
    /// paid while the snapshot says past_due, unpaid or incomplete: `active`). Final statuses stay. Without
    /// any snapshot: what the newest invoice implies (`incomplete` before any invoice).
    public static func effectiveStatus(
        stripeStatus: String?, snapshotAt: Date?, newestInvoice: SubscriptionInvoiceRecord?
    ) -> String {
        if let stripeStatus, finalStatuses.contains(stripeStatus) { return stripeStatus }
        guard let invoice = newestInvoice, snapshotAt.map({ invoice.eventAt >= $0 }) ?? true else {
            return stripeStatus ?? "incomplete"
        }
        switch invoice.status {
        case .failed where [nil, "active", "trialing"].contains(stripeStatus):
            return "past_due"
        case .paid where [nil, "past_due", "unpaid", "incomplete"].contains(stripeStatus):
            return "active"
        default:
            return stripeStatus ?? (invoice.status == .paid ? "active" : "past_due")
        }
    }

    /// The flag: the newest invoice failed (and nothing after it was paid).
    public static func attention(newestInvoice: SubscriptionInvoiceRecord?) -> String? {
        guard let invoice = newestInvoice, invoice.status == .failed else { return nil }
        let attempts = invoice.failureCount == 1 ? "1 failed attempt" : "\(invoice.failureCount) failed attempts"
        return "renewal invoice \(invoice.id) is unpaid (\(attempts)); the subscription is past due"
    }

    /// `row` with its shown status and flag derived again from the newest invoice.
    public static func derive(_ row: SubscriptionRecord, newestInvoice: SubscriptionInvoiceRecord?)
        -> SubscriptionRecord
    {
        // Nothing Stripe said about the subscription yet (only its session): keep what the session implied.
        guard row.stripeStatus != nil || newestInvoice != nil else { return row }
        var next = row
        next.status = effectiveStatus(
            stripeStatus: row.stripeStatus, snapshotAt: row.snapshotAt, newestInvoice: newestInvoice)
        // A canceled subscription bills nothing more: its unpaid invoice no longer needs anyone.
        next.attentionReason = finalStatuses.contains(next.status) ? nil : attention(newestInvoice: newestInvoice)
        next.needsAttention = next.attentionReason != nil
        return next
    }
}
