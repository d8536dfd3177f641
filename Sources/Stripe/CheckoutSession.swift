/// A Stripe Checkout Session (`object: "checkout.session"`), as returned by the API and carried in events.
///
/// Decoding is tolerant: unknown fields are ignored, unknown enum values become `.unknown`, absent
/// optionals are nil. Encoding writes Stripe's snake_case keys (nulls explicit) so the simulator can
/// answer with the same shape Stripe does.
public struct CheckoutSession: Codable, Sendable, Hashable {
    /// `open` while payable; `complete` once paid (or completed unpaid for delayed methods); `expired`.
    public enum Status: StripeEnum {
        case open
        case complete
        case expired
        /// A value this code does not know yet.
        case unknown(String)

        public init(rawValue: String) {
            switch rawValue {
            case "open": self = .open
            case "complete": self = .complete
            case "expired": self = .expired
            default: self = .unknown(rawValue)
            }
        }

        public var rawValue: String {
            switch self {
            case .open: return "open"
            case .complete: return "complete"
            case .expired: return "expired"
            case .unknown(let raw): return raw
            }
        }
    }

    /// Whether the money arrived: only `paid` (or `no_payment_required`) means it did.
    public enum PaymentStatus: StripeEnum {
        case paid
        case unpaid
        case noPaymentRequired
        /// A value this code does not know yet.
        case unknown(String)

        public init(rawValue: String) {
            switch rawValue {
            case "paid": self = .paid
            case "unpaid": self = .unpaid
            case "no_payment_required": self = .noPaymentRequired
            default: self = .unknown(rawValue)
            }
        }

        public var rawValue: String {
            switch self {
            case .paid: return "paid"
            case .unpaid: return "unpaid"
            case .noPaymentRequired: return "no_payment_required"
            case .unknown(let raw): return raw
            }
        }
    }

    /// `cs_test_…` / `cs_live_…`.
    public var id: String
    /// Always `"checkout.session"`.
    public var object: String
    /// The hosted payment page; only while `open`.
    public var url: String?
    public var status: Status
    public var paymentStatus: PaymentStatus
    /// Minor units.
    public var amountTotal: Int64?
    public var amountSubtotal: Int64?
    /// ISO 4217, lower case.
    public var currency: String?
    /// The PaymentIntent id (also when Stripe sent it expanded); nil while open (API ≥ 2022-08-01).
    public var paymentIntent: String?
    public var clientReferenceID: String?
    public var metadata: [String: String]
    public var expiresAt: Int64?
    public var created: Int64?
    /// `customer_details.email` when present, else `customer_email`.
    public var customerEmail: String?
    /// `payment`, `setup` or `subscription`.
    public var mode: String?
    public var successURL: String?
    public var cancelURL: String?
    public var livemode: Bool
    /// `mode=subscription`: the Subscription created when the session completed (nil before; also when
    /// Stripe sent it expanded, its id).
    public var subscription: String? = nil
    /// The Customer (created by subscription-mode sessions on completion).
    public var customer: String? = nil
    /// `mode=subscription`: the subscription's first invoice, once the session completed.
    public var invoice: String? = nil

    /// Memberwise, for the simulator and tests.
    public init(
        id: String, object: String = "checkout.session", url: String? = nil, status: Status,
        paymentStatus: PaymentStatus, amountTotal: Int64? = nil, amountSubtotal: Int64? = nil,
        currency: String? = nil, paymentIntent: String? = nil, clientReferenceID: String? = nil,
        metadata: [String: String] = [:], expiresAt: Int64? = nil, created: Int64? = nil,
        customerEmail: String? = nil, mode: String? = "payment", successURL: String? = nil,
        cancelURL: String? = nil, livemode: Bool = false
    ) {
        self.id = id
        self.object = object
        self.url = url
        self.status = status
        self.paymentStatus = paymentStatus
        self.amountTotal = amountTotal
        self.amountSubtotal = amountSubtotal
        self.currency = currency
        self.paymentIntent = paymentIntent
        self.clientReferenceID = clientReferenceID
        self.metadata = metadata
        self.expiresAt = expiresAt
        self.created = created
        self.customerEmail = customerEmail
        self.mode = mode
        self.successURL = successURL
        self.cancelURL = cancelURL
        self.livemode = livemode
    }

