import CheckoutAPI
import Foundation
import Stripe
import StripeSimulator
import Testing
import TestSupport

/// The product end to end over real sockets (server + Postgres + stripe-sim).
@Suite("End to end: storefront → Stripe (simulated) → webhook → order")
struct EndToEndTests {
    @Test("happy path: create → pay at the simulator → webhook → by-session shows paid")
    func happyPath() throws {
        let s = try Stack.start()
        defer { s.stop() }
        try s.product("sku_mug", amount: 1250, stock: 10)
        try s.product("sku_tee", amount: 2000)
        let created = try s.checkout([("sku_mug", 2), ("sku_tee", 1)], email: "a@b.example")
        #expect(created.status == 201)
        let body = try created.json()
        let sessionID = try #require(body["id"] as? String)
        let orderID = try #require(body["orderId"] as? String)
        #expect((body["url"] as? String)?.hasPrefix(s.sim.baseURL) == true)
        let number = try #require(body["orderNumber"] as? String)
        #expect(number.wholeMatch(of: #/DO-\d{8}-\d{4,}/#) != nil)

        let pending = try s.order(session: sessionID)
        #expect(pending["status"] as? String == "pending_payment")
        #expect(pending["amountTotal"] as? Int == 4500)
        #expect((pending["items"] as? [[String: Any]])?.count == 2)

        // What Stripe was asked for: DB prices, our metadata, our URLs, never the cart in metadata.
        let session = try #require(s.sim.session(sessionID))
        #expect(session.amountTotal == 4500)
        #expect(session.metadata["order_id"] == orderID)
        #expect(session.clientReferenceID == number)

        _ = try s.sim.pay(sessionID: sessionID)
        var order: [String: Any] = [:]
        let paid = try eventually(timeout: .seconds(15)) {
            order = try s.order(session: sessionID)
            return order["status"] as? String == "paid" || order["status"] as? String == "confirmed"
        }
        #expect(paid, "order never became paid: \(order)")
        #expect(order["paymentStatus"] as? String == "paid")
        // The public order has exactly docs/API.md §4's fields; the admin order adds its own.
        let publicKeys: Set<String> = [
            "id", "orderNumber", "status", "paymentStatus", "fulfillmentStatus", "currency", "amountTotal", "items",
            "customerEmail", "checkoutSessionId", "failureReason", "createdAt", "updatedAt",
        ]
        #expect(Set(order.keys) == publicKeys)
        #expect(
            Set(((order["items"] as? [[String: Any]])?.first ?? [:]).keys)
                == ["productId", "title", "unitAmount", "quantity", "amountTotal"])
        let admin = try s.adminOrder(orderID)
        let adminKeys = publicKeys.union([
            "customerId", "metadata", "paymentIntentId", "amountReceived", "amountRefunded", "fulfillmentReference",
            "fulfillmentError", "needsAttention", "sessions", "events", "history",
        ])
        #expect(adminKeys.isSubset(of: Set(admin.keys)), "missing: \(adminKeys.subtracting(admin.keys))")
        #expect(admin["amountReceived"] as? Int == 4500)
        #expect(
            (admin["events"] as? [[String: Any]])?.contains { $0["type"] as? String == "checkout.session.completed" }
                == true)
        #expect((admin["history"] as? [[String: Any]])?.isEmpty == false)
        let metrics = try s.app.request("GET", "/metrics").text
        #expect(metrics.contains(#"webhook_events_total{type="checkout.session.completed",result="applied"} 1"#))
        #expect(metrics.contains(#"route="/api/payments/create-checkout-session",status="201"} 1"#))
        // Stock was reserved at checkout and kept on payment.
        let products = try s.app.admin("GET", "/api/admin/products").json()["products"] as? [[String: Any]]
        #expect(products?.first { $0["id"] as? String == "sku_mug" }?["stock"] as? Int == 8)
    }

    @Test("declined then paid: failed first, a later success wins")
    func declinedThenPaid() throws {
        let s = try Stack.start()
        defer { s.stop() }
        try s.product("sku_a", amount: 500)
        let (sessionID, orderID) = try s.createdCheckout([("sku_a", 1)])
        _ = try s.sim.decline(sessionID: sessionID)
        let failed = try s.waitForOrder(orderID, "failed") { $0["status"] as? String == "failed" }
        #expect(failed["paymentStatus"] as? String == "failed")
        #expect((failed["failureReason"] as? String)?.isEmpty == false)
        _ = try s.sim.pay(sessionID: sessionID)
        try s.waitForOrder(orderID, "paid") { $0["paymentStatus"] as? String == "paid" }
    }

    @Test("expired: the session's expiry expires the order and gives the stock back")
    func expired() throws {
        let s = try Stack.start()
        defer { s.stop() }
        try s.product("sku_a", amount: 500, stock: 3)
        let (sessionID, orderID) = try s.createdCheckout([("sku_a", 2)])
        _ = try s.sim.expire(sessionID: sessionID)
        let order = try s.waitForOrder(orderID, "expired") { $0["status"] as? String == "expired" }
        #expect(order["paymentStatus"] as? String == "expired")
        let products = try s.app.admin("GET", "/api/admin/products").json()["products"] as? [[String: Any]]
        #expect(products?.first { $0["id"] as? String == "sku_a" }?["stock"] as? Int == 3)
    }

    @Test("refunds: partial keeps the order paid with amountRefunded; the rest makes it refunded")
    func refunds() throws {
        let s = try Stack.start()
        defer { s.stop() }
        try s.product("sku_a", amount: 1000)
        let (sessionID, orderID) = try s.createdCheckout([("sku_a", 3)])
        _ = try s.sim.pay(sessionID: sessionID)
        try s.waitForOrder(orderID, "paid") { $0["paymentStatus"] as? String == "paid" }
        _ = try s.sim.refund(sessionID: sessionID, amount: 1000)
        let partial = try s.waitForOrder(orderID, "partially refunded") { $0["amountRefunded"] as? Int == 1000 }
        #expect(partial["status"] as? String != "refunded")
        #expect(partial["paymentStatus"] as? String == "paid")
        _ = try s.sim.refund(sessionID: sessionID)
        let full = try s.waitForOrder(orderID, "refunded") { $0["status"] as? String == "refunded" }
        #expect(full["amountRefunded"] as? Int == 3000)
        #expect(full["paymentStatus"] as? String == "refunded")
    }

    @Test("retry after failure: a new session; the old one is expired at Stripe; paying the new one pays the order")
    func retryAfterFailure() throws {
        let s = try Stack.start()
        defer { s.stop() }
        try s.product("sku_a", amount: 700, stock: 1)
        let (oldSession, orderID) = try s.createdCheckout([("sku_a", 1)])
        _ = try s.sim.decline(sessionID: oldSession)
        try s.waitForOrder(orderID, "failed") { $0["status"] as? String == "failed" }
        let retry = try s.app.request("POST", "/api/orders/\(orderID)/retry-session")
        #expect(retry.status == 201, "\(retry.text)")
        let newSession = try #require(try retry.json()["id"] as? String)
        #expect(try retry.json()["orderId"] as? String == orderID)
        #expect(newSession != oldSession)
        #expect(s.sim.session(oldSession)?.status == .expired)
        _ = try s.sim.pay(sessionID: newSession)
        let order = try s.waitForOrder(orderID, "paid") { $0["paymentStatus"] as? String == "paid" }
        #expect(order["checkoutSessionId"] as? String == newSession)
        #expect((order["sessions"] as? [[String: Any]])?.count == 2)
    }

    @Test("retry after expiry: expired order → new session; the old expiry delivered again changes nothing")
    func retryAfterExpiry() throws {
        let s = try Stack.start()
        defer { s.stop() }
        try s.product("sku_a", amount: 700)
        let (oldSession, orderID) = try s.createdCheckout([("sku_a", 1)])
        let expiredEvents = try s.sim.expire(sessionID: oldSession).events
        try s.waitForOrder(orderID, "expired") { $0["status"] as? String == "expired" }
        let retry = try s.app.request("POST", "/api/orders/\(orderID)/retry-session")
        #expect(retry.status == 201, "\(retry.text)")
        let newSession = try #require(try retry.json()["id"] as? String)
        try s.waitForOrder(orderID, "pending again") { $0["status"] as? String == "pending_payment" }

        // Stripe delivers the old session's expiry again, late.
        let succeeded = {
            s.sim.events().filter { expiredEvents.contains($0.id) }.map(\.succeededDeliveries).reduce(0, +)
        }
        let before = succeeded()
        try s.sim.deliver(eventIDs: expiredEvents)
        #expect(eventually { succeeded() >= before + expiredEvents.count })
        let order = try s.adminOrder(orderID)
        #expect(order["status"] as? String == "pending_payment")
        #expect(order["checkoutSessionId"] as? String == newSession)
        _ = try s.sim.pay(sessionID: newSession)
        try s.waitForOrder(orderID, "paid") { $0["paymentStatus"] as? String == "paid" }
    }

    @Test("the old session's `expired` event arriving for the first time after a retry leaves the new attempt alone")
    func lateExpiryAfterRetry() throws {
        let s = try Stack.start()
        defer { s.stop() }
        try s.product("sku_a", amount: 700, stock: 1)
        let (oldSession, orderID) = try s.createdCheckout([("sku_a", 1)])
        s.sim.holdDeliveries()
        let expiredEvents = try s.sim.expire(sessionID: oldSession).events  // held: the app has not heard of it
        let retry = try s.app.request("POST", "/api/orders/\(orderID)/retry-session")
        #expect(retry.status == 201, "\(retry.text)")
        let newSession = try #require(try retry.json()["id"] as? String)
        #expect(newSession != oldSession)
        s.sim.releaseDeliveries()
        try s.waitDelivered(expiredEvents)
        let order = try s.adminOrder(orderID)
        #expect(order["status"] as? String == "pending_payment")
        #expect(order["checkoutSessionId"] as? String == newSession)
        let events = order["events"] as? [[String: Any]] ?? []
        let late = events.filter { expiredEvents.contains($0["id"] as? String ?? "") }
        #expect(!late.isEmpty && late.allSatisfy { $0["result"] as? String != "applied" }, "\(late)")
        // The stock stays reserved for the live attempt (the old expiry must not give it back).
        #expect(try s.count("SELECT stock::bigint AS n FROM products WHERE id = 'sku_a'") == 0)
        _ = try s.sim.pay(sessionID: newSession)
        try s.waitForOrder(orderID, "paid") { $0["paymentStatus"] as? String == "paid" }
    }

    @Test("one event delivered 20× concurrently is applied exactly once")
    func concurrentDuplicates() throws {
        let s = try Stack.start()
        defer { s.stop() }
        try s.product("sku_a", amount: 900)
        let (sessionID, orderID) = try s.createdCheckout([("sku_a", 1)])
        s.sim.holdDeliveries()
        let events = try s.sim.pay(sessionID: sessionID).events
        let completed = try #require(
            s.sim.events(type: "checkout.session.completed").first { events.contains($0.id) }?.id)
        try s.sim.deliver(eventIDs: [completed], times: 20, parallel: true)
        let ok = eventually(timeout: .seconds(20)) {
            (s.sim.events().first { $0.id == completed }?.succeededDeliveries ?? 0) >= 20
        }
        #expect(
            ok, "20 deliveries did not all succeed: \(String(describing: s.sim.events().first { $0.id == completed }))")
        try s.waitForOrder(orderID, "paid") { $0["paymentStatus"] as? String == "paid" }
        #expect(try s.count("SELECT count(*)::bigint AS n FROM stripe_events WHERE event_id = $1", [completed]) == 1)
        #expect(
            try s.count("SELECT count(*)::bigint AS n FROM order_history WHERE stripe_event_id = $1", [completed]) == 1)
        #expect(
            try s.count(
                "SELECT count(*)::bigint AS n FROM outbox_jobs WHERE order_id = $1::uuid AND kind LIKE 'fulfil%'",
                [orderID]) <= 1)
        let attempts = s.sim.events().first { $0.id == completed }?.attempts ?? []
        #expect(attempts.allSatisfy { $0.status == 200 })
        s.sim.releaseDeliveries()
    }

    @Test("every kind of signature failure is 400 signature_invalid and stores nothing")
    func signatureFailures() throws {
        let s = try Stack.start()
        defer { s.stop() }
        try s.product("sku_a", amount: 900)
        let (sessionID, orderID) = try s.createdCheckout([("sku_a", 1)])
        s.sim.setWebhook(url: nil, secrets: [])  // we deliver by hand below
        let eventID = try #require(try s.sim.pay(sessionID: sessionID).events.last)
        let payload = try #require(s.sim.eventBody(eventID))
        let now = Int64(Date().timeIntervalSince1970)
        let secret = AppHarness.webhookSecret
        let good = stripeSignatureHeader(payload: payload, secret: secret, timestamp: now)
        let cases: [(String, [(String, String)], [UInt8])] = [
            ("missing header", [], payload),
            ("empty header", [("Stripe-Signature", "")], payload),
            ("malformed", [("Stripe-Signature", "garbage")], payload),
            ("no v1", [("Stripe-Signature", "t=\(now),v0=abcdef")], payload),
            (
                "wrong secret",
                [("Stripe-Signature", stripeSignatureHeader(payload: payload, secret: "whsec_other", timestamp: now))],
                payload
            ),
            (
                "too old",
                [("Stripe-Signature", stripeSignatureHeader(payload: payload, secret: secret, timestamp: now - 3600))],
                payload
            ),
            ("body changed", [("Stripe-Signature", good)], payload + Array(" ".utf8)),
            ("not UTF-8", [("Stripe-Signature", good)], [0xff, 0xfe, 0x00]),
        ]
        for (name, headers, body) in cases {
            let r = try s.app.request(
                "POST", "/api/payments/webhook", headers: [("Content-Type", "application/json")] + headers, body: body)
            #expect(r.status == 400, "\(name)")
            #expect(r.errorCode == "signature_invalid", "\(name)")
        }
        #expect(try s.count("SELECT count(*)::bigint AS n FROM stripe_events") == 0)
        #expect(try s.adminOrder(orderID)["status"] as? String == "pending_payment")
        // The same payload correctly signed is accepted (so the cases above failed for their reason).
        let accepted = try s.app.request(
            "POST", "/api/payments/webhook", headers: [("Stripe-Signature", good)], body: payload)
        #expect(accepted.status == 200)
        #expect(try accepted.json()["received"] as? Bool == true)
        let again = try s.app.request(
            "POST", "/api/payments/webhook", headers: [("Stripe-Signature", good)], body: payload)
        #expect(try again.json()["duplicate"] as? Bool == true)
    }

    @Test("prices cannot be set by the client: price fields are rejected, and Stripe is asked for the DB price")
    func clientCannotSetPrices() throws {
        let s = try Stack.start()
        defer { s.stop() }
        try s.product("sku_a", amount: 4200)
        for (body, field) in [
            (["items": [["productId": "sku_a", "quantity": 1, "unitAmount": 1]]], "items[0].unitAmount"),
            (["items": [["productId": "sku_a", "quantity": 1, "price": 1]]], "items[0].price"),
            (["items": [["productId": "sku_a", "quantity": 1]], "amountTotal": 1], "amountTotal"),
        ] as [([String: Any], String)] {
            let r = try s.app.json("POST", "/api/payments/create-checkout-session", body)
            #expect(r.status == 400)
            #expect(r.errorCode == "validation_error")
            #expect(r.errorField == field)
        }
        let (sessionID, _) = try s.createdCheckout([("sku_a", 2)])
        #expect(s.sim.session(sessionID)?.amountTotal == 8400)
        #expect(try s.order(session: sessionID)["amountTotal"] as? Int == 8400)
    }

    @Test("concurrent checkouts cannot oversell the stock")
    func noOversell() throws {
        let s = try Stack.start()
        defer { s.stop() }
        try s.product("sku_rare", amount: 100, stock: 5)
        let statuses = ConcurrentResults()
        DispatchQueue.concurrentPerform(iterations: 12) { _ in
            let status = (try? s.checkout([("sku_rare", 1)]))?.status ?? -1
            statuses.append(status)
        }
        let all = statuses.values
        #expect(all.filter { $0 == 201 }.count == 5, "\(all)")
        #expect(all.filter { $0 == 409 }.count == 7, "\(all)")
        #expect(try s.count("SELECT stock::bigint AS n FROM products WHERE id = 'sku_rare'") == 0)
        #expect(try s.count("SELECT count(*)::bigint AS n FROM orders") == 5)
    }

    @Test("Stripe down: 503 stripe_unavailable with the kept orderId, then retry-session succeeds")
    func stripeFaults() throws {
        let s = try Stack.start()
        defer { s.stop() }
        try s.product("sku_a", amount: 300, stock: 4)
        s.sim.injectFault(.status(500), count: 3)  // the first try and both client retries
        let r = try s.checkout([("sku_a", 1)], email: "private@example.com")
        #expect(r.status == 503)
        #expect(r.errorCode == "stripe_unavailable")
        let orderID = try #require((try r.json()["error"] as? [String: Any])?["orderId"] as? String)
        let kept = try s.app.request("GET", "/api/orders/\(orderID)").json()
        #expect(kept["status"] as? String == "pending_payment")
        #expect(kept["checkoutSessionId"] == nil || kept["checkoutSessionId"] is NSNull)
        // The id travels in the cancel URL: fetched by id, the order shows the email masked only.
        #expect(kept["customerEmail"] as? String == "p***@e***.com", "\(kept)")
        let retry = try s.app.request("POST", "/api/orders/\(orderID)/retry-session")
        #expect(retry.status == 201, "\(retry.text)")
        let sessionID = try #require(try retry.json()["id"] as? String)
        _ = try s.sim.pay(sessionID: sessionID)
        try s.waitForOrder(orderID, "paid") { $0["paymentStatus"] as? String == "paid" }
        // One reservation only, despite the failed first attempt.
        #expect(try s.count("SELECT stock::bigint AS n FROM products WHERE id = 'sku_a'") == 3)
    }

    @Test("Idempotency-Key: same body replays the first answer; another body is 409")
    func idempotencyKey() throws {
        let s = try Stack.start()
        defer { s.stop() }
        try s.product("sku_a", amount: 300)
        let key = [("Idempotency-Key", "cart-\(UUID().uuidString)")]
        let first = try s.checkout([("sku_a", 1)], headers: key)
        let second = try s.checkout([("sku_a", 1)], headers: key)
        #expect(first.status == 201)
        #expect(second.status == 201)
        #expect(try first.json()["orderId"] as? String == second.json()["orderId"] as? String)
        #expect(try first.json()["id"] as? String == second.json()["id"] as? String)
        let other = try s.checkout([("sku_a", 2)], headers: key)
        #expect(other.status == 409)
        #expect(other.errorCode == "idempotency_key_reused")
        #expect(try s.count("SELECT count(*)::bigint AS n FROM orders") == 1)
        let tooLong = try s.checkout([("sku_a", 1)], headers: [("Idempotency-Key", String(repeating: "k", count: 256))])
        #expect(tooLong.status == 400)
        #expect(tooLong.errorField == "Idempotency-Key")
    }

    @Test("Stripe answers 4xx: 502 stripe_rejected, logged loudly, no Stripe payload in the answer")
    func stripeRejects() throws {
        let s = try Stack.start()
        defer { s.stop() }
        try s.product("sku_a", amount: 300)
        s.sim.injectFault(.status(400), count: 1)
        let r = try s.checkout([("sku_a", 1)])
        #expect(r.status == 502)
        #expect(r.errorCode == "stripe_rejected")
        #expect(!r.text.contains("invalid_request_error"))
        #expect(s.app.logs.lines.contains { $0.contains("\"level\":\"critical\"") && $0.contains("stripe_rejected") })
    }

    @Test("graceful stop: a checkout in flight (Stripe slow) still gets its answer")
    func drainOnStop() throws {
        let s = try Stack.start()
        defer { s.stop() }
        try s.product("sku_a", amount: 300)
        s.sim.injectFault(.hang(1.0), count: 1)
        let result = ConcurrentResults()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            result.append((try? s.checkout([("sku_a", 1)]))?.status ?? -1)
            done.signal()
        }
        #expect(eventually { s.sim.requests().contains { $0.fault != nil } })
        s.app.running.stop()  // drains within SHUTDOWN_GRACE (2 s in the harness)
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(result.values == [201])
        #expect((try? s.app.request("GET", "/healthz")) == nil)  // no longer listening
    }

    @Test("a full flow's logs hold no Stripe key, webhook secret, admin token or webhook body")
    func logsHoldNoSecrets() throws {
        let s = try Stack.start(redactLogs: false)
        defer { s.stop() }
        try s.product("sku_a", amount: 300)
        let (sessionID, orderID) = try s.createdCheckout([("sku_a", 1)])
        _ = try s.sim.pay(sessionID: sessionID)
        try s.waitForOrder(orderID, "paid") { $0["paymentStatus"] as? String == "paid" }
        _ = try s.app.request("GET", "/api/admin/orders", headers: [("Authorization", "Bearer wrong")])
        // The webhook's line is written after its transaction commits, so the order can read as paid a
        // moment before the line is there: wait for it rather than race it.
        let isProcessedLine = { (line: String) in
            line.contains("\"msg\":\"webhook processed\"") && line.contains("checkout.session.completed")
        }
        #expect(eventually { s.app.logs.lines.contains(where: isProcessedLine) })
        let logs = s.app.logs.lines.joined(separator: "\n")
        #expect(!logs.isEmpty)
        // The domain's line about the webhook carries the id of the HTTP request that delivered it.
        let processed = try #require(
            s.app.logs.lines.first(where: isProcessedLine))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(processed.utf8)) as? [String: Any])
        let requestID = try #require(object["request_id"] as? String)
        #expect(
            s.app.logs.lines.contains {
                $0.contains("\"msg\":\"request\"") && $0.contains("\"request_id\":\"\(requestID)\"")
                    && $0.contains("/api/payments/webhook")
            })
        #expect(!logs.contains(AppHarness.stripeKey))
        #expect(!logs.contains(AppHarness.webhookSecret))
        #expect(!logs.contains(AppHarness.adminToken))
        #expect(!logs.contains("\"object\":\"event\""))
        #expect(!logs.contains("Bearer wrong"))
    }
}

