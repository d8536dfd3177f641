import Foundation
import Stripe

/// Customers, subscriptions and invoices: what a subscription-mode Checkout Session creates when it
/// completes (since API version 2025-03-31, only then), and the renewals the simulated clock bills.
struct SimulatorBilling {
    struct CustomerRecord {
        var id: String
        var email: String?
        var name: String?
        var created: Int64
    }

    struct SubscriptionRecord {
        var subscription: Subscription
        var sessionID: String
        /// How the next renewal invoices go (`/_sim/subscriptions/:id/renewal-outcome`).
        var renewalOutcome: RenewalOutcome = .paid
        /// The customer's e-mail, for invoices.
        var email: String?
    }

    var customers: [String: CustomerRecord] = [:]
    var subscriptions: [String: SubscriptionRecord] = [:]
    var subscriptionOrder: [String] = []
    var invoices: [String: Invoice] = [:]
    var invoiceOrder: [String] = []
}

/// What a renewal invoice's payment attempt does.
public enum RenewalOutcome: String, Codable, Sendable {
    case paid
    case failed
}

/// What a billing control action did: the subscription afterwards, the invoice it concerned and the
/// events it generated, in order.
public struct SimulatorBillingResult: Codable, Sendable {
    public var subscription: Subscription
    public var invoice: Invoice?
    public var events: [String]
}

extension StripeSimulator {
    /// The end of a period that starts at `start` (UTC calendar arithmetic, as Stripe bills).
    static func periodEnd(start: Int64, interval: String, count: Int64) -> Int64 {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let component: Calendar.Component
        switch interval {
        case "day": component = .day
        case "week": component = .weekOfYear
        case "year": component = .year
        default: component = .month
        }
        let date = Date(timeIntervalSince1970: TimeInterval(start))
        let end = calendar.date(byAdding: component, value: Int(count), to: date) ?? date
        return Int64(end.timeIntervalSince1970)
    }

    /// Completes a subscription-mode session's payment: a customer, the subscription (active, its first
    /// period starting now) and its first invoice (`billing_reason=subscription_create`, paid, every line
    /// of the session: one-time lines are billed on the first invoice only). Events
    /// `customer.subscription.created`, `invoice.paid` (the caller adds `checkout.session.completed`).
    func startSubscription(_ r: inout SimulatorState.SessionRecord, _ s: inout SimulatorState, email: String?)
        -> [String]
    {
        let now = self.now(s)
        let email = email ?? r.session.customerEmail ?? "customer@example.test"
        let customer = SimulatorBilling.CustomerRecord(
            id: StripeID.make("cus_test_", length: 14), email: email, name: "Sim Customer", created: now)
        s.billing.customers[customer.id] = customer
        let subscriptionID = StripeID.make("sub_test_", length: 24)
        let items = r.storedLineItems.compactMap { stored -> Subscription.Item? in
            guard let recurring = stored.item.recurring else { return nil }
            return Subscription.Item(
                id: StripeID.make("si_test_", length: 14), quantity: stored.item.quantity, priceID: stored.priceID,
                productID: stored.productID, unitAmount: stored.item.unitAmount, currency: stored.item.currency,
                interval: recurring.interval, intervalCount: recurring.intervalCount, currentPeriodStart: now,
                currentPeriodEnd: Self.periodEnd(
                    start: now, interval: recurring.interval, count: recurring.intervalCount),
                created: now)
        }
        let invoiceID = StripeID.make("in_test_", length: 24)
        var subscription = Subscription(
            id: subscriptionID, status: "active", customer: customer.id, created: now, currency: r.session.currency,
            metadata: r.subscriptionMetadata, items: items, latestInvoice: invoiceID)
        let lines = r.storedLineItems.map { stored in
            Invoice.Line(
                id: StripeID.make("il_test_", length: 24), amount: stored.item.unitAmount * stored.item.quantity,
                currency: stored.item.currency, description: "\(stored.item.quantity) × \(stored.item.name)",
                quantity: stored.item.quantity, periodStart: now,
                periodEnd: stored.item.recurring.map {
                    Self.periodEnd(start: now, interval: $0.interval, count: $0.intervalCount)
                } ?? now,
                subscriptionItem: items.first { $0.priceID == stored.priceID }?.id)
        }
        let total = r.session.amountTotal ?? 0
        let invoice = Invoice(
            id: invoiceID, status: "paid", billingReason: "subscription_create", customer: customer.id,
            customerEmail: email, currency: r.session.currency ?? "usd", amountDue: total, amountPaid: total,
            amountRemaining: 0, subtotal: total, total: total, attemptCount: 1, created: now, periodStart: now,
            periodEnd: now, nextPaymentAttempt: nil, subscriptionID: subscriptionID,
            subscriptionMetadata: r.subscriptionMetadata, lines: lines)
        subscription.latestInvoice = invoice.id
        s.billing.subscriptions[subscriptionID] = .init(
            subscription: subscription, sessionID: r.session.id, email: email)
        s.billing.subscriptionOrder.append(subscriptionID)
        s.billing.invoices[invoice.id] = invoice
        s.billing.invoiceOrder.append(invoice.id)
        r.session.subscription = subscriptionID
        r.session.customer = customer.id
        r.session.invoice = invoice.id
        r.session.paymentStatus = .paid
        return [
            emit(&s, type: "customer.subscription.created", object: .subscription(subscription), request: nil),
            emit(&s, type: "invoice.paid", object: .invoice(invoice), request: nil),
        ]
    }

