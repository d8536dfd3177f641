#!/usr/bin/env python3
"""Two `checkoutd` instances on one Postgres behind Debian's haproxy, as in production (`make test-deploy`).

1. A purchase through the proxy: create-checkout-session, paid at stripe-sim, whose signed webhook goes
   to the proxy too, then the success page (`/demo/checkout/success?session_id=…` → success.html) and its
   order lookup, all through the proxy; both instances answered requests.
2. A rolling restart under steady, bounded load (LOAD_WORKERS threads, each at most LOAD_RATE requests per
   second, a mix of catalog reads, order lookups, new checkout sessions and health checks): SIGTERM one
   instance (it drains: /readyz 503 for DRAIN_DELAY s, then in-flight requests finish), wait for exit 0,
   start it again, wait until haproxy sees it up, then the other. Zero failed requests allowed.

Prints the figures (requests, failures, longest answer, p99) and "N passed, M failed". Own Postgres
cluster (.local/pg-deploy), free loopback ports, every wait bounded, every process ended by its PID.
BIN_DIR picks the binaries (default .build/debug).
"""
import csv
import http.client
import io
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "chaos"))
import harness as h  # noqa: E402  (the chaos suite's Postgres, HTTP and process helpers)
from harness import check  # noqa: E402

ROOT = pathlib.Path(h.ROOT)
BIN = pathlib.Path(os.environ.get("BIN_DIR", ROOT / ".build" / "debug")).resolve()
h.BIN = str(BIN)  # the harness's stripe-sim too
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
LOGS = ROOT / ".local" / "test-logs"
WORKERS = int(os.environ.get("LOAD_WORKERS", "4"))
RATE = float(os.environ.get("LOAD_RATE", "20"))
DRAIN_DELAY = int(os.environ.get("DEPLOY_DRAIN_DELAY", "2"))
ADMIN_TOKEN = "deploy-admin-token-0123456789"

HAPROXY_CFG = """\
# Written by tests/deploy/test_deploy.py; the README's "Production" section explains each line.
global
    maxconn 2000
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s
    timeout check 2s
    option http-buffer-request
    option forwardfor
    # A refused connection never reached checkoutd: safe to try the other instance, even for a POST.
    retries 3
    retry-on conn-failure
    option redispatch 1
frontend shop
    bind 127.0.0.1:{proxy}
    default_backend checkoutd
backend checkoutd
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server check inter 250ms fastinter 250ms downinter 250ms fall 2 rise 2
    server a 127.0.0.1:{a}
    server b 127.0.0.1:{b}
listen stats
    bind 127.0.0.1:{stats}
    stats enable
    stats uri /stats
"""


class Instance:
    """One `checkoutd serve` on a fixed port (so haproxy's config names it), restartable."""

    def __init__(self, procs, name, port, env):
        self.procs, self.name, self.port, self.env = procs, name, port, dict(env, PORT=str(port))
        self.proc = None

    def start(self):
        workdir = tempfile.mkdtemp(prefix=f"checkoutd-{self.name}-")
        self.proc, port = h.start_server_in(self.procs, [str(BIN / "checkoutd"), "serve"], self.env, workdir,
                                            str(LOGS / f"deploy-{self.name}.log"))
        check(port == self.port, f"{self.name} listens on {port}, not {self.port}")

    def terminate(self):
        """SIGTERM and wait (bounded) for the drain to finish; returns (exit status, seconds)."""
        t0 = time.monotonic()
        self.proc.send_signal(15)
        code = self.proc.wait(timeout=60)
        return code, time.monotonic() - t0


def haproxy_status(stats_port):
    """{server name: status} of the checkoutd backend, from haproxy's CSV stats."""
    r = h.request(stats_port, "GET", "/stats;csv", timeout=5)
    if r.status != 200:
        return {}
    rows = csv.DictReader(io.StringIO(r.body.decode().lstrip("# ")))
    return {row["svname"]: (row["status"], int(row["stot"] or 0)) for row in rows if row["pxname"] == "checkoutd"
            and row["svname"] in ("a", "b")}