    enum CodingKeys: String, CodingKey {
        case id, object, url, status, currency, metadata, created, mode, livemode
        case paymentStatus = "payment_status"
        case amountTotal = "amount_total"
        case amountSubtotal = "amount_subtotal"
        case paymentIntent = "payment_intent"
        case clientReferenceID = "client_reference_id"
        case expiresAt = "expires_at"
        case customerEmail = "customer_email"
        case customerDetails = "customer_details"
        case successURL = "success_url"
        case cancelURL = "cancel_url"
        case subscription, customer, invoice
    }

    private struct CustomerDetails: Codable, Hashable {
        var email: String?
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        object = try c.decodeIfPresent(String.self, forKey: .object) ?? "checkout.session"
        url = try c.decodeIfPresent(String.self, forKey: .url)
        status = try c.decodeIfPresent(Status.self, forKey: .status) ?? .unknown("")
        paymentStatus = try c.decodeIfPresent(PaymentStatus.self, forKey: .paymentStatus) ?? .unknown("")
        amountTotal = try c.decodeIfPresent(Int64.self, forKey: .amountTotal)
        amountSubtotal = try c.decodeIfPresent(Int64.self, forKey: .amountSubtotal)
        currency = try c.decodeIfPresent(String.self, forKey: .currency)
        paymentIntent = try c.decodeExpandableID(forKey: .paymentIntent)
        clientReferenceID = try c.decodeIfPresent(String.self, forKey: .clientReferenceID)
        metadata = try c.decodeMetadata(forKey: .metadata)
        expiresAt = try c.decodeIfPresent(Int64.self, forKey: .expiresAt)
        created = try c.decodeIfPresent(Int64.self, forKey: .created)
        let details = try? c.decodeIfPresent(CustomerDetails.self, forKey: .customerDetails)
        customerEmail = try details?.email ?? c.decodeIfPresent(String.self, forKey: .customerEmail)
        mode = try c.decodeIfPresent(String.self, forKey: .mode)
        successURL = try c.decodeIfPresent(String.self, forKey: .successURL)
        cancelURL = try c.decodeIfPresent(String.self, forKey: .cancelURL)
        livemode = try c.decodeIfPresent(Bool.self, forKey: .livemode) ?? false
        subscription = try c.decodeExpandableID(forKey: .subscription)
        customer = try c.decodeExpandableID(forKey: .customer)
        invoice = try c.decodeExpandableID(forKey: .invoice)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(object, forKey: .object)
        try c.encode(amountSubtotal, forKey: .amountSubtotal)
        try c.encode(amountTotal, forKey: .amountTotal)
        try c.encode(cancelURL, forKey: .cancelURL)
        try c.encode(clientReferenceID, forKey: .clientReferenceID)
        try c.encode(created, forKey: .created)
        try c.encode(currency, forKey: .currency)
        try c.encode(customerEmail.map { CustomerDetails(email: $0) }, forKey: .customerDetails)
        try c.encode(customerEmail, forKey: .customerEmail)
        try c.encode(expiresAt, forKey: .expiresAt)
        try c.encode(livemode, forKey: .livemode)
        try c.encode(metadata, forKey: .metadata)
        try c.encode(mode, forKey: .mode)
        try c.encode(paymentIntent, forKey: .paymentIntent)
        try c.encode(paymentStatus, forKey: .paymentStatus)
        try c.encode(status, forKey: .status)
        try c.encode(successURL, forKey: .successURL)
        try c.encode(url, forKey: .url)
        try c.encode(subscription, forKey: .subscription)
        try c.encode(customer, forKey: .customer)
        try c.encode(invoice, forKey: .invoice)
    }
}
