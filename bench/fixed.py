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
import time

import loadgen
from loadgen import load_hooks

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("kind", choices=["by-session", "webhook", "create"])
ap.add_argument("count", type=int)
ap.add_argument("--conns", type=int, default=16)
ap.add_argument("--orders", type=int, default=100000)
ap.add_argument("--webhook-file")
ap.add_argument("--webhook-skip", type=int, default=0)
args = ap.parse_args()

hooks = load_hooks(args.webhook_file, args.webhook_skip, args.count, "fixed.py") if args.kind == "webhook" else []


def build(i):
    return loadgen.build(args.kind, i, args.orders, hooks)


async def read_response(reader):
    return await loadgen.read_response(reader, asyncio.wait_for, 120)


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
