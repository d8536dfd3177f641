"""stripe-sim's subscription mode held against Stripe's official client and published shapes.

A cart with a recurring price is a Checkout Session in `mode=subscription`; since API version 2025-03-31 the
subscription and its first invoice exist only once the session completes. Renewals are invoices
(`billing_reason=subscription_cycle`) that the simulated clock bills, paid or failed on demand. Every object
is validated against schemas/{subscription,invoice,customer}.json (make_schemas.py) and every event body is
verified with `stripe.Webhook.construct_event`. Run by test_conformance.py (`make test-stripe-conformance`).
"""

import json
import time
import unittest

import stripe

from test_conformance import API_VERSION, SECRET, Receiver, Sim, check_shape, raw

ORDER_ID = "0b5f6a1e-0000-4000-8000-0000000000aa"


def subscription_params(**over):
    """A mixed cart: a monthly membership and a one-time course."""
    p = {
        "mode": "subscription",
        "line_items": [
            {"price_data": {"currency": "usd", "unit_amount": 1500, "product_data": {"name": "Membership"},
                            "recurring": {"interval": "month", "interval_count": 1}}, "quantity": 1},
            {"price_data": {"currency": "usd", "unit_amount": 4900, "product_data": {"name": "Course"}},
             "quantity": 1},
        ],
        "success_url": "https://shop.example/thanks?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://shop.example/cart",
        "client_reference_id": "DO-2001",
        "customer_email": "jenny@example.com",
        "metadata": {"order_id": ORDER_ID},
        "subscription_data": {"metadata": {"order_id": ORDER_ID}},
        "expires_at": int(time.time()) + 3600,
    }
    p.update(over)
    return p


def recurring_line(interval="month", count=1, amount=1500):
    return {"price_data": {"currency": "usd", "unit_amount": amount, "product_data": {"name": "Plan"},
                           "recurring": {"interval": interval, "interval_count": count}}, "quantity": 1}


def one_time_line(amount=500):
    return {"price_data": {"currency": "usd", "unit_amount": amount, "product_data": {"name": "Thing"}},
            "quantity": 1}