def wait_up(stats_port, name, timeout=30):
    h.wait_until(lambda: haproxy_status(stats_port).get(name, ("",))[0] == "UP", timeout, 0.05,
                 f"haproxy to see {name} UP")


class Load:
    """WORKERS threads of steady, bounded traffic through the proxy; every answer is recorded."""

    def __init__(self, proxy, session_id):
        self.proxy, self.session_id = proxy, session_id
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.latencies = []
        self.failures = []
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(WORKERS)]

    def run(self, worker):
        mix = [("GET", "/api/products", None, 200), ("GET", f"/api/orders/by-session/{self.session_id}", None, 200),
               ("POST", "/api/payments/create-checkout-session",
                {"items": [{"productId": "sku_deploy", "quantity": 1}]}, 201),
               ("GET", "/healthz", None, 200)]
        conn = None
        n = worker
        next_at = time.monotonic()
        while not self.stop.is_set():
            method, path, body, expected = mix[n % len(mix)]
            n += 1
            t0 = time.monotonic()
            status, error = 0, ""
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.proxy, timeout=30)
                data = json.dumps(body).encode() if body is not None else None
                conn.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
                r = conn.getresponse()
                payload = r.read()
                status = r.status
                if status != expected:
                    error = payload[:200].decode(errors="replace")
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as e:
                error = repr(e)
                if conn is not None:
                    conn.close()
                conn = None
            seconds = time.monotonic() - t0
            with self.lock:
                self.latencies.append(seconds)
                if error or status != expected:
                    self.failures.append(f"{method} {path} → {status} {error}")
            next_at = max(next_at + 1 / RATE, time.monotonic() - 1)
            self.stop.wait(max(0, next_at - time.monotonic()))
        if conn is not None:
            conn.close()

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=60)

    def figures(self):
        with self.lock:
            lat = sorted(self.latencies)
            return {"requests": len(lat), "failures": len(self.failures), "longest_ms": round(lat[-1] * 1000, 1),
                    "p99_ms": round(lat[int(len(lat) * 0.99) - 1] * 1000, 1) if lat else 0,
                    "first_failures": self.failures[:5]}


