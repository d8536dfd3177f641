#!/usr/bin/env python3
"""A fixed number of HTTP/1.1 requests, closed loop, on N keep-alive connections (bench/profile.sh).

    fixed.py PORT KIND COUNT [--conns N] [--orders N] [--webhook-file F --webhook-skip K]

KIND: by-session | webhook | create (the same requests as bench/rate.py). Exactly COUNT requests are sent
(the CPU or instruction count of the server over them is what bench/profile.sh divides by), each
connection sending its next request when the previous answer is in. Prints one JSON object: sent, ok (2xx),
status counts, seconds. Bounded: every read has a 120 s timeout. Loopback only.
"""
import argparse
import asyncio
import json
import random
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("kind", choices=["by-session", "webhook", "create"])
ap.add_argument("count", type=int)
ap.add_argument("--conns", type=int, default=16)
ap.add_argument("--orders", type=int, default=100000)
ap.add_argument("--webhook-file")
ap.add_argument("--webhook-skip", type=int, default=0)
args = ap.parse_args()

hooks = []
if args.kind == "webhook":
    with open(args.webhook_file) as f:
        for i, line in enumerate(f):
            if i < args.webhook_skip:
                continue
            if len(hooks) >= args.count:
                break
            sig, body = line.rstrip("\n").split("\t", 1)
            hooks.append((sig, body.encode()))
    if len(hooks) < args.count:
        sys.exit(f"fixed.py: only {len(hooks)} webhook bodies left, need {args.count}")


def build(i):
    if args.kind == "by-session":
        return (f"GET /api/orders/by-session/cs_test_read_{random.randint(1, args.orders)} HTTP/1.1\r\n"
                f"Host: 127.0.0.1\r\n\r\n").encode()
    if args.kind == "webhook":
        sig, body = hooks[i]
        head = (f"POST /api/payments/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Stripe-Signature: {sig}\r\nContent-Length: {len(body)}\r\n\r\n")
        return head.encode() + body
    body = b'{"items":[{"productId":"sku_bench","quantity":1}],"customerEmail":"bench@example.com"}'
    return (f"POST /api/payments/create-checkout-session HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


async def read_response(reader):
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 120)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    length = 0
    for line in lines[1:]:
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    if length:
        await asyncio.wait_for(reader.readexactly(length), 120)
    return status


async def main():
    statuses = {}
    next_index = 0

    async def worker():
        nonlocal next_index
        reader, writer = await asyncio.open_connection("127.0.0.1", args.port)
        while next_index < args.count:
            i = next_index
            next_index += 1
            writer.write(build(i))
            status = await read_response(reader)
            statuses[status] = statuses.get(status, 0) + 1
        writer.close()

    t0 = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(min(args.conns, args.count))))
    seconds = time.monotonic() - t0
    ok = sum(n for s, n in statuses.items() if 200 <= s < 300)
    print(json.dumps({"sent": sum(statuses.values()), "ok": ok, "statuses": statuses, "seconds": round(seconds, 3)}))


asyncio.run(main())
