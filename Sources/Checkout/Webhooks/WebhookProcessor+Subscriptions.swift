import Foundation
import Postgres
import Stripe

/// Subscription and invoice events (docs/invariants.md, "Subscriptions"). Each runs in the webhook's one
/// transaction, after its `stripe_events` row was inserted (so it is applied at most once), under the
/// subscription row's lock (so events of one subscription serialise), and is decided by the pure
/// ``SubscriptionRules``. A renewal's money goes through the one mutation path: its order is made for the
/// invoice (unique per invoice) and ``OrderEvent/invoicePaid(invoiceID:amount:currency:)`` is applied to it
/// by `OrderTransitions`.
extension WebhookProcessor {
    /// The event types handled here.
    public static let subscriptionEventTypes: Set<String> = [
        "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted",
        "invoice.paid", "invoice.payment_failed",
    ]

    /// Applies a subscription or invoice event; nil for any other event.
    func applySubscriptionEvent(_ db: Connection, event: StripeEvent) throws -> WebhookOutcome? {
        switch (event.type, event.object) {
        case (let type, .subscription(let subscription)) where type.hasPrefix("customer.subscription."):
            return try applySnapshot(db, event: event, subscription: subscription)
        case ("invoice.paid", .invoice(let invoice)), ("invoice.payment_failed", .invoice(let invoice)):
            return try applyInvoice(db, event: event, invoice: invoice)
        default:
            return nil
        }
    }

    /// After a checkout session's event was applied to its order: the subscription the session created
    /// (mode=subscription) learns its originating order, customer and e-mail, once.
    func linkSubscription(_ db: Connection, event: StripeEvent, orderID: UUID) throws {
        guard case .checkoutSession(let session) = event.object, let subscriptionID = session.subscription else {
            return
        }
        let store = SubscriptionStore()
        let row = try store.lock(db, id: subscriptionID)
        guard
            var next = SubscriptionRules.link(
                row, orderID: orderID, customerID: session.customer, customerEmail: session.customerEmail,
                sessionPaid: session.paymentStatus == .paid || session.paymentStatus == .noPaymentRequired)
        else { return }
        next = SubscriptionRules.derive(next, newestInvoice: try store.newestInvoice(db, subscriptionID: row.id))
        try store.save(db, next)
    }

    private func applySnapshot(_ db: Connection, event: StripeEvent, subscription: Subscription) throws
        -> WebhookOutcome
    {
        let store = SubscriptionStore()
        let row = try store.lock(db, id: subscription.id)
        let snapshot = SubscriptionSnapshot(
            id: subscription.id, status: subscription.status, customerID: subscription.customer,
            currentPeriodStart: subscription.currentPeriodStart.map(Self.date),
            currentPeriodEnd: subscription.currentPeriodEnd.map(Self.date),
            cancelAtPeriodEnd: subscription.cancelAtPeriodEnd, canceledAt: subscription.canceledAt.map(Self.date),
            at: Self.date(event.created))
        var next = SubscriptionRules.apply(snapshot, to: row) ?? row
        try linkFromMetadata(db, &next, metadata: subscription.metadata)
        next = SubscriptionRules.derive(next, newestInvoice: try store.newestInvoice(db, subscriptionID: row.id))
        guard next != row else {
            let reason =
                "subscription \(subscription.id): snapshot (\(subscription.status)) is not newer than the one held"
            try events.recordResult(db, id: event.id, orderID: row.orderID, result: "no_op", detail: reason)
            return .subscriptionEvent(
                eventID: event.id, subscriptionID: row.id, orderID: row.orderID, result: "no_op", reason: reason)
        }
        try store.save(db, next)
        let reason =
            "subscription \(subscription.id) is \(next.status)"
            + (next.cancelAtPeriodEnd ? ", cancels at period end" : "")
        try events.recordResult(db, id: event.id, orderID: next.orderID, result: "applied", detail: reason)
        return .subscriptionEvent(
            eventID: event.id, subscriptionID: row.id, orderID: next.orderID, result: "applied", reason: reason)
    }

