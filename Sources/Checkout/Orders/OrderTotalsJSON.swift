import Foundation

/// `checkoutTotals` of the public and admin order (docs/API.md §4): what the session that paid the
/// order charged, as Checkout computed it. `amountTotal` here is what was charged
/// (`amountSubtotal − amountDiscount + amountTax + amountShipping`); the order's own `amountTotal`
/// stays the items' sum. `promotionCode` is the code Stripe reported (its `promo_…` id unless the
/// session was read with the code expanded). No personal data: the address is admin-only.
public struct CheckoutTotalsJSON: Sendable, Equatable, Encodable {
    public var amountSubtotal: Int64
    public var amountDiscount: Int64
    public var amountTax: Int64
    public var amountShipping: Int64
    public var amountTotal: Int64
    public var promotionCode: String?

    init(_ totals: SessionTotals) {
        amountSubtotal = totals.amountSubtotal
        amountDiscount = totals.amountDiscount
        amountTax = totals.amountTax
        amountShipping = totals.amountShipping
        amountTotal = totals.computedTotal ?? 0
        promotionCode = totals.promotionCode
    }

    enum CodingKeys: String, CodingKey {
        case amountSubtotal, amountDiscount, amountTax, amountShipping, amountTotal, promotionCode
    }

    /// Encodes every key (explicit `null` for no promotion code).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(amountSubtotal, forKey: .amountSubtotal)
        try c.encode(amountDiscount, forKey: .amountDiscount)
        try c.encode(amountTax, forKey: .amountTax)
        try c.encode(amountShipping, forKey: .amountShipping)
        try c.encode(amountTotal, forKey: .amountTotal)
        try c.encode(promotionCode, forKey: .promotionCode)
    }
}

/// The admin order's Checkout fields (docs/API.md §4): the adjustments the order allows, the customer
/// as Checkout collected them, the shipping address, and the recovery link of its expired session.
public struct AdminCheckoutJSON: Sendable, Equatable, Encodable {
    public struct Recovery: Sendable, Equatable, Encodable {
        public var url: String
        public var expiresAt: String?
        /// `opt_in`, `opt_out` or null (not asked); the link may be e-mailed only after `opt_in`.
        public var promotionsConsent: String?
        public var mayEmail: Bool

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(url, forKey: .url)
            try c.encode(expiresAt, forKey: .expiresAt)
            try c.encode(promotionsConsent, forKey: .promotionsConsent)
            try c.encode(mayEmail, forKey: .mayEmail)
        }

        enum CodingKeys: String, CodingKey { case url, expiresAt, promotionsConsent, mayEmail }
    }

    public var adjustments: [String]
    public var customerDetails: CheckoutCustomer?
    public var shippingAddress: PostalAddress?
    public var recovery: Recovery?

    init(_ checkout: OrderCheckout) {
        adjustments = checkout.adjustments.names
        customerDetails = checkout.totals?.customer
        shippingAddress = checkout.totals?.shippingAddress
        recovery = checkout.recovery.map {
            Recovery(
                url: $0.url, expiresAt: $0.expiresAt.map { ISO8601.string(Date(timeIntervalSince1970: Double($0))) },
                promotionsConsent: $0.promotionsConsent, mayEmail: $0.mayEmail)
        }
    }

    enum CodingKeys: String, CodingKey { case adjustments, customerDetails, shippingAddress, recovery }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(adjustments, forKey: .adjustments)
        try c.encode(customerDetails, forKey: .customerDetails)
        try c.encode(shippingAddress, forKey: .shippingAddress)
        try c.encode(recovery, forKey: .recovery)
    }
}
