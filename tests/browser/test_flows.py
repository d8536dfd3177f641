#!/usr/bin/env python3
"""Browser tests of the demo storefront and the admin page against the real stack.

The test starts everything itself, on free loopback ports, and stops it again (by PID):
  * a throwaway Postgres (`scripts/pg.sh start .local/pg-browser --fresh`), migrated by
    `checkoutd migrate` and loaded with `scripts/seed.sql` (the catalog `make run` uses);
  * the real `stripe-sim` (its hosted page stands in for Stripe Checkout) delivering signed webhooks;
  * the real `checkoutd serve` with the demo enabled and an admin token, fulfilling paid orders through
    `scripts/supplier.py` (which rejects orders whose email has "+fail@" in it) with fast outbox retries;
  * maildump (the mail catcher `make run` uses, from .local/mail-venv: scripts/mail-venv.sh) receiving the
    customer e-mail over SMTP;
  * headless Chromium (Debian `chromium` + `chromium-driver`) driven by Python selenium.

Flows (web/README.md "Browser test plan"):
  1. storefront purchase → hosted page Pay → paid order on the success page → cart emptied;
  2. declined card → Cancel → cancel page → Retry payment → a new hosted page → Pay → paid;
  3. admin: wrong token refused → sign in → needs-attention filter (a fulfillment the supplier kept
     rejecting, and an order paid after an admin cancelled it) → order detail → mark-paid refused (already
     paid) → supplier healed → Retry fulfillment → confirmed; a declined order found by search → mark-paid;
  4. admin refunds part of a paid order (confirm step) → the refund shows pending → Stripe settles it → the
     page shows it succeeded and the order refunded in part.
  5. pay on the storefront with an email → open the mail catcher's web view → the confirmation is there.
  6. subscription: a mixed cart (coffee club + stickers) → Pay → success page; the simulator's clock moves two
     weeks on → the renewal order appears on the subscription's admin page. It runs
     last, because the simulator's clock stays moved on afterwards.

Every wait is a WebDriverWait or a deadline-bounded poll; there are no fixed sleeps. Screenshots
(1280×800) of the storefront, the success page and the admin list go to SCREENSHOT_DIR (default
.local/browser/shots); `make screenshots` copies them to docs/screenshots/. On a failure the page's
screenshot and HTML, and the server logs, are left in .local/browser/.

Usage: python3 tests/browser/test_flows.py [-v]   (the binaries must be built: `swift build`)
  BIN_DIR       where checkoutd and stripe-sim are (default: `swift build --show-bin-path`)
  BROWSER_KEEP  1 = leave the stack running at the end and print its URLs (debugging)
"""

import fcntl
import json
import os
import pathlib
import queue
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ROOT = pathlib.Path(__file__).resolve().parents[2]
WORK = ROOT / ".local" / "browser"
SHOTS = pathlib.Path(os.environ.get("SCREENSHOT_DIR") or WORK / "shots")
PG_DIR = ".local/pg-browser"
WAIT = 30  # seconds: the bound of every browser wait (the slowest step is a webhook round trip)
ADMIN_TOKEN = "browser-test-" + secrets.token_hex(12)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def by_testid(testid):
    return (By.CSS_SELECTOR, f'[data-testid="{testid}"]')