/// Thread-safe collection of results from `concurrentPerform`.
final class ConcurrentResults: @unchecked Sendable {
    // NSLock-protected: appended from concurrentPerform's threads, read after they all finished.
    private let lock = NSLock()
    private var items: [Int] = []
    func append(_ value: Int) { lock.withLock { items.append(value) } }
    var values: [Int] { lock.withLock { items } }
}

@Suite("No PII from an order id alone")
struct PublicOrderPrivacyTests {
    @Test("order id → retry-session → by-session: the email stays masked; admin sees it")
    func orderIDDoesNotRevealTheEmail() throws {
        let s = try Stack.start()
        defer { s.stop() }
        try s.product("sku_a", amount: 300)
        let created = try s.checkout([("sku_a", 1)], email: "private.person@example.com")
        #expect(created.status == 201)
        let orderID = try #require(try created.json()["orderId"] as? String)
        let firstSession = try #require(try created.json()["id"] as? String)
        // What a stranger holding the cancel URL's order id can reach (a customer retry of an open
        // session answers that session), and the new session an operator's retry makes:
        let byID = try s.app.request("GET", "/api/orders/\(orderID)").json()
        #expect(try s.app.request("POST", "/api/orders/\(orderID)/retry-session").status == 200)
        let adminRetry = try s.app.admin("POST", "/api/admin/orders/\(orderID)/retry-session")
        #expect(adminRetry.status == 201, "\(adminRetry.text)")
        let newSession = try #require(try adminRetry.json()["id"] as? String)
        #expect(newSession != firstSession)
        let bySession = try s.app.request("GET", "/api/orders/by-session/\(newSession)")
        let byFirstSession = try s.app.request("GET", "/api/orders/by-session/\(firstSession)")
        for response in [try bySession.json(), try byFirstSession.json(), byID] {
            #expect(response["customerEmail"] as? String == "p***@e***.com", "\(response)")
        }
        for text in [bySession.text, byFirstSession.text] { #expect(!text.contains("private.person")) }
        // The operator, behind the admin token, sees the address.
        #expect((try s.adminOrder(orderID)["customerEmail"] as? String) == "private.person@example.com")
    }

    @Test("a stranger's retry of an open session answers that session (200); the customer still pays on it")
    func strangerRetryKeepsThePaymentInProgress() throws {
        let s = try Stack.start()
        defer { s.stop() }
        try s.product("sku_a", amount: 300, stock: 2)
        let created = try s.checkout([("sku_a", 1)], email: "private.person@example.com")
        #expect(created.status == 201)
        let orderID = try #require(try created.json()["orderId"] as? String)
        let session = try #require(try created.json()["id"] as? String)
        let url = try #require(try created.json()["url"] as? String)
        for _ in 0..<3 {
            let retry = try s.app.request("POST", "/api/orders/\(orderID)/retry-session")
            #expect(retry.status == 200, "\(retry.text)")
            #expect(try retry.json()["id"] as? String == session)
            #expect(try retry.json()["url"] as? String == url)
            #expect(!retry.text.contains("private.person"))
        }
        #expect(s.sim.session(session)?.status == .open, "the customer's page was not expired")
        #expect(s.sim.sessions().count == 1)
        _ = try s.sim.pay(sessionID: session)
        let order = try s.waitForOrder(orderID, "paid") { $0["paymentStatus"] as? String == "paid" }
        #expect(order["checkoutSessionId"] as? String == session)
        #expect(try s.count("SELECT stock::bigint AS n FROM products WHERE id = 'sku_a'") == 1)
    }
}
