/// The Checkout Session parameters that let Checkout compute part of the total (promotion codes,
/// automatic tax, shipping) and offer a recovery link after expiry
/// (https://docs.stripe.com/api/checkout/sessions/create; payments/checkout/discounts, /taxes,
/// /shipping and /abandoned-carts).
public struct CheckoutTotalsParams: Sendable, Hashable {
    /// One `shipping_options[i][shipping_rate_data]` of type `fixed_amount`.
    public struct ShippingRate: Sendable, Hashable {
        /// `display_name`, shown on the hosted page.
        public var name: String
        /// `fixed_amount[amount]`, minor units of the session's currency (≥ 0).
        public var amount: Int64

        public init(name: String, amount: Int64) {
            self.name = name
            self.amount = amount
        }
    }

    /// `allow_promotion_codes=true`.
    public var allowPromotionCodes: Bool
    /// `automatic_tax[enabled]=true`. Every price and shipping rate is then sent with
    /// `tax_behavior=exclusive`, so tax is added on top: `amount_total = amount_subtotal − discount + tax +
    /// shipping` holds (with inclusive prices the tax would be inside the subtotal).
    public var automaticTax: Bool
    /// `shipping_address_collection[allowed_countries][]` (two-letter codes); empty: no address collected.
    public var shippingCountries: [String]
    /// `shipping_options[]` (Stripe allows at most 5).
    public var shippingRates: [ShippingRate]
    /// `after_expiration[recovery][enabled]=true` (with `[allow_promotion_codes]` = ``allowPromotionCodes``).
    public var recovery: Bool
    /// `consent_collection[promotions]=auto`: ask for consent to promotional e-mail (a recovery link is one).
    public var promotionsConsent: Bool

    public init(
        allowPromotionCodes: Bool = false, automaticTax: Bool = false, shippingCountries: [String] = [],
        shippingRates: [ShippingRate] = [], recovery: Bool = false, promotionsConsent: Bool = false
    ) {
        self.allowPromotionCodes = allowPromotionCodes
        self.automaticTax = automaticTax
        self.shippingCountries = shippingCountries
        self.shippingRates = shippingRates
        self.recovery = recovery
        self.promotionsConsent = promotionsConsent
    }

    /// True when nothing is asked for (the parameters add nothing).
    public var isEmpty: Bool { self == CheckoutTotalsParams() }

    /// Adds these parameters to `p` (a session create's parameters; `currency` is its lines' currency).
    public func apply(to p: inout [String: FormValue], currency: String) {
        if allowPromotionCodes { p["allow_promotion_codes"] = "true" }
        if automaticTax {
            p["automatic_tax"] = .dictionary(["enabled": "true"])
            if case .array(let lines) = p["line_items"] {
                p["line_items"] = .array(
                    lines.map { line in
                        guard case .dictionary(var item) = line, case .dictionary(var price)? = item["price_data"]
                        else { return line }
                        price["tax_behavior"] = "exclusive"
                        item["price_data"] = .dictionary(price)
                        return .dictionary(item)
                    })
            }
        }
        if !shippingCountries.isEmpty {
            p["shipping_address_collection"] = .dictionary([
                "allowed_countries": .array(shippingCountries.map { .string($0) })
            ])
        }
        if !shippingRates.isEmpty {
            p["shipping_options"] = .array(
                shippingRates.map { rate in
                    var data: [String: FormValue] = [
                        "type": "fixed_amount", "display_name": .string(rate.name),
                        "fixed_amount": .dictionary(["amount": .int(rate.amount), "currency": .string(currency)]),
                    ]
                    if automaticTax { data["tax_behavior"] = "exclusive" }
                    return .dictionary(["shipping_rate_data": .dictionary(data)])
                })
        }
        if recovery {
            var r: [String: FormValue] = ["enabled": "true"]
            if allowPromotionCodes { r["allow_promotion_codes"] = "true" }
            p["after_expiration"] = .dictionary(["recovery": .dictionary(r)])
        }
        if promotionsConsent { p["consent_collection"] = .dictionary(["promotions": "auto"]) }
    }
}