class Process:
    """A child process whose stdout+stderr go to a log file; `wait_for_line` awaits a line (bounded)."""

    def __init__(self, name, argv, env, cwd):
        self.name = name
        self.log_path = WORK / f"{name}.log"
        self.log = open(self.log_path, "w", encoding="utf-8")
        self.lines = queue.Queue()
        self.proc = subprocess.Popen(
            argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.log.write(line)
            self.log.flush()
            self.lines.put(line)
        self.lines.put(None)  # EOF

    def wait_for_line(self, pattern, timeout):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.name}: no line matching {pattern!r} within {timeout}s ({self.log_path})")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise RuntimeError(f"{self.name} exited ({self.proc.wait()}) before printing {pattern!r}; see {self.log_path}")
            m = re.search(pattern, line)
            if m:
                return m

    def stop(self, grace=15):
        """SIGTERM, then SIGKILL after `grace` seconds: this PID only."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.reader.join(timeout=5)
        self.log.close()


class Stack:
    """Postgres + stripe-sim + checkoutd, all on free ports, for one test run."""

    def __init__(self):
        self.processes = []
        self.pg_started = False

    def start(self):
        WORK.mkdir(parents=True, exist_ok=True)
        # One run at a time per checkout: the cluster folder and the logs are fixed paths.
        self.lock = open(WORK / "run.lock", "w")
        try:
            fcntl.flock(self.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(f"another browser test run is using {PG_DIR} (lock {WORK / 'run.lock'})") from None
        bin_dir = os.environ.get("BIN_DIR") or subprocess.check_output(
            ["swift", "build", "--show-bin-path"], cwd=ROOT, text=True
        ).strip()
        checkoutd, sim = pathlib.Path(bin_dir) / "checkoutd", pathlib.Path(bin_dir) / "stripe-sim"
        for b in (checkoutd, sim):
            if not b.exists():
                raise RuntimeError(f"{b} is missing: run `swift build` first")

        subprocess.run(["scripts/pg.sh", "start", PG_DIR, "--fresh"], cwd=ROOT, check=True, timeout=120)
        self.pg_started = True
        db_url = subprocess.check_output(["scripts/pg.sh", "url", PG_DIR], cwd=ROOT, text=True).strip()

        # checkoutd runs in an empty folder so a developer's .env cannot leak into the test; paths absolute.
        self.cwd = tempfile.mkdtemp(prefix="browser-", dir=WORK)
        whsec = "whsec_" + secrets.token_hex(24)
        self.port = free_port()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/tmp"),
            "DATABASE_URL": db_url,
            "STRIPE_SECRET_KEY": "sk_test_browser_tests",
            "STRIPE_WEBHOOK_SECRET": whsec,
            "ADMIN_TOKEN": ADMIN_TOKEN,
            "DEMO_ENABLED": "true",
            "MIGRATIONS_DIR": str(ROOT / "sql"),
            "WEB_DIR": str(ROOT / "web"),
            "OPENAPI_PATH": str(ROOT / "openapi.yaml"),
            "LOG_FORMAT": "json",
            "SHUTDOWN_GRACE": "2",
        }
        migrate = subprocess.run([str(checkoutd), "migrate"], env={**env, "PORT": "0"}, cwd=self.cwd,
                                 timeout=60, capture_output=True, text=True)
        if migrate.returncode != 0:
            raise RuntimeError(f"checkoutd migrate failed ({migrate.returncode}): {migrate.stderr[-2000:]}")
        pgbin = sorted(pathlib.Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))[-1]
        subprocess.run([str(pgbin / "psql"), db_url, "-v", "ON_ERROR_STOP=1", "-q", "-f", str(ROOT / "scripts/seed.sql")],
                       check=True, timeout=30)

        # The stand-in supplier, on a port it picks itself (its first stdout line says which).
        sup = Process("supplier", [sys.executable, str(ROOT / "scripts/supplier.py"), "--port", "0"],
                      dict(os.environ), self.cwd)
        self.processes.append(sup)
        self.supplier = "http://127.0.0.1:" + sup.wait_for_line(r"listening on http://127\.0\.0\.1:(\d+)", 30).group(1)
        env.update({
            "FULFILLMENT_WEBHOOK_URL": self.supplier + "/orders",
            "OUTBOX_MAX_ATTEMPTS": "2", "OUTBOX_BACKOFF_BASE": "0.05", "OUTBOX_BACKOFF_MAX": "0.2",
            "OUTBOX_POLL_INTERVAL": "0.1", "OUTBOX_HTTP_TIMEOUT": "5", "OUTBOX_LEASE_SECONDS": "16",
        })

        # maildump, the mail catcher: checkoutd sends customer e-mail to it in plain SMTP on loopback.
        mail_python = ROOT / ".local" / "mail-venv" / "bin" / "python"
        if not mail_python.exists():
            raise RuntimeError(f"{mail_python} is missing: run scripts/mail-venv.sh (make test-browser does)")
        smtp_port, web_port = free_port(), free_port()
        m = Process("maildump", [str(mail_python), str(mail_python.parent / "maildump"), "--foreground",
                                 "--smtp-ip", "127.0.0.1", "--smtp-port", str(smtp_port),
                                 "--http-ip", "127.0.0.1", "--http-port", str(web_port)], dict(os.environ), self.cwd)
        self.processes.append(m)
        m.wait_for_line(r"Starting smtp server", 60)
        self.mail = f"http://127.0.0.1:{web_port}"
        env.update({"SMTP_URL": f"smtp://127.0.0.1:{smtp_port}", "SMTP_STARTTLS": "false",
                    "MAIL_FROM": "Demo Shop <shop@localhost>"})

        # stripe-sim on a port it picks itself (its first stdout line says which).
        s = Process("stripe-sim", [str(sim), "--port", "0", "--webhook-url",
                                   f"http://127.0.0.1:{self.port}/api/payments/webhook", "--webhook-secret", whsec,
                                   "--delivery-initial-backoff-ms", "200", "--delivery-max-backoff-ms", "1000"],
                    env, self.cwd)
        self.processes.append(s)
        self.sim = "http://127.0.0.1:" + s.wait_for_line(r"listening on http://127\.0\.0\.1:(\d+)", 30).group(1)
        env["STRIPE_API_BASE"] = self.sim

        # checkoutd on the port chosen above (PUBLIC_ORIGIN must name it before it starts). Another
        # process may grab that port in between: then try another one and re-point the simulator.
        for attempt in range(3):
            env["PORT"] = str(self.port)
            env["PUBLIC_ORIGIN"] = f"http://127.0.0.1:{self.port}/demo"
            c = Process(f"checkoutd-{attempt}", [str(checkoutd), "serve"], env, self.cwd)
            self.processes.append(c)
            try:
                c.wait_for_line(r"checkoutd listening on", 60)
                break
            except RuntimeError:
                if attempt == 2:
                    raise
                self.port = free_port()
                self.sim_call("PUT", "/_sim/webhook", {
                    "url": f"http://127.0.0.1:{self.port}/api/payments/webhook", "secrets": [whsec]})
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self):
        for p in reversed(self.processes):
            p.stop()
        if self.pg_started:
            subprocess.run(["scripts/pg.sh", "stop", PG_DIR], cwd=ROOT, timeout=60)
        shutil.rmtree(getattr(self, "cwd", ""), ignore_errors=True)

    # --- HTTP helpers (the setup of the admin flow goes through the API, as a script would) -------

    @staticmethod
    def _call(method, url, body=None, headers=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def api(self, method, path, body=None, admin=False):
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"} if admin else {}
        return self._call(method, self.base + path, body, headers)

    def sim_call(self, method, path, body=None):
        return self._call(method, self.sim + path, body)

    def await_webhooks(self):
        status, _ = self.sim_call("GET", "/_sim/deliveries/wait?timeout=15")
        assert status == 200, "stripe-sim still delivering webhooks after 15 s"

    def await_order(self, order_id, predicate, what, timeout=WAIT):
        """Polls the admin API (bounded) until the order satisfies `predicate`; the outbox is asynchronous."""
        deadline = time.monotonic() + timeout
        while True:
            order = self.admin_order(order_id)
            if predicate(order):
                return order
            if time.monotonic() > deadline:
                raise AssertionError(f"order {order_id} not {what} within {timeout}s: {order}")
            time.sleep(0.2)

    def admin_order(self, order_id):
        status, order = self.api("GET", f"/api/admin/orders/{order_id}", admin=True)
        assert status == 200, order
        return order


def new_driver():
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,800", "--hide-scrollbars", "--no-first-run", "--disable-extensions",
                "--force-device-scale-factor=1", "--lang=en-US"):
        opts.add_argument(arg)
    service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    driver = webdriver.Chrome(options=opts, service=service)
    # The viewport itself 1280×800 (--window-size includes the window's frame), for the screenshots.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    driver.set_page_load_timeout(WAIT)
    driver.set_script_timeout(WAIT)
    return driver


class BrowserFlows(unittest.TestCase):
    stack = None

    @classmethod
    def setUpClass(cls):
        started = time.monotonic()
        cls.stack = Stack()
        try:
            cls.stack.start()
        except BaseException:
            cls.stack.stop()
            raise
        print(f"browser: stack up in {time.monotonic() - started:.1f}s at {cls.stack.base} (sim {cls.stack.sim})",
              file=sys.stderr)

    @classmethod
    def tearDownClass(cls):
        if os.environ.get("BROWSER_KEEP") == "1":
            print(f"BROWSER_KEEP=1: stack left running: {cls.stack.base}/demo/ admin token {ADMIN_TOKEN}; "
                  f"Enter stops it", file=sys.stderr)
            input()
        cls.stack.stop()

    def setUp(self):
        self.driver = new_driver()
        self.addCleanup(self.driver.quit)
        self.addCleanup(self._keep_evidence_on_failure)

    def _keep_evidence_on_failure(self):
        outcome = getattr(self, "_outcome", None)
        errors = getattr(outcome, "errors", None) or []
        result = getattr(outcome, "result", None)
        failed = any(err for _, err in errors) or (
            result is not None and any(t is self for t, _ in result.failures + result.errors))
        if failed:
            try:
                name = self.id().rsplit(".", 1)[-1]
                self.driver.save_screenshot(str(WORK / f"FAILED-{name}.png"))
                (WORK / f"FAILED-{name}.html").write_text(self.driver.page_source, encoding="utf-8")
                print(f"browser: failure evidence in {WORK} (url {self.driver.current_url})", file=sys.stderr)
            except WebDriverException:
                pass

    # --- waits ----------------------------------------------------------------------------------

    def wait(self, condition, message, timeout=WAIT):
        return WebDriverWait(self.driver, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(
            condition, message)

    def find(self, testid, within=None):
        return (within or self.driver).find_element(*by_testid(testid))

    def visible(self, testid):
        return self.wait(lambda d: next((e for e in d.find_elements(*by_testid(testid)) if e.is_displayed()), False),
                         f"[data-testid={testid}] visible")

    def wait_status(self, testid, wanted):
        def check(d):
            els = d.find_elements(*by_testid(testid))
            return els and els[0].get_attribute("data-status") in wanted and els[0]
        return self.wait(check, f"{testid} data-status in {wanted} (url {self.driver.current_url})")

    def shot(self, name):
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(SHOTS / f"{name}.png"))

    # --- storefront steps -------------------------------------------------------------------------

    def add_to_cart(self, product_id, email=None):
        d = self.driver
        d.get(self.stack.base + "/demo/")
        card = self.wait(lambda d: d.find_element(By.CSS_SELECTOR,
                                                  f'[data-testid="product-card"][data-product-id="{product_id}"]'),
                         f"product card {product_id}")
        unit = next(p["unitAmount"] for p in self._products() if p["id"] == product_id)
        self.find("add-to-cart", card).click()
        self.wait(lambda d: d.find_element(*by_testid("cart-total")).get_attribute("data-amount") == str(unit),
                  f"cart total = {unit}")
        if email:
            field = self.find("customer-email")
            field.clear()
            field.send_keys(email)
        return unit

    def _products(self):
        status, body = self.stack.api("GET", "/api/products")
        self.assertEqual(status, 200, body)
        return body if isinstance(body, list) else body["products"]

    def pay_button_to_hosted_page(self):
        self.find("pay-button").click()
        return self.on_hosted_page()

    def on_hosted_page(self):
        """Waits for stripe-sim's hosted page; returns its session id."""
        self.wait(lambda d: d.current_url.startswith(self.stack.sim + "/pay/") and d.find_elements(By.ID, "pay"),
                  "the simulator's hosted checkout page")
        return self.driver.find_element(By.ID, "session").text

    def wait_paid_on_success_page(self, session_id):
        self.wait(lambda d: "/demo/success" in d.current_url and f"session_id={session_id}" in d.current_url,
                  "redirect to the success page")
        return self.wait_status("order-status", ("paid", "confirmed"))

    # --- flows ------------------------------------------------------------------------------------

    def test_1_purchase_to_paid(self):
        d = self.driver
        unit = self.add_to_cart("sku_mug", email="ada@example.com")
        # A second product, so the storefront screenshot shows a real cart.
        card = d.find_element(By.CSS_SELECTOR, '[data-testid="product-card"][data-product-id="sku_stickers"]')
        self.find("add-to-cart", card).click()
        self.wait(lambda d: d.find_element(*by_testid("cart-total")).get_attribute("data-amount") == str(unit + 500),
                  "cart total with stickers")
        self.assertEqual(len(d.find_elements(*by_testid("cart-line"))), 2)
        self.shot("storefront")

        session_id = self.pay_button_to_hosted_page()
        self.assertTrue(session_id.startswith("cs_test_"), session_id)
        d.find_element(By.ID, "pay").click()
        status = self.wait_paid_on_success_page(session_id)
        self.assertIn(status.get_attribute("data-status"), ("paid", "confirmed"))
        self.assertRegex(self.find("order-number").text, r"^DO-\d{8}-\d{4,}$")
        self.assertNotEqual(self.find("order-total").text.strip(), "")
        self.shot("success")

        # The server agrees, and the cart is gone once the order is paid.
        status_code, order = self.stack.api("GET", f"/api/orders/by-session/{session_id}")
        self.assertEqual(status_code, 200)
        self.assertIn(order["status"], ("paid", "confirmed"))
        self.assertEqual(order["amountTotal"], unit + 500)
        d.get(self.stack.base + "/demo/")
        self.visible("cart-empty")

    def test_2_decline_cancel_retry_paid(self):
        d = self.driver
        self.add_to_cart("sku_tee")
        first = self.pay_button_to_hosted_page()
        d.find_element(By.ID, "decline").click()
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "p.decline"), "the decline notice on the hosted page")
        self.stack.await_webhooks()
        status, order = self.stack.api("GET", f"/api/orders/by-session/{first}")
        self.assertEqual(status, 200)
        self.assertEqual(order["status"], "failed")

        d.find_element(By.ID, "cancel").click()
        self.wait(lambda d: "/demo/cancel" in d.current_url and f"order_id={order['id']}" in d.current_url,
                  "redirect to the cancel page")
        self.wait(lambda d: d.find_element(*by_testid("order-number")).text == order["orderNumber"],
                  "the cancel page names the saved order")
        self.visible("retry-payment").click()

        second = self.on_hosted_page()
        self.assertNotEqual(first, second, "retry must make a new Checkout Session")
        d.find_element(By.ID, "pay").click()
        self.wait_paid_on_success_page(second)
        self.assertEqual(self.find("order-number").text, order["orderNumber"])

        detail = self.stack.admin_order(order["id"])
        self.assertIn(detail["status"], ("paid", "confirmed"))
        self.assertEqual({s["id"] for s in detail["sessions"]}, {first, second})

    def test_5_confirmation_email_in_the_mail_catcher(self):
        d = self.driver
        self.add_to_cart("sku_mug", email="grace@example.com")
        session_id = self.pay_button_to_hosted_page()
        d.find_element(By.ID, "pay").click()
        self.wait_paid_on_success_page(session_id)
        number = self.find("order-number").text.strip()

        # The mail catcher's web view lists the confirmation (its page loads the list itself).
        d.get(self.stack.mail + "/")
        row = self.wait(lambda d: next((r for r in d.find_elements(By.CSS_SELECTOR, "#messages tr[data-message-id]")
                                        if "grace@example.com" in r.text and number in r.text), None),
                        f"the confirmation of {number} in the mail catcher", timeout=60)
        self.assertIn(f"order {number} confirmed", row.text)
        row.click()
        frame = self.wait(lambda d: d.find_element(By.ID, "message-body"), "the message view")
        d.switch_to.frame(frame)
        body = self.wait(lambda d: d.find_element(By.TAG_NAME, "body").text or None, "the message text")
        self.assertIn(number, body)
        self.assertIn("We received your payment", body)
        d.switch_to.default_content()
        self.shot("mail-catcher")

    def test_3_admin_needs_attention_and_mark_paid(self):
        st, d = self.stack, self.driver
        # Setup through the API, as a script would:
        #  (A) an order an admin cancelled whose open session the customer then paid: needs attention;
        #  (B) an order whose card was declined (failed): an admin will mark it paid;
        #  (C) a paid order the supplier keeps rejecting until the outbox gives up: needs attention.
        def checkout(product, email):
            status, body = st.api("POST", "/api/payments/create-checkout-session",
                                  {"items": [{"productId": product, "quantity": 1}], "customerEmail": email})
            self.assertEqual(status, 201, body)
            return body
        a = checkout("sku_socks", "grace@example.com")
        status, body = st.api("POST", f"/api/admin/orders/{a['orderId']}/cancel", {"reason": "asked by phone"},
                              admin=True)
        self.assertEqual(status, 200, body)
        self.assertEqual(st.sim_call("POST", f"/_sim/sessions/{a['id']}/pay", {})[0], 200)
        b = checkout("sku_poster", "alan@example.com")
        self.assertEqual(st.sim_call("POST", f"/_sim/sessions/{b['id']}/decline", {})[0], 200)
        c = checkout("sku_lantern", "barbara+fail@example.com")
        self.assertEqual(st.sim_call("POST", f"/_sim/sessions/{c['id']}/pay", {})[0], 200)
        st.await_webhooks()
        self.assertTrue(st.admin_order(a["orderId"])["needsAttention"])
        self.assertEqual(st.admin_order(b["orderId"])["status"], "failed")
        st.await_order(c["orderId"], lambda o: o["fulfillmentStatus"] == "failed" and o["needsAttention"],
                       "fulfillment failed")

        # A wrong token is refused, the right one lets us in.
        d.get(st.base + "/admin/")
        self.visible("admin-token-input").send_keys("not-the-token")
        self.find("admin-token-submit").click()
        self.visible("login-message")
        token = self.visible("admin-token-input")
        token.clear()
        token.send_keys(ADMIN_TOKEN)
        self.find("admin-token-submit").click()
        self.wait(lambda d: len(d.find_elements(*by_testid("order-row"))) >= 3, "the orders table")
        self.shot("admin")

        # Needs attention only: every row is flagged, A and C among them.
        self.find("filter-needs-attention").click()
        self.wait(lambda d: "needsAttention=true" in d.current_url, "the needs-attention filter applied")

        def flagged_rows(d):
            rows = d.find_elements(*by_testid("order-row"))
            ids = {r.get_attribute("data-order-id") for r in rows}
            if not {a["orderId"], c["orderId"]} <= ids:
                return False
            return rows if all("attention" in r.get_attribute("class").split() for r in rows) else False
        rows = self.wait(flagged_rows, "only needs-attention rows, including orders A and C")

        # C: the fulfillment failure is shown; mark-paid is refused (it is paid); once the supplier is
        # back, Retry fulfillment confirms it.
        row = next(r for r in rows if r.get_attribute("data-order-id") == c["orderId"])
        self.find("order-link", row).click()
        self.wait(lambda d: self.find("detail-order-number").text == c["orderNumber"], "order C's detail")
        self.assertIn("fulfillment failed", self.visible("detail-attention").text)
        self.wait_status("detail-fulfillment-status", ("failed",))
        self.find("mark-paid-note").send_keys("customer says they paid twice")
        self.find("mark-paid-button").click()
        self.wait(lambda d: d.find_element(By.CSS_SELECTOR,
                                           '[data-testid="action-result"] [data-testid="error-message"]')
                  .get_attribute("data-error-code") == "order_already_paid", "mark-paid refused (already paid)")
        self.assertEqual(st._call("POST", st.supplier + "/_supplier/heal")[0], 200)
        self.find("action-retry-fulfillment").click()
        self.visible("action-ok")
        confirmed = st.await_order(c["orderId"], lambda o: o["status"] == "confirmed", "confirmed")
        self.assertFalse(confirmed["needsAttention"])
        self.assertEqual(confirmed["fulfillmentReference"], f"SUP-{c['orderNumber']}")

        # B: found by search, marked paid with a note, the detail shows it paid.
        self.find("back-to-orders").click()
        search = self.visible("filter-search")
        search.send_keys(b["orderNumber"])
        self.find("filter-apply").click()

        def only_b(d):
            rows = d.find_elements(*by_testid("order-row"))
            return len(rows) == 1 and rows[0].get_attribute("data-order-id") == b["orderId"] and rows[0]
        row = self.wait(only_b, "the search finds order B alone")
        self.find("order-link", row).click()
        self.wait(lambda d: self.find("detail-order-number").text == b["orderNumber"], "order B's detail")
        self.wait_status("detail-status", ("failed",))
        self.find("mark-paid-note").send_keys("bank transfer ref 77-1121")
        self.find("mark-paid-button").click()
        self.visible("action-ok")
        self.wait_status("detail-status", ("paid", "confirmed"))
        history = st.admin_order(b["orderId"])["history"]
        self.assertTrue(any("bank transfer ref 77-1121" in (h.get("reason") or "") and (h.get("actor") or "")
                            .startswith("admin") for h in history), history)

    def test_4_admin_refunds_part_and_sees_it_settle(self):
        st, d = self.stack, self.driver
        # A paid order; refunds made now stay pending at Stripe until the simulator settles them.
        status, order = st.api("POST", "/api/payments/create-checkout-session",
                               {"items": [{"productId": "sku_poster", "quantity": 1}], "customerEmail": "lin@example.com"})
        self.assertEqual(status, 201, order)
        self.assertEqual(st.sim_call("POST", f"/_sim/sessions/{order['id']}/pay", {})[0], 200)
        st.await_webhooks()
        paid = st.await_order(order["orderId"], lambda o: o["status"] in ("paid", "confirmed"), "paid")
        self.assertEqual(st.sim_call("POST", "/_sim/refunds/pending", {"pending": True})[0], 200)
        self.addCleanup(lambda: st.sim_call("POST", "/_sim/refunds/pending", {"pending": False}))
        part = paid["amountReceived"] // 2

        d.get(st.base + "/admin/")
        self.visible("admin-token-input").send_keys(ADMIN_TOKEN)
        self.find("admin-token-submit").click()
        self.wait(lambda d: d.find_elements(*by_testid("order-row")), "the orders table")
        d.get(st.base + f"/admin/#/orders/{order['orderId']}")
        self.wait(lambda d: self.find("detail-order-number").text == order["orderNumber"], "the order's detail")

        # Refund part of it: the first click only asks; the confirm sends it.
        self.visible("refund-amount").send_keys(str(part))
        self.find("refund-note").send_keys("one poster arrived torn")
        self.find("refund-button").click()
        self.assertIn("refund", self.visible("refund-confirm-text").text)
        self.assertEqual(st.admin_order(order["orderId"]).get("refunds"), [], "nothing sent before the confirm")
        self.find("refund-confirm-button").click()
        self.visible("action-ok")
        self.wait_status("refund-status", ("pending",))
        self.wait_status("detail-refund-status", ("pending",))

        # Stripe settles it; the page shows it succeeded and the amount refunded.
        refund = st.admin_order(order["orderId"])["refunds"][0]
        self.assertEqual((refund["amount"], refund["status"], refund["requestedBy"]), (part, "pending", "admin"))
        self.assertEqual(st.sim_call("POST", f"/_sim/refunds/{refund['id']}/succeed", {})[0], 200)
        st.await_webhooks()
        st.await_order(order["orderId"], lambda o: o["amountRefunded"] == part, "refunded in part")
        d.refresh()
        self.wait_status("refund-status", ("succeeded",))
        self.wait_status("detail-refund-status", ("partial",))
        self.wait_status("detail-status", ("paid", "confirmed"))

    def test_6_subscription_renewal_on_admin_page(self):
        st, d = self.stack, self.driver
        # A mixed cart: the coffee club (every 2 weeks) and a one-time sticker pack, one Checkout Session.
        self.add_to_cart("sku_coffee_club", email="club@example.com")
        card = d.find_element(By.CSS_SELECTOR, '[data-testid="product-card"][data-product-id="sku_stickers"]')
        self.assertIn("every 2 weeks", self.find("product-price", d.find_element(
            By.CSS_SELECTOR, '[data-testid="product-card"][data-product-id="sku_coffee_club"]')).text)
        self.find("add-to-cart", card).click()
        self.wait(lambda d: len(d.find_elements(*by_testid("cart-line"))) == 2, "two cart lines")
        session_id = self.pay_button_to_hosted_page()
        self.assertEqual(st.sim_call("GET", f"/_sim/sessions/{session_id}")[1]["mode"], "subscription")
        d.find_element(By.ID, "pay").click()
        self.wait_paid_on_success_page(session_id)
        st.await_webhooks()
        status, order = st.api("GET", f"/api/orders/by-session/{session_id}")
        self.assertEqual(status, 200, order)
        self.assertEqual(order["amountTotal"], 1600 + 500)
        subscription = order["subscription"]
        self.assertIsNotNone(subscription, order)
        self.assertEqual(subscription["status"], "active")

        # Two weeks and a day later on the simulator's clock: Stripe bills the next period (paid).
        self.assertEqual(st.sim_call("POST", "/_sim/clock/advance", {"seconds": 15 * 86400})[0], 200)
        st.await_webhooks()

        d.get(st.base + "/admin/#/subscriptions")
        token = self.visible("admin-token-input")
        token.send_keys(ADMIN_TOKEN)
        self.find("admin-token-submit").click()
        link = self.wait(lambda d: next((a for a in d.find_elements(*by_testid("subscription-link"))
                                         if a.text == subscription["id"]), False), "the subscription in the list")
        link.click()
        rows = self.wait(lambda d: (lambda r: r if len(r) == 2 else False)(
            d.find_elements(By.CSS_SELECTOR, '[data-testid="subscription-orders"] tbody tr')),
            "the checkout order and the renewal order on the subscription's page")
        numbers = [r.find_element(*by_testid("subscription-order-link")).text for r in rows]
        self.assertIn(order["orderNumber"], numbers)
        renewal = next(n for n in numbers if n != order["orderNumber"])
        self.assertRegex(renewal, r"^DO-\d{8}-\d{4,}$")
        self.shot("admin-subscription")


if __name__ == "__main__":
    started = time.monotonic()
    program = unittest.main(exit=False, verbosity=2 if "-v" in sys.argv else 1)
    print(f"browser tests: {time.monotonic() - started:.1f}s", file=sys.stderr)
    sys.exit(0 if program.result.wasSuccessful() else 1)