def run():
    procs = h.Processes()
    pg = h.Postgres("pg-deploy")
    try:
        subprocess.run([str(BIN / "checkoutd"), "migrate"],
                       env={"DATABASE_URL": pg.url, "STRIPE_SECRET_KEY": "sk_test_x"},
                       check=True, capture_output=True, timeout=120)
        pg.psql("INSERT INTO products (id, title, unit_amount, currency, active, stock) "
                "VALUES ('sku_deploy', 'Deploy mug', 900, 'usd', true, NULL)")
        proxy, port_a, port_b, stats = (h.free_port() for _ in range(4))
        cfg_dir = tempfile.mkdtemp(prefix="haproxy-")
        cfg = pathlib.Path(cfg_dir) / "haproxy.cfg"
        cfg.write_text(HAPROXY_CFG.format(proxy=proxy, a=port_a, b=port_b, stats=stats))
        sim = h.start_sim(procs, str(LOGS / "deploy-sim.log"))
        env = {"DATABASE_URL": pg.url, "STRIPE_SECRET_KEY": "sk_test_deploy_0123456789",
               "STRIPE_API_BASE": f"http://127.0.0.1:{sim.port}", "STRIPE_WEBHOOK_SECRET": h.WHSEC,
               "ADMIN_TOKEN": ADMIN_TOKEN, "PUBLIC_ORIGIN": f"http://127.0.0.1:{proxy}/demo", "DEMO_ENABLED": "true",
               "DB_POOL_SIZE": "4", "RATE_LIMIT_PER_MINUTE": "0", "DRAIN_DELAY": str(DRAIN_DELAY),
               "SHUTDOWN_GRACE": "10", "LOG_LEVEL": "notice", "TRUSTED_PROXIES": "127.0.0.1/32"}
        a, b = Instance(procs, "a", port_a, env), Instance(procs, "b", port_b, env)
        a.start()
        b.start()
        haproxy_log = open(LOGS / "deploy-haproxy.log", "ab")
        procs.add(subprocess.Popen([HAPROXY, "-f", str(cfg), "-db"], stdout=haproxy_log, stderr=haproxy_log))
        wait_up(stats, "a")
        wait_up(stats, "b")
        print(f"ok   haproxy {proxy} → checkoutd a:{port_a}, b:{port_b} (one Postgres)", flush=True)

        # 1. A purchase, its webhook and the success page, all through the proxy.
        r = h.request(sim.port, "PUT", "/_sim/webhook",
                      {"url": f"http://127.0.0.1:{proxy}/api/payments/webhook", "secrets": [h.WHSEC]})
        check(r.status == 200, f"PUT /_sim/webhook: {r.status}")
        r = h.request(proxy, "POST", "/api/payments/create-checkout-session",
                      {"items": [{"productId": "sku_deploy", "quantity": 3}], "customerEmail": "ops@example.com"})
        check(r.status == 201, f"create via proxy: {r.status} {r.body[:200]!r}")
        session = r.json()["id"]
        r = h.request(sim.port, "POST", f"/_sim/sessions/{session}/pay", {})
        check(r.status == 200, f"pay: {r.status} {r.body[:200]!r}")
        landing = json.loads(r.body).get("redirect") or ""
        r = h.request(proxy, "GET", f"/demo/checkout/success?session_id={session}")
        location = {k.lower(): v for k, v in r.headers.items()}.get("location", "")
        check(r.status == 303 and location.startswith("/demo/success.html?session_id="),
              f"success redirect: {r.status} {r.headers}")
        r = h.request(proxy, "GET", location)
        check(r.status == 200 and b"<html" in r.body.lower(), f"success page: {r.status}")

        def paid():
            r = h.request(proxy, "GET", f"/api/orders/by-session/{session}")
            return r.status == 200 and r.json()["paymentStatus"] == "paid" and r.json()
        order = h.wait_until(paid, 30, 0.1, "the order to be paid through the proxy")
        events = pg.scalar("SELECT count(*) FROM stripe_events e JOIN orders o ON o.id = e.order_id "
                           f"WHERE o.checkout_session_id = '{session}' AND e.result = 'applied'")
        check(int(events or 0) >= 1, "the webhook was not applied")
        served = haproxy_status(stats)
        check(all(n > 0 for _, n in served.values()), f"not both instances served: {served}")
        print(f"ok   purchase through the proxy: {order['orderNumber']} {order['status']}, webhook applied, "
              f"success page 200{' (' + landing + ')' if landing else ''}; requests per instance "
              f"{ {k: v[1] for k, v in served.items()} }", flush=True)

        # 2. Rolling restart under steady load.
        orders_before = int(pg.scalar("SELECT count(*) FROM orders"))
        steps = []
        with Load(proxy, session) as load:
            time.sleep(2)
            for inst in (a, b):
                code, drained = inst.terminate()
                check(code == 0, f"{inst.name} exited {code} on SIGTERM")
                t0 = time.monotonic()
                inst.start()
                wait_up(stats, inst.name)
                steps.append(f"{inst.name}: drained in {drained:.1f} s, back up in {time.monotonic() - t0:.1f} s")
                time.sleep(1)
            time.sleep(2)
        fig = load.figures()
        created = int(pg.scalar("SELECT count(*) FROM orders")) - orders_before
        print(f"     rolling restart: {'; '.join(steps)}", flush=True)
        print(f"     load: {WORKERS} workers × ≤ {RATE:g} req/s: {fig['requests']} requests, {fig['failures']} failed, "
              f"longest {fig['longest_ms']} ms, p99 {fig['p99_ms']} ms; {created} orders created", flush=True)
        check(fig["failures"] == 0, f"{fig['failures']} failed requests, e.g. {fig['first_failures']}")
        check(fig["requests"] >= WORKERS * RATE * 5, f"only {fig['requests']} requests: the load did not run")
        print("ok   rolling restart: zero failed requests", flush=True)
        return fig
    finally:
        procs.stop_all()
        try:
            pg.stop()
        except Exception:
            pass


def main():
    LOGS.mkdir(parents=True, exist_ok=True)
    print(f"deploy test: binaries from {BIN}, {HAPROXY}", flush=True)
    return h.run_one("deploy", run)


if __name__ == "__main__":
    sys.exit(main())
