extension OrderStateMachine {
    /// The amount rule (docs/invariants.md P8), in this one place: what a payment must be for the order
    /// to be fulfilled. Returns the differences found (empty: the payment is what the order costs).
    ///
    /// - The currency is always the order's.
    /// - An order that allows no Checkout adjustments, a manual payment, and a payment whose session
    ///   reported no breakdown (e.g. one recorded from a refunded charge) must be exactly the items' sum.
    /// - Otherwise the payment must be what the session says it charged, and the session's breakdown
    ///   must explain it: its subtotal is the items' sum, `amount_total = subtotal − discount + tax +
    ///   shipping`, every part is ≥ 0, and only the adjustments the order allows are non-zero (a
    ///   discount needs promotion codes, tax needs automatic tax, shipping needs shipping rates).
    ///
    /// Pure; the caller keeps the money on record and holds fulfillment when anything is returned.
    public static func amountMismatch(_ state: OrderState, _ payment: Payment, totals: SessionTotals?) -> [String] {
        var problems: [String] = []
        if payment.currency != state.currency.lowercased() {
            problems.append("currency \(payment.currency), order currency \(state.currency)")
        }
        let allowed = state.checkout.adjustments
        guard let totals, !allowed.isEmpty, payment.kind == .stripe else {
            if payment.amount != state.amountTotal {
                problems.append("received \(payment.amount), order total \(state.amountTotal)")
            }
            return problems
        }
        if totals.amountSubtotal != state.amountTotal {
            problems.append("session subtotal \(totals.amountSubtotal), order items \(state.amountTotal)")
        }
        let parts: [(String, Int64, CheckoutAdjustments)] = [
            ("discount", totals.amountDiscount, .promotionCodes), ("tax", totals.amountTax, .automaticTax),
            ("shipping", totals.amountShipping, .shipping),
        ]
        for (name, amount, adjustment) in parts {
            if amount < 0 {
                problems.append("\(name) \(amount) is negative")
            } else if amount > 0, !allowed.contains(adjustment) {
                problems.append("\(name) \(amount), which the order does not allow")
            }
        }
        if totals.computedTotal != payment.amount {
            let explained = totals.computedTotal.map(String.init) ?? "an overflow"
            problems.append(
                "received \(payment.amount), session breakdown \(totals.amountSubtotal) − \(totals.amountDiscount) + "
                    + "\(totals.amountTax) + \(totals.amountShipping) = \(explained)")
        }
        return problems
    }
}
