/// Subscription renewals on the one mutation path: each renewal invoice Stripe reports paid is its own
/// order (made for that invoice, `pending_payment` without stock or session), and `invoicePaid` is the
/// payment that order receives.
extension OrderStateMachine {
    /// The renewal's payment, keyed by its invoice: recorded once (a second delivery, or another event
    /// for the same invoice, is a no-op); the order is paid and its stock taken committed like any late
    /// payment (``OrderEffect/reacquireStockOrFlag``): when none is left the money is kept, fulfillment
    /// held and the order flagged. An amount or currency other than the order's is recorded, not
    /// fulfilled. Only an order without sessions can be paid by an invoice (a checkout order's money comes
    /// from its session).
    static func renewalPaid(_ state: OrderState, invoiceID: String, amount: Int64, currency: String) -> OrderDecision {
        let payment = Payment(
            kind: .stripe, paymentIntentID: nil, sessionID: nil, amount: amount, currency: currency.lowercased(),
            invoiceID: invoiceID)
        if state.payments.contains(where: { $0.isSame(as: payment) }) {
            return .noOp(reason: "payment \(payment.label) is already recorded")
        }
        guard state.currentSessionID == nil, state.sessionIDs.isEmpty else {
            return .noOp(reason: "invoice \(invoiceID) does not pay a checkout order")
        }
        return acceptPayment(state, payment, reason: "renewal invoice \(invoiceID) paid")
    }
}
