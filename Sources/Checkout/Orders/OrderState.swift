/// Everything the pure ``OrderStateMachine`` needs to decide what an event means for one order.
///
/// A value snapshot of the columns of `orders` (plus the ids of every Checkout Session the order
/// ever had) taken while the order row is locked. The machine returns a new value; the store writes
/// back exactly the fields that changed.
public struct OrderState: Sendable, Equatable, Hashable {
    /// The status triple of docs/API.md §4.
    public var status: OrderStatus
    public var paymentStatus: PaymentStatus
    public var fulfillmentStatus: FulfillmentStatus

    /// The order's *current* Checkout Session (`orders.checkout_session_id`); nil before the first
    /// session exists, after Stripe failed to create one, or while a retry is creating the next one.
    public var currentSessionID: String?
    /// Every Checkout Session that belongs to the order (current and superseded ones).
    public var sessionIDs: Set<String>
    /// How many session creations were attempted; the outbound Stripe idempotency key uses it.
    public var sessionAttempt: Int
    /// The PaymentIntent of the current attempt, once Stripe told us.
    public var paymentIntentID: String?
    /// PaymentIntents of superseded attempts: their late failures change nothing.
    public var retiredPaymentIntentIDs: Set<String>

    /// Sum of the items in minor units.
    public var amountTotal: Int64
    /// The order's currency (lower case), which a manual payment is recorded in.
    public var currency: String
    /// The payments ledger of the order (`payments` rows), oldest first: every payment it received.
    public var payments: [Payment]
    /// What was received (minor units): the sum of ``payments``; 0 until paid.
    public var amountReceived: Int64 { payments.reduce(0) { $0 + $1.amount } }
    /// Cumulative refunds (minor units): the sum of the payments' refunds; never decreases.
    public var amountRefunded: Int64 { payments.reduce(0) { $0 + $1.amountRefunded } }

    /// True while the order has live `stock_reservations` rows (reserved while pending, committed once paid).
    public var stockReserved: Bool
    /// An operator must look at this order (e.g. fulfillment failed, paid after its stock was released).
    public var needsAttention: Bool
    public var attentionReason: String?

    /// Why the last payment attempt failed or ended (shown to the customer).
    public var failureReason: String?
    public var fulfillmentError: String?
    public var fulfillmentReference: String?

    /// What happened after the payments (`refunds`, `disputes`, `early_fraud_warnings` rows, migration
    /// 010), read under the row lock by `OrderTransitions`; a payment's refunds are derived from them.
    public var refunds: [RefundEntry] = []
    public var disputes: [DisputeEntry] = []
    public var fraudWarnings: [FraudWarningEntry] = []

    /// Creates a state; defaults describe a freshly created order holding its stock.
    ///
    /// Without `payments`, a non-zero `amountReceived` / `amountRefunded` stands for one payment: by
    /// `paymentIntentID` when given, else a manual one (a shorthand for tables of states).
    public init(
        status: OrderStatus = .pendingPayment, paymentStatus: PaymentStatus = .pending,
        fulfillmentStatus: FulfillmentStatus = .notAttempted, currentSessionID: String? = nil,
        sessionIDs: Set<String> = [], sessionAttempt: Int = 0, paymentIntentID: String? = nil,
        retiredPaymentIntentIDs: Set<String> = [], amountTotal: Int64, currency: String = "usd",
        payments: [Payment]? = nil, amountReceived: Int64 = 0, amountRefunded: Int64 = 0, stockReserved: Bool = true,
        needsAttention: Bool = false, attentionReason: String? = nil, failureReason: String? = nil,
        fulfillmentError: String? = nil, fulfillmentReference: String? = nil
    ) {
        self.status = status
        self.paymentStatus = paymentStatus
        self.fulfillmentStatus = fulfillmentStatus
        self.currentSessionID = currentSessionID
        self.sessionIDs = sessionIDs
        if let currentSessionID { self.sessionIDs.insert(currentSessionID) }
        self.sessionAttempt = sessionAttempt
        self.paymentIntentID = paymentIntentID
        self.retiredPaymentIntentIDs = retiredPaymentIntentIDs
        self.amountTotal = amountTotal
        self.currency = currency
        if let payments {
            self.payments = payments
        } else if amountReceived > 0 || amountRefunded > 0 {
            let amount = max(amountReceived, amountRefunded)
            self.payments = [
                Payment(
                    kind: paymentIntentID == nil ? .manual : .stripe, paymentIntentID: paymentIntentID,
                    sessionID: paymentIntentID == nil ? nil : currentSessionID, amount: amount, currency: currency,
                    amountRefunded: amountRefunded)
            ]
        } else {
            self.payments = []
        }
        self.stockReserved = stockReserved
        self.needsAttention = needsAttention
        self.attentionReason = attentionReason
        self.failureReason = failureReason
        self.fulfillmentError = fulfillmentError
        self.fulfillmentReference = fulfillmentReference
    }

    /// The (status, paymentStatus, fulfillmentStatus) triple, for tables and history rows.
    public var triple: StatusTriple {
        StatusTriple(status, paymentStatus, fulfillmentStatus)
    }
}

/// One row of docs/API.md §4's table: the three status columns together.
public struct StatusTriple: Sendable, Hashable, CustomStringConvertible {
    public var status: OrderStatus
    public var paymentStatus: PaymentStatus
    public var fulfillmentStatus: FulfillmentStatus

    /// A row of the table.
    public init(_ status: OrderStatus, _ paymentStatus: PaymentStatus, _ fulfillmentStatus: FulfillmentStatus) {
        self.status = status
        self.paymentStatus = paymentStatus
        self.fulfillmentStatus = fulfillmentStatus
    }

    public var description: String { "\(status.rawValue)/\(paymentStatus.rawValue)/\(fulfillmentStatus.rawValue)" }

    /// Every triple docs/API.md §4 lists as reachable. `refunded` keeps whatever fulfillment status it had.
    public static let reachable: Set<StatusTriple> = {
        var set: Set<StatusTriple> = [
            StatusTriple(.pendingPayment, .pending, .notAttempted),
            StatusTriple(.paid, .paid, .pending),
            StatusTriple(.confirmed, .paid, .success),
            StatusTriple(.paid, .paid, .failed),
            StatusTriple(.failed, .failed, .notAttempted),
            StatusTriple(.expired, .expired, .notAttempted),
            StatusTriple(.cancelled, .cancelled, .notAttempted),
        ]
        for fulfillment in FulfillmentStatus.allCases {
            set.insert(StatusTriple(.refunded, .refunded, fulfillment))
        }
        return set
    }()
}
