import Checkout
import CheckoutAPI
import Foundation
import Stripe
import StripeSimulator
import Synchronization
import Testing
import TestSupport

@Suite("Bulkhead: a hanging Stripe holds at most STRIPE_CONCURRENCY handler threads")
struct BulkheadTests {
    @Test("tryEnter admits up to the limit, then refuses at once until someone leaves")
    func admission() {
        let bulkhead = Bulkhead(limit: 3)
        #expect((0..<3).map { _ in bulkhead.tryEnter() } == [true, true, true])
        #expect(!bulkhead.tryEnter())
        #expect(bulkhead.count == 3)
        bulkhead.leave()
        #expect(bulkhead.tryEnter())
        #expect(!bulkhead.tryEnter())
    }

    @Test("more concurrent creates than handler threads while Stripe hangs: webhook, /healthz, reads answer at once")
    func hangingStripe() throws {
        let threads = 8
        let s = try Stack.start { $0.httpWorkerThreads = threads }
        defer {
            s.sim.clearFaults()
            s.stop()
        }
        let share = s.app.config.effectiveStripeConcurrency
        #expect(share == threads / 2)
        try s.product("sku_a", amount: 900)
        // A paid event to deliver by hand while Stripe hangs.
        let (sessionID, _) = try s.createdCheckout([("sku_a", 1)])
        s.sim.setWebhook(url: nil, secrets: [])
        let eventID = try #require(try s.sim.pay(sessionID: sessionID).events.last)
        let payload = try #require(s.sim.eventBody(eventID))

        s.sim.injectFault(.hang(60), count: 1000)
        let creates = threads + 4
        let answers = Mutex<[(status: Int, code: String?, retryAfter: String?, seconds: Double)]>([])
        let finished = DispatchGroup()
        for _ in 0..<creates {
            finished.enter()
            let thread = Thread {
                let start = ContinuousClock.now
                let r = try? s.checkout([("sku_a", 1)])
                let seconds = (ContinuousClock.now - start) / .seconds(1)
                answers.withLock {
                    $0.append((r?.status ?? -1, r?.errorCode, r?.header("Retry-After"), seconds))
                }
                finished.leave()
            }
            thread.start()
        }
        // `share` creates are inside, waiting for Stripe; every other one was turned away at once.
        let settled = eventually(timeout: .seconds(20)) {
            s.app.app.stripeBulkhead.count == share && answers.withLock { $0.count } == creates - share
        }
        #expect(settled, "inside: \(s.app.app.stripeBulkhead.count), answered: \(answers.withLock { $0 })")
        for answer in answers.withLock({ $0 }) {
            #expect(answer.status == 503 && answer.code == "stripe_busy", "\(answer)")
            #expect(answer.retryAfter.flatMap(Int.init) ?? 0 >= 1)
            #expect(answer.seconds < 5, "turned away at once, not after a wait: \(answer)")
        }

        func timed(_ body: () throws -> TestHTTPResponse) rethrows -> (TestHTTPResponse, Double) {
            let start = ContinuousClock.now
            let r = try body()
            return (r, (ContinuousClock.now - start) / .seconds(1))
        }
        let now = Int64(Date().timeIntervalSince1970)
        let signature = stripeSignatureHeader(payload: payload, secret: AppHarness.webhookSecret, timestamp: now)
        let (hook, hookSeconds) = try timed {
            try s.app.request(
                "POST", "/api/payments/webhook", headers: [("Stripe-Signature", signature)], body: payload)
        }
        #expect(hook.status == 200, "\(hook.text)")
        #expect(hookSeconds < 2, "webhook took \(hookSeconds) s while Stripe hangs")
        let (health, healthSeconds) = try timed { try s.app.request("GET", "/healthz") }
        #expect(health.status == 200 && healthSeconds < 2, "healthz took \(healthSeconds) s")
        let (order, orderSeconds) = try timed { try s.app.request("GET", "/api/orders/by-session/\(sessionID)") }
        #expect(order.status == 200 && orderSeconds < 2, "by-session took \(orderSeconds) s")
        #expect(try order.json()["status"] as? String == "paid")

        // Stripe recovers: the held creates finish and the bulkhead empties.
        s.sim.clearFaults()
        #expect(finished.wait(timeout: .now() + 60) == .success)
        #expect(s.app.app.stripeBulkhead.count == 0)
        #expect(try s.checkout([("sku_a", 1)]).status == 201)
    }
}
