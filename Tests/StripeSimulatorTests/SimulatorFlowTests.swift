import Foundation
import Stripe
import StripeSimulator
import Synchronization
import Testing

@Suite("stripe-sim flows over real sockets")
struct SimulatorFlowTests {
    /// The whole loop: create with StripeClient, pay via the control API, receive the signed webhook on a
    /// real HTTP endpoint, and have our WebhookVerifier accept it.
    @Test func payViaControlAPIDeliversAVerifiableWebhook() throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        try withSimulator(receiver: receiver) { sim in
            let session = try makeClient(sim).createCheckoutSession(sampleParams(), idempotencyKey: "flow-1")
            let paid = try SimHTTP.control(sim, "/_sim/sessions/\(session.id)/pay")
            #expect(paid.status == 200)
            let action = try paid.json()
            #expect((action["events"] as? [String])?.count == 3)

            let got = receiver.wait { $0.contains { $0.event?.type == "checkout.session.completed" } }
            let delivery = try #require(got.first { $0.event?.type == "checkout.session.completed" })
            let verifier = WebhookVerifier(secrets: ["whsec_test_sim"])
            let t = try verifier.verify(payload: delivery.body, header: delivery.signature)
            #expect(abs(t - Int64(Date().timeIntervalSince1970)) < 60)
            #expect(throws: WebhookSignatureError.noMatch) {
                try WebhookVerifier(secrets: ["whsec_other"]).verify(payload: delivery.body, header: delivery.signature)
            }

            let event = try #require(delivery.event)
            #expect(event.id.hasPrefix("evt_"))
            #expect(event.apiVersion == StripeClient.apiVersion)
            #expect(event.livemode == false)
            #expect(event.pendingWebhooks == 1)
            let s = try #require(event.object.checkoutSession)
            #expect(s.id == session.id)
            #expect(s.status == .complete)
            #expect(s.paymentStatus == .paid)
            #expect(s.metadata["order_id"] == "o1")
            #expect(s.clientReferenceID == "DO-1")
            #expect(s.amountTotal == 4000)
            let pi = try #require(s.paymentIntent)
            #expect(pi.hasPrefix("pi_test_"))

