import Foundation
import Testing
import TestSupport

@Suite("Admin API end to end")
struct AdminAPITests {
    @Test("catalog: PUT validates and stores; public list shows only active products")
    func catalog() throws {
        let s = try Stack.start()
        defer { s.stop() }
        let bad: [([String: Any], String)] = [
            (["title": "x", "unitAmount": 0, "currency": "eur"], "unitAmount"),
            (["title": "x", "unitAmount": 10, "currency": "EUR"], "currency"),
            (["title": "", "unitAmount": 10, "currency": "eur"], "title"),
            (["title": "x", "unitAmount": 10, "currency": "eur", "stock": -1], "stock"),
            (["title": "x", "unitAmount": 10, "currency": "eur", "color": "red"], "color"),
        ]
        for (body, field) in bad {
            let r = try s.app.admin("PUT", "/api/admin/products/sku_x", json: body)
            #expect(r.status == 400, "\(body)")
            #expect(r.errorField == field, "\(body): \(r.text)")
        }
        let put = try s.app.admin(
            "PUT", "/api/admin/products/sku_x",
            json: ["title": "Mug", "unitAmount": 1500, "currency": "eur", "stock": 4])
        #expect(put.status == 200)
        #expect(try put.json()["unitAmount"] as? Int == 1500)
        try s.product("sku_hidden", amount: 100, active: false)
        let publicList = try s.app.request("GET", "/api/products").json()["products"] as? [[String: Any]]
        #expect(publicList?.map { $0["id"] as? String } == ["sku_x"])
        let adminList = try s.app.admin("GET", "/api/admin/products").json()["products"] as? [[String: Any]]
        #expect(adminList?.count == 2)
    }

    @Test("orders list: filters, needsAttention, search, keyset pagination, bad filter names its field")
    func list() throws {
        let s = try Stack.start()
        defer { s.stop() }
        try s.product("sku_a", amount: 100)
        var orders: [(session: String, order: String)] = []
        for _ in 0..<5 { orders.append(try s.createdCheckout([("sku_a", 1)])) }
        _ = try s.sim.pay(sessionID: orders[0].session)
        try s.waitForOrder(orders[0].order, "paid") { $0["paymentStatus"] as? String == "paid" }

        let page1 = try s.app.admin("GET", "/api/admin/orders?limit=2").json()
        let first = try #require(page1["orders"] as? [[String: Any]])
        #expect(first.count == 2)
        #expect(first.first?["id"] as? String == orders[4].order)  // newest first
        let cursor = try #require(page1["nextCursor"] as? String)
        var seen = first.compactMap { $0["id"] as? String }
        var next: String? = cursor
        while let c = next {
            let page = try s.app.admin(
                "GET",
                "/api/admin/orders?limit=2&cursor=\(c.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
            ).json()
            seen += (page["orders"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            next = page["nextCursor"] as? String
        }
        #expect(seen == orders.reversed().map(\.order))

        let paid = try s.app.admin("GET", "/api/admin/orders?status=paid").json()["orders"] as? [[String: Any]]
        #expect(paid?.map { $0["id"] as? String } == [orders[0].order])
        let bySession =
            try s.app.admin("GET", "/api/admin/orders?q=\(orders[2].session)").json()["orders"] as? [[String: Any]]
        #expect(bySession?.map { $0["id"] as? String } == [orders[2].order])
        let attention =
            try s.app.admin("GET", "/api/admin/orders?needsAttention=true").json()["orders"] as? [[String: Any]]
        #expect(attention?.isEmpty == true)
        // A cursor is opaque base64url; crafted ones outside Postgres' timestamp range were a 500.
        func craftedCursor(_ text: String) -> String {
            Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let uuid = "00000000-0000-4000-8000-000000000000"
        for (query, field) in [
            ("status=nope", "status"), ("limit=0", "limit"), ("needsAttention=maybe", "needsAttention"),
            ("cursor=\(craftedCursor("9223372036854775807|\(uuid)"))", "cursor"),
            ("cursor=\(craftedCursor("-9223372036854775808|\(uuid)"))", "cursor"),
            ("cursor=\(craftedCursor("1|not-a-uuid"))", "cursor"), ("cursor=%FF%FE", "cursor"),
            ("q=\(String(repeating: "a%CC%81", count: 300))", "q"),
        ] {
            let r = try s.app.admin("GET", "/api/admin/orders?\(query)")
            #expect(r.status == 400, "\(query)")
            #expect(r.errorField == field, "\(query): \(r.text)")
        }
    }

    @Test("mark-paid needs a note, records it, and refuses a paid order; sync repairs a missed webhook")
    func commands() throws {
        let s = try Stack.start()
        defer { s.stop() }
        try s.product("sku_a", amount: 100)
        let (_, orderID) = try s.createdCheckout([("sku_a", 1)])
        let noNote = try s.app.admin("POST", "/api/admin/orders/\(orderID)/mark-paid", json: [:] as [String: Any])
        #expect(noNote.status == 400)
        #expect(noNote.errorField == "note")
        let marked = try s.app.admin(
            "POST", "/api/admin/orders/\(orderID)/mark-paid", json: ["note": "bank transfer 42"])
        #expect(marked.status == 200, "\(marked.text)")
        #expect(try marked.json()["paymentStatus"] as? String == "paid")
        let history = try marked.json()["history"] as? [[String: Any]]
        #expect(
            history?.contains {
                ($0["actor"] as? String ?? "").contains("bank transfer 42")
                    || ($0["reason"] as? String ?? "").contains("bank transfer 42")
            } == true)
        let again = try s.app.admin("POST", "/api/admin/orders/\(orderID)/mark-paid", json: ["note": "again"])
        #expect(again.status == 409)
        let notFailed = try s.app.admin("POST", "/api/admin/orders/\(orderID)/retry-fulfillment")
        // Fulfillment of a just-paid order is pending or done, never failed: nothing to retry.
        #expect(notFailed.status == 409, "\(notFailed.text)")
        #expect(notFailed.errorCode == "fulfillment_not_retryable")
        let retryPaid = try s.app.request("POST", "/api/orders/\(orderID)/retry-session")
        #expect(retryPaid.status == 409)
        #expect(retryPaid.errorCode == "order_not_retryable")

        // A payment whose webhook never arrives: sync asks Stripe and applies it.
        let (session2, order2) = try s.createdCheckout([("sku_a", 1)])
        s.sim.setWebhook(url: nil, secrets: [])
        _ = try s.sim.pay(sessionID: session2)
        #expect(try s.adminOrder(order2)["status"] as? String == "pending_payment")
        let synced = try s.app.admin("POST", "/api/admin/orders/\(order2)/sync")
        #expect(synced.status == 200, "\(synced.text)")
        #expect(try synced.json()["paymentStatus"] as? String == "paid")

        for path in [
            "/api/admin/orders/\(UUID().uuidString)", "/api/admin/orders/not-a-uuid", "/api/orders/not-a-uuid",
        ] {
            let r = path.hasPrefix("/api/admin") ? try s.app.admin("GET", path) : try s.app.request("GET", path)
            #expect(r.status == 404, "\(path)")
            #expect(r.errorCode == "order_not_found", "\(path)")
        }
        #expect(try s.app.request("GET", "/api/orders/by-session/cs_unknown").errorCode == "order_not_found")
    }
}
