"""The requests of the load generators (bench/rate.py, bench/fixed.py): one place that says what a
by-session, webhook or create request is, and how an HTTP/1.1 response is read off a keep-alive stream."""
import random
import sys


def load_hooks(path, skip, count, tool):
    """`count` pre-signed webhook lines (signature TAB body) of `path`, after the first `skip`."""
    hooks = []
    with open(path) as f:
        for i, line in enumerate(f):
            if i < skip:
                continue
            if len(hooks) >= count:
                break
            sig, body = line.rstrip("\n").split("\t", 1)
            hooks.append((sig, body.encode()))
    if len(hooks) < count:
        sys.exit(f"{tool}: only {len(hooks)} webhook bodies left, need {count}")
    return hooks


def build(kind, i, orders, hooks):
    """Request `i` of `kind` (the same requests as bench/lua/*.lua) as bytes."""
    if kind == "by-session":
        return (f"GET /api/orders/by-session/cs_test_read_{random.randint(1, orders)} HTTP/1.1\r\n"
                f"Host: 127.0.0.1\r\n\r\n").encode()
    if kind == "webhook":
        sig, body = hooks[i]
        head = (f"POST /api/payments/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Stripe-Signature: {sig}\r\nContent-Length: {len(body)}\r\n\r\n")
        return head.encode() + body
    body = b'{"items":[{"productId":"sku_bench","quantity":1}],"customerEmail":"bench@example.com"}'
    return (f"POST /api/payments/create-checkout-session HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


async def read_response(reader, wait_for, timeout):
    """The status of the next response on `reader` (its body read and dropped); every read bounded."""
    head = await wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    if length:
        await wait_for(reader.readexactly(length), timeout)
    return status
