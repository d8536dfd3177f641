import Checkout
import Foundation
import Stripe
import Testing
import TestSupport

@Suite("StripeEventMapping: Stripe events → domain events")
struct StripeEventMappingTests {
    static func event(_ json: String) throws -> StripeEvent {
        try JSONDecoder().decode(StripeEvent.self, from: Data(json.utf8))
    }

    static func envelope(_ type: String, _ object: String) -> String {
        #"{"id":"evt_1","object":"event","type":"\#(type)","created":1700000000,"livemode":false,"api_version":"2026-08-26.dahlia","data":{"object":\#(object)}}"#
    }

    @Test("the real sandbox checkout.session.completed event maps to a paid completion")
    func realFixture() throws {
        let data = try Data(
            contentsOf: TestEnvironment.stripeFixture("events/checkout.session.completed.2026-08-26.dahlia.json"))
        let mapping = StripeEventMapping(try JSONDecoder().decode(StripeEvent.self, from: data))
        let sessionID = "cs_test_a1iCbLhPYF9UjTyxiiDNdu7kZ3RMZgUW2LRkqEgRjUigzJPrppPqEyKXNa"
        #expect(
            mapping.event
                == .sessionCompleted(
                    sessionID: sessionID, paymentStatus: .paid, paymentIntentID: "pi_3UOuvzCyjWPP8AoI0EaSx7jN",
                    amountTotal: 51000, currency: "gbp",
                    totals: SessionTotals(
                        amountSubtotal: 51000,
                        customer: CheckoutCustomer(
                            name: "Sandbox Guest", email: "sandbox-guest@example.test",
                            address: PostalAddress(country: "GB")))))
        #expect(mapping.sessionID == sessionID && mapping.sessionStatus == .complete)
        #expect(mapping.orderIDHint == nil, "its metadata has no order_id")
    }

    @Test("Checkout-computed totals, the basil shipping address, recovery and recovered_from are mapped")
    func computedFields() throws {
        let completed = #"""
            {"id":"cs_2","object":"checkout.session","status":"complete","payment_status":"paid","payment_intent":"pi_2",
             "amount_subtotal":4000,"amount_total":4850,"currency":"eur","recovered_from":"cs_1",
             "total_details":{"amount_discount":400,"amount_shipping":500,"amount_tax":750},
             "discounts":[{"coupon":"co_1","promotion_code":{"id":"promo_1","object":"promotion_code","code":"SAVE10"}}],
             "customer_details":{"email":"a@b.example","name":"Ann","phone":null,"address":null},
             "collected_information":{"shipping_details":{"name":"Ann B","address":{"line1":"Ring 1","line2":null,
               "city":"Wien","state":null,"postal_code":"1010","country":"AT"}}},
             "shipping_details":{"name":"pre-basil field, ignored"}}
            """#
        let m = StripeEventMapping(try Self.event(Self.envelope("checkout.session.completed", completed)))
        #expect(m.recoveredFrom == "cs_1")
        guard case .sessionCompleted(_, _, _, let amount, _, let totals?) = m.event else {
            Issue.record("no totals: \(String(describing: m.event))")
            return
        }
        #expect(amount == 4850 && totals.computedTotal == 4850)
        #expect(totals.amountDiscount == 400 && totals.amountTax == 750 && totals.amountShipping == 500)
        #expect(totals.promotionCode == "SAVE10", "the code of an expanded promotion_code")
        #expect(totals.customer?.name == "Ann" && totals.customer?.email == "a@b.example")
        #expect(
            totals.shippingAddress
                == PostalAddress(name: "Ann B", line1: "Ring 1", city: "Wien", postalCode: "1010", country: "AT"))

        let expired = #"""
            {"id":"cs_1","object":"checkout.session","status":"expired","payment_status":"unpaid","currency":"eur",
             "after_expiration":{"recovery":{"enabled":true,"allow_promotion_codes":true,"expires_at":1900000000,
               "url":"https://buy.stripe.com/r/live_x"}},"consent":{"promotions":"opt_out","terms_of_service":null}}
            """#
        let e = StripeEventMapping(try Self.event(Self.envelope("checkout.session.expired", expired)))
        #expect(
            e.event
                == .sessionExpired(
                    sessionID: "cs_1",
                    recovery: SessionRecovery(
                        url: "https://buy.stripe.com/r/live_x", expiresAt: 1_900_000_000, promotionsConsent: "opt_out"))
        )
        let plain = StripeEventMapping(
            try Self.event(
                Self.envelope(
                    "checkout.session.expired",
                    #"{"id":"cs_3","object":"checkout.session","status":"expired","payment_status":"unpaid","after_expiration":null}"#
                )))
        #expect(plain.event == .sessionExpired(sessionID: "cs_3"), "no recovery link without after_expiration")
    }

    @Test("session, payment intent and charge events map with their lookup keys")
    func mappings() throws {
        let orderID = UUID()
        let id = orderID.uuidString.lowercased()
        let session = { (status: String, paymentStatus: String) in
            #"{"id":"cs_1","object":"checkout.session","status":"\#(status)","payment_status":"\#(paymentStatus)","payment_intent":"pi_1","amount_total":900,"currency":"eur","metadata":{"order_id":"\#(id)"}}"#
        }
        var m = StripeEventMapping(
            try Self.event(Self.envelope("checkout.session.completed", session("complete", "unpaid"))))
        #expect(
            m.event
                == .sessionCompleted(
                    sessionID: "cs_1", paymentStatus: .unpaid, paymentIntentID: "pi_1", amountTotal: 900,
                    currency: "eur"))
        #expect(m.orderIDHint == orderID)
        m = StripeEventMapping(try Self.event(Self.envelope("checkout.session.expired", session("expired", "unpaid"))))
        #expect(m.event == .sessionExpired(sessionID: "cs_1") && m.sessionStatus == .expired)
        m = StripeEventMapping(
            try Self.event(Self.envelope("checkout.session.async_payment_succeeded", session("complete", "paid"))))
        #expect(
            m.event
                == .asyncPaymentSucceeded(sessionID: "cs_1", paymentIntentID: "pi_1", amountTotal: 900, currency: "eur")
        )
        m = StripeEventMapping(
            try Self.event(Self.envelope("checkout.session.async_payment_failed", session("complete", "unpaid"))))
        #expect(
            m.event == .asyncPaymentFailed(sessionID: "cs_1", paymentIntentID: "pi_1", reason: "delayed payment failed")
        )

        let intent =
            #"{"id":"pi_1","object":"payment_intent","amount":900,"status":"requires_payment_method","metadata":{"order_id":"\#(id)"},"last_payment_error":{"message":"Your card was declined."}}"#
        m = StripeEventMapping(try Self.event(Self.envelope("payment_intent.payment_failed", intent)))
        #expect(m.event == .paymentFailed(paymentIntentID: "pi_1", reason: "Your card was declined."))
        #expect(m.orderIDHint == orderID && m.paymentIntentID == "pi_1" && m.sessionID == nil)

        let charge = { (refunded: Int) in
            #"{"id":"ch_1","object":"charge","amount":900,"currency":"eur","amount_refunded":\#(refunded),"refunded":false,"paid":true,"status":"succeeded","payment_intent":"pi_1","metadata":{},"failure_message":"insufficient funds"}"#
        }
        m = StripeEventMapping(try Self.event(Self.envelope("charge.refunded", charge(300))))
        #expect(m.event == .chargeRefunded(paymentIntentID: "pi_1", amountRefunded: 300, amount: 900, currency: "eur"))
        #expect(m.orderIDHint == nil && m.paymentIntentID == "pi_1")
        m = StripeEventMapping(try Self.event(Self.envelope("charge.failed", charge(0))))
        #expect(m.event == .paymentFailed(paymentIntentID: "pi_1", reason: "insufficient funds"))

        m = StripeEventMapping(try Self.event(Self.envelope("charge.succeeded", charge(0))))
        #expect(m.event == nil)
        m = StripeEventMapping(
            try Self.event(Self.envelope("customer.created", #"{"id":"cus_1","object":"customer"}"#)))
        #expect(m.event == nil)
        // A handled type with an unexpected object is not applied.
        m = StripeEventMapping(try Self.event(Self.envelope("charge.refunded", intent)))
        #expect(m.event == nil)
        // A non-UUID order_id is no hint.
        m = StripeEventMapping(
            try Self.event(
                Self.envelope(
                    "checkout.session.expired", session("expired", "unpaid").replacingOccurrences(of: id, with: "nope"))
            ))
        #expect(m.orderIDHint == nil && m.event == .sessionExpired(sessionID: "cs_1"))
    }
}
