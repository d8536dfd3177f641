import Checkout
import CheckoutAPI
import Testing

/// `CHECKOUT_ALLOW_PROMOTION_CODES`, `CHECKOUT_AUTOMATIC_TAX`, `CHECKOUT_SHIPPING_COUNTRIES`,
/// `CHECKOUT_SHIPPING_RATES`, `CHECKOUT_RECOVERY`, `CHECKOUT_PROMOTIONS_CONSENT` (docs/API.md §1).
@Suite("AppConfig: Checkout-computed totals and recovery")
struct CheckoutTotalsConfigTests {
    static let base = [
        "DATABASE_URL": "postgres://app:pw@127.0.0.1:5432/checkout", "STRIPE_SECRET_KEY": "sk_test_51abcdefghijkl",
    ]

    static func load(_ overrides: [String: String]) throws(ConfigError) -> AppConfig {
        try AppConfig.load(environment: base.merging(overrides) { $1 })
    }

    @Test("all off by default: sessions charge the items' sum")
    func defaults() throws {
        let c = try Self.load([:])
        #expect(c.checkoutTotals == CheckoutTotalsSettings())
        #expect(c.checkoutTotals.adjustments.isEmpty)
    }

    @Test("everything on")
    func allOn() throws {
        let c = try Self.load([
            "CHECKOUT_ALLOW_PROMOTION_CODES": "true", "CHECKOUT_AUTOMATIC_TAX": "1",
            "CHECKOUT_SHIPPING_COUNTRIES": "de, fr,DE", "CHECKOUT_SHIPPING_RATES": "Standard:500, Express:1500",
            "CHECKOUT_RECOVERY": "yes", "CHECKOUT_PROMOTIONS_CONSENT": "on",
        ])
        let t = c.checkoutTotals
        #expect(t.allowPromotionCodes && t.automaticTax && t.recovery && t.promotionsConsent)
        #expect(t.shippingCountries == ["DE", "FR"])
        #expect(t.shippingRates == [.init(name: "Standard", amount: 500), .init(name: "Express", amount: 1500)])
        #expect(t.adjustments == [.promotionCodes, .automaticTax, .shipping])
    }

    @Test(arguments: [
        (["CHECKOUT_AUTOMATIC_TAX": "sometimes"], "CHECKOUT_AUTOMATIC_TAX"),
        (["CHECKOUT_SHIPPING_COUNTRIES": "Germany", "CHECKOUT_SHIPPING_RATES": "A:1"], "CHECKOUT_SHIPPING_COUNTRIES"),
        (["CHECKOUT_SHIPPING_COUNTRIES": "DE", "CHECKOUT_SHIPPING_RATES": "A:1.50"], "CHECKOUT_SHIPPING_RATES"),
        (["CHECKOUT_SHIPPING_COUNTRIES": "DE"], "CHECKOUT_SHIPPING_RATES"),
        (["CHECKOUT_SHIPPING_RATES": "A:100"], "CHECKOUT_SHIPPING_COUNTRIES"),
        (["CHECKOUT_PROMOTIONS_CONSENT": "true"], "CHECKOUT_PROMOTIONS_CONSENT"),
    ])
    func refused(_ overrides: [String: String], _ variable: String) {
        do {
            _ = try Self.load(overrides)
            Issue.record("\(overrides) should be refused")
        } catch {
            #expect(error.variable == variable, "\(error.message)")
        }
    }

    @Test("the variables are known (a typo in .env is reported, these are not)")
    func known() {
        for name in [
            "CHECKOUT_ALLOW_PROMOTION_CODES", "CHECKOUT_AUTOMATIC_TAX", "CHECKOUT_SHIPPING_COUNTRIES",
            "CHECKOUT_SHIPPING_RATES", "CHECKOUT_RECOVERY", "CHECKOUT_PROMOTIONS_CONSENT",
        ] {
            #expect(AppConfig.variables.contains(name))
        }
    }
}
