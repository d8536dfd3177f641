import Foundation
import Postgres
import Stripe
import StripeSimulator
import Testing

@testable import Checkout

@Suite("CheckoutService: create-checkout-session against Postgres and stripe-sim")
struct CheckoutServiceTests {
    @Test("prices and titles come from the catalog; items stored; stock reserved; the session is as specified")
    func create() throws {
        let h = try CheckoutHarness()
        try h.product("sku_mug", amount: 1250, stock: 10)
        try h.product("sku_tee", amount: 2000)
        let result = try h.checkout([("sku_mug", 2), ("sku_tee", 1)])
        #expect(result.id.hasPrefix("cs_"))
        #expect(result.url.contains(result.id))
        #expect(result.orderNumber.range(of: #"^DO-\d{8}-\d{4,}$"#, options: .regularExpression) != nil)

        let order = try h.order(result.orderID)
        #expect(order.state.triple == StatusTriple(.pendingPayment, .pending, .notAttempted))
        #expect(order.state.amountTotal == 4500 && order.currency == "usd")
        #expect(order.state.currentSessionID == result.id && order.state.stockReserved)
        #expect(try h.stock("sku_mug") == 8)
        #expect(try h.stock("sku_tee") == nil)
        let items = try h.pool.withConnection { db in try OrderStore().items(db, orderID: result.orderID) }
        #expect(items.map(\.productID) == ["sku_mug", "sku_tee"])
        #expect(items.map(\.unitAmount) == [1250, 2000] && items.map(\.amountTotal) == [2500, 2000])
        #expect(items[0].title == "Title of sku_mug")

        let session = try #require(h.simulator.session(result.id))
        #expect(session.amountTotal == 4500 && session.currency == "usd")
        #expect(session.clientReferenceID == result.orderNumber)
        #expect(
            session.metadata == [
                "order_id": result.orderID.uuidString.lowercased(), "order_number": result.orderNumber,
            ])
        #expect(session.customerEmail == "buyer@example.com")
        #expect(session.successURL == "http://shop.test/checkout/success?session_id={CHECKOUT_SESSION_ID}")
        #expect(
            session.cancelURL == "http://shop.test/checkout/cancel?order_id=\(result.orderID.uuidString.lowercased())")
        let expiresAt = try #require(session.expiresAt)
        #expect(abs(expiresAt - (Int64(Date().timeIntervalSince1970) + 3600)) < 60)
        let create = try #require(h.simulator.requests().first { $0.method == "POST" })
        #expect(create.idempotencyKey == "order:\(result.orderID.uuidString.lowercased()):attempt:1")
        #expect(
            try h.count("SELECT count(*)::int AS n FROM checkout_sessions WHERE order_id = $1", [result.orderID]) == 1)
        #expect(try h.count("SELECT count(*)::int AS n FROM order_history WHERE order_id = $1", [result.orderID]) == 2)
    }

    @Test("unknown or inactive products, mixed currencies and missing stock store nothing")
    func catalogErrors() throws {
        let h = try CheckoutHarness()
        try h.product("a", stock: 1)
        try h.product("off", active: false)
        try h.product("eur", currency: "eur")
        try h.product("b", stock: 5)
        func code(_ items: [(String, Int)]) -> String? {
            do {
                _ = try h.checkout(items)
                return nil
            } catch {
                return (error as? CheckoutError)?.code
            }
        }
        #expect(code([("nope", 1)]) == "product_unavailable")
        #expect(code([("off", 1)]) == "product_unavailable")
        #expect(code([("a", 1), ("eur", 1)]) == "currency_mismatch")
        #expect(code([("b", 1), ("a", 2)]) == "out_of_stock")
        #expect(try h.stock("b") == 5, "a failed checkout rolls back every reservation")
        #expect(try h.count("SELECT count(*)::int AS n FROM orders") == 0)
        #expect(h.simulator.sessions().isEmpty)
    }

    @Test("concurrent checkouts cannot oversell: stock 5, 10 threads → exactly 5 orders")
    func noOversell() throws {
        let h = try CheckoutHarness(poolSize: 10)
        try h.product("scarce", stock: 5)
        let results = concurrently(10) { _ -> String in
            do {
                _ = try h.checkout([("scarce", 1)])
                return "ok"
            } catch {
                return (error as? CheckoutError)?.code ?? "\(error)"
            }
        }
        #expect(results.filter { $0 == "ok" }.count == 5, "\(results)")
        #expect(results.filter { $0 == "out_of_stock" }.count == 5, "\(results)")
        #expect(try h.stock("scarce") == 0)
        #expect(try h.count("SELECT count(*)::int AS n FROM orders") == 5)
    }

    @Test("client Idempotency-Key: same body replays, another body is refused")
    func idempotencyKey() throws {
        let h = try CheckoutHarness()
        try h.product("p", stock: 10)
        let first = try h.checkout([("p", 2)], key: "key-1")
        let again = try h.checkout([("p", 2)], key: "key-1")
        #expect(again == first)
        #expect(try h.stock("p") == 8)
        #expect(h.simulator.sessions().count == 1)
        #expect {
            _ = try h.checkout([("p", 3)], key: "key-1")
        } throws: { ($0 as? CheckoutError)?.code == "idempotency_key_reused" }
        #expect(try h.count("SELECT count(*)::int AS n FROM orders") == 1)
    }

    @Test("concurrent requests with one Idempotency-Key create one order")
    func idempotencyKeyRace() throws {
        let h = try CheckoutHarness(poolSize: 10)
        try h.product("p")
        let results = concurrently(8) { _ in try? h.checkout([("p", 1)], key: "race") }
        #expect(results.count == 8)
        #expect(Set(results.compactMap { $0?.orderID }).count == 1)
        #expect(try h.count("SELECT count(*)::int AS n FROM orders") == 1)
    }

    @Test("Stripe down: 503 error carries the kept order; retry-session later succeeds")
    func stripeUnavailable() throws {
        let h = try CheckoutHarness()
        try h.product("p", stock: 3)
        h.simulator.injectFault(.status(500), count: 1)
        let id = try h.keptOrderOfUnavailableCheckout([("p", 1)])
        let kept = try h.order(id)
        #expect(kept.state.status == .pendingPayment && kept.state.currentSessionID == nil)
        #expect(try h.stock("p") == 2, "the order keeps its reservation")

        let retried = try h.service.retrySession(orderID: id)
        #expect(retried.orderID == id)
        #expect(try h.order(id).state.currentSessionID == retried.id)
        #expect(try h.stock("p") == 2)
        let keys = h.simulator.requests().filter { $0.method == "POST" }.compactMap(\.idempotencyKey)
        #expect(
            keys == ["order:\(id.uuidString.lowercased()):attempt:1", "order:\(id.uuidString.lowercased()):attempt:2"])
    }

    @Test("Stripe rejects the request (4xx): stripe_rejected, the order is cancelled and its stock released at once")
    func stripeRejected() throws {
        let h = try CheckoutHarness()
        try h.product("p", stock: 1)
        h.simulator.injectFault(.status(400), count: 1)
        do {
            _ = try h.checkout([("p", 1)])
            Issue.record("expected stripe_rejected")
        } catch let error as CheckoutError {
            #expect(error.code == "stripe_rejected")
            let id = try #require(error.orderID)
            let order = try h.order(id)
            #expect(order.state.status == .cancelled && order.state.currentSessionID == nil)
            #expect(!order.state.stockReserved && order.state.failureReason != nil)
        }
        #expect(try h.stock("p") == 1, "the rejected order gives its stock back")
        // The same request succeeds afterwards: nothing is pinned.
        #expect(try h.checkout([("p", 1)]).url.isEmpty == false)
    }

    @Test(
        "a 409 (idempotency key in use) or a 4xx with Stripe-Should-Retry: true is unavailable: the order and its stock are kept",
        arguments: [SimulatorFault.status(409), SimulatorFault(status: 400, shouldRetry: true)])
    func transientRejectionKeepsOrder(fault: SimulatorFault) throws {
        let h = try CheckoutHarness()
        try h.product("p", stock: 1)
        h.simulator.injectFault(fault, count: 1)
        let id = try h.keptOrderOfUnavailableCheckout([("p", 1)])
        let kept = try h.order(id)
        #expect(kept.state.status == .pendingPayment && kept.state.stockReserved)
        #expect(try h.stock("p") == 0, "the order keeps its reservation")
        // The customer's retry pays for the same order.
        let retried = try h.service.retrySession(orderID: id)
        #expect(try h.order(id).state.currentSessionID == retried.id)
    }

    @Test(
        "only a deterministic rejection abandons an order",
        arguments: [
            (409, "invalid_request_error", nil, false, false),  // idempotency_key_in_use → unavailable
            (429, "invalid_request_error", nil, false, false),
            (400, "invalid_request_error", nil, true, true),
            (400, "invalid_request_error", true, false, false),  // Stripe-Should-Retry: true
            (400, "idempotency_error", nil, true, false),
            (401, "invalid_request_error", nil, true, false),  // our key: an operator fixes it
            (403, "invalid_request_error", nil, true, false),
            (402, "card_error", nil, true, false),
            (404, "invalid_request_error", nil, true, false),
            (500, "api_error", nil, false, false),
        ] as [(Int, String, Bool?, Bool, Bool)])
    func gatewayErrorMapping(status: Int, type: String, shouldRetry: Bool?, rejected: Bool, invalid: Bool) {
        let mapped = PaymentGatewayError(
            StripeError.api(StripeAPIError(status: status, type: type, shouldRetry: shouldRetry)))
        if case .rejected = mapped {
            #expect(rejected)
        } else {
            #expect(!rejected)
        }
        #expect(mapped.isInvalidRequest == invalid)
    }

    @Test(
        "expires_at keeps 120 s inside Stripe's 30 min … 24 h window, so client retries of the request stay valid",
        arguments: [(1800, 1920), (1900, 1920), (1920, 1920), (3600, 3600), (86_280, 86_280), (86_400, 86_280)])
    func sessionExpiresAtClamped(ttl: Int, expected: Int64) {
        let configuration = CheckoutConfiguration(sessionTTL: ttl)
        #expect(configuration.sessionExpiresAt(now: 1_000_000) == 1_000_000 + expected)
    }

    @Test("with CHECKOUT_SESSION_TTL=1800 the session's expires_at leaves room for a retry 40 s later")
    func minimumTTLSession() throws {
        let h = try CheckoutHarness(
            configuration: CheckoutConfiguration(publicOrigin: "http://shop.test", sessionTTL: 1800))
        try h.product("p")
        let before = Int64(Date().timeIntervalSince1970)
        let result = try h.checkout([("p", 1)])
        let expiresAt = try #require(h.simulator.session(result.id)?.expiresAt)
        #expect(expiresAt >= before + 1800 + 60, "a retry 40 s later still has ≥ 30 min")
    }

    @Test("an expired event of a session Stripe made for the order but we never stored releases the stock")
    func orphanSessionExpiry() throws {
        let h = try CheckoutHarness()
        try h.product("p", stock: 2)
        h.simulator.injectFault(.status(503), count: 1)
        var orderID: UUID?
        do {
            _ = try h.checkout([("p", 1)])
        } catch let error as CheckoutError {
            orderID = error.orderID
        }
        let id = try #require(orderID)
        let order = try h.order(id)
        #expect(order.state.currentSessionID == nil && order.state.stockReserved)
        // Stripe created a session for this order (as our create would), but storing it failed.
        let orphan = try h.client.createCheckoutSession(
            CheckoutSessionCreateParams(
                lineItems: [.init(name: "Title of p", unitAmount: 1250, currency: "usd", quantity: 1)],
                successURL: "http://shop.test/ok", cancelURL: "http://shop.test/no",
                clientReferenceID: order.orderNumber,
                metadata: ["order_id": id.uuidString.lowercased(), "order_number": order.orderNumber],
                paymentIntentMetadata: ["order_id": id.uuidString.lowercased()], customerEmail: nil,
                expiresAt: Int64(Date().timeIntervalSince1970) + 3600),
            idempotencyKey: "orphan-\(id)")
        let expired = try h.simulator.expire(sessionID: orphan.id)
        try h.deliverAll(expired)
        let after = try h.order(id)
        #expect(after.state.status == .expired && !after.state.stockReserved)
        #expect(try h.stock("p") == 2)
    }

    @Test("Stripe hangs beyond the client timeout: stripe_unavailable within a bounded time")
    func stripeHangs() throws {
        let h = try CheckoutHarness(stripeTimeout: .milliseconds(500))
        try h.product("p")
        h.simulator.injectFault(.hang(5), count: 1)
        let started = ContinuousClock.now
        #expect {
            _ = try h.checkout([("p", 1)])
        } throws: { ($0 as? CheckoutError)?.code == "stripe_unavailable" }
        #expect(ContinuousClock.now - started < .seconds(4))
        h.simulator.clearFaults()
        #expect(try h.count("SELECT count(*)::int AS n FROM orders WHERE status = 'pending_payment'") == 1)
    }

    @Test("an Idempotency-Key replay after a Stripe failure creates the session for the same order")
    func replayAfterStripeFailure() throws {
        let h = try CheckoutHarness()
        try h.product("p")
        h.simulator.injectFault(.status(503), count: 1)
        #expect(throws: CheckoutError.self) { try h.checkout([("p", 1)], key: "k") }
        let replay = try h.checkout([("p", 1)], key: "k")
        #expect(try h.count("SELECT count(*)::int AS n FROM orders") == 1)
        #expect(try h.order(replay.orderID).state.currentSessionID == replay.id)
    }

    @Test("products: public list shows active ones; upsert validates")
    func catalog() throws {
        let h = try CheckoutHarness()
        try h.product("b", stock: 2)
        try h.product("a", active: false)
        #expect(try h.service.products(activeOnly: true).map(\.id) == ["b"])
        #expect(try h.service.products(activeOnly: false).map(\.id) == ["a", "b"])
        let parsed = try Product.parse(
            id: "c", body: Array(#"{"title":"Cup","unitAmount":500,"currency":"eur","stock":null}"#.utf8))
        #expect(try h.service.upsertProduct(parsed) == Product(id: "c", title: "Cup", unitAmount: 500, currency: "eur"))
        for (body, field) in [
            (#"{"title":"x","unitAmount":0,"currency":"usd"}"#, "unitAmount"),
            (#"{"title":"x","unitAmount":1,"currency":"USD"}"#, "currency"),
            (#"{"title":"","unitAmount":1,"currency":"usd"}"#, "title"),
            (#"{"title":"x","unitAmount":1,"currency":"usd","stock":-1}"#, "stock"),
            (#"{"title":"x","unitAmount":1,"currency":"usd","active":1}"#, "active"),
            (#"{"title":"x","unitAmount":1,"currency":"usd","price":1}"#, "price"),
        ] {
            #expect(throws: CheckoutError.self) { try Product.parse(id: "c", body: Array(body.utf8)) }
            do { _ = try Product.parse(id: "c", body: Array(body.utf8)) } catch { #expect(error.field == field) }
        }
    }
}