    private func applyInvoice(_ db: Connection, event: StripeEvent, invoice: Invoice) throws -> WebhookOutcome {
        guard let subscriptionID = invoice.subscriptionID else {
            let reason = "invoice \(invoice.id) belongs to no subscription"
            try events.recordResult(db, id: event.id, orderID: nil, result: "ignored", detail: reason)
            return .ignored(eventID: event.id, reason: reason)
        }
        let store = SubscriptionStore()
        let row = try store.lock(db, id: subscriptionID)
        let at = Self.date(event.created)
        let paid = event.type == "invoice.paid"
        let known = try store.invoice(db, id: invoice.id)
        var facts =
            known
            ?? SubscriptionInvoiceRecord(
                id: invoice.id, subscriptionID: subscriptionID, status: paid ? .paid : .failed,
                billingReason: invoice.billingReason, amount: paid ? invoice.amountPaid : invoice.amountDue,
                currency: invoice.currency.lowercased(), invoiceCreated: Self.date(invoice.created),
                periodEnd: invoice.lines.compactMap(\.periodEnd).max().map(Self.date), failureCount: 0, eventAt: at)
        var detail: String
        var notifyFailure = false
        if paid {
            // Paid is final: a failure reported after it changes nothing.
            facts.status = .paid
            facts.amount = invoice.amountPaid
            detail = "invoice \(invoice.id) of subscription \(subscriptionID) paid"
        } else if known?.status == .paid {
            detail = "failure of invoice \(invoice.id), which is already paid"
        } else {
            facts.failureCount += 1
            notifyFailure = true
            detail = "invoice \(invoice.id) of subscription \(subscriptionID) failed (attempt \(facts.failureCount))"
        }
        facts.eventAt = max(facts.eventAt, at)
        if facts != known { try store.saveInvoice(db, facts) }

        var next = row
        try linkFromMetadata(db, &next, metadata: invoice.subscriptionMetadata)
        next = SubscriptionRules.derive(
            next, newestInvoice: try store.newestInvoice(db, subscriptionID: subscriptionID))
        if next != row { try store.save(db, next) }

        if notifyFailure, next.needsAttention, let orderID = next.orderID {
            // One alert per failed attempt of an invoice; a redelivered event is a duplicate before this.
            try OutboxStore().enqueue(
                db, kind: "notify", orderID: orderID,
                payload: [
                    "orderId": orderID.lowercased, "kind": NotificationKind.needsAttention.rawValue,
                    "reason": "subscription \(subscriptionID): " + (next.attentionReason ?? detail),
                ], dedupeKey: "notify:renewal_failed:\(invoice.id):\(facts.failureCount)")
        }

        var orderID = next.orderID
        var changed = facts != known || next != row
        if paid, invoice.billingReason == "subscription_cycle" {
            switch try recordRenewal(db, event: event, invoice: invoice, subscription: next) {
            case .applied(let renewalID, let reason):
                orderID = renewalID
                changed = true
                detail += "; " + reason
            case .noOp(let renewalID, let reason):
                orderID = renewalID
                detail += "; " + reason
            case .noOrder(let reason):
                detail += "; " + reason
            }
        }
        let result = changed ? "applied" : "no_op"
        try events.recordResult(db, id: event.id, orderID: orderID, result: result, detail: detail)
        return .subscriptionEvent(
            eventID: event.id, subscriptionID: subscriptionID, orderID: orderID, result: result, reason: detail)
    }

    private enum RenewalResult {
        case applied(UUID, String)
        case noOp(UUID, String)
        case noOrder(String)
    }

    /// The renewal order of a paid `subscription_cycle` invoice: made once per invoice (unique key), with
    /// the subscription's lines of its checkout order, then paid through `OrderTransitions`.
    private func recordRenewal(
        _ db: Connection, event: StripeEvent, invoice: Invoice, subscription: SubscriptionRecord
    ) throws -> RenewalResult {
        guard let checkoutID = subscription.orderID, let checkout = try orders.order(db, id: checkoutID) else {
            return .noOrder("no checkout order is known for subscription \(subscription.id): no renewal order")
        }
        let lines = try orders.items(db, orderID: checkoutID).filter { $0.recurring != nil }
        guard !lines.isEmpty else {
            return .noOrder("checkout order \(checkout.orderNumber) has no subscription lines: no renewal order")
        }
        let items = lines.enumerated().map { index, line in
            var item = line
            item.lineNo = index
            return item
        }
        let (renewalID, _) = try orders.insertRenewalOrder(
            db, invoiceID: invoice.id, subscriptionID: subscription.id,
            orderNumberPrefix: Self.orderNumberPrefix(of: checkout.orderNumber), currency: checkout.currency,
            customerEmail: checkout.customerEmail ?? subscription.customerEmail,
            customerID: checkout.customerID, items: items)
        guard let renewal = try orders.order(db, id: renewalID, forUpdate: true) else {
            throw CheckoutError.internalFailure(detail: "renewal order \(renewalID) vanished")
        }
        let decision = try transitions.apply(
            db, order: renewal,
            event: .invoicePaid(invoiceID: invoice.id, amount: invoice.amountPaid, currency: invoice.currency),
            actor: "stripe:\(event.id)", stripeEventID: event.id)
        switch decision {
        case .transition(_, _, let reason):
            return .applied(renewalID, "renewal order \(renewal.orderNumber): \(reason)")
        case .noOp(let reason):
            return .noOp(renewalID, "renewal order \(renewal.orderNumber): \(reason)")
        }
    }

    /// `subscription_data[metadata][order_id]` names the checkout order (a hint: used only when that
    /// order exists and the row has none yet).
    private func linkFromMetadata(_ db: Connection, _ row: inout SubscriptionRecord, metadata: [String: String])
        throws
    {
        guard row.orderID == nil, let hint = metadata["order_id"].flatMap(UUID.init(uuidString:)),
            try SubscriptionStore().orderExists(db, id: hint)
        else { return }
        row.orderID = hint
    }

    /// The prefix of an order number `PREFIX-YYYYMMDD-NNNN` (renewals number like their checkout order).
    static func orderNumberPrefix(of orderNumber: String) -> String {
        let parts = orderNumber.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3 else { return orderNumber }
        return parts.dropLast(2).joined(separator: "-")
    }

    static func date(_ unix: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(unix)) }
}
