import Foundation
import Stripe
import TestSupport
import Testing

@Suite("Fixture decoding")
struct FixtureDecodingTests {
    static func load(_ relative: String) throws -> Data {
        try Data(contentsOf: TestEnvironment.stripeFixture(relative))
    }

    /// Every JSON file under Tests/Fixtures/stripe (so a new fixture is decoded without editing this test).
    static let allJSONFixtures: [String] = {
        let root = TestEnvironment.stripeFixture("")
        let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)!
        var out: [String] = []
        for case let url as URL in e where url.pathExtension == "json" {
            out.append(
                String(url.path.dropFirst(root.path.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/")))
        }
        return out.sorted()
    }()

    @Test func fixtureListIsComplete() {
        #expect(Self.allJSONFixtures.count >= 10)
    }

    /// Each file decodes as what its `object` field says (events as `StripeEvent`), or parses as JSON
    /// for files that are not Stripe objects (vectors.json).
    @Test(arguments: allJSONFixtures)
    func decodes(path: String) throws {
        let data = try Self.load(path)
        let json = try JSONSerialization.jsonObject(with: data)
        guard let object = (json as? [String: Any])?["object"] as? String else {
            #expect(path.hasSuffix("vectors.json"))
            return
        }
        if path == "signatures/rotation.body.json" {
            // A synthetic signing body (no `created`, no `data`): only its bytes matter, and an incomplete
            // event must be refused rather than half-decoded.
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(StripeEvent.self, from: data) }
            return
        }
        switch object {
        case "event": _ = try JSONDecoder().decode(StripeEvent.self, from: data)
        case "checkout.session": _ = try JSONDecoder().decode(CheckoutSession.self, from: data)
        case "payment_intent": _ = try JSONDecoder().decode(PaymentIntent.self, from: data)
        case "charge": _ = try JSONDecoder().decode(Charge.self, from: data)
        default: _ = try JSONDecoder().decode(EventObject.self, from: data)
        }
    }

    @Test func realCheckoutSessionCompletedEvent() throws {
        let event = try JSONDecoder().decode(
            StripeEvent.self, from: Self.load("events/checkout.session.completed.2026-08-26.dahlia.json"))
        #expect(event.id == "evt_1UOuw0CyjWPP8AoI4I0Zw0e5")
        #expect(event.type == "checkout.session.completed")
        #expect(event.created == 1_791_618_192)
        #expect(event.livemode == false)
        #expect(event.apiVersion == StripeClient.apiVersion)
        #expect(event.pendingWebhooks == 1)
        #expect(event.request == .init(id: nil, idempotencyKey: nil))
        let s = try #require(event.object.checkoutSession)
        #expect(s.id == "cs_test_a1iCbLhPYF9UjTyxiiDNdu7kZ3RMZgUW2LRkqEgRjUigzJPrppPqEyKXNa")
        #expect(s.status == .complete)
        #expect(s.paymentStatus == .paid)
        #expect(s.amountTotal == 51000)
        #expect(s.currency == "gbp")
        #expect(s.paymentIntent == "pi_3UOuvzCyjWPP8AoI0EaSx7jN")
        #expect(s.clientReferenceID == "00000000-0000-4000-8000-000000000001")
        #expect(s.metadata["payment_id"] == "00000000-0000-4000-8000-000000000002")
        #expect(s.metadata.count == 3)
        #expect(s.expiresAt == 1_791_704_547)
        #expect(s.customerEmail == "sandbox-guest@example.test")
        #expect(s.url == nil)
        #expect(s.successURL?.contains("{CHECKOUT_SESSION_ID}") == true)
    }

    @Test func checkoutSessionObject() throws {
        let s = try JSONDecoder().decode(CheckoutSession.self, from: Self.load("objects/checkout.session.json"))
        #expect(s.status == .open)
        #expect(s.paymentStatus == .unpaid)
        #expect(s.amountTotal == nil)
        #expect(s.paymentIntent == "pi_1PgafyB7WZ01zgkWSjxsAJo3")
        #expect(s.customerEmail == "example@example.com")  // from customer_details, customer_email is null
        #expect(s.url?.hasPrefix("https://checkout.stripe.com/") == true)
        #expect(s.metadata.isEmpty)
    }

    @Test func paymentIntentObject() throws {
        let p = try JSONDecoder().decode(PaymentIntent.self, from: Self.load("objects/payment_intent.json"))
        #expect(p.id == "pi_1PgafyB7WZ01zgkWSjxsAJo3")
        #expect(p.amount == 1099)
        #expect(p.amountReceived == 0)
        #expect(p.status == .requiresPaymentMethod)
        #expect(p.lastPaymentError?.type == "idempotency_error")
        #expect(p.failureMessage == nil)
        #expect(p.latestCharge == nil)
    }

    @Test func chargeObject() throws {
        let c = try JSONDecoder().decode(Charge.self, from: Self.load("objects/charge.json"))
        #expect(c.id == "ch_1PgafuB7WZ01zgkWXYmPNZs8")
        #expect(c.amount == 100)
        #expect(c.amountRefunded == 0)
        #expect(c.refunded == false)
        #expect(c.paid)
        #expect(c.status == .succeeded)
        #expect(c.paymentIntent == nil)
        #expect(c.failureMessage == nil)
    }

    @Test func otherEventObjectType() throws {
        let e = try JSONDecoder().decode(StripeEvent.self, from: Self.load("objects/event.json"))
        #expect(e.type == "plan.created")
        #expect(e.apiVersion == nil)
        #expect(e.object == .other("plan"))
        let sig = try JSONDecoder().decode(StripeEvent.self, from: Self.load("signatures/customer.created.body.json"))
        #expect(sig.object == .other("customer"))
        #expect(sig.request?.idempotencyKey == "idempotency-key-123")
    }

    @Test func unknownEnumValuesAndExpandedObjects() throws {
        let json = """
            {"id":"cs_1","object":"checkout.session","status":"brand_new","payment_status":"later",
             "payment_intent":{"id":"pi_9","object":"payment_intent","amount":5},"metadata":null,"future":[1,{"x":2}]}
            """
        let s = try JSONDecoder().decode(CheckoutSession.self, from: Data(json.utf8))
        #expect(s.status == .unknown("brand_new"))
        #expect(s.paymentStatus == .unknown("later"))
        #expect(s.paymentIntent == "pi_9")
        #expect(s.metadata == [:])
        let ch = try JSONDecoder().decode(
            Charge.self,
            from: Data(
                #"{"id":"ch_1","amount":10,"amount_refunded":4,"status":"disputed_maybe","payment_intent":{"id":"pi_2"}}"#
                    .utf8))
        #expect(ch.status == .unknown("disputed_maybe"))
        #expect(ch.status.rawValue == "disputed_maybe")
        #expect(ch.paymentIntent == "pi_2")
    }

    @Test func encodedEventRoundTripsWithStripeKeys() throws {
        let session = CheckoutSession(
            id: "cs_test_1", status: .complete, paymentStatus: .paid, amountTotal: 2500, currency: "usd",
            paymentIntent: "pi_test_1", clientReferenceID: "DO-1", metadata: ["order_id": "o"], expiresAt: 10,
            created: 5, customerEmail: "a@b.example", successURL: "https://s", cancelURL: "https://c")
        let event = StripeEvent(
            id: "evt_1", type: "checkout.session.completed", created: 6, apiVersion: StripeClient.apiVersion,
            request: .init(id: "req_1", idempotencyKey: "k"), object: .checkoutSession(session))
        let data = try JSONEncoder().encode(event)
        let dict = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(dict["object"] as? String == "event")
        #expect(dict["api_version"] as? String == "2026-08-26.dahlia")
        #expect(dict["pending_webhooks"] as? Int == 1)
        let obj = try #require((dict["data"] as? [String: Any])?["object"] as? [String: Any])
        #expect(obj["payment_status"] as? String == "paid")
        #expect(obj["amount_total"] as? Int == 2500)
        #expect(obj["client_reference_id"] as? String == "DO-1")
        #expect((obj["customer_details"] as? [String: Any])?["email"] as? String == "a@b.example")
        #expect(obj["url"] is NSNull)
        #expect(try JSONDecoder().decode(StripeEvent.self, from: data) == event)

        let charge = Charge(
            id: "ch_1", amount: 100, amountRefunded: 40, paid: true, paymentIntent: "pi_1", status: .succeeded)
        let pi = PaymentIntent(
            id: "pi_1", amount: 100, amountReceived: 0, status: .requiresPaymentMethod,
            lastPaymentError: .init(
                type: "card_error", code: "card_declined", declineCode: "generic_decline",
                message: "Your card was declined."))
        for object in [EventObject.charge(charge), .paymentIntent(pi)] {
            let e = StripeEvent(
                id: "evt_2", type: "x", created: 1, apiVersion: nil, request: .init(id: nil, idempotencyKey: nil),
                object: object)
            #expect(try JSONDecoder().decode(StripeEvent.self, from: JSONEncoder().encode(e)) == e)
        }
    }

    @Test func apiErrorBody() throws {
        let body =
            #"{"error":{"type":"invalid_request_error","code":"parameter_missing","param":"line_items","message":"Missing required param: line_items.","doc_url":"x"}}"#
        let e = try JSONDecoder().decode(StripeAPIError.Envelope.self, from: Data(body.utf8)).error
        #expect(e.type == "invalid_request_error")
        #expect(e.code == "parameter_missing")
        #expect(e.param == "line_items")
        let again = try JSONDecoder().decode(
            StripeAPIError.Envelope.self, from: JSONEncoder().encode(StripeAPIError.Envelope(error: e))
        ).error
        #expect(again == e)
    }
}
