import Foundation

/// The Checkout-computed totals and recovery this shop turns on (docs/API.md §1):
/// `CHECKOUT_ALLOW_PROMOTION_CODES`, `CHECKOUT_AUTOMATIC_TAX`, `CHECKOUT_SHIPPING_COUNTRIES`,
/// `CHECKOUT_SHIPPING_RATES`, `CHECKOUT_RECOVERY`, `CHECKOUT_PROMOTIONS_CONSENT`. All off by default:
/// the session then charges exactly the items' sum, as before.
public struct CheckoutTotalsSettings: Sendable, Hashable {
    /// One shipping option: a name shown on the hosted page and a fixed amount in minor units of the
    /// order's currency.
    public struct ShippingRate: Sendable, Hashable {
        public var name: String
        public var amount: Int64

        public init(name: String, amount: Int64) {
            self.name = name
            self.amount = amount
        }
    }

    public var allowPromotionCodes: Bool
    public var automaticTax: Bool
    /// Two-letter country codes the shipping address may be in; empty: no address is collected.
    public var shippingCountries: [String]
    /// Offered when ``shippingCountries`` is set (at most 5, Stripe's limit).
    public var shippingRates: [ShippingRate]
    /// `after_expiration[recovery][enabled]`: an expired session gets a recovery link.
    public var recovery: Bool
    /// `consent_collection[promotions]=auto`: Checkout asks for consent to promotional e-mail.
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

    /// The adjustments an order created under these settings allows (recorded on the order). A
    /// recovered session may carry promotion codes only when ``allowPromotionCodes`` is on, so recovery
    /// adds none of its own.
    public var adjustments: CheckoutAdjustments {
        var set: CheckoutAdjustments = []
        if allowPromotionCodes { set.insert(.promotionCodes) }
        if automaticTax { set.insert(.automaticTax) }
        if !shippingCountries.isEmpty, !shippingRates.isEmpty { set.insert(.shipping) }
        return set
    }

    /// These settings narrowed to what an order allows: a retry of an order created before a setting was
    /// turned on never charges in a way that order does not accept.
    public func restricted(to allowed: CheckoutAdjustments) -> CheckoutTotalsSettings {
        var copy = self
        copy.allowPromotionCodes = allowPromotionCodes && allowed.contains(.promotionCodes)
        copy.automaticTax = automaticTax && allowed.contains(.automaticTax)
        if !allowed.contains(.shipping) {
            copy.shippingCountries = []
            copy.shippingRates = []
        }
        return copy
    }

    /// Parses `CHECKOUT_SHIPPING_RATES`: `name:amount` pairs separated by commas (`Standard:500,Express:1500`).
    /// Fails with a reason for anything else: an empty name, a name with `:`, an amount that is not
    /// a non-negative integer, more than 5 rates.
    public static func parseShippingRates(_ text: String) -> Result<[ShippingRate], ShippingRatesError> {
        let entries = text.split(separator: ",", omittingEmptySubsequences: true).map {
            $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
        guard entries.count <= 5 else { return .failure(.init(message: "at most 5 shipping rates (Stripe's limit)")) }
        var rates: [ShippingRate] = []
        for entry in entries {
            let parts = entry.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                return .failure(.init(message: "\"\(entry)\" is not name:amount"))
            }
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            let amountText = parts[1].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name.count <= 100 else {
                return .failure(.init(message: "\"\(entry)\": the name must be 1-100 characters"))
            }
            guard let amount = Int64(amountText), amount >= 0, amountText.allSatisfy(\.isASCIIDigit) else {
                return .failure(.init(message: "\"\(entry)\": the amount must be a whole number of minor units ≥ 0"))
            }
            rates.append(ShippingRate(name: name, amount: amount))
        }
        return .success(rates)
    }

    /// Parses `CHECKOUT_SHIPPING_COUNTRIES`: two-letter codes separated by commas, upper-cased.
    public static func parseCountries(_ text: String) -> Result<[String], ShippingRatesError> {
        var out: [String] = []
        for raw in text.split(separator: ",") {
            let code = raw.trimmingCharacters(in: .whitespaces).uppercased()
            if code.isEmpty { continue }
            guard code.count == 2, code.allSatisfy({ $0.isASCII && $0.isLetter }) else {
                return .failure(.init(message: "\"\(code)\" is not a two-letter country code"))
            }
            if !out.contains(code) { out.append(code) }
        }
        return .success(out)
    }

    /// Why a shipping setting was refused.
    public struct ShippingRatesError: Error, Sendable, Equatable {
        public var message: String
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
