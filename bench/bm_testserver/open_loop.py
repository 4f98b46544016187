"""Open-loop, fixed-rate HTTP load generator for bm_testserver (wrk2's idea, in the stdlib).

Why it exists: ab and wrk are closed-loop: a connection sends its next request only
after the previous reply, so while the server stalls nobody sends, and the stall is
counted once instead of for every request that would have arrived meanwhile
("coordinated omission"). Debian 12 has no wrk2 package (the tool with ``-R`` that
corrects for it), so this is a small one of our own.

What it does: request ``i`` of ``n`` is *scheduled* at ``t0 + i / rate`` and its latency
is measured from that scheduled time to the end of its response, not from the moment
it was actually sent: a request that had to wait behind a stall is charged the wait.
The requests go round-robin over ``connections`` HTTP/1.1 keep-alive connections
(opened before ``t0``), one thread per connection, each sleeping until its next
request is due (``time.sleep``, precise to tens of microseconds, where an event
loop's timeouts are whole milliseconds). A request without a complete response
``cap`` seconds after its scheduled time is *censored*: counted as slower than the
cap, never dropped, so every variant is judged on the same ``n`` requests. How late
the generator itself sent each request is reported too (``send_lag_p99``): if it is
large, the generator, not the server, was the bottleneck.

It runs as its own process on an interpreter chosen by the benchmark (the harness's
own Python, the same for every variant), never on the interpreter under test, so the
load is the same whatever the server's speed.

Usage: ``python open_loop.py HOST PORT N RATE CONNECTIONS CAP THRESHOLD``; prints one
JSON object (``summarize``'s fields plus elapsed, errors, send_lag_p50/p99 and every
request's latency, null where censored).
Standard library only; Python 3.9+.
"""

from __future__ import annotations

import json
import math
import socket
import sys
import threading
import time
from typing import Callable, Optional

START_DELAY = 0.05  # seconds from the start of the threads to the first scheduled request
REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n"
MAX_ERRORS_SHOWN = 10


def schedule(t0: float, n: int, rate: float) -> list[float]:
    """Scheduled send times: request i at t0 + i / rate (a fixed rate, independent of replies)."""
    if rate <= 0 or n < 1:
        raise ValueError(f"need n >= 1 and rate > 0, got n={n}, rate={rate}")
    return [t0 + i / rate for i in range(n)]


def nearest_rank(sorted_values: list[float], p: float) -> float:
    """The nearest-rank p-th percentile of an ascending list (the value at rank ceil(p n / 100))."""
    return sorted_values[max(math.ceil(p * len(sorted_values) / 100) - 1, 0)]


def summarize(latencies: list[Optional[float]], cap: float, threshold: float) -> dict:
    """p50, p99, mean and exceedance of ``n`` requests, censored ones as slower than the cap.

    ``latencies[i]`` is request i's latency from its scheduled time, or None when it had
    no complete response within ``cap`` seconds (censored). A censored request enters
    the percentiles and the mean as ``cap`` (a lower bound of its latency: a percentile
    equal to the cap reads ">= cap") and always counts as exceeding ``threshold``.
    """
    if not latencies:
        raise ValueError("no requests")
    clipped = sorted(cap if x is None or x >= cap else x for x in latencies)
    censored = sum(1 for x in latencies if x is None or x >= cap)
    exceeded = sum(1 for x in latencies if x is None or x > threshold)
    return {
        "requests": len(latencies), "completed": len(latencies) - censored, "censored": censored,
        "exceeded": exceeded, "threshold": threshold, "cap": cap,
        "p50": nearest_rank(clipped, 50), "p99": nearest_rank(clipped, 99),
        "mean": sum(clipped) / len(clipped),
    }


def read_response(sock: socket.socket, buf: bytearray) -> int:
    """Read one HTTP/1.1 response with a Content-Length from ``sock``; return its status code.

    ``buf`` holds bytes already read after the previous response (kept for the next call).
    """
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection before a response")
        buf += chunk
    head_end = buf.index(b"\r\n\r\n") + 4
    head = bytes(buf[:head_end]).decode("latin-1")
    status = int(head.split(" ", 2)[1])
    length = 0
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    while len(buf) < head_end + length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection inside a response body")
        buf += chunk
    del buf[:head_end + length]
    return status


class Connection:
    """One keep-alive connection's share of the schedule, run in its own thread."""

    def __init__(self, host: str, port: int, due: list[tuple[int, float]], cap: float,
                 clock: Callable[[], float]):
        self.host, self.port, self.due, self.cap, self.clock = host, port, due, cap, clock
        self.latencies: dict[int, Optional[float]] = {}
        self.lags: list[float] = []
        self.errors: list[str] = []
        self.sock: Optional[socket.socket] = None
        self.buf = bytearray()

    def connect(self) -> None:
        self.sock = socket.create_connection((self.host, self.port), timeout=self.cap)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()

    def drop(self) -> None:
        """Close the connection (its state is unknown after a timeout); the next one reconnects."""
        if self.sock is not None:
            self.sock.close()
        self.sock = None

    def run(self) -> None:
        for index, due in self.due:
            self.latencies[index] = self.one(due)
        self.drop()

    def one(self, due: float) -> Optional[float]:
        """Send one request at its due time; its latency from ``due``, or None if censored."""
        limit = due + self.cap
        delay = due - self.clock()
        if delay > 0:
            time.sleep(delay)
        sent = self.clock()
        if sent >= limit:  # held up past the cap by earlier stalls on this connection
            return None
        self.lags.append(max(sent - due, 0.0))
        try:
            if self.sock is None:
                self.connect()
            self.sock.settimeout(max(limit - self.clock(), 1e-6))
            self.sock.sendall(REQUEST)
            status = read_response(self.sock, self.buf)
        except (socket.timeout, TimeoutError):
            self.drop()
            return None
        except OSError as exc:
            self.errors.append(repr(exc))
            self.drop()
            return None
        done = self.clock()
        if status != 200:
            self.errors.append(f"status {status}")
        return done - due


def run(host: str, port: int, n: int, rate: float, connections: int, cap: float,
        threshold: float, clock: Callable[[], float] = time.perf_counter) -> dict:
    """Run the schedule against host:port and return ``summarize``'s dict plus the run's facts."""
    conns = [Connection(host, port, [], cap, clock) for _ in range(max(1, min(connections, n)))]
    for conn in conns:
        conn.connect()  # before t0: connection set-up is not charged to the first requests
    t0 = clock() + START_DELAY
    for index, due in enumerate(schedule(t0, n, rate)):
        conns[index % len(conns)].due.append((index, due))
    threads = [threading.Thread(target=c.run, name=f"open-loop-{i}") for i, c in enumerate(conns)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = clock() - t0
    latencies: list[Optional[float]] = [None] * n
    for conn in conns:
        for index, latency in conn.latencies.items():
            latencies[index] = latency
    errors = [e for c in conns for e in c.errors]
    lags = sorted(lag for c in conns for lag in c.lags) or [0.0]
    return {**summarize(latencies, cap, threshold), "elapsed": elapsed, "rate": rate,
            "connections": len(conns), "nerrors": len(errors), "errors": errors[:MAX_ERRORS_SHOWN],
            "send_lag_p50": nearest_rank(lags, 50), "send_lag_p99": nearest_rank(lags, 99),
            "latencies": latencies}


def main(argv: list[str]) -> int:
    host, port, n, rate, connections, cap, threshold = argv
    result = run(host, int(port), int(n), float(rate), int(connections), float(cap),
                 float(threshold))
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
