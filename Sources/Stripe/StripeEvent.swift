/// A Stripe webhook event envelope.
///
/// Decode it only after `WebhookVerifier` accepted the raw bytes. Decoding is tolerant (unknown fields
/// ignored; `data.object` of a type we do not model becomes `.other(type)`), but the fields a consumer
/// acts on are typed. Encodable with Stripe's exact keys so the simulator sends the same envelope.
public struct StripeEvent: Codable, Sendable, Hashable {
    /// `evt_…`; unique per event, the idempotency key of webhook processing.
    public var id: String
    /// e.g. `checkout.session.completed`.
    public var type: String
    /// Unix seconds when Stripe created the event (not when it was delivered).
    public var created: Int64
    public var livemode: Bool
    /// The API version the snapshot was rendered with; nil for some old events.
    public var apiVersion: String?
    /// Endpoints still to be delivered to.
    public var pendingWebhooks: Int
    /// The API request that caused the event; both fields nil for automatic events.
    public var request: Request?
    /// `data.object`: a snapshot of the object at the time of the event.
    public var object: EventObject

    /// The API request behind an event.
    public struct Request: Codable, Sendable, Hashable {
        public var id: String?
        public var idempotencyKey: String?

        public init(id: String?, idempotencyKey: String?) {
            self.id = id
            self.idempotencyKey = idempotencyKey
        }

        enum CodingKeys: String, CodingKey {
            case id
            case idempotencyKey = "idempotency_key"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(idempotencyKey, forKey: .idempotencyKey)
        }
    }

    /// Memberwise, for the simulator and tests.
    public init(
        id: String, type: String, created: Int64, livemode: Bool = false, apiVersion: String?,
        pendingWebhooks: Int = 1, request: Request? = nil, object: EventObject
    ) {
        self.id = id
        self.type = type
        self.created = created
        self.livemode = livemode
        self.apiVersion = apiVersion
        self.pendingWebhooks = pendingWebhooks
        self.request = request
        self.object = object
    }

    enum CodingKeys: String, CodingKey {
        case id, object, type, created, livemode, data, request
        case apiVersion = "api_version"
        case pendingWebhooks = "pending_webhooks"
    }

    enum DataKeys: String, CodingKey {
        case object
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        type = try c.decode(String.self, forKey: .type)
        created = try c.decode(Int64.self, forKey: .created)
        livemode = try c.decodeIfPresent(Bool.self, forKey: .livemode) ?? false
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        pendingWebhooks = try c.decodeIfPresent(Int.self, forKey: .pendingWebhooks) ?? 0
        request = try? c.decodeIfPresent(Request.self, forKey: .request)
        let data = try c.nestedContainer(keyedBy: DataKeys.self, forKey: .data)
        object = try data.decode(EventObject.self, forKey: .object)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode("event", forKey: .object)
        try c.encode(apiVersion, forKey: .apiVersion)
        try c.encode(created, forKey: .created)
        var data = c.nestedContainer(keyedBy: DataKeys.self, forKey: .data)
        try data.encode(object, forKey: .object)
        try c.encode(livemode, forKey: .livemode)
        try c.encode(pendingWebhooks, forKey: .pendingWebhooks)
        try c.encode(request ?? Request(id: nil, idempotencyKey: nil), forKey: .request)
        try c.encode(type, forKey: .type)
    }
}

/// The typed `data.object` of an event, chosen by its `object` field.
public enum EventObject: Codable, Sendable, Hashable {
    case checkoutSession(CheckoutSession)
    case paymentIntent(PaymentIntent)
    case charge(Charge)
    case refund(Refund)
    case dispute(Dispute)
    case earlyFraudWarning(EarlyFraudWarning)
    case subscription(Subscription)
    case invoice(Invoice)
    /// An object type we do not model (its `object` string, e.g. `"customer"`); carried, not decoded.
    case other(String)

    private enum Keys: String, CodingKey { case object, id }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let type = try c.decodeIfPresent(String.self, forKey: .object) ?? ""
        switch type {
        case "checkout.session": self = .checkoutSession(try CheckoutSession(from: decoder))
        case "payment_intent": self = .paymentIntent(try PaymentIntent(from: decoder))
        case "charge": self = .charge(try Charge(from: decoder))
        case "refund": self = .refund(try Refund(from: decoder))
        case "dispute": self = .dispute(try Dispute(from: decoder))
        case "radar.early_fraud_warning": self = .earlyFraudWarning(try EarlyFraudWarning(from: decoder))
        case "subscription": self = .subscription(try Subscription(from: decoder))
        case "invoice": self = .invoice(try Invoice(from: decoder))
        default: self = .other(type)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .checkoutSession(let s): try s.encode(to: encoder)
        case .paymentIntent(let p): try p.encode(to: encoder)
        case .charge(let ch): try ch.encode(to: encoder)
        case .refund(let r): try r.encode(to: encoder)
        case .dispute(let d): try d.encode(to: encoder)
        case .earlyFraudWarning(let w): try w.encode(to: encoder)
        case .subscription(let sub): try sub.encode(to: encoder)
        case .invoice(let invoice): try invoice.encode(to: encoder)
        case .other(let type):
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(type, forKey: .object)
        }
    }

    /// The object's `object` string.
    public var objectType: String {
        switch self {
        case .checkoutSession: return "checkout.session"
        case .paymentIntent: return "payment_intent"
        case .charge: return "charge"
        case .refund: return "refund"
        case .dispute: return "dispute"
        case .earlyFraudWarning: return "radar.early_fraud_warning"
        case .subscription: return "subscription"
        case .invoice: return "invoice"
        case .other(let t): return t
        }
    }

    /// The session, when this is one.
    public var checkoutSession: CheckoutSession? {
        if case .checkoutSession(let s) = self { return s }
        return nil
    }

    /// The PaymentIntent, when this is one.
    public var paymentIntent: PaymentIntent? {
        if case .paymentIntent(let p) = self { return p }
        return nil
    }

    /// The Charge, when this is one.
    public var charge: Charge? {
        if case .charge(let c) = self { return c }
        return nil
    }
}
