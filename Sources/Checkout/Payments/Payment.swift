/// One row of the payments ledger (`payments`): money an order received, and how much of it went back.
///
/// A Stripe payment is keyed by its PaymentIntent (or, for a session that needed no payment, by the
/// session); an admin's mark-paid is the order's one manual payment, which no Stripe refund matches.
/// Unique keys in the database make recording one payment twice impossible.
public struct Payment: Sendable, Equatable, Hashable, Codable {
    /// Where the money came from.
    public enum Kind: String, Sendable, Hashable, Codable {
        case stripe
        case manual
    }

    public var kind: Kind
    public var paymentIntentID: String?
    public var sessionID: String?
    /// Received, in minor units of ``currency``.
    public var amount: Int64
    public var currency: String
    /// Cumulative refunds of this payment; never decreases, never above ``amount``.
    public var amountRefunded: Int64
    /// A subscription renewal's payment is keyed by its invoice (an Invoice has no PaymentIntent field).
    public var invoiceID: String?

    public init(
        kind: Kind, paymentIntentID: String?, sessionID: String?, amount: Int64, currency: String,
        amountRefunded: Int64 = 0, invoiceID: String? = nil
    ) {
        self.invoiceID = invoiceID
        self.kind = kind
        self.paymentIntentID = paymentIntentID
        self.sessionID = sessionID
        self.amount = amount
        self.currency = currency
        self.amountRefunded = amountRefunded
    }

    /// `succeeded`, `partially_refunded` or `refunded` (the column's CHECK derives it the same way).
    public var status: String {
        amountRefunded == 0 ? "succeeded" : amountRefunded < amount ? "partially_refunded" : "refunded"
    }

    /// True when money was received and all of it went back.
    public var isFullyRefunded: Bool { amountRefunded > 0 && amountRefunded >= amount }

    /// True when `other` is the same payment (same PaymentIntent, else same session, or both manual).
    func isSame(as other: Payment) -> Bool {
        guard kind == other.kind else { return false }
        if kind == .manual { return true }
        if let intent = paymentIntentID, intent == other.paymentIntentID { return true }
        if let session = sessionID, session == other.sessionID { return true }
        if let invoice = invoiceID, invoice == other.invoiceID { return true }
        return false
    }
}

extension Payment {
    /// How reasons name it: the PaymentIntent, else the session, else "manual".
    var label: String {
        paymentIntentID ?? sessionID.map { "of session \($0)" } ?? invoiceID.map { "of invoice \($0)" } ?? "manual"
    }
}
