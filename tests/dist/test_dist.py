#!/usr/bin/env python3
"""The binaries as an operator installs them: `checkoutd` and `stripe-sim` from BIN_DIR (the debug build
in `make test`, the unpacked release tarball in `make test-dist`), started from an empty temporary
directory with nothing in the environment but the variables they need (`env -i` style: no PATH, no
HOME, no *_DIR/*_PATH overrides).

Checks, in order: `checkoutd --version` names the version and the build commit; `checkoutd migrate`
applies every migration of the repository's sql/ from the copy built into the binary; `serve` answers
/openapi.yaml and /admin/ (and /demo/ when enabled) with the repository's bytes; a purchase goes through
stripe-sim (create session → pay → signed webhook → order paid); SIGTERM exits 0. Own Postgres cluster
(.local/pg-dist), every wait bounded, every process ended by PID. Prints "N passed, M failed".
"""
import os
import pathlib
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "chaos"))
import harness as h  # noqa: E402  (the chaos suite's Postgres, HTTP and process helpers)
from harness import check  # noqa: E402

ROOT = pathlib.Path(h.ROOT)
BIN = pathlib.Path(os.environ.get("BIN_DIR", ROOT / ".build" / "debug")).resolve()
ADMIN_TOKEN = "dist-admin-token-0123456789"


def expected_commit():
    """The commit a build of this tree embeds, or None when that cannot be known here."""
    if os.environ.get("CHECKOUT_BUILD_COMMIT"):
        return os.environ["CHECKOUT_BUILD_COMMIT"]
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"], check=True,
                              capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def run(logs):
    procs = h.Processes()
    pg = h.Postgres("pg-dist")
    empty = tempfile.mkdtemp(prefix="checkoutd-dist-")
    try:
        check(os.listdir(empty) == [], "the working directory is not empty")
        base = {"DATABASE_URL": pg.url, "STRIPE_SECRET_KEY": "sk_test_dist_0123456789"}

        # --version: version and commit, known at build time.
        out = subprocess.run([str(BIN / "checkoutd"), "--version"], env={}, cwd=empty, capture_output=True,
                             text=True, timeout=30)
        check(out.returncode == 0, f"--version exited {out.returncode}: {out.stderr}")
        version = (ROOT / "VERSION").read_text().strip()
        check(out.stdout.startswith(f"checkoutd {version} (commit "), f"--version printed {out.stdout!r}")
        commit = expected_commit()
        if commit:
            check(commit in out.stdout, f"--version {out.stdout.strip()!r} does not name commit {commit}")
        print(f"ok   --version: {out.stdout.strip()}", flush=True)

        # migrate from the built-in copy: every file of sql/ is applied, nothing else is needed.
        out = subprocess.run([str(BIN / "checkoutd"), "migrate"], env=base, cwd=empty, capture_output=True,
                             text=True, timeout=120)
        check(out.returncode == 0, f"migrate exited {out.returncode}: {out.stderr[-2000:]}")
        files = sorted(p.stem for p in (ROOT / "sql").glob("[0-9]*_*.sql"))
        applied = [r[0] for r in pg.psql("SELECT name FROM schema_migrations ORDER BY version")]
        check(applied == files, f"applied {applied}, the repository has {files}")
        print(f"ok   migrate: {len(applied)} migrations from the binary ({', '.join(applied)})", flush=True)

        whsec = h.WHSEC
        sim_argv = [str(BIN / "stripe-sim"), "--port", "0", "--quiet", "--webhook-secret", whsec]
        _, sim_port = h.start_server_in(procs, sim_argv, {}, empty, f"{logs}/dist-sim.log")
        env = dict(base, PORT="0", STRIPE_API_BASE=f"http://127.0.0.1:{sim_port}", STRIPE_WEBHOOK_SECRET=whsec,
                   ADMIN_TOKEN=ADMIN_TOKEN, DEMO_ENABLED="true", RATE_LIMIT_PER_MINUTE="0")
        app, port = h.start_server_in(procs, [str(BIN / "checkoutd"), "serve"], env, empty,
                                      f"{logs}/dist-checkoutd.log")

        r = h.request(port, "GET", "/openapi.yaml")
        check(r.status == 200 and r.body == (ROOT / "openapi.yaml").read_bytes(),
              f"/openapi.yaml: {r.status}, {len(r.body)} bytes")
        for page, source in [("/admin/", "web/admin/index.html"), ("/admin/admin.js", "web/admin/admin.js"),
                             ("/demo/", "web/demo/index.html"), ("/common/common.js", "web/common/common.js")]:
            r = h.request(port, "GET", page)
            check(r.status == 200 and r.body == (ROOT / source).read_bytes(), f"{page}: {r.status}")
        print("ok   /openapi.yaml, /admin/, /demo/ serve the repository's bytes", flush=True)

        # A purchase: catalog via the admin API, session at stripe-sim, paid by its control API, the
        # signed webhook back to checkoutd, and the success page's lookup sees the order paid.
        auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        r = h.request(port, "PUT", "/api/admin/products/sku_dist",
                      {"title": "Dist mug", "unitAmount": 1200, "currency": "eur", "active": True, "stock": 5},
                      headers=auth)
        check(r.status == 200, f"PUT product: {r.status} {r.body[:200]!r}")
        r = h.request(sim_port, "PUT", "/_sim/webhook",
                      {"url": f"http://127.0.0.1:{port}/api/payments/webhook", "secrets": [whsec]})
        check(r.status == 200, f"PUT /_sim/webhook: {r.status}")
        r = h.request(port, "POST", "/api/payments/create-checkout-session",
                      {"items": [{"productId": "sku_dist", "quantity": 2}], "customerEmail": "dist@example.com"})
        check(r.status == 201, f"create-checkout-session: {r.status} {r.body[:300]!r}")
        session = r.json()["id"]
        r = h.request(sim_port, "POST", f"/_sim/sessions/{session}/pay", {})
        check(r.status == 200, f"pay: {r.status} {r.body[:200]!r}")

        def paid():
            r = h.request(port, "GET", f"/api/orders/by-session/{session}")
            return r.status == 200 and r.json()["paymentStatus"] == "paid" and r.json()
        order = h.wait_until(paid, 30, 0.1, "the order to be paid")
        check(order["amountTotal"] == 2400 and order["currency"] == "eur", f"order {order}")
        print(f"ok   purchase: {order['orderNumber']} {order['status']}/{order['paymentStatus']}", flush=True)

        app.send_signal(15)
        code = app.wait(timeout=60)
        check(code == 0, f"SIGTERM: exit status {code}")
        print("ok   SIGTERM: exit 0", flush=True)
    finally:
        procs.stop_all()
        try:
            pg.stop()
        except Exception:
            pass
        subprocess.run(["rm", "-rf", empty], check=False)


def main():
    logs = ROOT / ".local" / "test-logs"
    logs.mkdir(parents=True, exist_ok=True)
    print(f"dist test: binaries from {BIN}", flush=True)
    return h.run_one("self-contained binaries", lambda: run(logs))


if __name__ == "__main__":
    sys.exit(main())
