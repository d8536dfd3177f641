/// What Checkout itself computed or collected on a session, beyond the lines we sent: the totals
/// breakdown (promotion codes, automatic tax, shipping), the customer's details and shipping address,
/// consent, and the abandoned-cart recovery fields.
///
/// Decoded from the same object as ``CheckoutSession`` (its own keys, tolerant: every field optional,
/// unknown fields ignored). Field names are Stripe's for the pinned API version
/// (https://docs.stripe.com/api/checkout/sessions/object): since the 2025-03-31 release the shipping
/// address is `collected_information.shipping_details` (it was top-level `shipping_details` before).
public struct CheckoutSessionComputed: Codable, Sendable, Hashable {
    /// `total_details`: what `amount_total` adds to or takes off `amount_subtotal`.
    public struct TotalDetails: Codable, Sendable, Hashable {
        public var amountDiscount: Int64?
        public var amountTax: Int64?
        public var amountShipping: Int64?

        public init(amountDiscount: Int64? = nil, amountTax: Int64? = nil, amountShipping: Int64? = nil) {
            self.amountDiscount = amountDiscount
            self.amountTax = amountTax
            self.amountShipping = amountShipping
        }

        enum CodingKeys: String, CodingKey {
            case amountDiscount = "amount_discount"
            case amountTax = "amount_tax"
            case amountShipping = "amount_shipping"
        }
    }

    /// A postal address as Stripe sends it (every field nullable).
    public struct Address: Codable, Sendable, Hashable {
        public var line1: String?
        public var line2: String?
        public var city: String?
        public var state: String?
        public var postalCode: String?
        /// Two-letter ISO 3166-1 code.
        public var country: String?

        public init(
            line1: String? = nil, line2: String? = nil, city: String? = nil, state: String? = nil,
            postalCode: String? = nil, country: String? = nil
        ) {
            self.line1 = line1
            self.line2 = line2
            self.city = city
            self.state = state
            self.postalCode = postalCode
            self.country = country
        }

        enum CodingKeys: String, CodingKey {
            case line1, line2, city, state, country
            case postalCode = "postal_code"
        }
    }

    /// `customer_details`: what the customer entered on the hosted page.
    public struct CustomerDetails: Codable, Sendable, Hashable {
        public var email: String?
        public var name: String?
        public var phone: String?
        public var address: Address?

        public init(email: String? = nil, name: String? = nil, phone: String? = nil, address: Address? = nil) {
            self.email = email
            self.name = name
            self.phone = phone
            self.address = address
        }
    }

    /// `collected_information.shipping_details`.
    public struct ShippingDetails: Codable, Sendable, Hashable {
        public var name: String?
        public var address: Address?

        public init(name: String? = nil, address: Address? = nil) {
            self.name = name
            self.address = address
        }
    }

    /// `after_expiration.recovery`: the URL that makes a copy of an expired session (usable until
    /// `expires_at`, 30 days after the expiry).
    public struct Recovery: Codable, Sendable, Hashable {
        public var enabled: Bool?
        public var allowPromotionCodes: Bool?
        public var url: String?
        public var expiresAt: Int64?

        public init(enabled: Bool? = nil, allowPromotionCodes: Bool? = nil, url: String? = nil, expiresAt: Int64? = nil)
        {
            self.enabled = enabled
            self.allowPromotionCodes = allowPromotionCodes
            self.url = url
            self.expiresAt = expiresAt
        }

        enum CodingKeys: String, CodingKey {
            case enabled, url
            case allowPromotionCodes = "allow_promotion_codes"
            case expiresAt = "expires_at"
        }
    }

    public var totalDetails: TotalDetails?
    public var customerDetails: CustomerDetails?
    public var shippingDetails: ShippingDetails?
    /// The promotion code applied (`discounts[].promotion_code`: its `promo_…` id, or the `code` when
    /// the object was expanded).
    public var promotionCode: String?
    public var recovery: Recovery?
    /// `consent.promotions`: `opt_in` / `opt_out`, nil when not collected.
    public var promotionsConsent: String?
    /// `recovered_from`: the expired session this one was recovered from.
    public var recoveredFrom: String?

    public init(
        totalDetails: TotalDetails? = nil, customerDetails: CustomerDetails? = nil,
        shippingDetails: ShippingDetails? = nil, promotionCode: String? = nil, recovery: Recovery? = nil,
        promotionsConsent: String? = nil, recoveredFrom: String? = nil
    ) {
        self.totalDetails = totalDetails
        self.customerDetails = customerDetails
        self.shippingDetails = shippingDetails
        self.promotionCode = promotionCode
        self.recovery = recovery
        self.promotionsConsent = promotionsConsent
        self.recoveredFrom = recoveredFrom
    }

    enum CodingKeys: String, CodingKey {
        case totalDetails = "total_details"
        case customerDetails = "customer_details"
        case collectedInformation = "collected_information"
        case discounts
        case afterExpiration = "after_expiration"
        case consent
        case recoveredFrom = "recovered_from"
    }

    private struct Collected: Codable, Hashable {
        var shippingDetails: ShippingDetails?
        enum CodingKeys: String, CodingKey { case shippingDetails = "shipping_details" }
    }

    private struct AfterExpiration: Codable, Hashable {
        var recovery: Recovery?
    }

    private struct Consent: Codable, Hashable {
        var promotions: String?
    }

    /// One `discounts[]` entry; `promotion_code` is an id or, expanded, an object with `id` and `code`.
    private struct Discount: Decodable {
        var promotionCode: String?

        enum CodingKeys: String, CodingKey { case promotionCode = "promotion_code" }
        private struct Expanded: Decodable {
            var id: String?
            var code: String?
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            if let id = try? c.decodeIfPresent(String.self, forKey: .promotionCode) {
                promotionCode = id
            } else if let object = try? c.decodeIfPresent(Expanded.self, forKey: .promotionCode) {
                promotionCode = object.code ?? object.id
            }
        }
    }

    /// Tolerant: a part that does not decode is left nil rather than failing the whole session.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        totalDetails = try? c.decodeIfPresent(TotalDetails.self, forKey: .totalDetails)
        customerDetails = try? c.decodeIfPresent(CustomerDetails.self, forKey: .customerDetails)
        shippingDetails = (try? c.decodeIfPresent(Collected.self, forKey: .collectedInformation))??.shippingDetails
        let discounts = (try? c.decodeIfPresent([Discount].self, forKey: .discounts)) ?? nil
        promotionCode = discounts?.lazy.compactMap(\.promotionCode).first
        recovery = (try? c.decodeIfPresent(AfterExpiration.self, forKey: .afterExpiration))??.recovery
        promotionsConsent = (try? c.decodeIfPresent(Consent.self, forKey: .consent))??.promotions
        recoveredFrom = (try? c.decodeIfPresent(String.self, forKey: .recoveredFrom)) ?? nil
    }

    /// Writes Stripe's keys (for the simulator's and tests' round trips).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(totalDetails, forKey: .totalDetails)
        try c.encode(customerDetails, forKey: .customerDetails)
        try c.encodeIfPresent(shippingDetails.map { Collected(shippingDetails: $0) }, forKey: .collectedInformation)
        try c.encodeIfPresent(recovery.map { AfterExpiration(recovery: $0) }, forKey: .afterExpiration)
        try c.encodeIfPresent(promotionsConsent.map { Consent(promotions: $0) }, forKey: .consent)
        try c.encodeIfPresent(recoveredFrom, forKey: .recoveredFrom)
    }
}
