#!/usr/bin/env python3
"""Smoke check of the static web pages (web/demo, web/admin) without the real server.

What it checks, all for real (no fake API):
  1. every .js under web/ passes `node --check` (when node is installed);
  2. every relative href/src in every HTML page points at a file that exists;
  3. every data-testid listed in web/README.md occurs in the page sources;
  4. with --browser (needs chromium, chromium-driver and selenium: scripts/browser-deps.sh): a static
     server on a free loopback port serves web/ with the same path mapping checkoutd uses
     (see web/README.md), headless Chromium opens every page at every address it is served at, and
     the check fails if any page's CSS or JS did not load or the page did not show its
     "API unreachable" error state (this server has no /api). --screenshots DIR saves a PNG of each.

Usage: scripts/web-check.py [--browser] [--screenshots DIR] | --csp-hash
  --csp-hash prints the CSP source of the pages' one inline script (web/README.md) and exits.
"""

import argparse
import base64
import hashlib
import html.parser
import http.server
import os
import pathlib
import re
import shutil
import subprocess
import sys
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
WEB = ROOT / "web"

# The mapping checkoutd implements (web/README.md, "Paths the server must serve").
ROUTES = {
    "/demo/": "demo/index.html",
    "/demo/checkout/success": "demo/success.html",
    "/demo/checkout/cancel": "demo/cancel.html",
    "/admin/": "admin/index.html",
}
# Pages to open in the browser, and the test id that proves app.js ran and reported the missing API.
PAGES = [
    ("/demo/", "error-message", "demo-index"),
    ("/demo/index.html", "error-message", None),
    ("/demo/checkout/success?session_id=cs_test_x", "error-message", "demo-success"),
    ("/demo/success.html?session_id=cs_test_x", "error-message", None),
    ("/demo/checkout/cancel?order_id=00000000-0000-0000-0000-000000000000", "retry-payment", "demo-cancel"),
    ("/demo/cancel.html?order_id=00000000-0000-0000-0000-000000000000", "retry-payment", None),
    ("/admin/", "admin-token-input", "admin-login"),
]

failures = []


def fail(message):
    failures.append(message)
    print(f"FAIL {message}")


class RefParser(html.parser.HTMLParser):
    """Collects href/src attribute values and data-testid values of one HTML file."""

    def __init__(self):
        super().__init__()
        self.refs = []
        self.testids = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.refs.append(value)
            if name == "data-testid" and value:
                self.testids.append(value)


def check_js():
    node = shutil.which("node")
    if not node:
        print("skip node --check (node not installed)")
        return
    for js in sorted(WEB.rglob("*.js")):
        r = subprocess.run([node, "--check", str(js)], capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"node --check {js.relative_to(ROOT)}: {r.stderr.strip()}")
        else:
            print(f"ok   node --check {js.relative_to(ROOT)}")


def check_refs():
    for page in sorted(WEB.rglob("*.html")):
        parser = RefParser()
        parser.feed(page.read_text(encoding="utf-8"))
        for ref in parser.refs:
            if re.match(r"^(#|[a-z]+:|//)", ref):
                continue  # in-page anchors, absolute URLs
            target = (page.parent / ref.split("?")[0].split("#")[0]).resolve()
            if not target.is_file():
                fail(f"{page.relative_to(ROOT)} references missing {ref}")
        print(f"ok   references of {page.relative_to(ROOT)}")


def check_testids():
    readme = (WEB / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Test ids", 1)[1].split("\n## ", 1)[0]
    # The ids are the `backticked` names on the section's bullet lines, outside parentheses.
    bullets = [re.sub(r"\([^)]*\)", "", line) for line in section.splitlines() if line.startswith("- ")]
    listed = set(re.findall(r"`([a-z0-9-]+)`", "\n".join(bullets)))
    sources = "".join(p.read_text(encoding="utf-8") for p in WEB.rglob("*") if p.suffix in (".html", ".js"))
    for testid in sorted(listed):
        # In HTML as data-testid="x"; in JS as testid: 'x' or badge(…, 'x').
        if f'"{testid}"' in sources or f"'{testid}'" in sources:
            continue
        fail(f"test id {testid} is listed in web/README.md but not used in web/")
    print(f"ok   {len(listed)} test ids listed in web/README.md")


class StaticHandler(http.server.SimpleHTTPRequestHandler):
    """Serves web/ with checkoutd's mapping; records every request and its status."""

    log = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(WEB), **kwargs)

    def translate_path(self, path):
        bare = path.split("?", 1)[0].split("#", 1)[0]
        if bare in ROUTES:
            return str(WEB / ROUTES[bare])
        return super().translate_path(path)

    def log_request(self, code="-", size="-"):
        StaticHandler.log.append((self.path, int(code) if str(code).isdigit() else 0))

    def log_message(self, *args):
        pass


def check_browser(screenshots):
    try:
        from selenium import webdriver
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait
    except ImportError:
        fail("--browser needs selenium (scripts/browser-deps.sh)")
        return
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StaticHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(arg)
    if shutil.which("chromium"):
        options.binary_location = shutil.which("chromium")
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver")) if shutil.which("chromedriver") else None
    driver = webdriver.Chrome(options=options, service=service) if service else webdriver.Chrome(options=options)
    try:
        for path, testid, shot in PAGES:
            StaticHandler.log.clear()
            driver.get(origin + path)
            try:
                WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, f'[data-testid="{testid}"]'))
            except Exception:
                fail(f"{path}: [data-testid={testid}] did not appear")
            # The stylesheet applied (its background colour is not the browser default).
            bg = driver.execute_script("return getComputedStyle(document.documentElement).backgroundColor")
            if bg in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"):
                fail(f"{path}: stylesheet not applied (background {bg})")
            time.sleep(0.2)  # let the last request's log line land
            # Served as content at …/checkout/success, the page's inline script sets <base> to the demo
            # folder; browsers' speculative preloader may still ask for …/checkout/app.* first (README).
            speculative = re.compile(r"^/demo/checkout/app\.(css|js)$")
            missing = [
                (p, c)
                for p, c in StaticHandler.log
                if c >= 400 and not p.startswith("/api/") and not speculative.match(p)
            ]
            if missing:
                fail(f"{path}: static requests failed: {missing}")
            else:
                print(f"ok   {path} ({len(StaticHandler.log)} requests, [data-testid={testid}] shown)")
            if screenshots and shot:
                os.makedirs(screenshots, exist_ok=True)
                driver.save_screenshot(os.path.join(screenshots, f"{shot}.png"))
    finally:
        driver.quit()
        server.shutdown()


def inline_script_hashes():
    """The CSP hash sources ('sha256-…') of every inline <script> in web/, one per distinct script."""
    hashes = set()
    for page in sorted(WEB.rglob("*.html")):
        for body in re.findall(r"<script>(.*?)</script>", page.read_text(encoding="utf-8"), re.S):
            digest = hashlib.sha256(body.encode("utf-8")).digest()
            hashes.add("'sha256-" + base64.b64encode(digest).decode() + "'")
    return sorted(hashes)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--browser", action="store_true", help="also open every page in headless Chromium")
    parser.add_argument("--screenshots", metavar="DIR", help="with --browser: save screenshots here")
    parser.add_argument("--csp-hash", action="store_true", help="print the CSP hash of the inline script and exit")
    args = parser.parse_args()
    if args.csp_hash:
        print(" ".join(inline_script_hashes()))
        return 0
    check_js()
    check_refs()
    check_testids()
    if args.browser:
        check_browser(args.screenshots)
    print("web-check: FAILED" if failures else "web-check: all good")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
