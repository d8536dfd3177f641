"""An order webhook receiver for the tests: verifies every delivery with the README's snippet (verify.py).

Usage: receiver.py SECRET LOG_FILE. Listens on 127.0.0.1 (a free port), prints `listening on PORT`, and
appends one JSON line per delivery to LOG_FILE: {"verified", "eventId", "type", "idempotencyKey",
"event"}. A verified delivery is answered 200, any other 400, as a real receiver would.
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from verify import verify_order_webhook

SECRET = sys.argv[1]
LOG_FILE = sys.argv[2]
MAX_BODY = 1 << 20


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(min(length, MAX_BODY))
        verified = verify_order_webhook(body, self.headers.get("Checkout-Signature", ""), SECRET)
        try:
            event = json.loads(body)
        except ValueError:
            event = None
        record = {
            "verified": verified,
            "eventId": self.headers.get("Checkout-Event-Id"),
            "type": self.headers.get("Checkout-Event-Type"),
            "idempotencyKey": self.headers.get("Idempotency-Key"),
            "event": event,
        }
        with open(LOG_FILE, "a", encoding="utf-8") as log:
            log.write(json.dumps(record) + "\n")
        answer = b'{"ok":true}' if verified else b'{"error":"bad signature"}'
        self.send_response(200 if verified else 400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