class BillingConformance(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.receiver = Receiver()
        cls.sim = Sim(cls.receiver.url)
        stripe.api_key = "sk_test_conformance"
        stripe.api_version = API_VERSION
        stripe.max_network_retries = 0
        stripe.enable_telemetry = False

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.receiver.server.shutdown()

    def setUp(self):
        stripe.api_base = self.sim.base
        self.assertEqual(200, self.sim.control("POST", "/_sim/reset")[0])
        self.receiver.drain()

    def deliveries(self, n):
        """The next n webhook bodies, verified with the official library, each object shape-checked."""
        out = []
        for body, header, _status, _at in self.receiver.take(n):
            stripe.Webhook.construct_event(body.decode(), header, SECRET)
            payload = json.loads(body)
            check_shape(self, payload, "event")
            self.assertEqual(API_VERSION, payload["api_version"])
            obj = payload["data"]["object"]
            check_shape(self, obj, obj["object"])
            out.append(payload)
        return out

    def refused(self, call, *, param, code=None):
        with self.assertRaises(stripe.InvalidRequestError) as ctx:
            call()
        e = ctx.exception
        self.assertEqual(400, e.http_status, e.user_message)
        self.assertEqual(code, e.code, e.user_message)
        self.assertEqual(param, (e.json_body or {}).get("error", {}).get("param"), e.user_message)
        return e

    def subscribe(self):
        s = stripe.checkout.Session.create(**subscription_params())
        self.assertEqual(200, self.sim.control("POST", f"/_sim/sessions/{s.id}/pay", {"email": "jenny@example.com"})[0])
        events = {e["type"]: e for e in self.deliveries(3)}
        return s, events

    def test_mixed_cart_creates_subscription_and_first_invoice_on_completion(self):
        s = stripe.checkout.Session.create(**subscription_params())
        created = raw(s)
        check_shape(self, created, "checkout.session")
        self.assertEqual(("subscription", None, None, None, 6400),
                         (created["mode"], created["subscription"], created["invoice"], created["customer"],
                          created["amount_total"]))
        self.sim.control("POST", f"/_sim/sessions/{s.id}/pay", {"email": "jenny@example.com"})
        events = {e["type"]: e for e in self.deliveries(3)}
        self.assertEqual({"customer.subscription.created", "invoice.paid", "checkout.session.completed"}, set(events))
        session = events["checkout.session.completed"]["data"]["object"]
        self.assertEqual(("complete", "paid", None), (session["status"], session["payment_status"],
                                                      session["payment_intent"]))
        self.assertTrue(session["subscription"].startswith("sub_"))
        self.assertTrue(session["customer"].startswith("cus_"))

        sub = stripe.Subscription.retrieve(session["subscription"])
        check_shape(self, raw(sub), "subscription")
        self.assertEqual(("active", {"order_id": ORDER_ID}, session["customer"]),
                         (sub.status, raw(sub)["metadata"], sub.customer))
        item = raw(sub)["items"]["data"][0]
        self.assertEqual(("month", 1, 1500), (item["price"]["recurring"]["interval"],
                                              item["price"]["recurring"]["interval_count"], item["price"]["unit_amount"]))
        self.assertGreater(item["current_period_end"], item["current_period_start"])
        self.assertEqual(1, len(raw(sub)["items"]["data"]), "only the recurring line is a subscription item")

        invoice = stripe.Invoice.retrieve(session["invoice"])
        body = raw(invoice)
        check_shape(self, body, "invoice")
        self.assertEqual(("paid", "subscription_create", 6400, 2),
                         (body["status"], body["billing_reason"], body["amount_paid"], len(body["lines"]["data"])))
        self.assertEqual({"type": "subscription_details", "quote_details": None,
                          "subscription_details": {"metadata": {"order_id": ORDER_ID},
                                                   "subscription": sub.id}}, body["parent"])
        for gone in ("payment_intent", "charge", "paid", "subscription"):
            self.assertNotIn(gone, body, f"removed from Invoice in 2025-03-31: {gone}")
        customer = stripe.Customer.retrieve(session["customer"])
        check_shape(self, raw(customer), "customer")
        self.assertEqual("jenny@example.com", customer.email)

    def test_renewals_paid_and_failed_then_paid(self):
        s, events = self.subscribe()
        sub_id = events["checkout.session.completed"]["data"]["object"]["subscription"]
        first_end = events["customer.subscription.created"]["data"]["object"]["items"]["data"][0]["current_period_end"]

        status, result = self.sim.control("POST", f"/_sim/subscriptions/{sub_id}/renew", {"outcome": "paid"})
        self.assertEqual(200, status, result)
        got = self.deliveries(2)
        self.assertEqual(["customer.subscription.updated", "invoice.paid"], [e["type"] for e in got])
        invoice = got[1]["data"]["object"]
        self.assertEqual(("subscription_cycle", 1500, 1), (invoice["billing_reason"], invoice["amount_paid"],
                                                           len(invoice["lines"]["data"])))
        self.assertEqual(first_end, got[0]["data"]["object"]["items"]["data"][0]["current_period_start"])

        self.sim.control("POST", f"/_sim/subscriptions/{sub_id}/renew", {"outcome": "failed"})
        got = self.deliveries(2)
        self.assertEqual(["customer.subscription.updated", "invoice.payment_failed"], [e["type"] for e in got])
        self.assertEqual("past_due", got[0]["data"]["object"]["status"])
        failed = got[1]["data"]["object"]
        self.assertEqual(("open", 0, 1), (failed["status"], failed["amount_paid"], failed["attempt_count"]))

        self.sim.control("POST", f"/_sim/invoices/{failed['id']}/pay")
        got = self.deliveries(2)
        self.assertEqual(["invoice.paid", "customer.subscription.updated"], [e["type"] for e in got])
        self.assertEqual(("paid", 2), (got[0]["data"]["object"]["status"], got[0]["data"]["object"]["attempt_count"]))
        self.assertEqual("active", stripe.Subscription.retrieve(sub_id).status)

    def test_clock_bills_due_periods(self):
        _s, events = self.subscribe()
        sub_id = events["checkout.session.completed"]["data"]["object"]["subscription"]
        self.sim.control("POST", f"/_sim/subscriptions/{sub_id}/renewal-outcome", {"outcome": "failed"})
        self.assertEqual(200, self.sim.control("POST", "/_sim/clock/advance", {"seconds": 32 * 86400})[0])
        got = self.deliveries(2)
        self.assertEqual(["customer.subscription.updated", "invoice.payment_failed"], [e["type"] for e in got])

    def test_cancel_at_period_end_and_now_through_the_library(self):
        _s, events = self.subscribe()
        sub_id = events["checkout.session.completed"]["data"]["object"]["subscription"]
        sub = stripe.Subscription.modify(sub_id, cancel_at_period_end=True, idempotency_key="cancel-1")
        check_shape(self, raw(sub), "subscription")
        self.assertEqual((True, "active"), (sub.cancel_at_period_end, sub.status))
        event = self.deliveries(1)[0]
        self.assertEqual(("customer.subscription.updated", "cancel-1"),
                         (event["type"], event["request"]["idempotency_key"]))
        self.assertEqual(raw(sub)["cancel_at"], raw(sub)["items"]["data"][0]["current_period_end"])
        again = stripe.Subscription.modify(sub_id, cancel_at_period_end=True, idempotency_key="cancel-1")
        self.assertEqual("true", again.last_response.headers.get("Idempotent-Replayed"))

        canceled = stripe.Subscription.cancel(sub_id)
        check_shape(self, raw(canceled), "subscription")
        self.assertEqual("canceled", canceled.status)
        self.assertEqual("customer.subscription.deleted", self.deliveries(1)[0]["type"])

    def test_subscription_mode_validation(self):
        create = stripe.checkout.Session.create
        self.refused(lambda: create(**subscription_params(line_items=[one_time_line()])), param="line_items")
        self.refused(lambda: create(**subscription_params(mode="payment", subscription_data=None)), param="line_items")
        self.refused(lambda: create(**subscription_params(payment_intent_data={"metadata": {"a": "b"}})),
                     param="payment_intent_data")
        self.refused(lambda: create(**subscription_params(line_items=[recurring_line("fortnight")])),
                     param="line_items[0][price_data][recurring][interval]")
        self.refused(lambda: create(**subscription_params(line_items=[recurring_line("month", 13)])),
                     param="line_items[0][price_data][recurring][interval_count]")
        self.refused(lambda: create(**subscription_params(line_items=[recurring_line("week", 53)])),
                     param="line_items[0][price_data][recurring][interval_count]")
        self.refused(lambda: create(**subscription_params(line_items=[recurring_line("month"), recurring_line("year")])),
                     param="line_items")
        self.refused(lambda: create(**subscription_params(line_items=[recurring_line()] * 21)), param="line_items")
        self.refused(lambda: create(**subscription_params(line_items=[recurring_line()] + [one_time_line()] * 21)),
                     param="line_items")
        self.refused(lambda: create(**subscription_params(subscription_data={"trial_period_days": 3})),
                     param="subscription_data[trial_period_days]", code="parameter_unknown")
        # The edges pass: 365 days, 52 weeks, 12 months, 1 year; 20 recurring + 20 one-time lines.
        for interval, count in (("day", 365), ("week", 52), ("month", 12), ("year", 1)):
            create(**subscription_params(line_items=[recurring_line(interval, count)]))
        create(**subscription_params(line_items=[recurring_line()] * 20 + [one_time_line()] * 20))

    def test_unknown_billing_objects(self):
        for call, param in ((lambda: stripe.Subscription.retrieve("sub_nope"), "id"),
                            (lambda: stripe.Invoice.retrieve("in_nope"), "invoice"),
                            (lambda: stripe.Customer.retrieve("cus_nope"), "id")):
            with self.assertRaises(stripe.InvalidRequestError) as ctx:
                call()
            self.assertEqual((404, "resource_missing", param),
                             (ctx.exception.http_status, ctx.exception.code, ctx.exception.json_body["error"]["param"]))
