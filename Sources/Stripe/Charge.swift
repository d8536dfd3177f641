/// A Stripe Charge (`object: "charge"`), as carried by `charge.*` events.
///
/// `amountRefunded` is **cumulative**: a second partial refund's event carries the running total, so a
/// consumer compares it with `amount` (full refund when equal) rather than adding event amounts.
public struct Charge: Codable, Sendable, Hashable {
    /// `succeeded`, `pending` or `failed`; new values decode as `.unknown`.
    public enum Status: StripeEnum {
        case succeeded
        case pending
        case failed
        /// A value this code does not know yet.
        case unknown(String)

        public init(rawValue: String) {
            switch rawValue {
            case "succeeded": self = .succeeded
            case "pending": self = .pending
            case "failed": self = .failed
            default: self = .unknown(rawValue)
            }
        }

        public var rawValue: String {
            switch self {
            case .succeeded: return "succeeded"
            case .pending: return "pending"
            case .failed: return "failed"
            case .unknown(let raw): return raw
            }
        }
    }

    /// `ch_…`.
    public var id: String
    public var object: String
    /// Minor units.
    public var amount: Int64
    /// Cumulative refunded amount, minor units.
    public var amountRefunded: Int64
    /// True only when fully refunded.
    public var refunded: Bool
    public var paid: Bool
    public var currency: String?
    /// The PaymentIntent id (also when expanded).
    public var paymentIntent: String?
    public var metadata: [String: String]
    public var failureCode: String?
    public var failureMessage: String?
    public var status: Status
    public var created: Int64?
    public var livemode: Bool

    /// Memberwise, for the simulator and tests.
    public init(
        id: String, object: String = "charge", amount: Int64, amountRefunded: Int64 = 0, refunded: Bool = false,
        paid: Bool, currency: String? = nil, paymentIntent: String? = nil, metadata: [String: String] = [:],
        failureCode: String? = nil, failureMessage: String? = nil, status: Status, created: Int64? = nil,
        livemode: Bool = false
    ) {
        self.id = id
        self.object = object
        self.amount = amount
        self.amountRefunded = amountRefunded
        self.refunded = refunded
        self.paid = paid
        self.currency = currency
        self.paymentIntent = paymentIntent
        self.metadata = metadata
        self.failureCode = failureCode
        self.failureMessage = failureMessage
        self.status = status
        self.created = created
        self.livemode = livemode
    }

    enum CodingKeys: String, CodingKey {
        case id, object, amount, refunded, paid, currency, metadata, status, created, livemode
        case amountRefunded = "amount_refunded"
        case paymentIntent = "payment_intent"
        case failureCode = "failure_code"
        case failureMessage = "failure_message"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        object = try c.decodeIfPresent(String.self, forKey: .object) ?? "charge"
        amount = try c.decodeIfPresent(Int64.self, forKey: .amount) ?? 0
        amountRefunded = try c.decodeIfPresent(Int64.self, forKey: .amountRefunded) ?? 0
        refunded = try c.decodeIfPresent(Bool.self, forKey: .refunded) ?? false
        paid = try c.decodeIfPresent(Bool.self, forKey: .paid) ?? false
        currency = try c.decodeIfPresent(String.self, forKey: .currency)
        paymentIntent = try c.decodeExpandableID(forKey: .paymentIntent)
        metadata = try c.decodeMetadata(forKey: .metadata)
        failureCode = try c.decodeIfPresent(String.self, forKey: .failureCode)
        failureMessage = try c.decodeIfPresent(String.self, forKey: .failureMessage)
        status = try c.decodeIfPresent(Status.self, forKey: .status) ?? .unknown("")
        created = try c.decodeIfPresent(Int64.self, forKey: .created)
        livemode = try c.decodeIfPresent(Bool.self, forKey: .livemode) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(object, forKey: .object)
        try c.encode(amount, forKey: .amount)
        try c.encode(amountRefunded, forKey: .amountRefunded)
        try c.encode(created, forKey: .created)
        try c.encode(currency, forKey: .currency)
        try c.encode(failureCode, forKey: .failureCode)
        try c.encode(failureMessage, forKey: .failureMessage)
        try c.encode(livemode, forKey: .livemode)
        try c.encode(metadata, forKey: .metadata)
        try c.encode(paid, forKey: .paid)
        try c.encode(paymentIntent, forKey: .paymentIntent)
        try c.encode(refunded, forKey: .refunded)
        try c.encode(status, forKey: .status)
    }
}
