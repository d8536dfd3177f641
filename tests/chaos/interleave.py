#!/usr/bin/env python3
"""The `interleave` chaos scenario: a seeded, model-based interleaving test of every actor that changes an
order's money or stock, against two real `checkoutd` instances on one database (one SIGKILLed and
restarted mid-run), real `stripe-sim` and a stand-in supplier.

    tests/chaos/interleave.py --seed 7 --steps 300      # one run; a failure prints seed + step list
    tests/chaos/run.py interleave                        # INTERLEAVE_SEED / INTERLEAVE_STEPS / INTERLEAVE_RUNS

Actors, chosen step by step by a `random.Random(seed)`:
- customer: create an order (1-2 products, Idempotency-Key), retry-session, pay the current or an old
  session, decline a card, a delayed payment that later succeeds or fails, abandon (do nothing);
- Stripe: deliver the webhook events it generated, picked at random from everything not delivered yet
  (reordered, late) and sometimes once more (duplicated), to either instance; expire a session; fail or
  hang the next API call; refund a paid session (fully or in part);
- admin: mark-paid, cancel, sync, retry-fulfillment, retry-session, change a product's stock, switch it
  between limited and unlimited;
- reconciler passes (`checkoutd reconcile`), the supplier switching between success and failure;
- races: two of the above on one order at once on the two instances (Stripe sometimes slow), and once per
  run a race during which instance A is SIGKILLed and then restarted.

Stripe's side is the truth: every payment, refund and event comes from stripe-sim's control API, and the
events reach checkoutd only when (and as often as) the generator delivers them, signed like Stripe does.
The reference model keeps what the outside world knows: the payments Stripe took and refunded per
order, the manual payments an admin recorded (mark-paid answered 200), the stock an admin set, and
which unit reservations were taken from a limited count. Where the system may legitimately do either of
two things (a race, which instance wins, when the outbox worker runs) the model asks only what must hold
either way; the invariants themselves are exact:

1. stock: per limited product, units available + units held by orders (reserved or sold) that were
   taken from its count = the stock an admin set (checked after every step);
2. no fulfillment without a unit: every order the supplier shipped, or with a fulfill job, still holds all
   its units (a committed reservation, with a stock ledger);
3. every order's amountReceived / amountRefunded equal the sums of its payments (Stripe's and manual
   ones), and equal the payment ledger's sums when the schema has one;
4. nothing refunded beyond what was received; an order whose kept money (received - refunded) is not
   zero is never `refunded`, one whose every payment went back is;
5. no paid order downgraded (paid / confirmed / refunded never followed by pending / failed / expired /
   cancelled in its history);
6. every payment Stripe took is applied (ledger row, or the order's payment) or flagged (needs attention),
   and an order paid twice needs attention;
7. after the run settles (every event delivered, supplier healthy, outbox drained), an order paid exactly
   once and never refunded is confirmed, or paid and needing attention (held fulfillment): never lost.

A failure prints the seed, the broken invariant, the first step after which the per-step checks failed
and the step list; `--seed N --steps M` replays the same choices (outcomes that depend on timing, such
as which side of a race wins, can differ between runs; the invariants do not).
"""

import argparse
import json
import os
import queue
import random
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler

sys.path.insert(0, os.path.dirname(__file__))

import harness as h  # noqa: E402
from harness import ChaosFailure, check  # noqa: E402

LOGS = os.path.join(h.ROOT, ".local", "chaos")
ADMIN_TOKEN = "interleave-" + uuid.uuid4().hex
PAID_LIKE = {"paid", "confirmed", "refunded"}
UNPAID_LIKE = {"pending_payment", "failed", "expired", "cancelled"}


# ------------------------------------------------------------------------------------------- plumbing


class Psql:
    """One long-lived `psql` reading queries from a pipe (a subprocess per query would cost more than the
    step itself). Each query is followed by an `\\echo` of a fresh token; output up to it is the answer."""

    def __init__(self, url):
        cmd = [os.path.join(h.PGBIN, "psql"), url, "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=0"]
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, bufsize=1)
        self.lines = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.lock = threading.Lock()

    def _pump(self):
        for line in self.p.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def rows(self, sql, timeout=60):
        token = "--end-" + uuid.uuid4().hex
        with self.lock:
            self.p.stdin.write(sql.strip().rstrip(";") + ";\n\\echo " + token + "\n")
            self.p.stdin.flush()
            out = []
            deadline = time.monotonic() + timeout
            while True:
                try:
                    line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
                except queue.Empty:
                    raise ChaosFailure(f"psql did not answer within {timeout} s: {sql[:120]}")
                if line is None:
                    raise ChaosFailure("psql exited")
                if line == token:
                    break
                out.append(line)
        errors = [line for line in out if "ERROR:" in line and line.startswith("psql:")]
        if errors:
            raise ChaosFailure(f"SQL error {errors[0]} in: {sql[:200]}")
        return [line.split("\t") for line in out if line]

    def scalar(self, sql):
        r = self.rows(sql)
        return r[0][0] if r else None

    def close(self):
        try:
            self.p.stdin.close()
            self.p.wait(timeout=10)
        except Exception:
            self.p.kill()


def q(value):
    """A SQL literal for a value we made or validated ourselves (UUIDs, ids of [A-Za-z0-9_]): quoted and
    checked, never a customer string."""
    text = str(value)
    check(all(c.isalnum() or c in "-_." for c in text), f"refusing to quote {text!r}")
    return "'" + text + "'"


class Collector:
    """stripe-sim's webhook target: it only learns the ids of the events Stripe generated (checkoutd's own
    API calls, such as expiring a session, make events too). Delivering them is the generator's job."""

    def __init__(self):
        self.ids = queue.Queue()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    collector.ids.put(json.loads(body)["id"])
                except (ValueError, KeyError):
                    pass
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = h.QuietServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

    def drain(self):
        out = []
        while True:
            try:
                out.append(self.ids.get_nowait())
            except queue.Empty:
                return out

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# ------------------------------------------------------------------------------------------- schema


