#!/usr/bin/env python3
"""A stand-in fulfillment supplier for `make run`, `make demo` and the browser tests.

checkoutd POSTs every paid order to FULFILLMENT_WEBHOOK_URL (docs/operations.md). This receiver answers
like a supplier would, and fails on purpose so the "needs attention" path can be seen:

  POST /orders           the order JSON. 200 {"reference": "SUP-<order number>"}, except when the
                         customer's email has "+fail@" in it (e.g. ada+fail@example.com): 502, so the
                         outbox retries, gives up, and the order needs attention.
  POST /_supplier/heal   from now on every order succeeds (then "Retry fulfillment" in the admin works)
  POST /_supplier/break  back to failing the "+fail@" orders
  GET  /_supplier/health 200 {"ok": true, "healed": …}

Usage: scripts/supplier.py [--port 12113]   (0 = any free port; the first stdout line names it)
SIGTERM/SIGINT stop it. Standard library only; loopback only.
"""

import argparse
import json
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 1 << 20
state = {"healed": False, "lock": threading.Lock()}


class Handler(BaseHTTPRequestHandler):
    server_version = "demo-supplier"

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/_supplier/health":
            self.answer(200, {"ok": True, "healed": state["healed"]})
        else:
            self.answer(404, {"error": "not found"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.answer(413, {"error": "too large"})
            return
        raw = self.rfile.read(length)
        if self.path in ("/_supplier/heal", "/_supplier/break"):
            with state["lock"]:
                state["healed"] = self.path.endswith("heal")
            self.answer(200, {"healed": state["healed"]})
            return
        try:
            order = json.loads(raw or b"{}")
        except ValueError:
            self.answer(400, {"error": "invalid json"})
            return
        email = str(order.get("customerEmail") or "")
        if "+fail@" in email and not state["healed"]:
            self.answer(502, {"error": "supplier rejected the order (demo: +fail in the customer's email)"})
            return
        self.answer(200, {"reference": f"SUP-{order.get('orderNumber') or 'unknown'}"})

    def log_message(self, fmt, *args):
        sys.stderr.write("supplier: %s %s\n" % (self.address_string(), fmt % args))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=12113)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"supplier listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()
    server.server_close()


if __name__ == "__main__":
    main()
