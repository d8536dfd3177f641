#!/usr/bin/env python3
"""Bulkhead figures: webhook and /healthz latency while Stripe hangs under concurrent creates.

    bench/stripe_hang.py [BIN_DIR]        (default: .build/debug; `make bench` passes its release dir)

Starts its own throwaway Postgres (.local/pg-hang), stripe-sim and checkoutd on free loopback ports,
makes stripe-sim hang every API call (POST /_sim/faults hangSeconds), keeps HANG_CREATES (20: the
default rate-limit burst, above the 16 handler threads) create-checkout-session requests in flight
in a loop, and meanwhile probes at a fixed rate, each probe on its own connection: a validly signed
webhook (a unique checkout.session.completed for an unknown session: verified, stored, ignored) and
GET /healthz. Prints one markdown row per probe kind (n, p50, p99, max, statuses) and the creates'
statuses. Every wait is bounded (probe timeout HANG_PROBE_TIMEOUT, 60 s); every process it started is
ended by its PID. Knobs: HANG_CREATES (20), HANG_PROBE_SECONDS (20), HANG_PROBE_RATE (4 per second,
half webhooks), HTTP_WORKER_THREADS (16), STRIPE_CONCURRENCY (checkoutd's default when unset).
"""
import hashlib
import hmac
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
bin_dir = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, ".build/debug"))
creates = int(os.environ.get("HANG_CREATES", "20"))
probe_seconds = float(os.environ.get("HANG_PROBE_SECONDS", "20"))
probe_rate = float(os.environ.get("HANG_PROBE_RATE", "4"))
probe_timeout = float(os.environ.get("HANG_PROBE_TIMEOUT", "60"))
pg_dir = os.path.join(root, ".local/pg-hang")
secret = "whsec_hang_" + os.urandom(8).hex()
admin = "hang-admin-token-" + os.urandom(8).hex()
out_dir = os.path.join(root, "bench/out")
os.makedirs(out_dir, exist_ok=True)
fixture = json.load(open(os.path.join(root, "Tests/Fixtures/stripe/events/checkout.session.completed.2026-08-26.dahlia.json")))
procs = []


def log(msg):
    print(f"stripe-hang: {msg}", file=sys.stderr, flush=True)


def start(name, args, env):
    out = open(os.path.join(out_dir, f"hang-{name}.out"), "w")
    p = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=out_dir)
    procs.append(p)
    deadline = time.time() + 60
    while time.time() < deadline:
        text = open(out.name).read()
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", text)
        if m:
            return int(m.group(1))
        if p.poll() is not None:
            raise SystemExit(f"{name} exited: {text[-2000:]}")
        time.sleep(0.1)
    raise SystemExit(f"{name} did not start in 60 s")


def request(port, method, path, body=None, headers=None, timeout=probe_timeout):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read()
    except (OSError, http.client.HTTPException) as e:
        return f"error:{type(e).__name__}", b""
    finally:
        c.close()


def signed_event(n):
    e = json.loads(json.dumps(fixture))
    e["id"] = f"evt_hang_{os.getpid()}_{n}"
    e["created"] = int(time.time())
    e["data"]["object"]["id"] = f"cs_test_hang_unknown_{n}"
    body = json.dumps(e, separators=(",", ":")).encode()
    t = str(int(time.time()))
    sig = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return body, {"Stripe-Signature": f"t={t},v1={sig}", "Content-Type": "application/json"}


def percentile(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q * len(s) + 0.5)) - 1))]


