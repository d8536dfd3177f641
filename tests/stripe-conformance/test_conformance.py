#!/usr/bin/env python3
"""stripe-sim held against Stripe's own client and Stripe's published shapes.

The official `stripe` Python library (pinned in requirements.txt to the release that pins the product's API
version) talks to a real stripe-sim process over a socket (`stripe.api_base`). Every case asserts what real
Stripe answers: HTTP status, error `type`, `code` and `param`, and the object's shape, validated against the
JSON Schemas in schemas/ (built by make_schemas.py from Stripe's spec artifacts for the same version).
Webhooks the simulator sends are received by a local HTTP endpoint and verified with the library's
`Webhook.construct_event`.

Run it with `make test-stripe-conformance` (builds stripe-sim and the pinned venv); `make test` runs it too.
BIN_DIR must hold the stripe-sim binary.
"""

import http.server
import json
import os
import pathlib
import queue
import subprocess
import threading
import time
import unittest
import urllib.request

import jsonschema
import stripe

API_VERSION = "2026-08-26.dahlia"  # Sources/Stripe/StripeClient.swift pins the same
SECRET = "whsec_conformance_suite"
HERE = pathlib.Path(__file__).resolve().parent
SCHEMAS = {p.stem: json.loads(p.read_text()) for p in (HERE / "schemas").glob("*.json")}
WAIT = 10  # seconds: the bound on every wait


class Receiver:
    """A webhook endpoint on 127.0.0.1:0 that records every delivery and answers from a script."""

    def __init__(self):
        self.deliveries = queue.Queue()
        self.answers = []  # statuses to answer next, then 200
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.lock:
                    status = outer.answers.pop(0) if outer.answers else 200
                outer.deliveries.put((body, self.headers.get("Stripe-Signature"), status, time.monotonic()))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def take(self, n):
        """The next n deliveries (each waited for at most WAIT seconds)."""
        return [self.deliveries.get(timeout=WAIT) for _ in range(n)]

    def drain(self):
        while not self.deliveries.empty():
            self.deliveries.get_nowait()


