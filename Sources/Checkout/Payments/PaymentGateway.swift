import Foundation

/// The slice of Stripe Checkout the domain uses, as a seam: `StripeClient` conforms (see
/// `StripeClient+PaymentGateway.swift`), and nothing in Checkout depends on Stripe's wire types.
/// Every method blocks the calling (worker) thread and is bounded by the client's timeout.
public protocol PaymentGateway: Sendable {
    /// Creates a Checkout Session. `idempotencyKey` makes a retried call return the first answer.
    func createSession(_ request: PaymentSessionRequest, idempotencyKey: String) throws(PaymentGatewayError)
        -> PaymentSession
    /// Reads a session's current state.
    func retrieveSession(_ id: String) throws(PaymentGatewayError) -> PaymentSession
    /// Expires an open session (Stripe answers 400 when it is not open).
    func expireSession(_ id: String, idempotencyKey: String) throws(PaymentGatewayError) -> PaymentSession
    /// Refunds (part of) a payment (`PaymentGateway+Refunds.swift`); the same key refunds once.
    func createRefund(_ request: RefundCreateRequest, idempotencyKey: String) throws(PaymentGatewayError)
        -> RefundObservation
}

/// What the domain asks Stripe to create (mode `payment`, one `price_data` line per item).
public struct PaymentSessionRequest: Sendable, Equatable {
    /// One line: title, unit amount (minor units), currency, quantity — all from our database.
    public struct Line: Sendable, Equatable {
        public var name: String
        public var unitAmount: Int64
        public var currency: String
        public var quantity: Int
        /// Billed every period (a subscription line, `price_data[recurring]`); nil = charged once.
        public var recurring: RecurringPrice?

        public init(name: String, unitAmount: Int64, currency: String, quantity: Int, recurring: RecurringPrice? = nil)
        {
            self.name = name
            self.unitAmount = unitAmount
            self.currency = currency
            self.quantity = quantity
            self.recurring = recurring
        }
    }

    public var lines: [Line]
    public var successURL: String
    public var cancelURL: String
    public var clientReferenceID: String
    public var metadata: [String: String]
    public var paymentIntentMetadata: [String: String]
    public var customerEmail: String?
    /// Unix seconds.
    public var expiresAt: Int64
    /// `subscription_data[metadata]` when any line is recurring (the session is then `mode=subscription`,
    /// and `paymentIntentMetadata` is not sent: Stripe refuses `payment_intent_data` in that mode).
    public var subscriptionMetadata: [String: String]?

    /// True when the session must be `mode=subscription` (a line is recurring).
    public var isSubscription: Bool { lines.contains { $0.recurring != nil } }

    public init(
        lines: [Line], successURL: String, cancelURL: String, clientReferenceID: String,
        metadata: [String: String], paymentIntentMetadata: [String: String], customerEmail: String?, expiresAt: Int64,
        subscriptionMetadata: [String: String]? = nil
    ) {
        self.subscriptionMetadata = subscriptionMetadata
        self.lines = lines
        self.successURL = successURL
        self.cancelURL = cancelURL
        self.clientReferenceID = clientReferenceID
        self.metadata = metadata
        self.paymentIntentMetadata = paymentIntentMetadata
        self.customerEmail = customerEmail
        self.expiresAt = expiresAt
    }
}

/// A Checkout Session as the domain needs it.
public struct PaymentSession: Sendable, Equatable {
    /// `status` of the session.
    public enum Status: String, Sendable, Equatable {
        case open, complete, expired, unknown
    }

    public var id: String
    public var url: String?
    public var status: Status
    /// nil when Stripe sent a value we do not know.
    public var paymentStatus: SessionPaymentOutcome?
    public var paymentIntentID: String?
    public var amountTotal: Int64?
    public var metadata: [String: String]
    /// Unix seconds.
    public var expiresAt: Int64?
    /// Three-letter ISO code, lower case, as Stripe reports it: a payment in another currency than the
    /// order's is recorded but not fulfilled, whichever path (webhook, reconciler, sync) applies it.
    public var currency: String?

    public init(
        id: String, url: String?, status: Status, paymentStatus: SessionPaymentOutcome?, paymentIntentID: String?,
        amountTotal: Int64?, metadata: [String: String], expiresAt: Int64?, currency: String? = nil
    ) {
        self.id = id
        self.url = url
        self.status = status
        self.paymentStatus = paymentStatus
        self.paymentIntentID = paymentIntentID
        self.amountTotal = amountTotal
        self.metadata = metadata
        self.expiresAt = expiresAt
        self.currency = currency
    }

    /// What this snapshot means for the order, if anything: a completed session is a payment (or a
    /// pending delayed one), an expired one an expiry; an open one says nothing new.
    public var orderEvent: OrderEvent? {
        switch status {
        case .complete:
            return .sessionCompleted(
                sessionID: id, paymentStatus: paymentStatus ?? .unpaid, paymentIntentID: paymentIntentID,
                amountTotal: amountTotal, currency: currency)
        case .expired:
            return .sessionExpired(sessionID: id)
        case .open, .unknown:
            return nil
        }
    }
}

/// Why a gateway call failed, reduced to what the domain acts on.
public enum PaymentGatewayError: Error, Sendable, Equatable {
    /// Stripe answered 4xx (other than 409/429, without `Stripe-Should-Retry: true`). Not retried as is;
    /// see ``isInvalidRequest`` for the ones that prove the request can never succeed.
    case rejected(status: Int, type: String?, code: String?, message: String)
    /// Stripe unreachable, timed out, 5xx, 409 or 429 (or said `Stripe-Should-Retry: true`) after the
    /// client's bounded retries. Retryable later.
    case unavailable(String)

    /// True only when this request can never succeed, so giving up on it (cancelling a new order and
    /// releasing its stock) is safe: a 400 `invalid_request_error` (our parameters are wrong). A
    /// 401/403 (our key is wrong: an operator fixes it), a 400 `idempotency_error`, a 402, a 404 … are
    /// not proof of that.
    public var isInvalidRequest: Bool {
        guard case .rejected(let status, let type, _, _) = self else { return false }
        return status == 400 && type == "invalid_request_error"
    }

    /// True when Stripe said the resource does not exist (404 / `resource_missing`).
    public var isMissing: Bool {
        if case .rejected(let status, _, let code, _) = self { return status == 404 || code == "resource_missing" }
        return false
    }
}