    /// Bills the subscription's next period now: its period moves on by one interval and a renewal invoice
    /// (`billing_reason=subscription_cycle`) is attempted with `outcome`. Paid: `customer.subscription.updated`
    /// (new period; `active` again if it was past due), `invoice.paid`. Failed: the invoice stays open
    /// (`attempt_count` 1), `customer.subscription.updated` (new period, `past_due`), `invoice.payment_failed`.
    /// A subscription set to cancel at period end is canceled instead (`customer.subscription.deleted`).
    func renew(_ s: inout SimulatorState, subscriptionID: String, outcome: RenewalOutcome) throws(StripeAPIError)
        -> SimulatorBillingResult
    {
        guard var record = s.billing.subscriptions[subscriptionID] else {
            throw Self.noSuch("subscription", subscriptionID, param: "id")
        }
        guard record.subscription.status != "canceled" else {
            throw Self.controlError(
                409, "subscription_canceled", "Subscription \(subscriptionID) is canceled: nothing to renew.")
        }
        let now = self.now(s)
        var sub = record.subscription
        if sub.cancelAtPeriodEnd {
            sub.status = "canceled"
            sub.canceledAt = now
            sub.endedAt = now
            record.subscription = sub
            s.billing.subscriptions[subscriptionID] = record
            let e = emit(&s, type: "customer.subscription.deleted", object: .subscription(sub), request: nil)
            return SimulatorBillingResult(subscription: sub, invoice: nil, events: [e])
        }
        for index in sub.items.indices {
            let start = sub.items[index].currentPeriodEnd ?? now
            sub.items[index].currentPeriodStart = start
            sub.items[index].currentPeriodEnd = Self.periodEnd(
                start: start, interval: sub.items[index].interval ?? "month",
                count: sub.items[index].intervalCount ?? 1)
        }
        let lines = sub.items.map { item in
            Invoice.Line(
                id: StripeID.make("il_test_", length: 24), amount: (item.unitAmount ?? 0) * item.quantity,
                currency: item.currency, description: "\(item.quantity) × renewal", quantity: item.quantity,
                periodStart: item.currentPeriodStart, periodEnd: item.currentPeriodEnd, subscriptionItem: item.id)
        }
        let total = lines.reduce(Int64(0)) { $0 + $1.amount }
        let paid = outcome == .paid
        let invoice = Invoice(
            id: StripeID.make("in_test_", length: 24), status: paid ? "paid" : "open",
            billingReason: "subscription_cycle", customer: sub.customer, customerEmail: record.email,
            currency: sub.currency ?? "usd", amountDue: total, amountPaid: paid ? total : 0,
            amountRemaining: paid ? 0 : total, subtotal: total, total: total, attemptCount: 1, created: now,
            periodStart: sub.currentPeriodStart, periodEnd: sub.currentPeriodEnd,
            nextPaymentAttempt: paid ? nil : now + 3 * 86_400, subscriptionID: sub.id,
            subscriptionMetadata: sub.metadata, lines: lines)
        sub.latestInvoice = invoice.id
        sub.status = paid ? "active" : "past_due"
        record.subscription = sub
        s.billing.subscriptions[subscriptionID] = record
        s.billing.invoices[invoice.id] = invoice
        s.billing.invoiceOrder.append(invoice.id)
        let events = [
            emit(&s, type: "customer.subscription.updated", object: .subscription(sub), request: nil),
            emit(&s, type: paid ? "invoice.paid" : "invoice.payment_failed", object: .invoice(invoice), request: nil),
        ]
        return SimulatorBillingResult(subscription: sub, invoice: invoice, events: events)
    }