class Schema:
    """Where the database keeps what the checks read. Today's schema has flags on the order
    (`orders.stock_reserved`, `amount_received`, `amount_refunded`); with ledger tables (a row per unit
    reservation and per payment) the checks read those instead."""

    def __init__(self, pg):
        tables = {r[0] for r in pg.rows("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")}
        self.columns = {}
        for table, column in pg.rows("SELECT table_name, column_name FROM information_schema.columns "
                                     "WHERE table_schema = 'public'"):
            self.columns.setdefault(table, set()).add(column)
        self.reservations = "stock_reservations" if "stock_reservations" in tables else None
        self.payments = "payments" if "payments" in tables else None

    def describe(self):
        return (f"stock from {'stock_reservations' if self.reservations else 'orders.stock_reserved'}, money from "
                f"{'payments' if self.payments else 'orders.amount_received/amount_refunded'}")

    def holdings_sql(self, ids=None):
        """(order id, product id, units held) for the given orders (all when None): reserved or sold, not
        released."""
        where = "TRUE" if ids is None else "order_id IN (" + (",".join(q(i) for i in ids) or "NULL") + ")"
        if self.reservations:  # the row id tells a new reservation from an old one of the same size
            return (f"SELECT order_id, product_id, sum(quantity), max(id) FROM stock_reservations "
                    f"WHERE {where} AND status IN ('reserved', 'committed') GROUP BY 1, 2")
        return (f"SELECT o.id, i.product_id, sum(i.quantity), '' FROM orders o JOIN order_items i ON i.order_id = o.id "
                f"WHERE {where.replace('order_id', 'o.id')} AND o.stock_reserved GROUP BY 1, 2")


# ------------------------------------------------------------------------------------------- model


class Order:
    def __init__(self, oid, items, total):
        self.id, self.items, self.total = oid, items, total
        self.sessions = []  # sessions the customer was given, oldest first
        self.manual = 0  # mark-paid answered 200
        self.unknown_marks = []  # mark-paid notes whose answer was lost (instance killed)


class Payment:
    def __init__(self, oid, session, intent, amount):
        self.order, self.session, self.intent, self.amount = oid, session, intent, amount
        self.refunded = 0


class Hold:
    """Units of one product held by one order, as observed; `pool` when they were taken from a limited
    count (in limited period `epoch` of the product), else taken while the product was unlimited."""

    def __init__(self, qty, pool, epoch, token):
        self.qty, self.pool, self.epoch, self.token = qty, pool, epoch, token


class Product:
    def __init__(self, pid, price, stock):
        self.id, self.price = pid, price
        self.limited = stock is not None
        self.total = stock  # the stock an admin set (units in the world), None when unlimited
        self.epoch = 0  # bumped each time the product becomes limited


