import Foundation
import Stripe
import StripeSimulator
import Testing

/// A simulator on port 0 for one test, stopped at the end.
@discardableResult
func withSimulator<T>(
    _ configure: (inout StripeSimulator.Configuration) -> Void = { _ in },
    _ body: (StripeSimulator) throws -> T
) throws -> T {
    var configuration = StripeSimulator.Configuration(port: 0)
    configuration.delivery = .init(
        maxAttempts: 4, initialBackoff: .milliseconds(5), maxBackoff: .milliseconds(20), timeout: .seconds(2))
    configure(&configuration)
    let sim = StripeSimulator(configuration: configuration)
    try sim.start()
    defer { sim.shutdown() }
    return try body(sim)
}

/// A client for `sim` with tiny backoffs so retries cost milliseconds.
func client(
    _ sim: StripeSimulator, key: String = "sk_test_clienttests", timeout: Duration = .seconds(5), maxRetries: Int = 2,
    maxRetryAfter: Duration = .milliseconds(50)
) -> StripeClient {
    StripeClient(
        secretKey: key, apiBase: URL(string: sim.baseURL)!, timeout: timeout, maxRetries: maxRetries,
        initialBackoff: .milliseconds(2), maxBackoff: .milliseconds(10), maxRetryAfter: maxRetryAfter)
}

let sampleParams = CheckoutSessionCreateParams(
    lineItems: [
        .init(name: "Mug", unitAmount: 1250, currency: "usd", quantity: 2),
        .init(name: "Tee & Co — größe M", unitAmount: 2000, currency: "usd", quantity: 1),
    ],
    successURL: "https://shop.example/checkout/success?session_id={CHECKOUT_SESSION_ID}",
    cancelURL: "https://shop.example/checkout/cancel?order_id=o1", clientReferenceID: "DO-20261121-0001",
    metadata: ["order_id": "o1", "order_number": "DO-20261121-0001"], paymentIntentMetadata: ["order_id": "o1"],
    customerEmail: "buyer+1@example.com", expiresAt: Int64(Date().timeIntervalSince1970) + 3600)