            // Stripe's envelope keys, verbatim.
            let raw = try JSONSerialization.jsonObject(with: Data(delivery.body)) as! [String: Any]
            #expect(
                Set(raw.keys) == [
                    "id", "object", "api_version", "created", "data", "livemode", "pending_webhooks", "request", "type",
                ])
            #expect(raw["object"] as? String == "event")

            // The payment_intent event carries payment_intent_data[metadata].
            let piEvent = try #require(
                receiver.wait { r in r.contains { $0.event?.type == "payment_intent.succeeded" } }
                    .first { $0.event?.type == "payment_intent.succeeded" }?.event)
            #expect(piEvent.object.paymentIntent?.metadata == ["order_id": "o1"])
            #expect(piEvent.object.paymentIntent?.status == .succeeded)

            // The API agrees with the event, and the control API lists the deliveries.
            let retrieved = try makeClient(sim).retrieveCheckoutSession(session.id)
            #expect(retrieved.paymentStatus == .paid)
            #expect(retrieved.paymentIntent == pi)
            #expect(sim.waitForDeliveries())
            let listed = try SimHTTP.request("GET", sim.baseURL + "/_sim/events").json()
            let data = try #require(listed["data"] as? [[String: Any]])
            #expect(data.count == 3)
            #expect(data.allSatisfy { $0["deliveryStatus"] as? String == "delivered" })
        }
    }

    @Test func failedDeliveriesAreRetriedAndReSignedWithAFreshTimestamp() throws {
        let receiver = try WebhookReceiver(statuses: [500, 503])
        defer { receiver.stop() }
        let tick = Mutex<Int64>(Int64(Date().timeIntervalSince1970))
        let clock: @Sendable () -> Int64 = {
            tick.withLock {
                $0 += 1; return $0
            }
        }
        try withSimulator(receiver: receiver, now: clock) { sim in
            let s = try makeClient(sim).createCheckoutSession(sampleParams(), idempotencyKey: "retry-1")
            _ = try sim.expire(sessionID: s.id)
            let got = receiver.wait { $0.count >= 3 }
            #expect(got.count == 3)
            #expect(Set(got.map { $0.event?.id }).count == 1)  // one event, three attempts
            #expect(Set(got.compactMap { $0.signature }).count == 3)  // re-signed each time
            #expect(Set(got.map { $0.body }).count == 1)  // byte-identical body
            #expect(sim.waitForDeliveries())
            let summary = try #require(sim.events().first)
            #expect(summary.deliveryStatus == "delivered")
            #expect(summary.attempts.map(\.status) == [500, 503, 200])
            let ts = summary.attempts.map(\.signedAt)
            #expect(ts == ts.sorted() && Set(ts).count == 3)
        }
    }

    @Test func deliveryGivesUpAfterMaxAttempts() throws {
        let receiver = try WebhookReceiver(statuses: Array(repeating: 500, count: 10))
        defer { receiver.stop() }
        try withSimulator(receiver: receiver) { sim in
            let s = try makeClient(sim).createCheckoutSession(sampleParams(), idempotencyKey: "give-up")
            _ = try sim.expire(sessionID: s.id)
            #expect(sim.waitForDeliveries())
            #expect(receiver.all.count == 4)
            #expect(sim.events().first?.deliveryStatus == "failed")
        }
    }

    @Test func rotationSignsWithEverySecret() throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        try withSimulator(receiver: receiver, secrets: ["whsec_new", "whsec_old"]) { sim in
            let s = try makeClient(sim).createCheckoutSession(sampleParams(), idempotencyKey: "rot")
            _ = try sim.expire(sessionID: s.id)
            let d = try #require(receiver.wait { !$0.isEmpty }.first)
            #expect(d.signature?.components(separatedBy: ",v1=").count == 3)
            for secret in ["whsec_new", "whsec_old"] {
                try WebhookVerifier(secrets: [secret]).verify(payload: d.body, header: d.signature)
            }
        }
    }

    @Test func hostedPagePayRedirectsToSuccessURL() throws {
        try withSimulator(receiver: nil) { sim in
            let s = try makeClient(sim).createCheckoutSession(sampleParams(), idempotencyKey: "page-pay")
            let url = try #require(s.url)
            let page = try SimHTTP.request("GET", url)
            #expect(page.status == 200)
            #expect(page.header("Content-Type")?.hasPrefix("text/html") == true)
            #expect(page.text.contains("Mug &lt;b&gt;"))  // escaped
            #expect(page.text.contains("40.00 USD"))
            #expect(page.text.contains("action=\"/pay/\(s.id)/pay\""))
            #expect(page.text.contains("/decline"))
            #expect(page.text.contains("/cancel"))

            let paid = try SimHTTP.request("POST", url + "/pay")
            #expect(paid.status == 303)
            #expect(paid.header("Location") == "https://shop.example/checkout/success?session_id=\(s.id)")
            #expect(sim.session(s.id)?.paymentStatus == .paid)
            #expect(
                sim.events().map(\.type) == [
                    "charge.succeeded", "payment_intent.succeeded", "checkout.session.completed",
                ])
            #expect(sim.events().allSatisfy { $0.deliveryStatus == "not_configured" })

            let again = try SimHTTP.request("POST", url + "/pay")
            #expect(again.status == 409)
            #expect(try SimHTTP.request("GET", url).text.contains("complete"))
        }
    }

    @Test func hostedPageCancelAndDecline() throws {
        try withSimulator(receiver: nil) { sim in
            let s = try makeClient(sim).createCheckoutSession(sampleParams(), idempotencyKey: "page-cancel")
            let url = try #require(s.url)
            let declined = try SimHTTP.request("POST", url + "/decline")
            #expect(declined.status == 200)
            #expect(declined.text.contains("Your card was declined."))
            #expect(sim.session(s.id)?.status == .open)
            #expect(sim.events().map(\.type) == ["payment_intent.payment_failed", "charge.failed"])

            let cancelled = try SimHTTP.request("POST", url + "/cancel")
            #expect(cancelled.status == 303)
            #expect(cancelled.header("Location") == "https://shop.example/checkout/cancel?order_id=o1")
            #expect(sim.session(s.id)?.status == .open)

            // A decline then a successful payment reuses the PaymentIntent, as Checkout does.
            let piAfterDecline = try #require(sim.session(s.id)?.paymentIntent)
            _ = try SimHTTP.request("POST", url + "/pay")
            #expect(sim.session(s.id)?.paymentIntent == piAfterDecline)
            #expect(try SimHTTP.request("GET", sim.baseURL + "/pay/cs_test_missing").status == 404)
        }
    }

    @Test func declineEventsCarryTheFailure() throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        try withSimulator(receiver: receiver) { sim in
            let s = try makeClient(sim).createCheckoutSession(sampleParams(), idempotencyKey: "decl")
            let r = try SimHTTP.control(
                sim, "/_sim/sessions/\(s.id)/decline",
                #"{"message":"Insufficient funds.","declineCode":"insufficient_funds"}"#)
            #expect(r.status == 200)
            let got = receiver.wait { $0.count == 2 }.compactMap(\.event)
            #expect(got.map(\.type) == ["payment_intent.payment_failed", "charge.failed"])  // generation order
            let pi = try #require(got[0].object.paymentIntent)
            #expect(pi.lastPaymentError?.declineCode == "insufficient_funds")
            #expect(pi.failureMessage == "Insufficient funds.")
            #expect(pi.metadata["order_id"] == "o1")
            let ch = try #require(got[1].object.charge)
            #expect(ch.status == .failed)
            #expect(ch.failureMessage == "Insufficient funds.")
            #expect(ch.paymentIntent == pi.id)
        }
    }

    @Test func refundsAreCumulative() throws {
        try withSimulator(receiver: nil) { sim in
            let s = try makeClient(sim).createCheckoutSession(sampleParams(), idempotencyKey: "refund")
            #expect(try SimHTTP.control(sim, "/_sim/sessions/\(s.id)/refund").status == 409)  // not paid yet
            _ = try sim.pay(sessionID: s.id)
            #expect(try SimHTTP.control(sim, "/_sim/sessions/\(s.id)/refund", #"{"amount":1000}"#).status == 200)
            #expect(try SimHTTP.control(sim, "/_sim/sessions/\(s.id)/refund", #"{"amount":5000}"#).status == 400)
            #expect(try SimHTTP.control(sim, "/_sim/sessions/\(s.id)/refund").status == 200)  // the rest
            let refunds = sim.events(type: "charge.refunded").compactMap { sim.eventBody($0.id) }
                .compactMap { try? JSONDecoder().decode(StripeEvent.self, from: Data($0)).object.charge }
            #expect(refunds.map(\.amountRefunded) == [1000, 4000])
            #expect(refunds.map(\.refunded) == [false, true])
            #expect(refunds.allSatisfy { $0.amount == 4000 })
        }
    }

    @Test func delayedPaymentMethods() throws {
        try withSimulator(receiver: nil) { sim in
            let c = makeClient(sim)
            let a = try c.createCheckoutSession(sampleParams(), idempotencyKey: "async-a")
            let b = try c.createCheckoutSession(sampleParams(), idempotencyKey: "async-b")
            #expect(try SimHTTP.control(sim, "/_sim/sessions/\(a.id)/async-payment-succeeded").status == 409)
            for id in [a.id, b.id] {
                let r = try SimHTTP.control(sim, "/_sim/sessions/\(id)/complete-unpaid")
                #expect(r.status == 200)
                #expect(try c.retrieveCheckoutSession(id).paymentStatus == .unpaid)
                #expect(try c.retrieveCheckoutSession(id).status == .complete)
            }
            #expect(try SimHTTP.control(sim, "/_sim/sessions/\(a.id)/async-payment-succeeded").status == 200)
            #expect(try SimHTTP.control(sim, "/_sim/sessions/\(b.id)/async-payment-failed").status == 200)
            #expect(try c.retrieveCheckoutSession(a.id).paymentStatus == .paid)
            #expect(try c.retrieveCheckoutSession(b.id).paymentStatus == .unpaid)
            let types = sim.events().map(\.type)
            #expect(types.filter { $0 == "checkout.session.completed" }.count == 2)
            #expect(types.contains("checkout.session.async_payment_succeeded"))
            #expect(types.contains("checkout.session.async_payment_failed"))
            #expect(types.contains("payment_intent.payment_failed"))
        }
    }

    @Test func holdReleaseShuffledAndDuplicates() throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        try withSimulator(receiver: receiver) { sim in
            let c = makeClient(sim)
            #expect(try SimHTTP.control(sim, "/_sim/deliveries/hold").status == 200)
            var ids: [String] = []
            for i in 0..<6 {
                let s = try c.createCheckoutSession(sampleParams(), idempotencyKey: "hold-\(i)")
                ids += try sim.expire(sessionID: s.id).events
            }
            // Held is a state, not a timing: no event has a delivery attempt, and nothing arrived.
            #expect(sim.events().allSatisfy { $0.deliveryStatus == "held" && $0.attempts.isEmpty })
            #expect(receiver.all.isEmpty)
            #expect(
                try SimHTTP.control(sim, "/_sim/deliveries/release", #"{"order":"reversed","times":2}"#).status == 200)
            let got = receiver.wait { $0.count == 12 }.compactMap { $0.event?.id }
            #expect(got.count == 12)
            var expected: [String] = []
            for id in ids.reversed() { expected += [id, id] }
            #expect(got == expected)

            // deliver: an explicit set, shuffled, each twice; then resend one.
            let before = receiver.all.count
            let body = #"{"ids":["\#(ids[0])","\#(ids[1])","\#(ids[2])"],"order":"shuffled","times":2}"#
            #expect(try SimHTTP.control(sim, "/_sim/events/deliver", body).status == 200)
            let more = receiver.wait { $0.count == before + 6 }.dropFirst(before).compactMap { $0.event?.id }
            #expect(more.sorted() == [ids[0], ids[0], ids[1], ids[1], ids[2], ids[2]].sorted())
            #expect(try SimHTTP.control(sim, "/_sim/events/\(ids[3])/resend").status == 200)
            #expect(receiver.wait { $0.count == before + 7 }.last?.event?.id == ids[3])
            #expect(try SimHTTP.control(sim, "/_sim/events/evt_nope/resend").status == 404)
            #expect(sim.waitForDeliveries())
            // Released twice, then delivered twice.
            #expect(sim.events().first { $0.id == ids[0] }?.succeededDeliveries == 4)
        }
    }

    @Test func parallelDuplicatesArriveConcurrently() throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        try withSimulator(receiver: receiver) { sim in
            let s = try makeClient(sim).createCheckoutSession(sampleParams(), idempotencyKey: "par")
            let id = try sim.pay(sessionID: s.id).events.last!
            #expect(sim.waitForDeliveries())
            let before = receiver.all.count
            try sim.deliver(eventIDs: [id], times: 20, parallel: true)
            let got = receiver.wait { $0.count == before + 20 }
            #expect(got.count == before + 20)
            #expect(got.dropFirst(before).allSatisfy { $0.event?.id == id })
        }
    }

    @Test func expiryByTheClockAndByTheAPI() throws {
        try withSimulator(receiver: nil) { sim in
            let c = makeClient(sim)
            let s = try c.createCheckoutSession(sampleParams(expiresIn: 1800), idempotencyKey: "clock")
            #expect(try SimHTTP.control(sim, "/_sim/clock/advance", #"{"seconds":1801}"#).status == 200)
            #expect(try c.retrieveCheckoutSession(s.id).status == .expired)
            #expect(sim.events().map(\.type) == ["checkout.session.expired"])
            #expect(try SimHTTP.control(sim, "/_sim/sessions/\(s.id)/expire").status == 409)
            #expect(try SimHTTP.control(sim, "/_sim/sessions/\(s.id)/pay").status == 409)
        }
    }

    @Test func controlFaultsAndRequestLogOverHTTP() throws {
        try withSimulator(receiver: nil) { sim in
            #expect(try SimHTTP.control(sim, "/_sim/faults", #"{"status":503,"count":1}"#).status == 200)
            #expect(try SimHTTP.control(sim, "/_sim/faults", #"{}"#).status == 400)
            let r = try SimHTTP.request(
                "POST", sim.baseURL + "/v1/checkout/sessions",
                headers: ["Authorization": "Bearer sk_test_abcdefgh", "Idempotency-Key": "k1"],
                body: Array("mode=payment".utf8))
            #expect(r.status == 503)
            #expect(r.header("Request-Id")?.hasPrefix("req_") == true)
            #expect(r.header("Stripe-Should-Retry") == nil)
            #expect((try r.json()["error"] as? [String: Any])?["type"] as? String == "api_error")
            // The real validation now: mode given, line_items missing.
            let v = try SimHTTP.request(
                "POST", sim.baseURL + "/v1/checkout/sessions",
                headers: ["Authorization": "Bearer sk_test_abcdefgh"], body: Array("mode=payment".utf8))
            #expect(v.status == 400)
            let err = try #require(try v.json()["error"] as? [String: Any])
            #expect(err["code"] as? String == "parameter_missing")
            #expect(err["param"] as? String == "line_items")
            #expect(v.header("Request-Id") != nil)
            let log = try SimHTTP.request("GET", sim.baseURL + "/_sim/requests").json()["data"] as? [[String: Any]]
            #expect(log?.map { $0["status"] as? Int } == [503, 400])
            #expect(log?.first?["idempotencyKey"] as? String == "k1")
            // Unknown /v1 URLs answer like Stripe's edge.
            let unknown = try SimHTTP.request("GET", sim.baseURL + "/v1/customers")
            #expect(unknown.status == 404)
            #expect(unknown.header("Request-Id")?.hasPrefix("req_") == true)
            #expect((try unknown.json()["error"] as? [String: Any])?["type"] as? String == "invalid_request_error")
            #expect(try SimHTTP.control(sim, "/_sim/reset").status == 200)
            #expect(sim.requests().isEmpty)
        }
    }

    static let documentedRoutes = [
        "/v1/checkout/sessions", "/v1/checkout/sessions/:id", "/v1/checkout/sessions/:id/line_items",
        "/v1/checkout/sessions/:id/expire", "/v1/payment_intents/:id", "/v1/charges/:id", "/v1/refunds/:id",
        "/v1/refunds?charge=", "/v1/events/:id", "/_sim/sessions/:id/pay", "/_sim/sessions/:id/complete-unpaid",
        "/_sim/sessions/:id/async-payment-succeeded", "/_sim/sessions/:id/decline", "/_sim/sessions/:id/expire",
        "/_sim/sessions/:id/refund", "/_sim/events", "/_sim/events/:id/resend", "/_sim/events/deliver",
        "/_sim/deliveries/hold", "/_sim/deliveries/release", "/_sim/deliveries/delay", "/_sim/deliveries/wait",
        "/_sim/faults",
        "/_sim/requests", "/_sim/clock/advance", "/_sim/webhook", "/_sim/reset", "/_sim/health",
    ]
    static let documentedFlags = [
        "--host", "--port", "--public-url", "--webhook-url", "--webhook-secret", "--delivery-max-attempts",
        "--delivery-initial-backoff-ms", "--delivery-max-backoff-ms", "--delivery-max-total-seconds",
        "--delivery-timeout-ms", "--quiet",
    ]

    @Test func stripeSimExecutablePrintsItsURLAndStopsOnSIGTERM() throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("stripe-sim")
        let candidates =
            [binary]
            + [URL(fileURLWithPath: #filePath)].map {
                $0.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                    .appendingPathComponent(".build/debug/stripe-sim")
            }
        let exe = try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) })
        let help = Process()
        help.executableURL = exe
        help.arguments = ["--help"]
        let helpOut = Pipe()
        help.standardOutput = helpOut
        try help.run()
        let helpText = String(decoding: helpOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        help.waitUntilExit()
        // --help and the README document every route and flag (the README is the full manual).
        let readme = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Sources/StripeSimulator/README.md"),
            encoding: .utf8)
        for documented in Self.documentedRoutes {
            #expect(helpText.contains(documented), "--help lacks \(documented)")
            #expect(readme.contains(documented), "README lacks \(documented)")
        }
        for flag in Self.documentedFlags {
            #expect(helpText.contains(flag), "--help lacks \(flag)")
            #expect(readme.contains(flag), "README lacks \(flag)")
        }

        let p = Process()
        p.executableURL = exe
        p.arguments = ["--port", "0"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        var line = [UInt8]()
        let handle = out.fileHandleForReading
        while line.last != 10, line.count < 500 {
            let chunk = handle.readData(ofLength: 1)
            if chunk.isEmpty { break }
            line += chunk
        }
        let first = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(first.hasPrefix("stripe-sim listening on http://127.0.0.1:"))
        let base = String(first.dropFirst("stripe-sim listening on ".count))
        #expect(try SimHTTP.request("GET", base + "/_sim/health").status == 200)
        kill(p.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(10)
        while p.isRunning && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(!p.isRunning)
        #expect(p.terminationReason == .exit && p.terminationStatus == 0)
    }
}
