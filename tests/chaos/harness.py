"""Shared pieces of the chaos suite (tests/chaos/run.py): throwaway Postgres clusters, real `checkoutd`
and `stripe-sim` processes on free loopback ports, a blocking HTTP client with hard timeouts, signed
Stripe events built from the repository's fixtures, and a fulfillment receiver that counts
Idempotency-Keys.

Every process started here is remembered and ended by its PID (SIGTERM, then SIGKILL after a bound);
every wait polls with a deadline. Nothing listens beyond 127.0.0.1.
"""

import copy
import hashlib
import hmac
import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("CHAOS_BIN", os.path.join(ROOT, ".build-release", "release"))
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures", "stripe")
PGBIN = sorted(
    (os.path.join("/usr/lib/postgresql", v, "bin") for v in os.listdir("/usr/lib/postgresql")),
    key=lambda p: [int(x) if x.isdigit() else x for x in p.split("/")[-2].split(".")],
)[-1]


class ChaosFailure(AssertionError):
    """A scenario's expectation did not hold."""


def check(condition, message):
    if not condition:
        raise ChaosFailure(message)


def wait_until(predicate, timeout, interval=0.05, what="condition"):
    """Polls `predicate` until it returns a truthy value or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise ChaosFailure(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------------------------------- processes


class Processes:
    """Every child of one scenario; `stop_all` ends each by PID."""

    def __init__(self):
        self.children = []

    def add(self, popen):
        self.children.append(popen)
        return popen

    @staticmethod
    def stop(p, grace=10):
        if p.poll() is not None:
            return
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)

    def stop_all(self):
        for p in reversed(self.children):
            try:
                self.stop(p)
            except Exception:
                pass


class Postgres:
    """A throwaway cluster through scripts/pg.sh (fsync off: it is thrown away)."""

    def __init__(self, name):
        self.dir = os.path.join(ROOT, ".local", name)
        self.sh("start", "--fresh")
        self.url = subprocess.run(
            [os.path.join(ROOT, "scripts", "pg.sh"), "url", self.dir], check=True, capture_output=True, text=True
        ).stdout.strip()

    def sh(self, *args):
        subprocess.run([os.path.join(ROOT, "scripts", "pg.sh"), args[0], self.dir, *args[1:]], check=True,
                       capture_output=True, timeout=120)

    def stop(self):
        self.sh("stop")

    def start(self):
        self.sh("start")

    def psql(self, sql):
        """Runs SQL and returns rows as lists of strings (unaligned, tab-separated)."""
        cmd = [os.path.join(PGBIN, "psql"), self.url, "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=60).stdout
        return [line.split("\t") for line in out.splitlines() if line]

    def scalar(self, sql):
        rows = self.psql(sql)
        return rows[0][0] if rows else None


class Server:
    """One `checkoutd serve` (or stripe-sim) process; `port` from its first stdout line."""

    def __init__(self, procs, argv, env, log_path, port_pattern="listening on http://127.0.0.1:"):
        self.procs, self.argv, self.env, self.log_path = procs, argv, env, log_path
        self.port_pattern = port_pattern
        self.proc = None
        self.port = None
        self.start()

    def start(self):
        log = open(self.log_path, "ab")
        self.proc = self.procs.add(subprocess.Popen(
            self.argv, env=self.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=log, preexec_fn=_raise_nofile))
        line = _readline_with_timeout(self.proc.stdout, 60)
        check(self.port_pattern in line, f"{self.argv[0]} did not start: {line!r} (log {self.log_path})")
        self.port = int(line.strip().rsplit(":", 1)[1].split("/")[0])
        # Keep draining stdout so the child never blocks on a full pipe.
        threading.Thread(target=lambda f=self.proc.stdout: [None for _ in f], daemon=True).start()

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        Processes.stop(self.proc)

    @property
    def pid(self):
        return self.proc.pid


def _raise_nofile():
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    except (ValueError, OSError):
        pass


def _readline_with_timeout(f, timeout):
    result = []
    def read():
        line = f.readline()
        result.append(line.decode(errors="replace") if isinstance(line, bytes) else line)
    t = threading.Thread(target=read, daemon=True)
    t.start()
    t.join(timeout)
    return result[0] if result else ""


def checkoutd_env(db_url, **extra):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DATABASE_URL": db_url,
        "STRIPE_SECRET_KEY": "sk_test_chaos",
        "STRIPE_API_BASE": "http://127.0.0.1:9",  # overridden when a scenario runs stripe-sim
        "STRIPE_WEBHOOK_SECRET": WHSEC,
        "HOST": "127.0.0.1",
        "PORT": "0",
        "RATE_LIMIT_PER_MINUTE": "0",
        "RECONCILE_INTERVAL": "0",
        "LOG_LEVEL": "info",
        "OUTBOX_POLL_INTERVAL": "0.2",
        "MIGRATIONS_DIR": os.path.join(ROOT, "sql"),
        "OPENAPI_PATH": os.path.join(ROOT, "openapi.yaml"),
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


def start_checkoutd(procs, db_url, log_path, **extra):
    return Server(procs, [os.path.join(BIN, "checkoutd"), "serve"], checkoutd_env(db_url, **extra), log_path)


def start_sim(procs, log_path, *args):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    return Server(procs, [os.path.join(BIN, "stripe-sim"), "--port", "0", "--quiet", "--webhook-secret", WHSEC,
                          *args], env, log_path)


def migrate(db_url, log_path):
    with open(log_path, "ab") as log:
        subprocess.run([os.path.join(BIN, "checkoutd"), "migrate"], env=checkoutd_env(db_url), cwd=ROOT,
                       stdout=log, stderr=log, check=True, timeout=120)


# ------------------------------------------------------------------------------------------- HTTP


class Response:
    def __init__(self, status, headers, body, seconds):
        self.status, self.headers, self.body, self.seconds = status, headers, body, seconds

    def json(self):
        return json.loads(self.body)


def request(port, method, path, body=None, headers=None, timeout=30):
    """One request on a fresh connection. Returns Response, or Response(status=0) on a transport error
    (refused, reset, timeout) with the exception text as body."""
    t0 = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        h = {"Content-Type": "application/json"} if data is not None else {}
        h.update(headers or {})
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        payload = r.read()
        return Response(r.status, dict(r.getheaders()), payload, time.monotonic() - t0)
    except (OSError, http.client.HTTPException) as e:
        return Response(0, {}, repr(e).encode(), time.monotonic() - t0)
    finally:
        conn.close()


# ------------------------------------------------------------------------------------------- Stripe events

WHSEC = "whsec_chaos_" + uuid.uuid4().hex


def _fixture(*path):
    with open(os.path.join(FIXTURES, *path)) as f:
        return json.load(f)


_EVENT = _fixture("objects", "event.json")
_SESSION = _fixture("objects", "checkout.session.json")
_INTENT = _fixture("objects", "payment_intent.json")


def session_object(session_id, order_id, status, payment_status, payment_intent, amount=1500):
    o = copy.deepcopy(_SESSION)
    o.update({"id": session_id, "status": status, "payment_status": payment_status, "payment_intent": payment_intent,
              "amount_total": amount, "amount_subtotal": amount, "currency": "usd",
              "metadata": {"order_id": order_id}, "client_reference_id": None})
    return o


def intent_object(intent_id, order_id, amount=1500, message="Your card was declined."):
    o = copy.deepcopy(_INTENT)
    o.update({"id": intent_id, "amount": amount, "currency": "usd", "status": "requires_payment_method",
              "metadata": {"order_id": order_id},
              "last_payment_error": {"message": message, "type": "card_error", "code": "card_declined"}})
    return o


def event_body(event_id, event_type, obj):
    e = copy.deepcopy(_EVENT)
    e.update({"id": event_id, "type": event_type, "created": int(time.time()), "data": {"object": obj}})
    return json.dumps(e, separators=(",", ":")).encode()


def sign(body, secret=WHSEC, t=None):
    t = int(time.time()) if t is None else t
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def deliver(port, body, timeout=30):
    """POSTs one event as Stripe would: signed afresh at each attempt."""
    return request(port, "POST", "/api/payments/webhook", body, {"Stripe-Signature": sign(body)}, timeout=timeout)


def order_uuid(tag, n):
    return str(uuid.UUID(hashlib.md5(f"{tag}-{n}".encode()).hexdigest()))


def seed_pending_orders(pg, tag, count):
    """`count` pending orders with one open session each: id md5('<tag>-n'), session cs_test_<tag>_n."""
    pg.psql(f"""
        INSERT INTO products (id, title, unit_amount, currency, active, stock)
        VALUES ('sku_chaos', 'Chaos mug', 1500, 'usd', true, NULL) ON CONFLICT (id) DO NOTHING;
        INSERT INTO orders (id, order_number, currency, amount_total, checkout_session_id, session_attempt,
                            session_checked_at, stock_reserved)
        SELECT md5('{tag}-' || n)::uuid, 'CH{tag.upper()}-' || n, 'usd', 1500, 'cs_test_{tag}_' || n, 1, now(), true
        FROM generate_series(1, {count}) n;
        INSERT INTO order_items (order_id, line_no, product_id, title, unit_amount, quantity, amount_total)
        SELECT md5('{tag}-' || n)::uuid, 0, 'sku_chaos', 'Chaos mug', 1500, 1, 1500 FROM generate_series(1, {count}) n;
        -- The stock ledger row each held reservation has (taken from the unlimited product).
        INSERT INTO stock_reservations (order_id, product_id, quantity, status, limited, stock_epoch)
        SELECT md5('{tag}-' || n)::uuid, 'sku_chaos', 1, 'reserved', false, 0 FROM generate_series(1, {count}) n;
        INSERT INTO checkout_sessions (id, order_id, attempt, status, url, expires_at)
        SELECT 'cs_test_{tag}_' || n, md5('{tag}-' || n)::uuid, 1, 'open', 'https://sim.example/pay', now() + interval '1 hour'
        FROM generate_series(1, {count}) n;
    """)


# ------------------------------------------------------------------------------------------- fulfillment receiver


class FulfillmentReceiver:
    """The supplier endpoint: answers 200 {"reference": …} after `delay` seconds, counting every POST it
    accepted by its Idempotency-Key (the outbox's `fulfill:<order id>`). While `healthy` is False it
    answers 503 instead (counted in `refused`), as a supplier outage would."""

    def __init__(self, delay=0.02):
        self.counts = {}
        self.refused = 0
        self.healthy = True
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                key = self.headers.get("Idempotency-Key") or "<none>"
                with receiver.lock:
                    ok = receiver.healthy
                    if ok:
                        receiver.counts[key] = receiver.counts.get(key, 0) + 1
                    else:
                        receiver.refused += 1
                time.sleep(delay)
                body = json.dumps({"reference": "sup-" + key[-12:]} if ok else {"error": "supplier down"}).encode()
                self.send_response(200 if ok else 503)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/fulfill"

    def shipped_orders(self):
        """Ids of the orders whose fulfillment was accepted at least once."""
        with self.lock:
            return {k.split(":", 1)[1] for k in self.counts if k.startswith("fulfill:")}

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class QuietServer(ThreadingHTTPServer):
    """A local HTTP server that does not print the broken pipes of clients killed mid-request (a SIGKILLed
    checkoutd breaks them; that is the point)."""

    daemon_threads = True

    def handle_error(self, request, client_address):
        pass


# ------------------------------------------------------------------------------------------- single-scenario runners


def start_server_in(procs, argv, env, cwd, log_path):
    """Starts a server in `cwd` whose first stdout line is `… listening on http://127.0.0.1:PORT`;
    returns (popen, port). Used by tests/dist and tests/deploy, which never run from the repository."""
    log = open(log_path, "ab")
    p = procs.add(subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=log))
    line = _readline_with_timeout(p.stdout, 60)
    check("listening on http://127.0.0.1:" in line, f"{argv[0]} did not start: {line!r} (log {log_path})")
    threading.Thread(target=lambda f=p.stdout: [None for _ in f], daemon=True).start()
    return p, int(line.strip().rsplit(":", 1)[1].split("/")[0])


def run_one(name, body):
    """Runs one scenario `body()`; prints PASS/FAIL and the "N passed, M failed" line test-summary.py
    counts. Returns the exit status. A broken harness is a failure too, never a pass."""
    import traceback
    t0 = time.monotonic()
    try:
        body()
    except Exception as e:
        if not isinstance(e, ChaosFailure):
            traceback.print_exc()
        print(f"FAIL {name} ({time.monotonic() - t0:.1f} s): {e}", flush=True)
        print("0 passed, 1 failed", flush=True)
        return 1
    print(f"PASS {name} ({time.monotonic() - t0:.1f} s)", flush=True)
    print("1 passed, 0 failed", flush=True)
    return 0
