#!/usr/bin/env python3
"""Read load for tests/bench/import.sh: CONCURRENCY threads, each with its own keep-alive
connection, GET PATH with a bearer token until STOP_FILE exists (or DURATION seconds pass);
prints one JSON line: requests, errors (non-200 answers by status), p50/p99/max in ms."""
import http.client
import json
import os
import sys
import threading
import time

host, port, path, token = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
stop_file = sys.argv[5]
duration = float(sys.argv[6])
concurrency = int(os.environ.get("CONCURRENCY", "4"))

latencies, errors, lock = [], {}, threading.Lock()
deadline = time.monotonic() + duration


def worker():
    conn = http.client.HTTPConnection(host, port, timeout=60)
    headers = {"authorization": f"Bearer {token}"}
    while time.monotonic() < deadline and not os.path.exists(stop_file):
        start = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            res = conn.getresponse()
            res.read()
            status = res.status
        except OSError:
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=60)
            status = "io-error"
        elapsed = (time.perf_counter() - start) * 1000
        with lock:
            latencies.append(elapsed)
            if status != 200:
                errors[str(status)] = errors.get(str(status), 0) + 1


threads = [threading.Thread(target=worker) for _ in range(concurrency)]
for t in threads:
    t.start()
for t in threads:
    t.join()
latencies.sort()


def pct(p):
    return round(latencies[min(len(latencies) - 1, int(len(latencies) * p))], 1) if latencies else None


print(json.dumps({"requests": len(latencies), "errors": errors, "p50_ms": pct(0.50),
                  "p99_ms": pct(0.99), "max_ms": round(latencies[-1], 1) if latencies else None}))