class Run:
    """One seeded run: processes, model, generator, checks."""

    def __init__(self, seed, steps, tag, verbose=False, keep_going=False):
        self.seed, self.steps, self.tag, self.verbose, self.keep_going = seed, steps, tag, verbose, keep_going
        self.main_rng = random.Random(seed)
        self.local = threading.local()  # a race's threads each draw from their own Random, seeded by the main one
        self.log = []  # "step  what → outcome"
        self.procs = h.Processes()
        self.orders = {}
        self.order_ids = []
        self.payments = {}  # session id → Payment
        self.awaiting_async = []  # sessions completed unpaid (delayed method)
        self.undelivered = []
        self.delivered = []
        self.known_events = set()
        self.bodies = {}
        self.holds = {}  # (order, product) → Hold
        self.last_status = {}
        self.history_seen = set()
        self.history_max = 0
        self.first_bad_step = None
        self.kill_at = []
        self.pending_creates = []  # (key, body) whose answer was lost
        self.step_no = 0
        self.deliveries = 0
        self.races = 0
        self.in_race = False
        self.pool_lock = threading.Lock()
        self.completions = {}  # paid session → its checkout.session.completed / async_payment_succeeded event
        self.counts = {}

    @property
    def rng(self):
        return getattr(self.local, "rng", None) or self.main_rng

    # ---------------------------------------------------------------- setup / teardown

    def start(self):
        self.pgname = f"pg-chaos-{self.tag}"
        self.pg_cluster = h.Postgres(self.pgname)
        self.pg = Psql(self.pg_cluster.url)
        h.migrate(self.pg_cluster.url, f"{LOGS}/{self.tag}-migrate.log")
        self.schema = Schema(self.pg)
        self.supplier = h.FulfillmentReceiver(delay=0.03)  # a fulfillment in flight meets other steps
        self.collector = Collector()
        self.sim = h.start_sim(self.procs, f"{LOGS}/{self.tag}-sim.log", "--webhook-url",
                               f"http://127.0.0.1:{self.collector.port}/events", "--delivery-max-attempts", "3",
                               "--delivery-initial-backoff-ms", "50")
        self.env = dict(STRIPE_API_BASE=f"http://127.0.0.1:{self.sim.port}", ADMIN_TOKEN=ADMIN_TOKEN,
                        FULFILLMENT_WEBHOOK_URL=self.supplier.url, OUTBOX_CONCURRENCY=2, OUTBOX_LEASE_SECONDS=13,
                        OUTBOX_HTTP_TIMEOUT=2, OUTBOX_BACKOFF_BASE=0.05, OUTBOX_BACKOFF_MAX=0.2,
                        OUTBOX_MAX_ATTEMPTS=3, OUTBOX_POLL_INTERVAL=0.1, SHUTDOWN_GRACE=2,
                        RECONCILE_STALE_AFTER=0, LOG_LEVEL="warning")
        port_a = h.free_port()
        self.a = h.start_checkoutd(self.procs, self.pg_cluster.url, f"{LOGS}/{self.tag}-a.log", PORT=port_a, **self.env)
        self.b = h.start_checkoutd(self.procs, self.pg_cluster.url, f"{LOGS}/{self.tag}-b.log", **self.env)
        self.instances = {"A": self.a, "B": self.b}
        # A small catalog with little stock: two limited products, one unlimited.
        self.products = {}
        for pid, price, stock in [("il_mug", 1500, 3), ("il_tee", 2500, 2), ("il_pin", 400, None)]:
            self.products[pid] = Product(pid, price, stock)
            self.put_product(pid, stock)
        # One SIGKILL per 1,000 steps (at least one), each between a quarter and three quarters of its block.
        blocks = max(1, self.steps // 1000)
        size = self.steps // blocks
        self.kill_at = [b * size + self.rng.randrange(size // 4, max(size // 4 + 1, size * 3 // 4))
                        for b in range(blocks)]

    def stop(self):
        self.procs.stop_all()
        for thing in ("supplier", "collector", "pg"):
            try:
                getattr(self, thing).close()
            except Exception:
                pass
        try:
            subprocess.run([os.path.join(h.ROOT, "scripts", "pg.sh"), "stop", os.path.join(h.ROOT, ".local", self.pgname)],
                           capture_output=True, timeout=60)
        except Exception:
            pass

    # ---------------------------------------------------------------- HTTP helpers

    def api(self, inst, method, path, body=None, admin=False, headers=None, timeout=30):
        hd = dict(headers or {})
        if admin:
            hd["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        r = h.request(self.instances[inst].port, method, path, body, hd, timeout=timeout)
        if r.status == 500:
            self.fail_step(f"{method} {path} on {inst} answered 500 (an internal error is a bug): {r.body[:200]!r}")
        return r

    def sim_call(self, method, path, body=None):
        r = h.request(self.sim.port, method, path, body if body is not None else ({} if method == "POST" else None))
        check(r.status != 0, f"stripe-sim did not answer {method} {path}: {r.body[:200]!r}")
        return r

    def put_product(self, pid, stock):
        p = self.products[pid]
        body = {"title": f"Interleave {pid}", "unitAmount": p.price, "currency": "usd", "active": True, "stock": stock}
        r = self.api("B", "PUT", f"/api/admin/products/{pid}", body, admin=True)
        check(r.status == 200, f"PUT product {pid}: {r.status} {r.body[:200]!r}")
        return r.json()

    def note(self, text):
        self.log.append(f"{self.step_no:5d} {text}")
        if self.verbose:
            print("   ", self.log[-1], flush=True)

    def add_events(self, ids):
        with self.pool_lock:
            for eid in ids:
                if eid not in self.known_events:
                    self.known_events.add(eid)
                    self.undelivered.append(eid)

    def mark_delivered(self, eid):
        with self.pool_lock:
            if eid in self.undelivered:
                self.undelivered.remove(eid)
                self.delivered.append(eid)

    def pick_order(self, want=None):
        """An order: mostly a recent one (where the action is), a third of the time any (an old reservation
        outliving changes of its product's stock); `want` filters by model predicate."""
        ids = self.order_ids
        if not ids:
            return None
        recent = ids[-12:] if self.rng.random() < 0.67 else ids
        cands = [o for o in recent if want is None or want(self.orders[o])] or \
                [o for o in ids if want is None or want(self.orders[o])]
        return self.rng.choice(cands) if cands else None

    def inst(self):
        return self.rng.choice(["A", "B"])

    # ---------------------------------------------------------------- actions (each returns an outcome text)

    def act_create(self, inst):
        pids = sorted(self.rng.sample(list(self.products), self.rng.choice([1, 1, 1, 2])))
        items = [{"productId": pid, "quantity": self.rng.choice([1, 1, 2])} for pid in pids]
        key = f"il-{self.seed}-{self.step_no}-{self.rng.randrange(1 << 30)}"
        body = {"items": items}
        r = self.api(inst, "POST", "/api/payments/create-checkout-session", body, headers={"Idempotency-Key": key})
        return self._created(r, key, body, inst)

    def _created(self, r, key, body, inst):
        items = [(i["productId"], i["quantity"]) for i in body["items"]]
        total = sum(self.products[p].price * n for p, n in items)
        if r.status == 0:
            self.pending_creates.append((key, body))
            return f"create {items} on {inst}: no answer (kept to retry with its Idempotency-Key)"
        if r.status == 201:
            d = r.json()
            o = self._order(d["orderId"], items, total)
            if d["id"] not in o.sessions:
                o.sessions.append(d["id"])
            return f"create {items} on {inst} → 201 order {o.id[:8]} session {d['id'][-10:]}"
        if r.status in (502, 503):
            err = r.json().get("error", {})
            oid = err.get("orderId")
            if oid:
                self._order(oid, items, total)
            return f"create {items} on {inst} → {r.status} {err.get('code')} order {str(oid)[:8]}"
        return f"create {items} on {inst} → {r.status} {_code(r)}"

    def _order(self, oid, items, total):
        if oid not in self.orders:
            self.orders[oid] = Order(oid, items, total)
            self.order_ids.append(oid)
        return self.orders[oid]

    def act_retry(self, inst, oid=None, admin=False):
        oid = oid or self.pick_order()
        if not oid:
            return "retry: no order"
        path = f"/api/admin/orders/{oid}/retry-session" if admin else f"/api/orders/{oid}/retry-session"
        r = self.api(inst, "POST", path, admin=admin)
        if r.status in (200, 201):  # 200: a customer retry answered the order's open session as is
            sid = r.json()["id"]
            if sid not in self.orders[oid].sessions:
                self.orders[oid].sessions.append(sid)
            return f"{'admin ' if admin else ''}retry {oid[:8]} on {inst} → {r.status} session {sid[-10:]}"
        if r.status == 502 and not self.in_race:
            # Stripe refused the new session (401/403/400): the order must stay retryable for when the
            # key or the request is fixed, never end cancelled.
            status = self.pg.scalar(f"SELECT status FROM orders WHERE id = {q(oid)}")
            if status not in ("pending_payment", "failed", "expired"):
                self.fail_step(f"retry-session of {oid} answered 502 {_code(r)} and left it {status}, not retryable")
        return f"{'admin ' if admin else ''}retry {oid[:8]} on {inst} → {r.status} {_code(r)}"

    def _session(self, oid, old=False):
        o = self.orders[oid]
        if not o.sessions:
            return None
        if old and len(o.sessions) > 1:
            return self.rng.choice(o.sessions[:-1])
        return o.sessions[-1]

    def act_pay(self, oid=None, old=False):
        oid = oid or self.pick_order(lambda o: o.sessions)
        sid = oid and self._session(oid, old)
        if not sid:
            return "pay: no session"
        old = old and sid != self.orders[oid].sessions[-1]
        r = self.sim_action(sid, "pay")
        if r.status == 200:
            s = r.json()["session"]
            self.payments[sid] = Payment(s["metadata"]["order_id"], sid, s["payment_intent"], s["amount_total"])
            self.completions[sid] = r.json()["events"][-1]
            return f"customer pays {'old ' if old else ''}session {sid[-10:]} of {oid[:8]} → paid {s['amount_total']}"
        return f"customer pays {'old ' if old else ''}session {sid[-10:]} of {oid[:8]} → {r.status} {_code(r)}"

    def sim_action(self, sid, action, body=None):
        """One stripe-sim control action on a session; the events it generated join the undelivered ones."""
        r = self.sim_call("POST", f"/_sim/sessions/{sid}/{action}", body)
        if r.status == 200:
            self.add_events(r.json()["events"])
        return r

    def act_decline(self, oid=None):
        oid = oid or self.pick_order(lambda o: o.sessions)
        sid = oid and self._session(oid, self.rng.random() < 0.2)
        if not sid:
            return "decline: no session"
        r = self.sim_action(sid, "decline", {"message": "Your card was declined."})
        return f"card declined on session {sid[-10:]} of {oid[:8]} → {r.status}"

    def act_complete_unpaid(self):
        oid = self.pick_order(lambda o: o.sessions)
        sid = oid and self._session(oid)
        if not sid:
            return "bank transfer: no session"
        r = self.sim_action(sid, "complete-unpaid")
        if r.status == 200:
            self.awaiting_async.append(sid)
        return f"delayed payment started on session {sid[-10:]} of {oid[:8]} → {r.status}"

    def act_async(self, succeed):
        if not self.awaiting_async:
            return "delayed payment: none waiting"
        sid = self.rng.choice(self.awaiting_async)
        r = self.sim_action(sid, f"async-payment-{'succeeded' if succeed else 'failed'}")
        if r.status == 200:
            d = r.json()
            self.awaiting_async.remove(sid)
            if succeed:
                s = d["session"]
                self.payments[sid] = Payment(s["metadata"]["order_id"], sid, s["payment_intent"], s["amount_total"])
                self.completions[sid] = d["events"][-1]
        return f"delayed payment of session {sid[-10:]} {'succeeded' if succeed else 'failed'} → {r.status}"

    def act_expire_at_stripe(self, oid=None):
        oid = oid or self.pick_order(lambda o: o.sessions)
        sid = oid and self._session(oid, self.rng.random() < 0.3)
        if not sid:
            return "expire: no session"
        r = self.sim_action(sid, "expire")
        return f"Stripe expires session {sid[-10:]} of {oid[:8]} → {r.status}"

    def act_refund(self):
        paid = [p for p in self.payments.values() if p.refunded < p.amount]
        if not paid:
            return "refund: nothing paid"
        p = self.rng.choice(paid)
        left = p.amount - p.refunded
        amount = left if self.rng.random() < 0.75 or left < 2 else self.rng.randrange(1, left)
        r = self.sim_action(p.session, "refund", {"amount": amount})
        if r.status == 200:
            p.refunded += amount
        return f"operator refunds {amount} of session {p.session[-10:]} (order {p.order[:8]}) at Stripe → {r.status}"

    def act_deliver(self, inst=None, eid=None):
        dup = eid is None and self.delivered and (not self.undelivered or self.rng.random() < 0.15)
        if eid is None:
            if dup:
                eid = self.rng.choice(self.delivered)
            elif self.undelivered:
                # Mostly a random one (reordered, some very late); sometimes the newest.
                eid = self.undelivered[-1] if self.rng.random() < 0.2 else self.rng.choice(self.undelivered)
            else:
                return "deliver: nothing to deliver"
        inst = inst or self.inst()
        body = self.event_body(eid)
        r = h.deliver(self.instances[inst].port, body, timeout=30)
        self.deliveries += 1
        kind = json.loads(body)["type"]
        if 200 <= r.status < 300:
            self.mark_delivered(eid)
        return f"deliver {'again ' if dup else ''}{kind} {eid[-10:]} to {inst} → {r.status}"

    def act_deliver_both(self):
        """Stripe delivers one event twice at once, one copy to each instance."""
        pool = self.undelivered or self.delivered
        if not pool:
            return "deliver twice: nothing to deliver"
        eid = self.rng.choice(pool)
        body = self.event_body(eid)
        answers = {}

        def send(inst):
            answers[inst] = h.deliver(self.instances[inst].port, body, timeout=30).status

        threads = [threading.Thread(target=send, args=(inst,)) for inst in ("A", "B")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        check(not any(t.is_alive() for t in threads), "a delivery did not finish within 60 s")
        self.deliveries += 2
        if any(200 <= st < 300 for st in answers.values()):
            self.mark_delivered(eid)
        return f"deliver {json.loads(body)['type']} {eid[-10:]} to A and B at once → {answers['A']}, {answers['B']}"

    def act_thin_completion(self):
        """Stripe sends a completion of a paid session without amount_total / currency (a thin payload):
        a new event (own id) with the same session; only Stripe's record of the session says what was paid."""
        if not self.completions:
            return "thin completion: no paid session"
        sid = self.rng.choice(sorted(self.completions))
        event = json.loads(self.event_body(self.completions[sid]))
        event["id"] = "evt_thin_" + uuid.UUID(int=self.rng.getrandbits(128)).hex[:20]
        for key in ("amount_total", "amount_subtotal", "currency"):
            event["data"]["object"].pop(key, None)
        self.bodies[event["id"]] = json.dumps(event, separators=(",", ":")).encode()
        self.add_events([event["id"]])
        return f"Stripe will send {event['type']} of session {sid[-10:]} without amount or currency ({event['id'][-10:]})"

    def event_body(self, eid):
        if eid not in self.bodies:
            r = h.request(self.sim.port, "GET", f"/_sim/events/{eid}")
            check(r.status == 200, f"GET /_sim/events/{eid}: {r.status}")
            self.bodies[eid] = r.body
        return self.bodies[eid]

    def act_mark_paid(self, inst, oid=None):
        oid = oid or self.pick_order()
        if not oid:
            return "mark-paid: no order"
        note = f"bank transfer seen at step {self.step_no} {uuid.uuid4().hex[:8]}"
        r = self.api(inst, "POST", f"/api/admin/orders/{oid}/mark-paid", {"note": note}, admin=True)
        if r.status == 200:
            self.orders[oid].manual += 1
        elif r.status == 0:
            self.orders[oid].unknown_marks.append(note)
        return f"admin mark-paid {oid[:8]} on {inst} → {r.status} {_code(r)}"

    def act_cancel(self, inst, oid=None):
        oid = oid or self.pick_order()
        if not oid:
            return "cancel: no order"
        r = self.api(inst, "POST", f"/api/admin/orders/{oid}/cancel", {"reason": "customer asked"}, admin=True)
        return f"admin cancel {oid[:8]} on {inst} → {r.status} {_code(r)}"

    def act_sync(self, inst, oid=None):
        oid = oid or self.pick_order()
        if not oid:
            return "sync: no order"
        r = self.api(inst, "POST", f"/api/admin/orders/{oid}/sync", admin=True)
        return f"admin sync {oid[:8]} on {inst} → {r.status} {_code(r)}"

    def act_retry_fulfillment(self, inst):
        oid = self.pick_order()
        if not oid:
            return "retry-fulfillment: no order"
        r = self.api(inst, "POST", f"/api/admin/orders/{oid}/retry-fulfillment", admin=True)
        return f"admin retry-fulfillment {oid[:8]} on {inst} → {r.status} {_code(r)}"

    def act_set_stock(self):
        p = self.products[self.rng.choice(["il_mug", "il_tee", "il_pin"])]
        if p.limited and self.rng.random() < 0.3:
            new = None
        else:
            new = self.rng.choice([0, 1, 2, 3, 5])
        was = "unlimited" if not p.limited else f"limited ({p.total} in the world)"
        got = self.put_product(p.id, new)
        if new is None:
            p.limited, p.total = False, None
            return f"admin sets {p.id} unlimited (was {was})"
        if not p.limited:
            p.epoch += 1
        p.limited = True
        # The stock an admin sets is what is available now; units already held stay held.
        check(got["stock"] == new, f"PUT {p.id} stock {new} answered stock {got['stock']}")
        p.total = new + self.pool_units(p)
        return f"admin sets {p.id} stock {new} (was {was}; now {p.total} in the world)"

    def pool_units(self, p):
        return sum(x.qty for (o, pid), x in self.holds.items() if pid == p.id and x.pool and x.epoch == p.epoch)

    def act_reconcile(self):
        env = h.checkoutd_env(self.pg_cluster.url, **self.env)
        try:
            r = subprocess.run([os.path.join(h.BIN, "checkoutd"), "reconcile", "--lock-wait", "20"], env=env, cwd=h.ROOT,
                               capture_output=True, text=True, timeout=90)
        except subprocess.TimeoutExpired:
            raise ChaosFailure("checkoutd reconcile did not finish within 90 s")
        lines = [line for line in r.stdout.splitlines() if line.strip()]
        return f"reconciler pass → exit {r.returncode}, {len(lines)} lines"

    def act_supplier(self):
        self.supplier.healthy = not self.supplier.healthy
        return f"supplier {'recovers' if self.supplier.healthy else 'starts failing'}"

    def act_fault(self):
        if self.rng.random() < 0.5:
            fault = {"status": self.rng.choice([500, 500, 429, 401]), "count": self.rng.choice([1, 2])}
        else:
            fault = {"hangSeconds": self.rng.choice([0.2, 0.5, 1.0]), "count": 1}
        self.sim_call("POST", "/_sim/faults", fault)
        return f"Stripe will fail the next API call(s): {fault}"

    # ---------------------------------------------------------------- races

    RACE_ACTIONS = ["mark_paid", "retry", "cancel", "sync", "pay", "decline", "deliver", "expire", "admin_retry",
                    "reconcile", "refund"]
    # Pairs of actors that meet at a seam (two code paths deciding about one order): half of the races.
    SEAMS = [("mark_paid", "retry"), ("mark_paid", "pay"), ("cancel", "pay"), ("retry", "pay"), ("retry", "deliver"),
             ("mark_paid", "deliver"), ("cancel", "retry"), ("sync", "deliver"), ("decline", "pay"),
             ("mark_paid", "cancel"), ("expire", "retry"), ("sync", "mark_paid")]

    def race_action(self, name, inst, oid):
        if name == "mark_paid":
            return lambda: self.act_mark_paid(inst, oid)
        if name == "retry":
            return lambda: self.act_retry(inst, oid)
        if name == "admin_retry":
            return lambda: self.act_retry(inst, oid, admin=True)
        if name == "cancel":
            return lambda: self.act_cancel(inst, oid)
        if name == "sync":
            return lambda: self.act_sync(inst, oid)
        if name == "pay":
            return lambda: self.act_pay(oid, old=False)
        if name == "decline":
            return lambda: self.act_decline(oid)
        if name == "expire":
            return lambda: self.act_expire_at_stripe(oid)
        if name == "reconcile":
            return self.act_reconcile
        if name == "refund":
            return self.act_refund
        # deliver one not yet delivered event (any order's: what matters is that it runs concurrently)
        eid = self.rng.choice(self.undelivered) if self.undelivered else None
        return (lambda: self.act_deliver(inst, eid)) if eid else (lambda: "deliver: nothing")

    def act_race(self, kill=False):
        oid = self.pick_order(lambda o: o.sessions)
        if not oid:
            return self.act_create(self.inst())
        if self.rng.random() < 0.5:
            names = list(self.rng.choice(self.SEAMS))
            self.rng.shuffle(names)
        else:
            names = [self.rng.choice(self.RACE_ACTIONS), self.rng.choice(self.RACE_ACTIONS)]
        slow = self.rng.random() < 0.5
        if slow:
            self.sim_call("POST", "/_sim/faults", {"hangSeconds": self.rng.choice([0.2, 0.4]), "count": 1})
        fns = [self.race_action(names[0], "A", oid), self.race_action(names[1], "B", oid)]
        lock = threading.Lock()
        results = [None, None]

        seeds = [self.rng.getrandbits(64), self.rng.getrandbits(64)]

        def run(i):
            self.local.rng = random.Random(seeds[i])
            try:
                out = fns[i]()
            except Exception as e:  # noqa: BLE001 - reported as the step's outcome, then re-raised below
                out = e
            with lock:
                results[i] = out

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        self.in_race = True
        for t in threads:
            t.start()
        extra = ""
        if kill:
            time.sleep(self.rng.choice([0.0, 0.01, 0.05, 0.15]))
            self.a.kill9()
            extra = f"; SIGKILLed A (pid {self.a.pid})"
        for t in threads:
            t.join(timeout=120)
        check(not any(t.is_alive() for t in threads), "a race action did not finish within 120 s")
        self.in_race = False
        if kill:
            self.a.start()
            extra += f", restarted A (pid {self.a.pid})"
        self.races += 1
        for r in results:
            if isinstance(r, Exception):
                raise r
        if slow:
            self.sim_call("DELETE", "/_sim/faults")
        return f"race on {oid[:8]}{' (Stripe slow)' if slow else ''}: [{results[0]}] ∥ [{results[1]}]{extra}"

    # ---------------------------------------------------------------- the generator

    def step(self):
        if not self.order_ids:
            return "create", self.act_create(self.inst())
        if self.step_no in self.kill_at:
            return "kill", self.act_race(kill=True)
        x = self.rng.random()
        table = [
            (0.13, "create", lambda: self.act_create(self.inst())),
            (0.11, "pay", lambda: self.act_pay()),
            (0.02, "pay_old", lambda: self.act_pay(old=True)),
            (0.05, "decline", lambda: self.act_decline()),
            (0.03, "complete_unpaid", self.act_complete_unpaid),
            (0.025, "async_ok", lambda: self.act_async(True)),
            (0.015, "async_fail", lambda: self.act_async(False)),
            (0.22, "deliver", lambda: self.act_deliver()),
            (0.01, "deliver_both", self.act_deliver_both),
            (0.01, "thin_completion", self.act_thin_completion),
            (0.03, "expire", self.act_expire_at_stripe),
            (0.05, "retry", lambda: self.act_retry(self.inst())),
            (0.01, "admin_retry", lambda: self.act_retry(self.inst(), admin=True)),
            (0.03, "mark_paid", lambda: self.act_mark_paid(self.inst())),
            (0.03, "cancel", lambda: self.act_cancel(self.inst())),
            (0.03, "sync", lambda: self.act_sync(self.inst())),
            (0.02, "retry_fulfillment", lambda: self.act_retry_fulfillment(self.inst())),
            (0.03, "refund", self.act_refund),
            (0.03, "stock", self.act_set_stock),
            (0.01, "reconcile", self.act_reconcile),
            (0.015, "supplier", self.act_supplier),
            (0.015, "fault", self.act_fault),
            (0.07, "race", lambda: self.act_race()),
        ]
        acc = 0.0
        for weight, name, fn in table:
            acc += weight
            if x < acc:
                return name, fn()
        return "abandon", "customer abandons (nothing happens)"

    # ---------------------------------------------------------------- observation + per-step checks

    def resolve_unknowns(self):
        """Answers lost to the SIGKILL: a create is retried with its Idempotency-Key (as a client would);
        a mark-paid is looked up in the payments ledger (its manual row) or, without a ledger, in the
        order's history by its unique note."""
        while self.pending_creates:
            key, body = self.pending_creates.pop(0)
            r = self.api("B", "POST", "/api/payments/create-checkout-session", body, headers={"Idempotency-Key": key})
            self.note("  (lost answer) " + self._created(r, key, body, "B"))
        for o in self.orders.values():
            for note in list(o.unknown_marks):
                if self.schema.payments:  # the manual payment row, at most one per order
                    n = int(self.pg.scalar(f"SELECT count(*) FROM payments WHERE order_id = {q(o.id)} AND "
                                           f"kind = 'manual'")) - o.manual
                else:
                    n = int(self.pg.scalar(f"SELECT count(*) FROM order_history WHERE order_id = {q(o.id)} AND "
                                           f"strpos(reason, '{note}') > 0"))
                o.manual += 1 if n > 0 else 0
                o.unknown_marks.remove(note)
                self.note(f"  (lost answer) mark-paid {o.id[:8]} {'was' if n else 'was not'} applied")

    def observe(self):
        """After a step (nothing in flight but the outbox worker): new history rows → downgrade check;
        holdings of the orders they name (and of the orders the model touched) → stock equation."""
        self.add_events(self.collector.drain())
        rows = self.pg.rows(f"SELECT id, order_id, status FROM order_history WHERE id > {max(0, self.history_max - 100)} "
                            f"ORDER BY id")
        touched = set(self.order_ids[-3:])
        for hid, oid, status in rows:
            hid = int(hid)
            if hid in self.history_seen:
                continue
            self.history_seen.add(hid)
            self.history_max = max(self.history_max, hid)
            touched.add(oid)
            before = self.last_status.get(oid)
            if before in PAID_LIKE and status in UNPAID_LIKE:
                self.fail_step(f"order {oid} was {before} and is now {status}: a paid order was downgraded")
            self.last_status[oid] = status
        if touched:
            self.update_holds(touched)
            self.check_stock()

    def update_holds(self, ids=None):
        """Re-reads the units held by the given orders (all orders when None). A hold that appears is
        classified now: taken from the product's count when the product is limited, else free."""
        rows = self.pg.rows(self.schema.holdings_sql(None if ids is None else sorted(ids)))
        held = {(o, p): (int(n), token) for o, p, n, token in rows}
        for o in (ids if ids is not None else {o for o, _ in held} | {o for o, _ in self.holds}):
            for pid, p in self.products.items():
                key = (o, pid)
                (now, token), was = held.get(key, (0, "")), self.holds.get(key)
                if was and (was.qty, was.token) == (now, token):
                    continue
                if was:
                    del self.holds[key]
                if now:
                    self.holds[key] = Hold(now, p.limited, p.epoch, token)

    def check_stock(self, rescanned=False):
        """Per limited product: available + units held that were taken from its count in its current limited
        period = the stock an admin set. Units taken while the product was unlimited, or in an earlier
        limited period, are outside that count: releasing them gives nothing back (nor does it take any).
        Before a mismatch is reported every order's holdings are read again (the per-step read covers only
        the orders with new history rows and the newest ones)."""
        stock = dict(self.pg.rows("SELECT id, coalesce(stock::text, 'null') FROM products WHERE id LIKE 'il\\_%'"))
        if not rescanned and any(p.limited and stock[p.id] != "null" and int(stock[p.id]) + self.pool_units(p) != p.total
                                 for p in self.products.values()):
            self.update_holds()
            return self.check_stock(rescanned=True)
        for p in self.products.values():
            if not p.limited:
                continue
            if stock[p.id] == "null":
                self.fail_step(f"{p.id} is limited ({p.total}) but the database says unlimited")
                continue
            avail, held = int(stock[p.id]), self.pool_units(p)
            diff = avail + held - p.total
            if diff == 0:
                continue
            self.fail_step(f"{p.id}: available {avail} + held {held} = {avail + held}, but the stock an admin set "
                           f"is {p.total} ({'oversold' if diff < 0 else 'units from nothing'}; {diff:+d})")
            p.total += diff  # re-based, so that a later step is judged on its own (--keep-going)

    def fail_step(self, message):
        if self.first_bad_step is None:
            self.first_bad_step = (self.step_no, message)
        self.failures.append(f"after step {self.step_no}: {message}")

    # ---------------------------------------------------------------- settle + final checks

    def settle(self):
        self.step_no += 1
        self.note("settle: Stripe healthy, supplier healthy, every open session expires, every event delivered, "
                  "outbox drained")
        self.sim_call("DELETE", "/_sim/faults")
        self.supplier.healthy = True
        self.resolve_unknowns()
        # Every abandoned checkout ends: its session expires at Stripe, so each reservation still held by
        # an unpaid order is released (and the stock equation checked) once the events are in.
        for session in self.sim_call("GET", "/_sim/sessions").json()["data"]:
            if session["status"] == "open":
                self.sim_action(session["id"], "expire")
        for _ in range(5):
            self.add_events(self.collector.drain())
            pending = list(self.undelivered)
            self.rng.shuffle(pending)
            for eid in pending:
                self.act_deliver(self.inst(), eid)
            time.sleep(0.2)  # events our own deliveries' effects made (none expected), from the collector
            self.add_events(self.collector.drain())
            if not self.undelivered:
                break
        check(not self.undelivered, f"{len(self.undelivered)} events could not be delivered")
        h.wait_until(lambda: self.pg.scalar("SELECT count(*) FROM outbox_jobs WHERE status IN ('pending', 'running')")
                     == "0", 60, interval=0.2, what="the outbox to drain")
        self.observe()

    def final_checks(self):
        orders = {r[0]: r for r in self.pg.rows(
            "SELECT id, status, payment_status, fulfillment_status, amount_received, amount_refunded, "
            "coalesce(payment_intent_id, ''), needs_attention, coalesce(attention_reason, '') FROM orders")}
        shipped = self.supplier.shipped_orders()
        queued = {r[0] for r in self.pg.rows("SELECT DISTINCT order_id FROM outbox_jobs WHERE kind = 'fulfill' "
                                             "AND order_id IS NOT NULL")}
        held = {(o, p): int(n) for o, p, n, _ in self.pg.rows(self.schema.holdings_sql())}
        # The DB's own history, as a whole: no paid order downgraded.
        last = {}
        for oid, status in self.pg.rows("SELECT order_id, status FROM order_history ORDER BY id"):
            if last.get(oid) in PAID_LIKE and status in UNPAID_LIKE:
                self.failures.append(f"order {oid}: history goes from {last[oid]} to {status} (downgraded)")
            last[oid] = status
        ledger, manual_rows, committed = {}, {}, None
        if self.schema.payments:
            ledger = self.ledger_sums()
            manual_rows = {r[0]: int(r[1]) for r in self.pg.rows(
                "SELECT order_id, count(*) FROM payments WHERE kind = 'manual' GROUP BY 1")}
        if self.schema.reservations:
            committed = {(r[0], r[1]) for r in self.pg.rows(
                "SELECT order_id, product_id FROM stock_reservations WHERE status = 'committed'")}
        by_order = {}
        for p in self.payments.values():
            by_order.setdefault(p.order, []).append(p)
        for oid, o in self.orders.items():
            row = orders.get(oid)
            if row is None:
                self.failures.append(f"order {oid} answered by the API is not in the database")
                continue
            _, status, pay_status, ful, received, refunded, intent, attention, reason = row
            received, refunded, attention = int(received), int(refunded), attention == "t"
            pays = by_order.get(oid, [])
            m_received = sum(p.amount for p in pays) + o.manual * o.total
            m_refunded = sum(p.refunded for p in pays)
            n_payments = len(pays) + o.manual
            kept = m_received - m_refunded
            label = f"order {oid} ({status}/{pay_status}/{ful}; Stripe payments {[(p.amount, p.refunded) for p in pays]}, " \
                    f"manual {o.manual} × {o.total})"
            # 3. amounts equal the sums of the payments (and of the ledger rows when there is a ledger)
            if received != m_received or refunded != m_refunded:
                self.failures.append(f"{label}: amountReceived {received} / amountRefunded {refunded}, but its payments "
                                     f"sum to {m_received} received / {m_refunded} refunded")
            if self.schema.payments and ledger.get(oid, (0, 0)) != (received, refunded):
                self.failures.append(f"{label}: the payments ledger sums to {ledger.get(oid, (0, 0))}, the order says "
                                     f"{(received, refunded)}")
            if self.schema.payments and manual_rows.get(oid, 0) != o.manual:
                self.failures.append(f"{label}: {manual_rows.get(oid, 0)} manual payment rows for {o.manual} mark-paid")
            # 4. nothing refunded beyond what was received; refunded ⇔ every payment went back
            if refunded > received:
                self.failures.append(f"{label}: refunded {refunded} > received {received}")
            if status == "refunded" and kept != 0:
                self.failures.append(f"{label}: is refunded but {kept} of the money was kept")
            if n_payments and kept == 0 and status != "refunded":
                self.failures.append(f"{label}: every payment went back but the order is {status}")
            # 5. money received → never unpaid at the end either
            if n_payments and status in UNPAID_LIKE:
                self.failures.append(f"{label}: received money but ends {status}")
            # 6. every payment applied or flagged; paid twice → needs attention
            for p in pays:
                applied = (p.intent == intent) or (self.schema.payments and self.ledger_has(p.intent))
                if not applied and not (attention and p.intent in reason):
                    self.failures.append(f"{label}: Stripe's payment {p.intent} is neither applied nor flagged")
            if n_payments >= 2 and kept > o.total and not attention:
                self.failures.append(f"{label}: paid {n_payments} times (kept {kept}) and nobody is told")
            # 2. no fulfillment without a unit
            if oid in shipped or oid in queued:
                what = "shipped" if oid in shipped else "has a fulfill job"
                for pid, qty in o.items:
                    if held.get((oid, pid), 0) < qty:
                        self.failures.append(f"{label}: {what}, but holds {held.get((oid, pid), 0)} of its {qty} × "
                                             f"{pid}")
                    elif committed is not None and (oid, pid) not in committed:
                        self.failures.append(f"{label}: {what}, but its {pid} reservation is not committed")
            # 7. paid once, never refunded → confirmed, or paid with fulfillment held for an operator
            if n_payments == 1 and m_refunded == 0:
                if not (status == "confirmed" or (status == "paid" and attention)):
                    self.failures.append(f"{label}: paid once and never refunded, but not confirmed and nobody is told")
        self.check_stock()

    def ledger_sums(self):
        cols = self.schema.columns.get("payments", set())
        rec = "amount_received" if "amount_received" in cols else "amount"
        ref = "amount_refunded" if "amount_refunded" in cols else "refunded"
        return {r[0]: (int(r[1]), int(r[2])) for r in self.pg.rows(
            f"SELECT order_id, coalesce(sum({rec}), 0), coalesce(sum({ref}), 0) FROM payments GROUP BY 1")}

    def ledger_has(self, intent):
        cols = self.schema.columns.get("payments", set())
        col = "payment_intent_id" if "payment_intent_id" in cols else "stripe_id"
        return self.pg.scalar(f"SELECT count(*) FROM payments WHERE {col} = {q(intent)}") != "0"

    # ---------------------------------------------------------------- the run

    def execute(self):
        self.failures = []
        t0 = time.monotonic()
        self.start()
        self.note(f"seed {self.seed}, {self.steps} steps, {self.schema.describe()}; instance A killed at step(s) "
                  f"{self.kill_at}")
        try:
            for self.step_no in range(1, self.steps + 1):
                name, outcome = self.step()
                self.counts[name] = self.counts.get(name, 0) + 1
                self.note(outcome)
                if self.step_no in self.kill_at or self.pending_creates:
                    self.resolve_unknowns()
                self.observe()
                if self.failures and not self.keep_going:
                    break
            if not self.failures or self.keep_going:
                self.settle()
                self.final_checks()
        except ChaosFailure as e:
            self.failures.append(f"at step {self.step_no}: {e}")
        self.seconds = time.monotonic() - t0
        self.steps_path = os.path.join(LOGS, f"{self.tag}-seed-{self.seed}.steps")
        with open(self.steps_path, "w") as f:  # kept for every run, passed or not
            f.write("\n".join(self.log) + "\n")
        return not self.failures

    def report(self):
        lines = [f"interleave seed {self.seed}: {len(self.failures)} invariant(s) broken; replay with "
                 f"tests/chaos/interleave.py --seed {self.seed} --steps {self.steps}"]
        if self.first_bad_step:
            lines.append(f"first broken after step {self.first_bad_step[0]} (minimal prefix: the first "
                         f"{self.first_bad_step[0]} steps): {self.first_bad_step[1]}")
        lines += ["  " + f for f in self.failures[:12]]
        if len(self.failures) > 12:
            lines.append(f"  … and {len(self.failures) - 12} more")
        path = self.steps_path
        shown = self.log if len(self.log) <= 400 else self.log[-150:]
        lines.append(f"steps ({'all' if shown is self.log else f'last {len(shown)} of {len(self.log)}'}; every step in "
                     f"{os.path.relpath(path, h.ROOT)}):")
        lines += ["  " + s for s in shown]
        return "\n".join(lines)

    def summary(self):
        paid = sum(1 for p in self.payments.values())
        return (f"seed {self.seed}: {self.steps} steps ({self.races} races, SIGKILL at step {', '.join(map(str, self.kill_at))}), "
                f"{len(self.orders)} orders, {paid} Stripe payments, {self.deliveries} deliveries, "
                f"{self.seconds:.0f} s; {self.schema.describe()}")


def _code(r):
    try:
        return r.json()["error"]["code"]
    except Exception:
        return ""


def run_one(seed, steps, tag="interleave", verbose=False, keep_going=False):
    run = Run(seed, steps, tag, verbose, keep_going)
    try:
        ok = run.execute()
    finally:
        run.stop()
    return ok, run


def scenario_interleave():
    """For tests/chaos/run.py: INTERLEAVE_RUNS runs of INTERLEAVE_STEPS steps, seeds from INTERLEAVE_SEED."""
    seed = int(os.environ.get("INTERLEAVE_SEED", "1"))
    steps = int(os.environ.get("INTERLEAVE_STEPS", "300"))
    runs = int(os.environ.get("INTERLEAVE_RUNS", "1"))
    summaries = []
    for k in range(runs):
        ok, run = run_one(seed + k, steps)
        if not ok:
            print(run.report(), flush=True)
            raise ChaosFailure(f"seed {seed + k} broke {len(run.failures)} invariant(s): {run.failures[0]}")
        summaries.append(run.summary())
        print(f"  {summaries[-1]}", flush=True)
    return f"{runs * steps} steps in {runs} run(s), every invariant held: " + "; ".join(summaries)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=int(os.environ.get("INTERLEAVE_SEED", "1")))
    ap.add_argument("--steps", type=int, default=int(os.environ.get("INTERLEAVE_STEPS", "300")))
    ap.add_argument("--runs", type=int, default=1, help="consecutive seeds from --seed")
    ap.add_argument("--verbose", action="store_true", help="print every step as it runs")
    ap.add_argument("--keep-going", action="store_true", help="do not stop at the first broken invariant")
    ap.add_argument("--tag", default="interleave", help="name of the Postgres dir and logs (parallel runs)")
    args = ap.parse_args()
    os.makedirs(LOGS, exist_ok=True)
    bad = []
    for k in range(args.runs):
        ok, run = run_one(args.seed + k, args.steps, args.tag, args.verbose, args.keep_going)
        if ok:
            print(f"PASS {run.summary()}", flush=True)
        else:
            print(run.report(), flush=True)
            print(f"FAIL {run.summary()}", flush=True)
            bad.append(args.seed + k)
    if bad:
        print(f"failing seeds: {bad}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
