import Foundation
import Testing
import TestSupport

@Suite("Subscriptions over HTTP: catalog, mixed cart, admin routes")
struct SubscriptionAPITests {
    @Test("recurring products through PUT and GET; a mixed cart over HTTP; the admin routes and their errors")
    func routes() throws {
        let s = try Stack.start()
        defer { s.stop() }
        let put = try s.app.admin(
            "PUT", "/api/admin/products/club",
            json: [
                "title": "Club", "unitAmount": 1500, "currency": "usd",
                "recurring": ["interval": "week", "intervalCount": 2],
            ])
        #expect(put.status == 200, "\(put.text)")
        let refused = try s.app.admin(
            "PUT", "/api/admin/products/club",
            json: [
                "title": "Club", "unitAmount": 1500, "currency": "usd",
                "recurring": ["interval": "week", "intervalCount": 53],
            ])
        #expect(refused.status == 400 && refused.errorField == "recurring.intervalCount", "\(refused.text)")
        try s.product("mug", amount: 900, currency: "usd")
        let products = try s.app.request("GET", "/api/products").json()["products"] as? [[String: Any]]
        let club = try #require(products?.first { $0["id"] as? String == "club" })
        #expect((club["recurring"] as? [String: Any])?["intervalCount"] as? Int == 2)
        #expect(products?.first { $0["id"] as? String == "mug" }?["recurring"] is NSNull)

        let checkout = try s.createdCheckout([("club", 1), ("mug", 1)])
        #expect(s.sim.session(checkout.session)?.mode == "subscription")
        _ = try s.sim.pay(sessionID: checkout.session)
        try s.waitForOrder(checkout.order, "paid") { $0["paymentStatus"] as? String == "paid" }

        var subscriptionID: String?
        #expect(
            eventually(timeout: .seconds(10)) {
                let order = (try? s.order(session: checkout.session)) ?? [:]
                subscriptionID = (order["subscription"] as? [String: Any])?["id"] as? String
                return subscriptionID != nil
            })
        let id = try #require(subscriptionID)
        let list = try s.app.admin("GET", "/api/admin/subscriptions?status=active").json()
        #expect((list["subscriptions"] as? [[String: Any]])?.map { $0["id"] as? String } == [id])
        #expect(try s.app.admin("GET", "/api/admin/subscriptions?status=Bad!").errorField == "status")
        let detail = try s.app.admin("GET", "/api/admin/subscriptions/\(id)").json()
        #expect((detail["orders"] as? [[String: Any]])?.count == 1)
        #expect(try s.app.admin("GET", "/api/admin/subscriptions/sub_missing").status == 404)
        #expect(try s.app.request("GET", "/api/admin/subscriptions").status == 401)

        let bad = try s.app.admin("POST", "/api/admin/subscriptions/\(id)/cancel", json: ["atPeriodEnd": "yes"])
        #expect(bad.status == 400 && bad.errorField == "atPeriodEnd")
        let cancelled = try s.app.admin("POST", "/api/admin/subscriptions/\(id)/cancel", json: [:])
        #expect(cancelled.status == 200, "\(cancelled.text)")
        #expect(try cancelled.json()["cancelAtPeriodEnd"] as? Bool == true)
        let now = try s.app.admin("POST", "/api/admin/subscriptions/\(id)/cancel", json: ["atPeriodEnd": false])
        #expect(try now.json()["status"] as? String == "canceled")
        let again = try s.app.admin("POST", "/api/admin/subscriptions/\(id)/cancel", json: ["atPeriodEnd": false])
        #expect(again.status == 409, "\(again.text)")
    }
}
