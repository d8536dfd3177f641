import Checkout
import CheckoutAPI
import Foundation
import StripeSimulator
import Testing
import TestSupport

/// Totals computed by Checkout and abandoned-cart recovery, end to end over real sockets: the app
/// (its own Postgres) asks stripe-sim for a session with promotion codes, automatic tax and shipping,
/// the customer pays on the hosted page (a form POST, as a browser sends it), the webhook arrives over
/// HTTP, and the order records what the session charged.
@Suite("End to end: Checkout-computed totals and recovery")
struct CheckoutTotalsEndToEndTests {
    static let totals = CheckoutTotalsSettings(
        allowPromotionCodes: true, automaticTax: true, shippingCountries: ["DE", "FR"],
        shippingRates: [.init(name: "Standard", amount: 500), .init(name: "Express", amount: 1500)])

    static func form(_ fields: [(String, String)]) -> [UInt8] {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return Array(
            fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }
                .joined(separator: "&").utf8)
    }

    @Test("a discounted, taxed, shipped order paid on the hosted page records what the session charged")
    func discountedTaxedShipped() throws {
        let s = try Stack.start { $0.checkoutTotals = Self.totals }
        defer { s.stop() }
        try s.sim.definePromotionCode(SimulatorPromotionCode(code: "SAVE10", percentOff: 10))
        try s.sim.setTaxRate(basisPoints: 1900)
        try s.product("sku_mug", amount: 1250, stock: 5)
        try s.product("sku_tee", amount: 2000)
        let (sessionID, orderID) = try s.createdCheckout([("sku_mug", 2), ("sku_tee", 1)])
        #expect(
            try s.adminOrder(orderID)["checkout"].flatMap { ($0 as? [String: Any])?["adjustments"] as? [String] }
                == ["promotion_codes", "automatic_tax", "shipping"])

        // The hosted page offers what the app asked Stripe for.
        let page = try TestHTTPClient.request(port: s.sim.port, method: "GET", path: "/pay/\(sessionID)")
        #expect(page.status == 200)
        for field in ["name=promotion_code", "Express", "<option>DE</option>", "<option>FR</option>"] {
            #expect(page.text.contains(field), "hosted page lacks \(field)")
        }
        // The customer pays: code SAVE10, Express shipping to Berlin.
        let paid = try TestHTTPClient.request(
            port: s.sim.port, method: "POST", path: "/pay/\(sessionID)/pay",
            headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: Self.form([
                ("promotion_code", "save10"), ("shipping_rate", "1"), ("name", "Jana Nováková"),
                ("line1", "Unter den Linden 1"), ("city", "Berlin"), ("postal_code", "10117"), ("country", "DE"),
            ]))
        #expect(paid.status == 303, "\(paid.status) \(paid.text)")

        // subtotal 4500, discount 450, shipping 1500, tax 19 % of 5550 = 1055 (rounded half up), total 6605.
        let order = try s.waitForOrder(orderID, "confirmed") { $0["status"] as? String == "confirmed" }
        #expect(order["needsAttention"] as? Bool == false, "\(order["attentionReason"] ?? "")")
        #expect(order["amountTotal"] as? Int == 4500, "the order's own total stays the items' sum")
        #expect(order["amountReceived"] as? Int == 6605)
        let totals = try #require(order["checkoutTotals"] as? [String: Any])
        #expect(totals["amountSubtotal"] as? Int == 4500)
        #expect(totals["amountDiscount"] as? Int == 450)
        #expect(totals["amountShipping"] as? Int == 1500)
        #expect(totals["amountTax"] as? Int == 1055)
        #expect(totals["amountTotal"] as? Int == 6605)
        #expect((totals["promotionCode"] as? String)?.hasPrefix("promo_") == true)
        let checkout = try #require(order["checkout"] as? [String: Any])
        let address = try #require(checkout["shippingAddress"] as? [String: Any])
        #expect(address["name"] as? String == "Jana Nováková")
        #expect(address["line1"] as? String == "Unter den Linden 1")
        #expect(address["postalCode"] as? String == "10117" && address["country"] as? String == "DE")
        #expect((checkout["customerDetails"] as? [String: Any])?["name"] as? String == "Jana Nováková")

        // The public order shows the totals, never the address.
        let pub = try s.order(session: sessionID)
        #expect((pub["checkoutTotals"] as? [String: Any])?["amountTotal"] as? Int == 6605)
        #expect(pub["checkout"] == nil && !String(describing: pub).contains("Linden"))
        // And the row holds the same numbers (migration 013's columns).
        #expect(
            try s.count(
                """
                SELECT count(*) AS n FROM orders WHERE id = $1::uuid AND amount_subtotal = 4500 AND amount_discount = 450
                  AND amount_tax = 1055 AND amount_shipping = 1500 AND shipping_address->>'city' = 'Berlin'
                """, [orderID]) == 1)
    }

    @Test("tax alone: the order takes what the session charged; a code the session does not allow is refused")
    func taxOnly() throws {
        let s = try Stack.start { $0.checkoutTotals = CheckoutTotalsSettings(automaticTax: true) }
        defer { s.stop() }
        try s.sim.setTaxRate(basisPoints: 1000)
        try s.product("sku_mug", amount: 1000)
        let (sessionID, orderID) = try s.createdCheckout([("sku_mug", 1)])
        #expect(throws: (any Error).self) {
            try s.sim.pay(sessionID: sessionID, checkout: SimulatorCheckoutInput(promotionCode: "ANY"))
        }
        _ = try s.sim.pay(sessionID: sessionID)
        let order = try s.waitForOrder(orderID, "confirmed") { $0["status"] as? String == "confirmed" }
        #expect(order["amountReceived"] as? Int == 1100)
        #expect((order["checkoutTotals"] as? [String: Any])?["amountTax"] as? Int == 100)
    }

    @Test("an expired session's recovery link pays the original order, taking its stock again")
    func recoveredSessionPaysOriginalOrder() throws {
        var settings = CheckoutTotalsSettings(allowPromotionCodes: true)
        settings.recovery = true
        settings.promotionsConsent = true
        let s = try Stack.start { $0.checkoutTotals = settings }
        defer { s.stop() }
        try s.sim.definePromotionCode(SimulatorPromotionCode(code: "COMEBACK", amountOff: 300))
        try s.product("sku_lamp", amount: 3000, stock: 1)
        let (sessionID, orderID) = try s.createdCheckout([("sku_lamp", 1)])
        _ = try s.sim.setPromotionsConsent(sessionID: sessionID, "opt_in")
        let expired = try s.sim.expire(sessionID: sessionID)
        try s.waitDelivered(expired.events)
        let order = try s.waitForOrder(orderID, "expired") { $0["status"] as? String == "expired" }
        let recovery = try #require((order["checkout"] as? [String: Any])?["recovery"] as? [String: Any])
        let url = try #require(recovery["url"] as? String)
        #expect(url.hasPrefix(s.sim.baseURL + "/recover/"))
        #expect(recovery["promotionsConsent"] as? String == "opt_in" && recovery["mayEmail"] as? Bool == true)
        #expect(try s.count("SELECT stock::bigint AS n FROM products WHERE id = 'sku_lamp'") == 1, "released")

        // The customer follows the link (days later): a new session, a copy with recovered_from.
        let path = String(url.dropFirst(s.sim.baseURL.count))
        let opened = try TestHTTPClient.request(port: s.sim.port, method: "GET", path: path)
        #expect(opened.status == 303)
        let location = try #require(opened.header("Location"))
        let recoveredID = String(try #require(location.split(separator: "/").last))
        #expect(recoveredID != sessionID)
        let recovered = try #require(s.sim.session(recoveredID))
        #expect(recovered.metadata["order_id"] == orderID && recovered.status == .open)
        let paid = try s.sim.pay(sessionID: recoveredID, checkout: SimulatorCheckoutInput(promotionCode: "COMEBACK"))
        try s.waitDelivered(paid.events)

        let done = try s.waitForOrder(orderID, "confirmed") { $0["status"] as? String == "confirmed" }
        #expect(done["needsAttention"] as? Bool == false, "\(done["attentionReason"] ?? "")")
        #expect(done["amountReceived"] as? Int == 2700)
        #expect((done["checkoutTotals"] as? [String: Any])?["amountDiscount"] as? Int == 300)
        #expect(try s.count("SELECT stock::bigint AS n FROM products WHERE id = 'sku_lamp'") == 0, "taken again")
        #expect(
            try s.count(
                "SELECT count(*) AS n FROM checkout_sessions WHERE id = $1 AND recovered_from = $2 AND order_id = $3::uuid",
                [recoveredID, sessionID, orderID]) == 1)
        // The success page of the recovered session finds the order.
        #expect(try s.order(session: recoveredID)["id"] as? String == orderID)
    }

    @Test("a recovered session whose unit was sold meanwhile is paid but held, like any late payment")
    func recoveredAfterStockWentElsewhere() throws {
        let s = try Stack.start { $0.checkoutTotals = CheckoutTotalsSettings(recovery: true) }
        defer { s.stop() }
        try s.product("sku_last", amount: 1500, stock: 1)
        let (sessionID, orderID) = try s.createdCheckout([("sku_last", 1)])
        try s.waitDelivered(try s.sim.expire(sessionID: sessionID).events)
        _ = try s.waitForOrder(orderID, "expired") { $0["status"] as? String == "expired" }
        // Someone else buys the last unit.
        let (other, otherOrder) = try s.createdCheckout([("sku_last", 1)])
        try s.waitDelivered(try s.sim.pay(sessionID: other).events)
        _ = try s.waitForOrder(otherOrder, "confirmed") { $0["status"] as? String == "confirmed" }

        let recovered = try s.sim.recover(sessionID: sessionID).session
        #expect(s.sim.session(recovered.id) != nil)
        try s.waitDelivered(try s.sim.pay(sessionID: recovered.id).events)
        let held = try s.waitForOrder(orderID, "paid and held") {
            $0["status"] as? String == "paid" && $0["fulfillmentStatus"] as? String == "failed"
        }
        #expect(held["needsAttention"] as? Bool == true)
        #expect((held["attentionReason"] as? String)?.contains("paid, out of stock: sku_last") == true)
        #expect(try s.count("SELECT stock::bigint AS n FROM products WHERE id = 'sku_last'") == 0, "never oversold")
    }
}