@Suite("StripeClient against stripe-sim")
struct StripeClientTests {
    @Test func createRetrieveExpire() throws {
        try withSimulator { sim in
            let c = client(sim)
            let s = try c.createCheckoutSession(sampleParams, idempotencyKey: "create-1")
            #expect(s.id.hasPrefix("cs_test_"))
            #expect(s.status == .open)
            #expect(s.paymentStatus == .unpaid)
            #expect(s.amountTotal == 4500)
            #expect(s.currency == "usd")
            #expect(s.paymentIntent == nil)
            #expect(s.clientReferenceID == "DO-20261121-0001")
            #expect(s.metadata == ["order_id": "o1", "order_number": "DO-20261121-0001"])
            #expect(s.customerEmail == "buyer+1@example.com")
            #expect(s.expiresAt == sampleParams.expiresAt)
            #expect(s.url == "\(sim.baseURL)/pay/\(s.id)")
            #expect(s.successURL == sampleParams.successURL)

            let again = try c.retrieveCheckoutSession(s.id)
            #expect(again == s)

            let expired = try c.expireCheckoutSession(s.id, idempotencyKey: "expire-1")
            #expect(expired.status == .expired)
            #expect(expired.url == nil)
            #expect(sim.events(type: "checkout.session.expired").map(\.objectId) == [s.id])

            // Expiring a session that is not open: Stripe's 400, not retried.
            #expect {
                try c.expireCheckoutSession(s.id, idempotencyKey: "expire-2")
            } throws: { error in
                guard case .api(let e) = error as? StripeError else { return false }
                return e.status == 400 && e.type == "invalid_request_error" && e.requestID?.hasPrefix("req_") == true
            }
            #expect(sim.requests().filter { $0.idempotencyKey == "expire-2" }.count == 1)
        }
    }

    @Test func requestCarriesStripeHeadersAndBracketForm() throws {
        try withSimulator { sim in
            _ = try client(sim).createCheckoutSession(sampleParams, idempotencyKey: "hdr-1")
            let log = sim.requests()
            #expect(log.count == 1)
            #expect(log[0].method == "POST")
            #expect(log[0].idempotencyKey == "hdr-1")
            #expect(log[0].status == 200)
            // The simulator decoded the bracket form into the same nested params (names with unicode, &).
            let s = try #require(sim.sessions().first)
            #expect(s.amountTotal == 4500)
        }
    }

    @Test func unknownSessionIs404ResourceMissing() throws {
        try withSimulator { sim in
            #expect {
                try client(sim).retrieveCheckoutSession("cs_test_nope")
            } throws: { error in
                guard case .api(let e) = error as? StripeError else { return false }
                return e.status == 404 && e.code == "resource_missing" && !(error as! StripeError).isRetryable
            }
        }
    }

    @Test(arguments: ["", "pk_test_123456789", "Basic abc"])
    func missingOrWrongKeyIs401(key: String) throws {
        try withSimulator { sim in
            #expect {
                try client(sim, key: key).createCheckoutSession(sampleParams, idempotencyKey: "auth-\(key.count)")
            } throws: { error in
                guard case .api(let e) = error as? StripeError else { return false }
                return e.status == 401
            }
            #expect(sim.requests().count == 1)  // 401 is never retried
        }
    }

    @Test func validationErrorIsTypedAndNotRetried() throws {
        try withSimulator { sim in
            var p = sampleParams
            p.lineItems[1].quantity = 0
            #expect {
                try client(sim).createCheckoutSession(p, idempotencyKey: "bad-1")
            } throws: { error in
                guard case .api(let e) = error as? StripeError else { return false }
                return e.status == 400 && e.code == "parameter_invalid_integer"
                    && e.param == "line_items[1][quantity]"
            }
            #expect(sim.requests().count == 1)
            #expect(sim.sessions().isEmpty)
        }
    }

    @Test func twoServerErrorsThenSuccessCreatesOneSessionWithOneKey() throws {
        try withSimulator { sim in
            sim.injectFault(.status(500), count: 2)
            let s = try client(sim).createCheckoutSession(sampleParams, idempotencyKey: "retry-500")
            let log = sim.requests()
            #expect(log.map(\.status) == [500, 500, 200])
            #expect(log.allSatisfy { $0.idempotencyKey == "retry-500" })
            #expect(sim.sessions().map(\.id) == [s.id])
        }
    }

    @Test(arguments: [429, 409, 502, 503])
    func retryableStatusesAreRetried(status: Int) throws {
        try withSimulator { sim in
            sim.injectFault(.status(status), count: 1)
            _ = try client(sim).createCheckoutSession(sampleParams, idempotencyKey: "retry-\(status)")
            #expect(sim.requests().map(\.status) == [status, 200])
            #expect(sim.sessions().count == 1)
        }
    }

    @Test(arguments: [400, 401, 402, 403, 404])
    func otherClientErrorsAreNotRetried(status: Int) throws {
        try withSimulator { sim in
            sim.injectFault(.status(status), count: 1)
            #expect(throws: StripeError.self) {
                try client(sim).createCheckoutSession(sampleParams, idempotencyKey: "no-retry-\(status)")
            }
            #expect(sim.requests().map(\.status) == [status])
        }
    }

    @Test func stripeShouldRetryHeaderOverrides() throws {
        try withSimulator { sim in
            sim.injectFault(SimulatorFault(status: 500, shouldRetry: false), count: 1)
            #expect(throws: StripeError.self) {
                try client(sim).createCheckoutSession(sampleParams, idempotencyKey: "ssr-false")
            }
            #expect(sim.requests().count == 1)

            sim.injectFault(SimulatorFault(status: 400, shouldRetry: true), count: 1)
            _ = try client(sim).createCheckoutSession(sampleParams, idempotencyKey: "ssr-true")
            #expect(sim.requests().suffix(2).map(\.status) == [400, 200])
        }
    }

    @Test func retriesAreBoundedAndTheLastErrorIsReported() throws {
        try withSimulator { sim in
            sim.injectFault(.status(500), count: 5)
            #expect {
                try client(sim, maxRetries: 2).createCheckoutSession(sampleParams, idempotencyKey: "bounded")
            } throws: { error in
                guard let e = error as? StripeError, case .api(let api) = e else { return false }
                return api.status == 500 && api.type == "api_error" && e.isRetryable
            }
            #expect(sim.requests().count == 3)
            #expect(sim.sessions().isEmpty)
        }
    }

    @Test func retryAfterIsHonouredButCapped() throws {
        try withSimulator { sim in
            sim.injectFault(SimulatorFault(status: 429, retryAfter: 30), count: 1)
            let start = ContinuousClock.now
            _ = try client(sim, maxRetryAfter: .milliseconds(300)).createCheckoutSession(
                sampleParams, idempotencyKey: "retry-after")
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(300))
            #expect(elapsed < .seconds(5))
        }
    }

    @Test func hangBeyondTimeoutFailsWithinBound() throws {
        try withSimulator { sim in
            sim.injectFault(.hang(10), count: 5)
            let start = ContinuousClock.now
            #expect(throws: StripeError.timeout) {
                try client(sim, timeout: .milliseconds(300), maxRetries: 1).createCheckoutSession(
                    sampleParams, idempotencyKey: "hang")
            }
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(600))
            #expect(elapsed < .seconds(3))
            sim.clearFaults()  // release the hung handlers
        }
    }

    @Test func timeoutThenRetrySucceedsAndTheHungRequestIsReplayed() throws {
        try withSimulator { sim in
            sim.injectFault(.hang(10), count: 1)
            let s = try client(sim, timeout: .milliseconds(300), maxRetries: 2).createCheckoutSession(
                sampleParams, idempotencyKey: "hang-once")
            sim.clearFaults()  // the first, hung attempt now runs: it must replay, not create
            let deadline = ContinuousClock.now + .seconds(5)
            while sim.requests().count < 2 && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
            let log = sim.requests()
            #expect(log.count == 2)
            #expect(log.allSatisfy { $0.idempotencyKey == "hang-once" })
            #expect(log.contains { $0.replayed })
            #expect(sim.sessions().map(\.id) == [s.id])
        }
    }

    @Test func idempotentReplayAndMismatch() throws {
        try withSimulator { sim in
            let c = client(sim)
            let a = try c.createCheckoutSession(sampleParams, idempotencyKey: "same")
            let b = try c.createCheckoutSession(sampleParams, idempotencyKey: "same")
            #expect(a == b)
            #expect(sim.sessions().count == 1)
            var other = sampleParams
            other.clientReferenceID = "DO-OTHER"
            #expect {
                try c.createCheckoutSession(other, idempotencyKey: "same")
            } throws: { error in
                guard case .api(let e) = error as? StripeError else { return false }
                return e.status == 400 && e.type == "idempotency_error"
            }
            #expect(sim.sessions().count == 1)
        }
    }

    @Test func connectionRefusedIsATransportError() throws {
        // Bind a port, then stop: nothing listens there afterwards.
        let port = try withSimulator { $0.port }
        let c = StripeClient(
            secretKey: "sk_test_x", apiBase: URL(string: "http://127.0.0.1:\(port)")!, timeout: .seconds(2),
            maxRetries: 1, initialBackoff: .milliseconds(1), maxBackoff: .milliseconds(2))
        let start = ContinuousClock.now
        #expect {
            try c.retrieveCheckoutSession("cs_test_x")
        } throws: { error in
            guard let e = error as? StripeError else { return false }
            if case .transport = e { return e.isRetryable }
            return false
        }
        #expect(ContinuousClock.now - start < .seconds(3))
    }

    @Test func descriptionNeverShowsTheKey() {
        let c = StripeClient(secretKey: "sk_test_SUPERSECRETVALUE")
        #expect(!c.description.contains("SUPERSECRETVALUE"))
        #expect(c.description.contains("sk_test"))
        #expect(!String(reflecting: c).contains("SUPERSECRETVALUE"))
        var dumped = ""
        dump(c, to: &dumped)
        #expect(!dumped.contains("SUPERSECRETVALUE"))
        #expect(!StripeError.transport("x").description.contains("SUPERSECRETVALUE"))
    }
}
