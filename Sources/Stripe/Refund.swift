/// A Stripe Refund (`object: "refund"`), as carried by `refund.created`, `refund.updated`,
/// `refund.failed` and `charge.refund.updated`, and as `POST /v1/refunds` answers
/// (https://docs.stripe.com/api/refunds/object).
///
/// A refund has a life of its own: it can stay `pending` and fail days later (the money then goes back
/// to the merchant's balance), so its `status` is what counts, not the event that carried it.
public struct Refund: Codable, Sendable, Hashable {
    /// `pending`, `requires_action`, `succeeded`, `failed`, `canceled`; new values decode as `.unknown`.
    public enum Status: StripeEnum {
        case pending
        case requiresAction
        case succeeded
        case failed
        case canceled
        /// A value this code does not know yet.
        case unknown(String)

        public init(rawValue: String) {
            switch rawValue {
            case "pending": self = .pending
            case "requires_action": self = .requiresAction
            case "succeeded": self = .succeeded
            case "failed": self = .failed
            case "canceled": self = .canceled
            default: self = .unknown(rawValue)
            }
        }

        public var rawValue: String {
            switch self {
            case .pending: return "pending"
            case .requiresAction: return "requires_action"
            case .succeeded: return "succeeded"
            case .failed: return "failed"
            case .canceled: return "canceled"
            case .unknown(let raw): return raw
            }
        }
    }

    /// `re_…` (or `pyr_…` for some methods).
    public var id: String
    public var object: String
    /// Minor units of ``currency``.
    public var amount: Int64
    public var currency: String?
    /// The refunded charge (also when expanded).
    public var charge: String?
    /// The PaymentIntent of that charge (also when expanded).
    public var paymentIntent: String?
    public var status: Status
    /// `duplicate`, `fraudulent`, `requested_by_customer`, `expired_uncaptured_charge`, … (open set).
    public var reason: String?
    /// Why it failed: `lost_or_stolen_card`, `expired_or_canceled_card`, `insufficient_funds`, … (open set).
    public var failureReason: String?
    public var metadata: [String: String]
    public var created: Int64?

    /// Memberwise, for the simulator and tests.
    public init(
        id: String, object: String = "refund", amount: Int64, currency: String?, charge: String?,
        paymentIntent: String?, status: Status, reason: String? = nil, failureReason: String? = nil,
        metadata: [String: String] = [:], created: Int64? = nil
    ) {
        self.id = id
        self.object = object
        self.amount = amount
        self.currency = currency
        self.charge = charge
        self.paymentIntent = paymentIntent
        self.status = status
        self.reason = reason
        self.failureReason = failureReason
        self.metadata = metadata
        self.created = created
    }

    enum CodingKeys: String, CodingKey {
        case id, object, amount, currency, charge, status, reason, metadata, created
        case paymentIntent = "payment_intent"
        case failureReason = "failure_reason"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        object = try c.decodeIfPresent(String.self, forKey: .object) ?? "refund"
        amount = try c.decodeIfPresent(Int64.self, forKey: .amount) ?? 0
        currency = try c.decodeIfPresent(String.self, forKey: .currency)
        charge = try c.decodeExpandableID(forKey: .charge)
        paymentIntent = try c.decodeExpandableID(forKey: .paymentIntent)
        status = try c.decodeIfPresent(Status.self, forKey: .status) ?? .unknown("")
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        failureReason = try c.decodeIfPresent(String.self, forKey: .failureReason)
        metadata = try c.decodeMetadata(forKey: .metadata)
        created = try c.decodeIfPresent(Int64.self, forKey: .created)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(object, forKey: .object)
        try c.encode(amount, forKey: .amount)
        try c.encode(currency, forKey: .currency)
        try c.encode(charge, forKey: .charge)
        try c.encode(paymentIntent, forKey: .paymentIntent)
        try c.encode(status, forKey: .status)
        try c.encode(reason, forKey: .reason)
        try c.encode(failureReason, forKey: .failureReason)
        try c.encode(metadata, forKey: .metadata)
        try c.encode(created, forKey: .created)
    }
}