class Sim:
    """One stripe-sim process on a free port, stopped at the end."""

    def __init__(self, webhook_url):
        binary = pathlib.Path(os.environ.get("BIN_DIR", ".build/debug")) / "stripe-sim"
        self.proc = subprocess.Popen(
            [str(binary), "--port", "0", "--quiet", "--webhook-url", webhook_url, "--webhook-secret", SECRET,
             "--delivery-initial-backoff-ms", "50", "--delivery-max-backoff-ms", "400"],
            stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("stripe-sim listening on "):
            self.proc.kill()
            raise RuntimeError(f"stripe-sim did not start: {line!r}")
        self.base = line.removeprefix("stripe-sim listening on ")

    def control(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=WAIT + 5) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def raw(obj):
    """The exact JSON Stripe's client received for an object (not the library's re-serialisation)."""
    return json.loads(obj.last_response.body)


def check_shape(test, body, schema):
    errors = sorted(jsonschema.Draft202012Validator(SCHEMAS[schema]).iter_errors(body), key=lambda e: e.json_path)
    test.assertEqual([], [f"{e.json_path}: {e.message}" for e in errors][:10], f"{schema} shape")


def storefront_params(**over):
    """What a storefront sends for a two-item cart (the product's own parameters and more)."""
    p = {
        "mode": "payment",
        "line_items": [
            {"price_data": {"currency": "usd", "unit_amount": 1250,
                            "product_data": {"name": "Mug", "description": "Stoneware, 350 ml"}}, "quantity": 2},
            {"price_data": {"currency": "usd", "unit_amount": 800, "product_data": {"name": "Tea"}}, "quantity": 1},
        ],
        "success_url": "https://shop.example/thanks?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://shop.example/cart",
        "client_reference_id": "DO-1001",
        "customer_email": "jenny@example.com",
        "metadata": {"order_id": "0b5f6a1e-0000-4000-8000-000000000001"},
        "payment_intent_data": {"metadata": {"order_id": "0b5f6a1e-0000-4000-8000-000000000001"}},
        "expires_at": int(time.time()) + 3600,
        "locale": "en",
        "submit_type": "pay",
        "billing_address_collection": "auto",
        "allow_promotion_codes": False,
        "payment_method_types": ["card"],
    }
    p.update(over)
    return p


def line(**price_data):
    data = {"currency": "usd", "unit_amount": 1250, "product_data": {"name": "Mug"}}
    data.update(price_data)
    return [{"price_data": data, "quantity": 1}]


class Conformance(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.receiver = Receiver()
        cls.sim = Sim(cls.receiver.url)
        stripe.api_key = "sk_test_conformance"
        stripe.api_base = cls.sim.base
        stripe.api_version = API_VERSION
        stripe.max_network_retries = 0
        stripe.enable_telemetry = False

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.receiver.server.shutdown()

    def setUp(self):
        self.assertEqual(200, self.sim.control("POST", "/_sim/reset")[0])
        self.receiver.answers.clear()
        self.receiver.drain()

    def refused(self, exc_type, call, *, status, code, param, type_="invalid_request_error"):
        with self.assertRaises(exc_type) as ctx:
            call()
        e = ctx.exception
        self.assertEqual(status, e.http_status, e.user_message)
        self.assertEqual(type_, e.error.type)
        self.assertEqual(code, e.code, e.user_message)
        self.assertEqual(param, (e.json_body or {}).get("error", {}).get("param"), e.user_message)
        self.assertTrue(e.user_message, "a message for a human")
        self.assertTrue(e.request_id and e.request_id.startswith("req_"))
        return e

    # --- the calls the product makes ---------------------------------------------------------------------

    def test_create_with_the_full_storefront_parameter_set(self):
        params = storefront_params()
        s = stripe.checkout.Session.create(**params)
        body = raw(s)
        check_shape(self, body, "checkout.session")
        self.assertEqual(API_VERSION, s.last_response.headers.get("Stripe-Version"))
        self.assertTrue(s.id.startswith("cs_test_"))
        self.assertEqual(("open", "unpaid", "payment"), (s.status, s.payment_status, s.mode))
        self.assertEqual((3300, 3300, "usd"), (s.amount_total, s.amount_subtotal, s.currency))
        self.assertIsNone(s.payment_intent)  # until the customer confirms (API versions since 2022-08-01)
        self.assertEqual(params["metadata"], body["metadata"])
        self.assertEqual((params["expires_at"], "DO-1001", "jenny@example.com"),
                         (s.expires_at, s.client_reference_id, s.customer_email))
        self.assertEqual(("en", "pay", "auto", False), (s.locale, s.submit_type, s.billing_address_collection,
                                                       s.allow_promotion_codes))
        self.assertEqual(["card"], s.payment_method_types)
        self.assertEqual({"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0}, body["total_details"])
        self.assertEqual("hosted_page", s.ui_mode)
        self.assertIn("/pay/" + s.id, s.url)

    def test_retrieve(self):
        created = stripe.checkout.Session.create(**storefront_params())
        s = stripe.checkout.Session.retrieve(created.id)
        check_shape(self, raw(s), "checkout.session")
        self.assertEqual(raw(created), raw(s))

    def test_list_line_items_with_paging(self):
        s = stripe.checkout.Session.create(**storefront_params())
        items = stripe.checkout.Session.list_line_items(s.id)
        body = raw(items)
        self.assertEqual(("list", False, f"/v1/checkout/sessions/{s.id}/line_items"),
                         (body["object"], body["has_more"], body["url"]))
        self.assertEqual(2, len(body["data"]))
        for item in body["data"]:
            check_shape(self, item, "item")
        first, second = body["data"]
        self.assertEqual(("Mug", 2, 2500, 2500, 1250), (first["description"], first["quantity"],
                                                         first["amount_subtotal"], first["amount_total"],
                                                         first["price"]["unit_amount"]))
        self.assertEqual(s.amount_total, sum(i["amount_total"] for i in body["data"]))
        page = stripe.checkout.Session.list_line_items(s.id, limit=1)
        self.assertEqual(([first["id"]], True), ([i.id for i in page.data], page.has_more))
        rest = stripe.checkout.Session.list_line_items(s.id, limit=1, starting_after=first["id"])
        self.assertEqual(([second["id"]], False), ([i.id for i in rest.data], rest.has_more))
        self.assertEqual([first["id"], second["id"]], [i.id for i in page.auto_paging_iter()])
        self.refused(stripe.InvalidRequestError, lambda: stripe.checkout.Session.list_line_items(s.id, limit=101),
                     status=400, code="parameter_invalid_integer", param="limit")
        self.refused(stripe.InvalidRequestError, lambda: stripe.checkout.Session.list_line_items("cs_test_nope"),
                     status=404, code="resource_missing", param="session")

    def test_expand_line_items_and_payment_intent(self):
        s = stripe.checkout.Session.create(**storefront_params(), expand=["line_items"])
        body = raw(s)
        check_shape(self, body, "checkout.session")
        self.assertEqual(("list", 2, False), (body["line_items"]["object"], len(body["line_items"]["data"]),
                                              body["line_items"]["has_more"]))
        for item in body["line_items"]["data"]:
            check_shape(self, item, "item")
        self.sim.control("POST", f"/_sim/sessions/{s.id}/pay")
        again = raw(stripe.checkout.Session.retrieve(s.id, expand=["line_items", "payment_intent"]))
        self.assertEqual(body["line_items"], again["line_items"])
        check_shape(self, again["payment_intent"], "payment_intent")
        self.assertNotIn("line_items", raw(stripe.checkout.Session.retrieve(s.id)))
        self.refused(stripe.InvalidRequestError, lambda: stripe.checkout.Session.retrieve(s.id, expand=["nothing"]),
                     status=400, code=None, param="expand")
        self.receiver.take(3)

    def test_expire_then_expire_again(self):
        s = stripe.checkout.Session.create(**storefront_params())
        expired = stripe.checkout.Session.expire(s.id)
        check_shape(self, raw(expired), "checkout.session")
        self.assertEqual(("expired", None), (expired.status, expired.url))
        e = self.refused(stripe.InvalidRequestError, lambda: stripe.checkout.Session.expire(s.id),
                         status=400, code=None, param=None)
        self.assertEqual('Only Checkout Sessions with a status in ["open"] can be expired. '
                         "This Checkout Session has a status of `expired`.", e.user_message)
        events = [d for d in self.deliveries(1)]
        self.assertEqual("checkout.session.expired", events[0]["type"])

    def test_idempotent_replay_and_key_reuse(self):
        params = storefront_params()
        a = stripe.checkout.Session.create(**params, idempotency_key="order-1001-attempt-1")
        b = stripe.checkout.Session.create(**params, idempotency_key="order-1001-attempt-1")
        self.assertEqual(a.id, b.id)
        self.assertEqual("true", b.last_response.headers.get("Idempotent-Replayed"))
        self.assertEqual(a.last_response.request_id, b.last_response.request_id)
        e = self.refused(stripe.IdempotencyError,
                         lambda: stripe.checkout.Session.create(**storefront_params(client_reference_id="DO-2"),
                                                                idempotency_key="order-1001-attempt-1"),
                         status=400, code=None, param=None, type_="idempotency_error")
        self.assertIn("order-1001-attempt-1", e.user_message)
        # A refused request is not stored: the key can then be used for a valid request.
        self.refused(stripe.InvalidRequestError,
                     lambda: stripe.checkout.Session.create(**storefront_params(line_items=line(currency="zzz")),
                                                            idempotency_key="fresh-key"),
                     status=400, code=None, param="line_items[0][price_data][currency]")
        stripe.checkout.Session.create(**params, idempotency_key="fresh-key")

    def test_authentication_and_unknown_objects(self):
        self.refused(stripe.AuthenticationError,
                     lambda: stripe.checkout.Session.create(api_key="pk_test_wrongkind", **storefront_params()),
                     status=401, code=None, param=None)
        self.refused(stripe.InvalidRequestError, lambda: stripe.checkout.Session.retrieve("cs_test_missing"),
                     status=404, code="resource_missing", param="session")
        self.refused(stripe.InvalidRequestError, lambda: stripe.PaymentIntent.retrieve("pi_missing"),
                     status=404, code="resource_missing", param="intent")

    # --- validation: each refusal as Stripe words it ----------------------------------------------------

    def test_validation_errors(self):
        now = int(time.time())
        base = storefront_params()
        no_success = {k: v for k, v in base.items() if k != "success_url"}
        cases = [
            # name, params, code, param
            ("missing success_url", no_success, "parameter_missing", "success_url"),
            ("missing quantity", base | {"line_items": [{"price_data": line()[0]["price_data"]}]},
             "parameter_missing", "line_items[0][quantity]"),
            ("unknown parameter", base | {"colour": "red"}, "parameter_unknown", "colour"),
            ("unknown nested parameter", base | {"line_items": [line()[0] | {"tax": "1"}]}, "parameter_unknown",
             "line_items[0][tax]"),
            ("unit_amount not an integer", base | {"line_items": line(unit_amount="12.50")},
             "parameter_invalid_integer", "line_items[0][price_data][unit_amount]"),
            ("empty product name", base | {"line_items": line(product_data={"name": ""})},
             "parameter_invalid_empty", "line_items[0][price_data][product_data][name]"),
            ("invalid mode", base | {"mode": "rent"}, None, "mode"),
            ("unsupported currency", base | {"line_items": line(currency="zzz")}, None,
             "line_items[0][price_data][currency]"),
            ("1-cent total", base | {"line_items": line(unit_amount=1)}, "amount_too_small", None),
            ("49-cent total", base | {"line_items": line(unit_amount=49)}, "amount_too_small", None),
            ("29 pence", base | {"line_items": line(currency="gbp", unit_amount=29)}, "amount_too_small", None),
            ("49 yen", base | {"line_items": line(currency="jpy", unit_amount=49)}, "amount_too_small", None),
            ("total over 8 digits", base | {"line_items": [line(unit_amount=99_999_999)[0] | {"quantity": 2}]},
             "amount_too_large", None),
            ("fractional krónur", base | {"line_items": line(currency="isk", unit_amount=4010)},
             "invalid_charge_amount_no_decimal_compatible", None),
            ("KWD not rounded to ten", base | {"line_items": line(currency="kwd", unit_amount=5125)},
             "invalid_charge_amount", None),
            ("expires_at under 30 min", base | {"expires_at": now + 1795}, None, "expires_at"),
            ("expires_at past 24 h", base | {"expires_at": now + 86_400 + 60}, None, "expires_at"),
            ("metadata 51 keys", base | {"metadata": {f"k{i}": "v" for i in range(51)}}, None, "metadata"),
            ("metadata key 41 chars", base | {"metadata": {"k" * 41: "v"}}, None, f"metadata[{'k' * 41}]"),
            ("metadata value 501 chars", base | {"metadata": {"k": "v" * 501}}, None, "metadata[k]"),
            ("invalid email", base | {"customer_email": "nobody"}, "email_invalid", "customer_email"),
            ("invalid success_url", base | {"success_url": "shop"}, "url_invalid", "success_url"),
            ("invalid locale", base | {"locale": "xx"}, None, "locale"),
        ]
        for name, params, code, param in cases:
            with self.subTest(name):
                self.refused(stripe.InvalidRequestError, lambda p=params: stripe.checkout.Session.create(**p),
                             status=400, code=code, param=param)
        self.assertEqual(0, len(self.sim.control("GET", "/_sim/sessions")[1]["data"]), "nothing half-created")

    def test_limits_that_pass(self):
        now = int(time.time())
        ok = [
            ("50-cent total", {"line_items": line(unit_amount=50)}),
            ("30 pence", {"line_items": line(currency="gbp", unit_amount=30)}),
            ("50 yen", {"line_items": line(currency="jpy", unit_amount=50)}),
            ("upper-case currency", {"line_items": line(currency="EUR", unit_amount=50)}),
            ("8-digit total", {"line_items": line(unit_amount=99_999_999)}),
            ("12-digit rupiah", {"line_items": line(currency="idr", unit_amount=100_000_000_000)}),
            ("whole krónur", {"line_items": line(currency="isk", unit_amount=4000)}),
            ("KWD rounded to ten", {"line_items": line(currency="kwd", unit_amount=5120)}),
            ("expires_at 31 min", {"expires_at": now + 1860}),
            ("expires_at 23 h 59 min", {"expires_at": now + 86_340}),
            ("metadata 50 keys of 40, values of 500", {"metadata": {f"{i:040d}": "v" * 500 for i in range(50)}}),
        ]
        for name, over in ok:
            with self.subTest(name):
                s = stripe.checkout.Session.create(**storefront_params(**over))
                check_shape(self, raw(s), "checkout.session")

    # --- payment objects and webhooks ------------------------------------------------------------------

    def deliveries(self, n):
        """The next n webhook bodies, each verified with the official library and shape-checked."""
        out = []
        for body, header, _status, _at in self.receiver.take(n):
            event = stripe.Webhook.construct_event(body.decode(), header, SECRET)
            payload = json.loads(body)
            check_shape(self, payload, "event")
            self.assertEqual(API_VERSION, payload["api_version"])
            obj = payload["data"]["object"]
            schema = {"checkout.session": "checkout.session", "payment_intent": "payment_intent",
                      "charge": "charge", "refund": "refund", "subscription": "subscription",
                      "invoice": "invoice"}[obj["object"]]
            check_shape(self, obj, schema)
            self.assertEqual(event.id, payload["id"])
            out.append(payload)
        return out

    def test_payment_objects_and_signed_webhooks(self):
        s = stripe.checkout.Session.create(**storefront_params(), idempotency_key="pay-1")
        status, _ = self.sim.control("POST", f"/_sim/sessions/{s.id}/pay", {"email": "jenny@example.com"})
        self.assertEqual(200, status)
        events = {e["type"]: e for e in self.deliveries(3)}
        self.assertEqual({"charge.succeeded", "payment_intent.succeeded", "checkout.session.completed"}, set(events))
        completed = events["checkout.session.completed"]
        self.assertEqual((None, None), (completed["request"]["id"], completed["request"]["idempotency_key"]))
        self.assertEqual(1, completed["pending_webhooks"])
        session = completed["data"]["object"]
        self.assertEqual(("complete", "paid"), (session["status"], session["payment_status"]))
        details = session["customer_details"]
        self.assertEqual("jenny@example.com", details["email"])
        for key in ("address", "name", "phone", "tax_ids", "tax_exempt"):
            self.assertIn(key, details)

        retrieved = stripe.checkout.Session.retrieve(s.id)
        pi = stripe.PaymentIntent.retrieve(retrieved.payment_intent)
        check_shape(self, raw(pi), "payment_intent")
        self.assertEqual(("succeeded", 3300, 3300), (pi.status, pi.amount, pi.amount_received))
        self.assertEqual({"order_id": "0b5f6a1e-0000-4000-8000-000000000001"}, raw(pi)["metadata"])
        charge = stripe.Charge.retrieve(pi.latest_charge)
        check_shape(self, raw(charge), "charge")
        self.assertEqual((True, "succeeded", 3300, pi.id), (charge.paid, charge.status, charge.amount_captured,
                                                            charge.payment_intent))

        self.assertEqual(200, self.sim.control("POST", f"/_sim/sessions/{s.id}/refund", {"amount": 1000})[0])
        created, refunded = self.deliveries(2)
        self.assertEqual(("refund.created", "succeeded"), (created["type"], created["data"]["object"]["status"]))
        self.assertEqual(("charge.refunded", 1000, False), (refunded["type"], refunded["data"]["object"]["amount_refunded"],
                                                            refunded["data"]["object"]["refunded"]))
        refunds = stripe.Refund.list(payment_intent=pi.id)
        self.assertEqual(1, len(refunds.data))
        check_shape(self, raw(refunds)["data"][0], "refund")
        refund = stripe.Refund.retrieve(refunds.data[0].id)
        check_shape(self, raw(refund), "refund")
        self.assertEqual((1000, charge.id, "succeeded"), (refund.amount, refund.charge, refund.status))

        event = stripe.Event.retrieve(completed["id"])
        self.assertEqual(completed, raw(event))

    def test_refunds_created_validated_pending_then_failed(self):
        s = stripe.checkout.Session.create(**storefront_params(), idempotency_key="refund-pay")
        self.assertEqual(200, self.sim.control("POST", f"/_sim/sessions/{s.id}/pay")[0])
        self.deliveries(3)
        pi = stripe.checkout.Session.retrieve(s.id).payment_intent

        refund = stripe.Refund.create(payment_intent=pi, amount=1200, reason="requested_by_customer",
                                      metadata={"order_id": "o-1"}, idempotency_key="refund-1")
        check_shape(self, raw(refund), "refund")
        self.assertEqual((1200, "succeeded", "requested_by_customer", pi),
                         (refund.amount, refund.status, refund.reason, refund.payment_intent))
        created, charge_refunded = self.deliveries(2)
        self.assertEqual(("refund.created", "charge.refunded"), (created["type"], charge_refunded["type"]))
        self.assertEqual(("req_", "refund-1"), (created["request"]["id"][:4], created["request"]["idempotency_key"]))
        self.assertEqual(1200, charge_refunded["data"]["object"]["amount_refunded"])
        # The same key and parameters replay the same refund; other parameters are an idempotency error.
        again = stripe.Refund.create(payment_intent=pi, amount=1200, reason="requested_by_customer",
                                     metadata={"order_id": "o-1"}, idempotency_key="refund-1")
        self.assertEqual(refund.id, again.id)
        self.refused(stripe.IdempotencyError,
                     lambda: stripe.Refund.create(payment_intent=pi, amount=1300, idempotency_key="refund-1"),
                     status=400, code=None, param=None, type_="idempotency_error")
        # More than what is left, an unknown reason, an unknown intent.
        self.refused(stripe.InvalidRequestError, lambda: stripe.Refund.create(payment_intent=pi, amount=2101),
                     status=400, code=None, param="amount")
        self.refused(stripe.InvalidRequestError,
                     lambda: stripe.Refund.create(payment_intent=pi, amount=1, reason="changed_mind"),
                     status=400, code=None, param="reason")
        self.refused(stripe.InvalidRequestError, lambda: stripe.Refund.create(payment_intent="pi_missing"),
                     status=404, code="resource_missing", param="payment_intent")

        # A refund held pending, then failed: refund.created (pending), refund.updated + refund.failed.
        self.assertEqual(200, self.sim.control("POST", "/_sim/refunds/pending", {"pending": True})[0])
        pending = stripe.Refund.create(payment_intent=pi, idempotency_key="refund-2")
        self.assertEqual((2100, "pending"), (pending.amount, pending.status))
        check_shape(self, raw(pending), "refund")
        self.deliveries(2)
        self.refused(stripe.InvalidRequestError, lambda: stripe.Refund.create(payment_intent=pi, amount=1),
                     status=400, code="charge_already_refunded", param=None)
        status, _ = self.sim.control("POST", f"/_sim/refunds/{pending.id}/fail", {"failureReason": "insufficient_funds"})
        self.assertEqual(200, status)
        updated, failed = self.deliveries(2)
        self.assertEqual(("refund.updated", "refund.failed"), (updated["type"], failed["type"]))
        self.assertEqual(("failed", "insufficient_funds"),
                         (failed["data"]["object"]["status"], failed["data"]["object"]["failure_reason"]))
        retrieved = stripe.Refund.retrieve(pending.id)
        check_shape(self, raw(retrieved), "refund")
        self.assertEqual("failed", retrieved.status)
        # What failed can be refunded again.
        self.assertEqual(200, self.sim.control("POST", "/_sim/refunds/pending", {"pending": False})[0])
        self.assertEqual("succeeded", stripe.Refund.create(payment_intent=pi, amount=2100).status)

    def test_expire_via_the_api_carries_the_request_in_the_event(self):
        s = stripe.checkout.Session.create(**storefront_params())
        stripe.checkout.Session.expire(s.id, idempotency_key="expire-1")
        event = self.deliveries(1)[0]
        self.assertEqual("checkout.session.expired", event["type"])
        self.assertTrue(event["request"]["id"].startswith("req_"))
        self.assertEqual("expire-1", event["request"]["idempotency_key"])

    def test_tampered_or_unsigned_bodies_fail_the_library_check(self):
        s = stripe.checkout.Session.create(**storefront_params())
        self.sim.control("POST", f"/_sim/sessions/{s.id}/expire")
        body, header, _status, _at = self.receiver.take(1)[0]
        with self.assertRaises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(body.decode().replace("expired", "complete"), header, SECRET)
        with self.assertRaises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(body.decode(), header, "whsec_other")

    # --- time and delivery -----------------------------------------------------------------------------

    def test_clock_advance_expires_sessions(self):
        s = stripe.checkout.Session.create(**storefront_params(expires_at=int(time.time()) + 1900))
        self.assertEqual(200, self.sim.control("POST", "/_sim/clock/advance", {"seconds": 1800})[0])
        self.assertEqual("open", stripe.checkout.Session.retrieve(s.id).status)
        self.sim.control("POST", "/_sim/clock/advance", {"seconds": 200})
        after = stripe.checkout.Session.retrieve(s.id)
        self.assertEqual(("expired", None), (after.status, after.url))
        event = self.deliveries(1)[0]
        self.assertEqual(("checkout.session.expired", None), (event["type"], event["request"]["id"]))

    def test_deliveries_held_reordered_and_duplicated(self):
        self.sim.control("POST", "/_sim/deliveries/hold")
        a = stripe.checkout.Session.create(**storefront_params())
        b = stripe.checkout.Session.create(**storefront_params())
        self.sim.control("POST", f"/_sim/sessions/{a.id}/expire")
        self.sim.control("POST", f"/_sim/sessions/{b.id}/expire")
        self.assertTrue(self.receiver.deliveries.empty())
        self.sim.control("POST", "/_sim/deliveries/release", {"order": "reversed", "times": 2})
        got = [e["data"]["object"]["id"] for e in self.deliveries(4)]
        self.assertEqual([b.id, b.id, a.id, a.id], got)

    def test_deliveries_delayed(self):
        self.assertEqual(200, self.sim.control("POST", "/_sim/deliveries/delay", {"ms": 400})[0])
        s = stripe.checkout.Session.create(**storefront_params())
        sent = time.monotonic()
        self.sim.control("POST", f"/_sim/sessions/{s.id}/expire")
        _body, _header, _status, at = self.receiver.take(1)[0]
        self.assertGreaterEqual(at - sent, 0.38)
        self.assertEqual(400, self.sim.control("POST", "/_sim/deliveries/delay", {"ms": -1})[0])

    def test_failed_deliveries_are_retried_with_growing_waits_and_fresh_signatures(self):
        self.receiver.answers.extend([500, 500, 500])
        s = stripe.checkout.Session.create(**storefront_params())
        self.sim.control("POST", f"/_sim/sessions/{s.id}/expire")
        attempts = self.receiver.take(4)
        self.assertEqual([500, 500, 500, 200], [a[2] for a in attempts])
        self.assertEqual(1, len({a[0] for a in attempts}), "the same bytes each time")
        # Each attempt is signed when it is sent (t = Stripe's clock then, in seconds).
        for _body, header, _status, _at in attempts:
            t = int(dict(part.split("=", 1) for part in header.split(","))["t"])
            self.assertLessEqual(abs(time.time() - t), 5)
        # The waits double from --delivery-initial-backoff-ms (50, 100, 200 ms): never shorter than that.
        gaps = [attempts[i + 1][3] - attempts[i][3] for i in range(3)]
        for i, gap in enumerate(gaps):
            self.assertGreaterEqual(gap, 0.05 * 2**i * 0.95, f"retry {i + 1} waited {gap:.3f} s")
        for body, header, _status, _at in attempts:
            stripe.Webhook.construct_event(body.decode(), header, SECRET)


if __name__ == "__main__":
    # Subscription mode, subscriptions, invoices and customers run in the same suite (their own simulator).
    from test_conformance_billing import BillingConformance  # noqa: F401
    unittest.main()
