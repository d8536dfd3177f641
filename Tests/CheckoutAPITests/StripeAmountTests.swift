import Foundation
import Testing
import TestSupport

/// Stripe's amount and currency rules (one table: `StripeCurrency`) applied where the product decides:
/// the cart before anything is written, and the admin catalog.
@Suite("Stripe amount and currency rules (real server, stripe-sim, Postgres)")
struct StripeAmountTests {
    @Test("at the boundary: 666 × $1,500 passes and is paid for at Stripe; 667 × is 400 and writes nothing")
    func cartBoundary() throws {
        let s = try Stack.start()
        defer { s.stop() }
        try s.product("sku_big", amount: 150_000, currency: "usd", stock: 1000)
        try s.product("sku_yen", amount: 50, currency: "jpy")
        #expect(try s.checkout([("sku_big", 666)]).status == 201)
        #expect(try s.checkout([("sku_yen", 1)]).status == 201, "¥50 is JPY's minimum and allowed")
        let ordersBefore = try s.count("SELECT count(*)::bigint AS n FROM orders")
        let over = try s.checkout([("sku_big", 667)])
        #expect(over.status == 400 && over.errorField == "items[0].quantity", "\(over.text)")
        #expect(try s.count("SELECT count(*)::bigint AS n FROM orders") == ordersBefore)
        #expect(try s.count("SELECT stock::bigint AS n FROM products WHERE id = 'sku_big'") == 1000 - 666)
        #expect(s.sim.requests().filter { $0.path == "/v1/checkout/sessions" }.count == 2, "Stripe never asked")
    }

    /// (label, unitAmount, currency, expected `error.field`, a corrected unitAmount that passes).
    static let badProducts: [(String, Int, String, String, Int)] = [
        ("currency Stripe does not support", 100, "xyz", "currency", 0),
        ("unit amount above USD's maximum", 100_000_000, "usd", "unitAmount", 99_999_999),
        ("unit amount 10^15", 1_000_000_000_000_000, "eur", "unitAmount", 99_999_999),
        ("KWD amount not a multiple of 10", 5125, "kwd", "unitAmount", 5120),
        ("ISK amount in fractions of a krona", 50050, "isk", "unitAmount", 50000),
    ]

    @Test("admin product updates validate with the same rules")
    func adminProducts() throws {
        let h = try AppHarness.start()
        defer { h.stop() }
        for (label, amount, currency, field, corrected) in Self.badProducts {
            let r = try h.admin(
                "PUT", "/api/admin/products/sku_x", json: ["title": "x", "unitAmount": amount, "currency": currency])
            #expect(r.status == 400, "\(label): \(r.text)")
            #expect(r.errorCode == "validation_error" && r.errorField == field, "\(label): \(r.text)")
            guard corrected > 0 else { continue }
            let ok = try h.admin(
                "PUT", "/api/admin/products/sku_x", json: ["title": "x", "unitAmount": corrected, "currency": currency])
            #expect(ok.status == 200, "\(label), corrected: \(ok.text)")
        }
    }
}
