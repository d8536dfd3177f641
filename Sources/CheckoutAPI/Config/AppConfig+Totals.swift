import Checkout

extension AppConfig {
    /// The variables of Checkout-computed totals and recovery (docs/API.md §1).
    static let checkoutTotalsVariables = [
        "CHECKOUT_ALLOW_PROMOTION_CODES", "CHECKOUT_AUTOMATIC_TAX", "CHECKOUT_SHIPPING_COUNTRIES",
        "CHECKOUT_SHIPPING_RATES", "CHECKOUT_RECOVERY", "CHECKOUT_PROMOTIONS_CONSENT",
    ]
}

extension Reader {
    /// `true`/`false` (also 1/0, yes/no, on/off); `def` when unset.
    func flag(_ name: String, default def: Bool = false) throws(ConfigError) -> Bool {
        guard let text = raw(name) else { return def }
        switch text.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw ConfigError(variable: name, message: "\(name) must be true or false (got \(quoted(text)))")
        }
    }

    /// The Checkout-computed totals and recovery settings. Shipping needs both the countries and the
    /// rates (one without the other is refused, so a half-configured shop fails at start-up, not at
    /// Stripe); promotions consent is asked only for a recovery link.
    func readCheckoutTotals(_ c: inout AppConfig) throws(ConfigError) {
        var t = CheckoutTotalsSettings()
        t.allowPromotionCodes = try flag("CHECKOUT_ALLOW_PROMOTION_CODES")
        t.automaticTax = try flag("CHECKOUT_AUTOMATIC_TAX")
        t.recovery = try flag("CHECKOUT_RECOVERY")
        t.promotionsConsent = try flag("CHECKOUT_PROMOTIONS_CONSENT")
        if let text = raw("CHECKOUT_SHIPPING_COUNTRIES") {
            switch CheckoutTotalsSettings.parseCountries(text) {
            case .success(let codes): t.shippingCountries = codes
            case .failure(let e):
                throw ConfigError(
                    variable: "CHECKOUT_SHIPPING_COUNTRIES",
                    message:
                        "CHECKOUT_SHIPPING_COUNTRIES must be two-letter country codes separated by commas: \(e.message)"
                )
            }
        }
        if let text = raw("CHECKOUT_SHIPPING_RATES") {
            switch CheckoutTotalsSettings.parseShippingRates(text) {
            case .success(let rates): t.shippingRates = rates
            case .failure(let e):
                throw ConfigError(
                    variable: "CHECKOUT_SHIPPING_RATES",
                    message: "CHECKOUT_SHIPPING_RATES must be name:amount pairs separated by commas: \(e.message)")
            }
        }
        if t.shippingCountries.isEmpty != t.shippingRates.isEmpty {
            let missing = t.shippingCountries.isEmpty ? "CHECKOUT_SHIPPING_COUNTRIES" : "CHECKOUT_SHIPPING_RATES"
            throw ConfigError(
                variable: missing,
                message:
                    "\(missing) is required when \(missing == "CHECKOUT_SHIPPING_RATES" ? "CHECKOUT_SHIPPING_COUNTRIES" : "CHECKOUT_SHIPPING_RATES") is set (shipping needs both)"
            )
        }
        if t.promotionsConsent, !t.recovery {
            throw ConfigError(
                variable: "CHECKOUT_PROMOTIONS_CONSENT",
                message:
                    "CHECKOUT_PROMOTIONS_CONSENT needs CHECKOUT_RECOVERY=true (consent is asked for the recovery e-mail)"
            )
        }
        c.checkoutTotals = t
    }
}
