/// A Stripe PaymentIntent (`object: "payment_intent"`), as carried by `payment_intent.*` events.
///
/// It does not carry the Checkout Session's metadata: Checkout copies `payment_intent_data[metadata]`
/// here, which is how an event is matched to an order.
public struct PaymentIntent: Codable, Sendable, Hashable {
    /// The PaymentIntent lifecycle; new values decode as `.unknown`.
    public enum Status: StripeEnum {
        case requiresPaymentMethod
        case requiresConfirmation
        case requiresAction
        case processing
        case requiresCapture
        case canceled
        case succeeded
        /// A value this code does not know yet.
        case unknown(String)

        public init(rawValue: String) {
            switch rawValue {
            case "requires_payment_method": self = .requiresPaymentMethod
            case "requires_confirmation": self = .requiresConfirmation
            case "requires_action": self = .requiresAction
            case "processing": self = .processing
            case "requires_capture": self = .requiresCapture
            case "canceled": self = .canceled
            case "succeeded": self = .succeeded
            default: self = .unknown(rawValue)
            }
        }

        public var rawValue: String {
            switch self {
            case .requiresPaymentMethod: return "requires_payment_method"
            case .requiresConfirmation: return "requires_confirmation"
            case .requiresAction: return "requires_action"
            case .processing: return "processing"
            case .requiresCapture: return "requires_capture"
            case .canceled: return "canceled"
            case .succeeded: return "succeeded"
            case .unknown(let raw): return raw
            }
        }
    }

    /// Why the last attempt failed (a declined card, …).
    public struct LastPaymentError: Codable, Sendable, Hashable {
        public var type: String?
        public var code: String?
        public var declineCode: String?
        public var message: String?

        public init(type: String? = nil, code: String? = nil, declineCode: String? = nil, message: String? = nil) {
            self.type = type
            self.code = code
            self.declineCode = declineCode
            self.message = message
        }

        enum CodingKeys: String, CodingKey {
            case type, code, message
            case declineCode = "decline_code"
        }
    }

    /// `pi_…`.
    public var id: String
    public var object: String
    /// Minor units.
    public var amount: Int64
    public var amountReceived: Int64?
    public var currency: String?
    public var status: Status
    public var metadata: [String: String]
    public var lastPaymentError: LastPaymentError?
    /// The latest Charge id (also when expanded).
    public var latestCharge: String?
    public var created: Int64?
    public var livemode: Bool

    /// The decline message of the last failed attempt, if any.
    public var failureMessage: String? { lastPaymentError?.message }

    /// Memberwise, for the simulator and tests.
    public init(
        id: String, object: String = "payment_intent", amount: Int64, amountReceived: Int64? = nil,
        currency: String? = nil, status: Status, metadata: [String: String] = [:],
        lastPaymentError: LastPaymentError? = nil, latestCharge: String? = nil, created: Int64? = nil,
        livemode: Bool = false
    ) {
        self.id = id
        self.object = object
        self.amount = amount
        self.amountReceived = amountReceived
        self.currency = currency
        self.status = status
        self.metadata = metadata
        self.lastPaymentError = lastPaymentError
        self.latestCharge = latestCharge
        self.created = created
        self.livemode = livemode
    }

    enum CodingKeys: String, CodingKey {
        case id, object, amount, currency, status, metadata, created, livemode
        case amountReceived = "amount_received"
        case lastPaymentError = "last_payment_error"
        case latestCharge = "latest_charge"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        object = try c.decodeIfPresent(String.self, forKey: .object) ?? "payment_intent"
        amount = try c.decodeIfPresent(Int64.self, forKey: .amount) ?? 0
        amountReceived = try c.decodeIfPresent(Int64.self, forKey: .amountReceived)
        currency = try c.decodeIfPresent(String.self, forKey: .currency)
        status = try c.decodeIfPresent(Status.self, forKey: .status) ?? .unknown("")
        metadata = try c.decodeMetadata(forKey: .metadata)
        lastPaymentError = try? c.decodeIfPresent(LastPaymentError.self, forKey: .lastPaymentError)
        latestCharge = try c.decodeExpandableID(forKey: .latestCharge)
        created = try c.decodeIfPresent(Int64.self, forKey: .created)
        livemode = try c.decodeIfPresent(Bool.self, forKey: .livemode) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(object, forKey: .object)
        try c.encode(amount, forKey: .amount)
        try c.encode(amountReceived ?? 0, forKey: .amountReceived)
        try c.encode(created, forKey: .created)
        try c.encode(currency, forKey: .currency)
        try c.encode(lastPaymentError, forKey: .lastPaymentError)
        try c.encode(latestCharge, forKey: .latestCharge)
        try c.encode(livemode, forKey: .livemode)
        try c.encode(metadata, forKey: .metadata)
        try c.encode(status, forKey: .status)
    }
}