    /// Another payment attempt of an open invoice (Stripe's retries, or the customer updating the card).
    /// Paid: `invoice.paid`, and `customer.subscription.updated` (`active`) when it was the latest invoice of a
    /// past-due subscription. Failed: `attempt_count` + 1, `invoice.payment_failed`.
    func attemptInvoice(_ s: inout SimulatorState, invoiceID: String, outcome: RenewalOutcome)
        throws(StripeAPIError) -> SimulatorBillingResult
    {
        guard var invoice = s.billing.invoices[invoiceID] else {
            throw Self.noSuch("invoice", invoiceID, param: "invoice")
        }
        guard invoice.status == "open", let subscriptionID = invoice.subscriptionID,
            var record = s.billing.subscriptions[subscriptionID]
        else {
            throw Self.controlError(
                409, "invoice_not_open", "Invoice \(invoiceID) is \(invoice.status ?? "unknown"), not open.")
        }
        let now = self.now(s)
        invoice.attemptCount += 1
        var events: [String] = []
        if outcome == .paid {
            invoice.status = "paid"
            invoice.amountPaid = invoice.amountDue
            invoice.amountRemaining = 0
            invoice.nextPaymentAttempt = nil
            s.billing.invoices[invoiceID] = invoice
            events.append(emit(&s, type: "invoice.paid", object: .invoice(invoice), request: nil))
            if record.subscription.latestInvoice == invoiceID, record.subscription.status == "past_due" {
                record.subscription.status = "active"
                s.billing.subscriptions[subscriptionID] = record
                events.append(
                    emit(
                        &s, type: "customer.subscription.updated", object: .subscription(record.subscription),
                        request: nil))
            }
        } else {
            invoice.nextPaymentAttempt = now + 3 * 86_400
            s.billing.invoices[invoiceID] = invoice
            events.append(emit(&s, type: "invoice.payment_failed", object: .invoice(invoice), request: nil))
        }
        return SimulatorBillingResult(subscription: record.subscription, invoice: invoice, events: events)
    }

    /// Renews every subscription whose period ended by the simulated clock, period by period, with its
    /// configured outcome (called when the clock moves).
    func runDueRenewals(_ s: inout SimulatorState) {
        let now = self.now(s)
        for id in s.billing.subscriptionOrder {
            var guardCount = 0
            while let record = s.billing.subscriptions[id], record.subscription.status != "canceled",
                let end = record.subscription.currentPeriodEnd, end <= now, guardCount < 1000
            {
                guardCount += 1
                _ = try? renew(&s, subscriptionID: id, outcome: record.renewalOutcome)
            }
        }
    }

    /// `cancel_at_period_end` set or cleared (`customer.subscription.updated`), or canceled now
    /// (`customer.subscription.deleted`). `request` is the API call that caused it.
    func cancelSubscription(
        _ s: inout SimulatorState, id: String, atPeriodEnd: Bool?, immediately: Bool, request: StripeEvent.Request?
    ) throws(StripeAPIError) -> Subscription {
        guard var record = s.billing.subscriptions[id] else { throw Self.noSuch("subscription", id, param: "id") }
        var sub = record.subscription
        if sub.status == "canceled" {
            guard !immediately else {
                // Stripe refuses to cancel a canceled subscription again.
                throw StripeAPIError(
                    status: 400, type: "invalid_request_error", code: "resource_missing", param: "id",
                    message: "No such subscription: '\(id)'")
            }
            return sub
        }
        let now = self.now(s)
        if immediately {
            sub.status = "canceled"
            sub.canceledAt = now
            sub.endedAt = now
        } else if let atPeriodEnd {
            guard atPeriodEnd != sub.cancelAtPeriodEnd else { return sub }
            sub.cancelAtPeriodEnd = atPeriodEnd
            sub.cancelAt = atPeriodEnd ? sub.currentPeriodEnd : nil
            sub.canceledAt = atPeriodEnd ? now : nil
        } else {
            return sub
        }
        record.subscription = sub
        s.billing.subscriptions[id] = record
        emit(
            &s, type: immediately ? "customer.subscription.deleted" : "customer.subscription.updated",
            object: .subscription(sub), request: request)
        return sub
    }

    // MARK: - Control API in Swift

    /// Bills the next period now (see ``renew(_:subscriptionID:outcome:)``).
    public func renew(subscriptionID: String, outcome: RenewalOutcome = .paid) throws(StripeAPIError)
        -> SimulatorBillingResult
    {
        try control { (s: inout SimulatorState) throws(StripeAPIError) in
            try renew(&s, subscriptionID: subscriptionID, outcome: outcome)
        }
    }

    /// Another attempt of an open renewal invoice.
    public func attemptInvoice(invoiceID: String, outcome: RenewalOutcome) throws(StripeAPIError)
        -> SimulatorBillingResult
    {
        try control { (s: inout SimulatorState) throws(StripeAPIError) in
            try attemptInvoice(&s, invoiceID: invoiceID, outcome: outcome)
        }
    }

    /// How the subscription's renewals billed by the clock go from now on.
    public func setRenewalOutcome(subscriptionID: String, _ outcome: RenewalOutcome) throws(StripeAPIError) {
        try control { (s: inout SimulatorState) throws(StripeAPIError) in
            guard s.billing.subscriptions[subscriptionID] != nil else {
                throw Self.noSuch("subscription", subscriptionID, param: "id")
            }
            s.billing.subscriptions[subscriptionID]?.renewalOutcome = outcome
        }
    }

    /// Every subscription, oldest first.
    public func subscriptions() -> [Subscription] {
        state.withLock { s in s.billing.subscriptionOrder.compactMap { s.billing.subscriptions[$0]?.subscription } }
    }

    /// Every invoice, oldest first.
    public func invoices() -> [Invoice] {
        state.withLock { s in s.billing.invoiceOrder.compactMap { s.billing.invoices[$0] } }
    }
}
