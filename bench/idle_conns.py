#!/usr/bin/env python3
"""Opens N keep-alive connections to 127.0.0.1:PORT, makes one request on each, then holds them idle.

Prints "ready <count>" once every connection has its response, then holds until stdin closes or
HOLD seconds pass (bounded). Used by bench/http.sh to measure server RSS at 10,000 idle connections.
Usage: idle_conns.py PORT N [HOLD_SECONDS]
"""
import resource
import socket
import sys
import time

port, count = int(sys.argv[1]), int(sys.argv[2])
hold = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

request = b"GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
sockets = []
deadline = time.monotonic() + 60
for _ in range(count):
    if time.monotonic() > deadline:
        break
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(request)
    sockets.append(s)
ok = 0
for s in sockets:
    data = b""
    try:
        while b"Hello, World!" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        continue
    if b"Hello, World!" in data:
        ok += 1
print(f"ready {ok}", flush=True)
end = time.monotonic() + hold
while time.monotonic() < end:
    time.sleep(0.2)
for s in sockets:
    s.close()