def main():
    subprocess.run([os.path.join(root, "scripts/pg.sh"), "start", pg_dir, "--fresh"], check=True, stdout=sys.stderr)
    db_url = subprocess.run([os.path.join(root, "scripts/pg.sh"), "url", pg_dir], check=True, capture_output=True,
                            text=True).stdout.strip()
    base_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    sim_port = start("stripe-sim", [os.path.join(bin_dir, "stripe-sim"), "--port", "0", "--quiet"], base_env)
    env = dict(base_env, DATABASE_URL=db_url, PORT="0", STRIPE_SECRET_KEY="sk_test_hang_0123456789",
               STRIPE_API_BASE=f"http://127.0.0.1:{sim_port}", STRIPE_WEBHOOK_SECRET=secret, ADMIN_TOKEN=admin,
               STRIPE_WEBHOOK_TOLERANCE="86400", RATE_LIMIT_PER_MINUTE="0", LOG_LEVEL="error", RECONCILE_INTERVAL="0",
               MIGRATIONS_DIR=os.path.join(root, "sql"), OPENAPI_PATH=os.path.join(root, "openapi.yaml"),
               HTTP_WORKER_THREADS=os.environ.get("HTTP_WORKER_THREADS", "16"))
    if os.environ.get("STRIPE_CONCURRENCY"):
        env["STRIPE_CONCURRENCY"] = os.environ["STRIPE_CONCURRENCY"]
    port = start("checkoutd", [os.path.join(bin_dir, "checkoutd"), "serve"], env)
    auth = {"Authorization": f"Bearer {admin}", "Content-Type": "application/json"}
    status, body = request(port, "PUT", "/api/admin/products/sku_hang",
                           json.dumps({"title": "Hang", "unitAmount": 1500, "currency": "usd", "stock": None}), auth)
    assert status == 200, (status, body)
    status, body = request(sim_port, "POST", "/_sim/faults", json.dumps({"hangSeconds": 120, "count": 100000}),
                           {"Content-Type": "application/json"})
    assert status == 200, (status, body)

    stop = threading.Event()
    create_statuses = {}
    lock = threading.Lock()

    def creator():
        cart = json.dumps({"items": [{"productId": "sku_hang", "quantity": 1}]})
        while not stop.is_set():
            s, _ = request(port, "POST", "/api/payments/create-checkout-session", cart,
                           {"Content-Type": "application/json"}, timeout=probe_timeout + 60)
            with lock:
                create_statuses[s] = create_statuses.get(s, 0) + 1
            if s == 503:
                time.sleep(0.05)  # a client honouring Retry-After would wait longer; keep the pressure on

    threads = [threading.Thread(target=creator, daemon=True) for _ in range(creates)]
    for t in threads:
        t.start()
    time.sleep(2)  # let the creates take their threads
    results = {"webhook": [], "healthz": []}
    probes = []

    def probe(kind, n):
        start_t = time.monotonic()
        if kind == "webhook":
            body, headers = signed_event(n)
            s, _ = request(port, "POST", "/api/payments/webhook", body, headers)
        else:
            s, _ = request(port, "GET", "/healthz")
        with lock:
            results[kind].append((time.monotonic() - start_t, s))

    n = 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < probe_seconds:
        kind = "webhook" if n % 2 == 0 else "healthz"
        th = threading.Thread(target=probe, args=(kind, n), daemon=True)
        th.start()
        probes.append(th)
        n += 1
        time.sleep(1 / probe_rate)
    for th in probes:
        th.join(probe_timeout + 5)
    stop.set()
    request(sim_port, "DELETE", "/_sim/faults", timeout=10)

    label = os.environ.get("HANG_LABEL", os.path.basename(os.path.dirname(bin_dir)) + "/" + os.path.basename(bin_dir))
    print(f"| while Stripe hangs ({creates} creates in flight, {label}) | n | p50 | p99 | max | statuses |")
    print("|---|---|---|---|---|---|")
    for kind in ("webhook", "healthz"):
        lat = [r[0] for r in results[kind]]
        statuses = {}
        for _, s in results[kind]:
            statuses[s] = statuses.get(s, 0) + 1
        print(f"| {'POST /api/payments/webhook' if kind == 'webhook' else 'GET /healthz'} | {len(lat)} | "
              f"{percentile(lat, 0.5) * 1000:.1f} ms | {percentile(lat, 0.99) * 1000:.1f} ms | {max(lat) * 1000:.1f} ms | "
              f"{', '.join(f'{k}×{v}' for k, v in sorted(statuses.items(), key=str))} |")
    print(f"| creates answered meanwhile | {sum(create_statuses.values())} | | | | "
          f"{', '.join(f'{k}×{v}' for k, v in sorted(create_statuses.items(), key=str))} |")


try:
    main()
finally:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
    subprocess.run([os.path.join(root, "scripts/pg.sh"), "stop", pg_dir], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
