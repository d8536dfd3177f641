/// Which differences from the items' sum Checkout may compute for an order: recorded on the order when
/// it is created (from `CHECKOUT_ALLOW_PROMOTION_CODES`, `CHECKOUT_AUTOMATIC_TAX` and the shipping
/// settings of that moment) and the only thing the amount rule (``OrderStateMachine/amountMismatch(_:_:totals:)``)
/// lets differ. An order without any is charged exactly its items' sum.
public struct CheckoutAdjustments: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// A promotion code may take an amount off (`total_details.amount_discount`).
    public static let promotionCodes = CheckoutAdjustments(rawValue: 1)
    /// Automatic tax may be added on top (`total_details.amount_tax`; prices are sent tax-exclusive).
    public static let automaticTax = CheckoutAdjustments(rawValue: 2)
    /// A shipping rate may be added (`total_details.amount_shipping`).
    public static let shipping = CheckoutAdjustments(rawValue: 4)

    /// The names stored in `orders.checkout_adjustments` and shown in the admin API, in this order.
    public static let names: [(CheckoutAdjustments, String)] = [
        (.promotionCodes, "promotion_codes"), (.automaticTax, "automatic_tax"), (.shipping, "shipping"),
    ]

    public var names: [String] { Self.names.filter { contains($0.0) }.map(\.1) }

    public init(names: [String]) {
        self = Self.names.reduce(into: []) { set, entry in if names.contains(entry.1) { set.insert(entry.0) } }
    }
}

/// A postal address (shipping address, customer address).
public struct PostalAddress: Sendable, Hashable, Codable {
    public var name: String?
    public var line1: String?
    public var line2: String?
    public var city: String?
    public var state: String?
    public var postalCode: String?
    public var country: String?

    public init(
        name: String? = nil, line1: String? = nil, line2: String? = nil, city: String? = nil, state: String? = nil,
        postalCode: String? = nil, country: String? = nil
    ) {
        self.name = name
        self.line1 = line1
        self.line2 = line2
        self.city = city
        self.state = state
        self.postalCode = postalCode
        self.country = country
    }
    /// Every key, `null` when absent (the API's convention; also the stored jsonb).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(line1, forKey: .line1)
        try c.encode(line2, forKey: .line2)
        try c.encode(city, forKey: .city)
        try c.encode(state, forKey: .state)
        try c.encode(postalCode, forKey: .postalCode)
        try c.encode(country, forKey: .country)
    }

    enum CodingKeys: String, CodingKey { case name, line1, line2, city, state, postalCode, country }
}

/// The customer as Checkout collected them (`customer_details`).
public struct CheckoutCustomer: Sendable, Hashable, Codable {
    public var name: String?
    public var email: String?
    public var phone: String?
    public var address: PostalAddress?

    public init(name: String? = nil, email: String? = nil, phone: String? = nil, address: PostalAddress? = nil) {
        self.name = name
        self.email = email
        self.phone = phone
        self.address = address
    }
    /// Every key, `null` when absent.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(email, forKey: .email)
        try c.encode(phone, forKey: .phone)
        try c.encode(address, forKey: .address)
    }

    enum CodingKeys: String, CodingKey { case name, email, phone, address }
}

/// What a completed Checkout Session says it charged and collected: `amount_subtotal` (the lines'
/// sum), `total_details` (discount, tax, shipping), the promotion code, the customer's details and the
/// shipping address (`collected_information.shipping_details`). The session's `amount_total` is the
/// payment's amount; ``isConsistent(amountTotal:)`` checks that this breakdown explains it.
public struct SessionTotals: Sendable, Hashable {
    public var amountSubtotal: Int64
    public var amountDiscount: Int64
    public var amountTax: Int64
    public var amountShipping: Int64
    public var promotionCode: String?
    public var customer: CheckoutCustomer?
    public var shippingAddress: PostalAddress?

    public init(
        amountSubtotal: Int64, amountDiscount: Int64 = 0, amountTax: Int64 = 0, amountShipping: Int64 = 0,
        promotionCode: String? = nil, customer: CheckoutCustomer? = nil, shippingAddress: PostalAddress? = nil
    ) {
        self.amountSubtotal = amountSubtotal
        self.amountDiscount = amountDiscount
        self.amountTax = amountTax
        self.amountShipping = amountShipping
        self.promotionCode = promotionCode
        self.customer = customer
        self.shippingAddress = shippingAddress
    }

    /// `subtotal − discount + tax + shipping` (nil on overflow).
    public var computedTotal: Int64? {
        let (a, o1) = amountSubtotal.subtractingReportingOverflow(amountDiscount)
        let (b, o2) = a.addingReportingOverflow(amountTax)
        let (c, o3) = b.addingReportingOverflow(amountShipping)
        return o1 || o2 || o3 ? nil : c
    }
}

/// `after_expiration.recovery` of an expired session: a URL that makes a new session for the same cart
/// (usable until `expiresAt`, 30 days), and whether the customer agreed to promotional e-mail
/// (`consent.promotions`). A recovery link may be e-mailed only when `promotionsConsent == "opt_in"`.
public struct SessionRecovery: Sendable, Hashable {
    public var url: String
    /// Unix seconds.
    public var expiresAt: Int64?
    /// `opt_in`, `opt_out`, or nil when consent was not collected.
    public var promotionsConsent: String?

    public init(url: String, expiresAt: Int64? = nil, promotionsConsent: String? = nil) {
        self.url = url
        self.expiresAt = expiresAt
        self.promotionsConsent = promotionsConsent
    }

    /// True when the customer opted in to promotional e-mail (the recovery link may be sent).
    public var mayEmail: Bool { promotionsConsent == "opt_in" }
}

/// What an order recorded about Checkout: the adjustments it allows, the totals of the session that
/// paid it, and the recovery link of its expired session. Part of ``OrderState`` (the state machine
/// writes it; `orders` columns of migration 013).
public struct OrderCheckout: Sendable, Hashable {
    public var adjustments: CheckoutAdjustments
    /// The breakdown of the session whose payment the order accepted (nil until then, and for manual
    /// payments).
    public var totals: SessionTotals?
    /// The recovery link Stripe gave when the order's session expired.
    public var recovery: SessionRecovery?

    public init(adjustments: CheckoutAdjustments = [], totals: SessionTotals? = nil, recovery: SessionRecovery? = nil) {
        self.adjustments = adjustments
        self.totals = totals
        self.recovery = recovery
    }
}

extension OrderRecord {
    /// The recovery link a "payment expired" e-mail may carry: only when the customer opted in to
    /// promotional e-mail (`consent.promotions = opt_in`) and the link has not expired at `now` (unix
    /// seconds); nil otherwise. The one place that decides it, for the customer e-mail.
    public func recoveryLinkToEmail(now: Int64) -> String? {
        guard let recovery = state.checkout.recovery, recovery.mayEmail else { return nil }
        if let expiresAt = recovery.expiresAt, expiresAt <= now { return nil }
        return recovery.url
    }
}
