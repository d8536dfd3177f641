#!/usr/bin/env python3
"""Constant-rate (open-loop) HTTP/1.1 load for latency percentiles (`make bench`, part 5).

    rate.py PORT KIND RATE SECONDS [--conns N] [--webhook-file F --webhook-skip K] [--orders N]

KIND: by-session | webhook | create (the same requests as bench/lua/*.lua). Request i is *due* at
start + i/RATE; it waits for a free keep-alive connection (N of them) and its latency is measured from
when it was due, so a stall shows up in the percentiles instead of silently lowering the rate (no
coordinated omission). Prints one JSON object: sent, ok (2xx), errors, status counts, achieved rate,
p50/p99/p99.9/max in ms. Bounded: stops sending at SECONDS and waits at most 10 s more for answers.
Loopback only; Python's own overhead (~0.1 ms per request) is included in the numbers.
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
ap.add_argument("rate", type=float)
ap.add_argument("seconds", type=float)
ap.add_argument("--conns", type=int, default=32)
ap.add_argument("--orders", type=int, default=100000)
ap.add_argument("--webhook-file")
ap.add_argument("--webhook-skip", type=int, default=0)
args = ap.parse_args()

total = int(args.rate * args.seconds)
hooks = load_hooks(args.webhook_file, args.webhook_skip, total, "rate.py") if args.kind == "webhook" else []


def build(i):
    return loadgen.build(args.kind, i, args.orders, hooks)


async def read_response(reader):
    return await loadgen.read_response(reader, asyncio.wait_for, 30)


async def main():
    pool = asyncio.Queue()
    for _ in range(args.conns):
        pool.put_nowait(await asyncio.open_connection("127.0.0.1", args.port))
    lat, statuses, errors = [], {}, 0
    start = time.perf_counter() + 0.05

    async def one(i, due):
        nonlocal errors
        conn = await pool.get()
        try:
            reader, writer = conn
            writer.write(build(i))
            await writer.drain()
            status = await read_response(reader)
            lat.append(time.perf_counter() - due)
            statuses[status] = statuses.get(status, 0) + 1
            pool.put_nowait(conn)
        except Exception:
            errors += 1
            try:
                conn[1].close()
            except Exception:
                pass
            try:
                pool.put_nowait(await asyncio.open_connection("127.0.0.1", args.port))
            except Exception:
                pass

    tasks = []
    for i in range(total):
        due = start + i / args.rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(i, due)))
    sent_end = time.perf_counter()
    done, pending = await asyncio.wait(tasks, timeout=10)
    for t in pending:
        t.cancel()
    lat.sort()

    def pct(p):
        return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 3) if lat else None

    ok = sum(v for k, v in statuses.items() if 200 <= k < 300)
    print(json.dumps({
        "kind": args.kind, "target_rate": args.rate, "sent": total,
        "achieved_rate": round(total / (sent_end - start), 1), "ok": ok, "errors": errors + len(pending),
        "statuses": statuses, "p50_ms": pct(0.50), "p99_ms": pct(0.99), "p999_ms": pct(0.999),
        "max_ms": round(lat[-1] * 1000, 3) if lat else None,
    }))


asyncio.run(main())
