"""A stand-in for API Gateway's management API, for ``bench_fanout``: answers every
``POST /@connections/{id}`` after a fixed latency, counts posts per connection, on 127.0.0.1 only.

Run as its own process (``python -m benchmarks.standin_api LATENCY_MS``) so that its work does
not share the benchmarked worker's interpreter lock. It prints its URL, then serves until stdin
closes. ``GET /__counts`` answers ``{"posts": n, "distinct": n, "max_per_id": n}``. Bounded: at
most ``MAX_IN_FLIGHT`` requests are answered at once (others wait their turn, as a throttled API
would make them), and nothing listens beyond the loopback interface.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

MAX_IN_FLIGHT = 512


def serve(latency_s: float) -> None:
    counts: Counter[str] = Counter()
    lock = threading.Lock()
    in_flight = threading.BoundedSemaphore(MAX_IN_FLIGHT)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as API Gateway's endpoint

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with in_flight:
                time.sleep(latency_s)
                with lock:
                    counts[unquote(self.path.rsplit("/", 1)[-1])] += 1
            self._answer(200, b"")

        def do_GET(self) -> None:
            with lock:
                body = {
                    "posts": sum(counts.values()),
                    "distinct": len(counts),
                    "max_per_id": max(counts.values(), default=0),
                }
            self._answer(200, json.dumps(body).encode())

        def _answer(self, status: int, payload: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    print(f"http://127.0.0.1:{server.server_port}/prod", flush=True)
    sys.stdin.read()  # until the benchmark closes our stdin (or exits)
    server.shutdown()
    server.server_close()


if __name__ == "__main__":
    serve(float(sys.argv[1]) / 1000)
