"""HTTP test-server benchmark: a fixed thread pool behind http.server, loaded from outside.

What is measured
----------------
A multithreaded HTTP/1.1 server built only from the standard library
(``socketserver`` + ``http.server``) runs *inside the benchmark process*, i.e. on
the interpreter under test (pyperf's worker process).  It is an ``HTTPServer``
subclass whose ``process_request`` puts ``(request, client_address)`` on a
``queue.Queue``; a FIXED POOL of worker threads (``--workers``, default 8; not
``ThreadingMixIn``'s thread per request) takes items off the queue and runs
``finish_request`` / ``shutdown_request``.  One thread runs ``serve_forever``
(select + accept).  Every GET gets the same small response (``RESPONSE_BODY``,
328 bytes, ``Content-Length`` set, HTTP/1.1 keep-alive honoured).  The server
starts once per process, lazily, on 127.0.0.1 port 0, and serves every value of
that process; it is shut down (``shutdown`` + ``server_close``, pool joined) when
the process ends.

Keep-alive: a queue item is one *request*, not one connection.  After a
response on a kept-alive connection the pool thread hands the connection to a
parking thread (a ``selectors`` loop) which puts it back on the queue when its
next request arrives (or closes it when the client does, or after 10 s of
silence).  With http.server's own keep-alive loop a connection pins a pool
thread until the client closes it, so at c=10 with 8 threads two clients would
wait for the whole run (ab -k stalls until a timeout).  This is the design of
thread-pool servers such as cheroot (CherryPy); it costs a few thread hand-offs
per keep-alive request, which is part of what is measured.

The load comes from a separate process (so its CPU time is not the
interpreter's, but it shares the machine's cores), only to 127.0.0.1:

* ``ab`` (ApacheBench, Debian package apache2-utils; the default when found):
  ``ab -t T -n N -c C [-k]``;
* ``wrk`` (Debian package wrk; the default when ab is missing):
  ``wrk -t1 -cC -dTs --latency`` (keep-alive is wrk's default; the close
  scenarios add the request header ``Connection: close``);
* ``python`` (only when asked for, ``--loadgen python``): a small http.client
  script embedded below (``PYTHON_LOADGEN``), run with ``sys.executable`` in a
  subprocess, C connections as C threads.  It runs on the interpreter under
  test, so its own speed differs between variants: prefer ab.

All three are CLOSED-LOOP: a connection sends its next request only after a
reply, so while the server stalls nobody sends and the stall is counted once
(coordinated omission).  The ``open_loop*`` scenarios use ``open_loop.py`` (this
folder; Debian 12 has no wrk2) instead, whatever ``--loadgen`` says: request i
of a fixed count is scheduled at t0 + i / rate (OPEN_LOOP_RATE, which every
variant sustains), its latency runs from the SCHEDULED time, and a request
without a response OPEN_LOOP_CAP seconds after it is counted as slower than
the cap (censored, not dropped).  It runs on ``--loadgen-python`` (the harness
passes its own interpreter; default python3 on PATH), never on the interpreter
under test, so every variant gets the same load.

The load generator and its version are in the metadata (``loadgen``, e.g.
``"ab 2.3"``), so charts can label the numbers; the three tools do not time
exactly the same thing.

Scenarios (C = concurrent connections; close = a new TCP connection per
request; keepalive = HTTP keep-alive):

    c1_close  c1_keepalive  c10_close  c10_keepalive
    c1_close_cpu  c1_keepalive_cpu  c10_close_cpu  c10_keepalive_cpu
    open_loop  open_loop_cpu      (keep-alive, OPEN_LOOP_CONNECTIONS connections)

The ``*_cpu`` scenarios add one CPU-bound thread to the server process: a
pure-Python loop of chunks of 1000 increments, started before the load
generator, stopped with a flag and joined after it exits.  On a GIL build it
shows the convoy effect: a server thread that blocked in I/O must get the GIL
back from the CPU thread, which can take a switch interval (5 ms).

Benchmarks (pyperf values, all in seconds), per scenario S:

* ``S``            mean wall time per request = elapsed / completed requests as
                   measured by the load generator (ab: "Requests per second";
                   wrk: "Requests/sec"; python: its own perf_counter window).
                   req/s = 1 / value;
* ``S.p50``        median request latency (connect + request + response) as
                   reported by the load generator;
* ``S.p99``        99th percentile of the same;
* ``S.cpu_thread`` (``*_cpu`` only) time per chunk of 1000 increments of the CPU
                   thread during the load run: ~25 us when it runs alone (2-core
                   development machine), larger when the server starves it.

Open-loop scenarios store only ``S.p50`` and ``S.p99`` (nearest rank over all
OPEN_LOOP_REQUESTS scheduled requests, censored ones as the cap).  Their mean,
the count above OPEN_LOOP_THRESHOLD (the exceedance), the censored count and
the generator's own send lag are in the joint records below (a share of 0 is
common, and pyperf refuses a value of 0).

Joint records (run metadata ``testserver_joint``)
-------------------------------------------------
Every call of a benchmark function (warmups first, then values, in order)
appends one record to its run's metadata, a JSON list: for the same window as
the load run, elapsed, completed requests, the CPU thread's chunks (None
without one), getrusage deltas of this process (the server and its CPU thread:
user_seconds, sys_seconds, voluntary/involuntary_ctxt_switches, as giltest's
joint lines name them) and of the load generator (RUSAGE_CHILDREN, the same
with a ``loadgen_`` prefix), steal and total CPU seconds of the machine from
/proc/stat, and the generator's own fields (wrk's socket error counts; the
open loop's scheduled, censored, exceeded, mean, send_lag_p50/p99).  So a
report can show that the load generator was not the bottleneck and flag
values taken while the host stole CPU.  (pyperf fixes a run's metadata before
its values, so the benchmarks register through ``bench_with_run_metadata``,
which mirrors pyperf 2.10's bench_time_func.)

Loops, requests and the time cap (read this before comparing numbers)
---------------------------------------------------------------------
pyperf values must come from the return value of the registered function, and
pyperf runs every benchmark in its own worker processes, so one load run cannot
feed several benchmarks (a module-level dict of "latest percentiles" would be
empty in the worker that runs ``S.p50``).  So each benchmark runs its own,
identically configured load and returns one statistic of it; pyperf's
statistics are then over independent load runs.

* One *inner loop* = one request.  Every benchmark of S is registered with
  ``inner_loops = REQUESTS`` (the scenario's ``requests``) and the default is
  ``--loops 1`` (no calibration), so one value = one load run of at most
  ``REQUESTS`` requests.  ``func(loops)`` returns ``statistic * loops *
  REQUESTS``, pyperf divides by ``loops * inner_loops``: the stored value is the
  statistic itself.  With ab, and when the request count is reached, the
  returned value for ``S`` is exactly the elapsed time ab measured.
* Every load run is bounded in requests AND time: at most ``loops * REQUESTS``
  requests and at most ``loops * SECONDS_PER_LOOP`` (1 s; whole seconds because
  that is all ab -t and wrk -d take) -- ab ``-t``, the python generator's
  deadline.  wrk cannot be told a request count: it always runs the full time.
  REQUESTS (1500-3000 without the CPU thread, 300-600 with it; metadata
  ``testserver_requests``) is sized for ~0.3-0.7 s on unpatched 3.13.5 (GIL) on
  the 2-core development machine, so without the CPU thread the cap rarely
  matters; with it, the GIL build often hits the cap (rates from ~40 to
  ~3000 req/s were seen, run to run), and then fewer requests are counted.
  Whatever the count, the stored statistics are per request, so they compare.
  When the cap ends a run, the requests in flight (up to C) are not counted
  although their time is: the mean time per request is then overstated by up
  to C / completed (10 / 200 = 5 % for c10 at 200 req/s; 1 / 40 at c1, 40 req/s).
* Latency percentiles: ab prints its table in whole milliseconds, so they are
  read from ab's ``-e`` CSV (microseconds; same rounding rank as the table; for
  50 requests or fewer the 99 % row is broken in ab and the slowest request is
  used, which is the nearest-rank p99 of <= 100 requests anyway).  wrk's come
  from ``--latency``; the python generator uses nearest rank.  With a few
  hundred requests, p99 is roughly the third-slowest request: read it as "the
  tail", not as a precise quantile.
* ``S.cpu_thread`` uses the window from just before the load generator is
  started to just after it exits, so it includes the generator's start-up
  (~1 ms for ab, tens of ms for the python one), when the CPU thread runs
  unhindered: it understates the starvation a little.  If the thread finishes no
  chunk the value is the whole window.
* ``--loops N`` multiplies requests and cap.  Calibration (``--loops 0``) works
  but is pointless for the latency and cpu_thread benchmarks.

What is NOT measured: the load generator's own speed (except that the python
load generator runs on the variant), large or complex requests, request
bodies, TLS, HTTP/2, disk or dynamic content, real networks (loopback only),
many connections (C <= 10), and servers other than this thread-pool design.
Results on a shared 2-core machine are noisy, the ``*_cpu`` scenarios on GIL
builds especially (the convoy depends on OS scheduling): use them to compare
builds, not as absolute figures.

Defaults: 4 processes x (1 warmup + 3 values) per benchmark, ``--fast``: 3 x
(1 + 2); 32 benchmarks.  Measured wall time of the whole script on the
development machine (2 cores, shared with other jobs, load average ~3),
unpatched 3.13.5 GIL build in a venv, ab 2.3, before the open-loop rows:
    --fast : 2 min 21 s   (free-threaded 3.13.5: 4 min 41 s, load average up to 7.9)
    full   : 6 min 34 s
The 4 open-loop benchmarks add a fixed ~2.1 s per call whatever the build
(the schedule is 2 s): 4 x 9 x 2.1 s ~ 1.3 min with --fast, 4 x 16 x 2.1 s
~ 2.2 min full (a harness QUICK run, 1 x (1 + 3): ~34 s per variant).
The worst case is a build whose 16 ``*_cpu`` benchmarks all hit the 1 s cap:
about 16 x 9 x 1 s + 1.5 min ~ 4 min with --fast, 16 x 16 x 1 s + 2.5 min ~ 7
min full (plus whatever a busy machine adds, as for the free-threaded run).

Options (also passed to the pyperf workers): ``--select NAME[,NAME...]``
(scenario names select all their benchmarks; exact benchmark names select one;
unknown names exit with status 2 and the list of valid ones), ``--list``,
``--loadgen ab|wrk|python``, ``--workers N``, ``--loadgen-python PATH``.

Errors: any failed or non-2xx request of ab, any wrk socket error (connect,
read, write, timeout) and any error of the python or open-loop generator stops
the run: an unanswered request must not be dropped from the statistics.
"""

from __future__ import annotations

import atexit
import collections
import dataclasses
import http.server
import json
import os
import platform
import queue
import re
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pyperf

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import joint_window  # noqa: E402  (this folder: rusage, steal and CPU-thread progress of a window)

# ---------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------

DEFAULT_WORKERS = 8
SECONDS_PER_LOOP = 1       # time cap of one loop (ab -t, python deadline) = wrk's duration per loop;
                           # whole seconds because ab -t and wrk -d only take whole seconds
LOAD_TIMEOUT_GRACE = 60.0  # a load generator still running this long after its cap is killed
CONNECTION_TIMEOUT = 10    # server: idle keep-alive connection timeout; loadgen: per-response timeout
CPU_CHUNK = 1000           # increments per chunk of the CPU thread
# Open loop (open_loop.py): a fixed schedule that every variant sustains (closed-loop ab saw
# >= ~170 req/s at c=1 with the CPU thread even in the GIL's convoy mode), the same request
# count for every variant, a request without a response OPEN_LOOP_CAP seconds after its
# scheduled time counted as slower than the cap (censored), and the share of requests slower
# than OPEN_LOOP_THRESHOLD (the default switch interval: a wait of one GIL turn).
OPEN_LOOP_RATE = 100.0
OPEN_LOOP_REQUESTS = 200   # per loop: 2 s of schedule
OPEN_LOOP_CONNECTIONS = 10
OPEN_LOOP_CAP = 1.0
OPEN_LOOP_THRESHOLD = 0.005

RESPONSE_BODY = (
    b"<!DOCTYPE html>\n<html><head><title>testserver</title></head>\n<body>\n"
    b"<h1>Hello from the test server</h1>\n"
    b"<p>This is a small fixed response of a few hundred bytes, served by a pool of\n"
    b"worker threads behind http.server, so that the benchmark measures the request\n"
    b"path of the interpreter rather than the payload.</p>\n"
    b"</body></html>\n"
)


@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str
    concurrency: int
    keepalive: bool
    cpu_thread: bool
    requests: int  # requests per loop (ab / python load generator; open loop: scheduled requests)
    rate: float = 0.0  # open loop: requests/s on a fixed schedule; 0: closed loop (ab, wrk, python)

    @property
    def open_loop(self) -> bool:
        return self.rate > 0


# Requests per loop (the cap; a loop also stops after SECONDS_PER_LOOP), sized for
# ~0.3-0.7 s per value on unpatched 3.13.5 (GIL) on the 2-core development machine,
# where ab saw ~3000-6500 req/s without the CPU thread and ~40-3000 req/s with it.
SCENARIOS = {
    s.name: s
    for s in (
        Scenario("c1_close", 1, False, False, 1500),
        Scenario("c1_keepalive", 1, True, False, 2000),
        Scenario("c10_close", 10, False, False, 1500),
        Scenario("c10_keepalive", 10, True, False, 3000),
        Scenario("c1_close_cpu", 1, False, True, 300),
        Scenario("c1_keepalive_cpu", 1, True, True, 400),
        Scenario("c10_close_cpu", 10, False, True, 400),
        Scenario("c10_keepalive_cpu", 10, True, True, 600),
        Scenario("open_loop", OPEN_LOOP_CONNECTIONS, True, False, OPEN_LOOP_REQUESTS,
                 OPEN_LOOP_RATE),
        Scenario("open_loop_cpu", OPEN_LOOP_CONNECTIONS, True, True, OPEN_LOOP_REQUESTS,
                 OPEN_LOOP_RATE),
    )
}

METRICS = {
    "": "mean wall time per request (elapsed / requests, from the load generator)",
    ".p50": "median request latency reported by the load generator",
    ".p99": "99th percentile request latency reported by the load generator",
    ".cpu_thread": "time per chunk of 1000 increments of the background CPU thread during the load",
}


def benchmark_names(scn: Scenario) -> list[str]:
    if scn.open_loop:  # the CPU thread's progress and the exceedance are in every value's metadata
        return [scn.name + ".p50", scn.name + ".p99"]
    suffixes = ["", ".p50", ".p99"] + ([".cpu_thread"] if scn.cpu_thread else [])
    return [scn.name + suffix for suffix in suffixes]


ALL_BENCHMARKS = [name for scn in SCENARIOS.values() for name in benchmark_names(scn)]


# ---------------------------------------------------------------------------
# The server: HTTPServer + fixed pool of worker threads fed by a queue
# ---------------------------------------------------------------------------


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bm_testserver/1.0"
    sys_version = ""
    timeout = CONNECTION_TIMEOUT          # a silent client does not hold a worker forever
    disable_nagle_algorithm = True        # headers and body are two writes: no Nagle/delayed-ACK stalls

    def setup(self):
        self.parked = False
        saved = self.server.saved_rfiles.pop(self.request, None)
        super().setup()
        if saved is not None:             # a parked keep-alive connection: keep its read buffer
            self.rfile.close()
            self.rfile = saved

    def handle(self):
        # One request per queue item.  Instead of http.server's keep-alive loop (which
        # would pin a pool thread to an idle client), a kept-alive connection is handed
        # to the parking thread, which re-queues it when its next request arrives.
        self.handle_one_request()
        self.parked = not self.close_connection

    def finish(self):
        if self.parked:
            self.wfile.flush()
            self.server.saved_rfiles[self.request] = self.rfile
        else:
            super().finish()

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(RESPONSE_BODY)))
        # ab -k only reuses a connection whose response says so.
        self.send_header("Connection", "close" if self.close_connection else "keep-alive")
        self.end_headers()
        self.wfile.write(RESPONSE_BODY)

    def log_message(self, format, *args):
        pass


class PooledHTTPServer(http.server.HTTPServer):
    """HTTPServer whose connections are served by a fixed pool of threads fed by a queue.

    serve_forever (one thread) accepts; process_request queues (request, client_address);
    each of the `workers` threads takes an item and runs finish_request (which serves
    ONE request), then shutdown_request -- unless the connection is kept alive: then it
    is parked in the parking thread (a selector), which re-queues it when its next
    request arrives, or closes it when the client closes it or stays silent for
    CONNECTION_TIMEOUT.  (With http.server's own keep-alive loop a kept-alive connection
    pins a pool thread until the client closes it: at c10 with 8 workers two clients
    would wait for the whole run.)  This is the design of thread-pool servers such as
    cheroot (CherryPy).
    """

    request_queue_size = 128  # listen() backlog; the default 5 drops SYNs at c=10 (1 s retransmits)

    def __init__(self, server_address, handler_class, workers: int):
        super().__init__(server_address, handler_class)
        self.saved_rfiles: dict = {}
        self._queue: queue.Queue = queue.Queue()
        self._parking = ParkingLot(self)
        self._workers = [
            threading.Thread(target=self._work, name=f"testserver-worker-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in self._workers:
            thread.start()

    def process_request(self, request, client_address):
        self._queue.put((request, client_address))

    def finish_request(self, request, client_address):
        return self.RequestHandlerClass(request, client_address, self)

    def _work(self):
        while True:
            item = self._queue.get()
            if item is None:
                return
            request, client_address = item
            parked = False
            try:
                parked = self.finish_request(request, client_address).parked
            except Exception:
                self.handle_error(request, client_address)
            finally:
                if parked:
                    self._parking.park(request, client_address)
                else:
                    self.close_connection(request)

    def close_connection(self, request):
        rfile = self.saved_rfiles.pop(request, None)
        if rfile is not None:
            rfile.close()
        self.shutdown_request(request)

    def requeue(self, request, client_address):
        self._queue.put((request, client_address))

    def handle_error(self, request, client_address):
        # Resets are expected: ab -t and wrk stop with requests in flight.  Anything else
        # is a bug worth a traceback (on stderr; the worker carries on).
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)

    def server_close(self):
        super().server_close()  # close the listening socket
        for _ in self._workers:
            self._queue.put(None)
        for thread in self._workers:
            thread.join(timeout=CONNECTION_TIMEOUT + 5)
        self._parking.close()   # close parked keep-alive connections, join the parking thread
        # Connections queued but never served (re-queued by the parking thread after the
        # workers stopped, or left behind by a hung worker).
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                self.close_connection(item[0])
        alive = [t.name for t in self._workers if t.is_alive()]
        if alive:
            print(f"bm_testserver: worker threads still alive after close: {alive}", file=sys.stderr)


class ParkingLot:
    """One thread with a selector holding idle keep-alive connections between requests."""

    def __init__(self, server: PooledHTTPServer):
        self._server = server
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._incoming: collections.deque = collections.deque()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="testserver-parking", daemon=True)
        self._thread.start()

    def park(self, request, client_address):
        rfile = self._server.saved_rfiles.get(request)
        if rfile is not None and self._buffered(request, rfile):
            self._server.requeue(request, client_address)   # next request already read ahead
            return
        if self._closing:
            self._server.close_connection(request)
            return
        self._incoming.append((request, client_address))
        try:
            self._wake_w.send(b"x")
        except OSError:  # closed meanwhile: _run's final sweep or close() handles the connection
            pass

    @staticmethod
    def _buffered(request, rfile) -> bool:
        # peek() reads from the socket only if the buffer is empty; non-blocking, so it never waits.
        try:
            request.setblocking(False)
            return bool(rfile.peek(1))
        except OSError:
            return True  # let a worker run into the error and close the connection
        finally:
            try:
                request.settimeout(CONNECTION_TIMEOUT)
            except OSError:
                pass

    def _run(self):
        deadlines: dict = {}
        while not self._closing:
            now = time.monotonic()
            for key, _ in self._selector.select(timeout=1.0):
                if key.data is None:
                    try:
                        while self._wake_r.recv(4096):
                            pass
                    except BlockingIOError:
                        pass
                    continue
                self._selector.unregister(key.fileobj)
                deadlines.pop(key.fileobj, None)
                self._server.requeue(key.fileobj, key.data)
            while self._incoming:
                request, client_address = self._incoming.popleft()
                self._selector.register(request, selectors.EVENT_READ, client_address)
                deadlines[request] = now + CONNECTION_TIMEOUT
            for request, deadline in list(deadlines.items()):
                if deadline < now:
                    self._selector.unregister(request)
                    del deadlines[request]
                    self._server.close_connection(request)
        for request in list(deadlines):
            self._selector.unregister(request)
            self._server.close_connection(request)
        while self._incoming:
            self._server.close_connection(self._incoming.popleft()[0])

    def close(self):
        self._closing = True
        self._wake_w.send(b"x")
        self._thread.join(timeout=10)
        while self._incoming:  # parked after the thread's final sweep
            self._server.close_connection(self._incoming.popleft()[0])
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()


class ServerRunner:
    """Starts the server lazily (once per process) and tears it down."""

    def __init__(self, workers: int):
        self.workers = workers
        self.server: PooledHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self.server is None:
            self.server = PooledHTTPServer(("127.0.0.1", 0), Handler, self.workers)
            self._thread = threading.Thread(
                target=self.server.serve_forever, kwargs={"poll_interval": 0.1},  # = shutdown latency
                name="testserver-accept", daemon=True,
            )
            self._thread.start()
        return self.server.server_address[1]

    def close(self):
        server, self.server = self.server, None
        if server is None:
            return
        server.shutdown()          # stops serve_forever (waits for it)
        server.server_close()      # closes the socket, stops and joins the worker pool
        if self._thread is not None:
            self._thread.join(timeout=5)


# ---------------------------------------------------------------------------
# CPU-bound background thread
# ---------------------------------------------------------------------------


class CpuThread:
    def __init__(self):
        self.chunks = 0
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="testserver-cpu", daemon=True)

    def _run(self):
        chunks = 0
        while not self._stop:
            n = 0
            for _ in range(CPU_CHUNK):
                n += 1
            chunks += 1
            self.chunks = chunks

    def start(self):
        self._thread.start()

    def stop(self):
        self._stop = True
        self._thread.join(timeout=30)
        if self._thread.is_alive():
            raise RuntimeError("CPU background thread did not stop within 30 s")


# ---------------------------------------------------------------------------
# Load generators
# ---------------------------------------------------------------------------


@dataclasses.dataclass
class LoadResult:
    requests: int
    seconds_per_request: float
    p50: float
    p99: float
    extra: dict = dataclasses.field(default_factory=dict)  # joint-record fields of the generator


class LoadGenError(RuntimeError):
    pass


def _run_process(cmd: list[str], timeout: float, what: str) -> str:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise LoadGenError(f"{what} did not finish within {timeout:.0f} s and was killed: {' '.join(cmd)}")
    if proc.returncode != 0:
        raise LoadGenError(
            f"{what} failed with exit code {proc.returncode}: {' '.join(cmd)}\n"
            f"stdout:\n{out[-2000:]}\nstderr:\n{err[-2000:]}"
        )
    return out


def _field(pattern: str, text: str, what: str) -> str:
    match = re.search(pattern, text, re.MULTILINE)
    if match is None:
        raise LoadGenError(f"cannot find {pattern!r} in the output of {what}:\n{text[-3000:]}")
    return match.group(1)


def run_ab(url: str, scn: Scenario, loops: int) -> LoadResult:
    n = max(loops * scn.requests, scn.concurrency)
    seconds = loops * SECONDS_PER_LOOP
    with tempfile.TemporaryDirectory(prefix="bm_testserver_") as tmp:
        csv_path = os.path.join(tmp, "percentiles.csv")
        # -t must come before -n: -t alone implies -n 50000.
        cmd = ["ab", "-q", "-t", str(seconds), "-n", str(n), "-c", str(scn.concurrency),
               "-s", str(CONNECTION_TIMEOUT), "-e", csv_path]
        if scn.keepalive:
            cmd.append("-k")
        cmd.append(url)
        out = _run_process(cmd, seconds + LOAD_TIMEOUT_GRACE, "ab")
        with open(csv_path) as f:
            rows = dict(line.strip().split(",", 1) for line in f if line[:1].isdigit())
    complete = int(_field(r"^Complete requests:\s+(\d+)", out, "ab"))
    failed = int(_field(r"^Failed requests:\s+(\d+)", out, "ab"))
    non2xx = re.search(r"^Non-2xx responses:\s+(\d+)", out, re.MULTILINE)
    if complete < 1 or failed or non2xx:
        raise LoadGenError(f"ab: {complete} requests complete, {failed} failed, "
                           f"non-2xx: {non2xx.group(1) if non2xx else 0}\n{out}")
    if scn.keepalive:
        kept = int(_field(r"^Keep-Alive requests:\s+(\d+)", out, "ab"))
        if kept < complete - scn.concurrency:
            raise LoadGenError(f"ab -k: only {kept} of {complete} requests used keep-alive\n{out}")
    rps = float(_field(r"^Requests per second:\s+([\d.]+)", out, "ab"))
    # ab's CSV row i is the time of request number round(done * i / 100) in the sorted list;
    # for done <= 50 row 99 points one past the end (garbage), and the nearest-rank p99 of
    # <= 100 requests is the slowest one anyway: row 100.
    p99 = rows["99"] if complete > 50 else rows["100"]
    return LoadResult(complete, 1.0 / rps, float(rows["50"]) / 1e3, float(p99) / 1e3)


_WRK_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def _wrk_time(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if match is None:
        raise LoadGenError(f"cannot parse wrk time {text!r}")
    return float(match.group(1)) * _WRK_UNITS[match.group(2)]


def wrk_errors(out: str) -> dict[str, int]:
    """wrk's socket error counts (connect, read, write, timeout); all 0 when it printed none."""
    match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    counts = [int(g) for g in match.groups()] if match else [0, 0, 0, 0]
    return dict(zip(("connect", "read", "write", "timeout"), counts))


def check_wrk_errors(errors: dict[str, int], out: str) -> None:
    """Raise LoadGenError on any wrk socket error (connect, read, write or timeout).

    Every one is fatal, as ab's failed requests are: a read error or a timeout is a
    request the server did not answer, and dropping it would flatter the server. (wrk
    closes its connections at the end of -d without counting errors; an earlier version
    let up to one read error per connection pass.)
    """
    if any(errors.values()):
        raise LoadGenError(f"wrk: socket errors {errors}\n{out}")


def run_wrk(url: str, scn: Scenario, loops: int) -> LoadResult:
    seconds = loops * SECONDS_PER_LOOP
    cmd = ["wrk", "-t1", f"-c{scn.concurrency}", f"-d{seconds}s", "--latency",
           "--timeout", f"{CONNECTION_TIMEOUT}s"]
    if not scn.keepalive:
        cmd += ["-H", "Connection: close"]
    cmd.append(url)
    out = _run_process(cmd, seconds + LOAD_TIMEOUT_GRACE, "wrk")
    complete = int(_field(r"^\s*(\d+) requests in ", out, "wrk"))
    if re.search(r"Non-2xx or 3xx responses", out):
        raise LoadGenError(f"wrk: non-2xx responses\n{out}")
    errors = wrk_errors(out)
    check_wrk_errors(errors, out)
    if complete < 1:
        raise LoadGenError(f"wrk completed no request\n{out}")
    rps = float(_field(r"^Requests/sec:\s+([\d.]+)", out, "wrk"))
    p50 = _wrk_time(_field(r"^\s+50%\s+(\S+)", out, "wrk"))
    p99 = _wrk_time(_field(r"^\s+99%\s+(\S+)", out, "wrk"))
    return LoadResult(complete, 1.0 / rps, p50, p99,
                      {f"loadgen_{kind}_errors": count for kind, count in errors.items()})


# The portable load generator, run as
#   sys.executable -c PYTHON_LOADGEN host port n c keepalive timeout seconds
# Sends at most n requests over c connections (one thread each), starts none after `seconds`.
# Prints one JSON object: elapsed seconds, completed requests, p50/p99 (nearest rank), errors.
PYTHON_LOADGEN = r'''
import http.client, json, math, sys, threading, time

def main():
    host, port, n, c = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    keepalive, timeout, seconds = sys.argv[5] == "1", float(sys.argv[6]), float(sys.argv[7])
    headers = {} if keepalive else {"Connection": "close"}
    lock = threading.Lock()
    issued = [0]
    latencies, errors = [], []
    barrier = threading.Barrier(c + 1)

    def take():
        with lock:
            if issued[0] >= n or time.perf_counter() >= deadline:
                return False
            issued[0] += 1
            return True

    def client():
        mine, conn = [], None
        barrier.wait()
        try:
            while take():
                t0 = time.perf_counter()
                if conn is None:
                    conn = http.client.HTTPConnection(host, port, timeout=timeout)
                conn.request("GET", "/", headers=headers)
                resp = conn.getresponse()
                body = resp.read()
                t1 = time.perf_counter()
                if resp.status != 200 or not body:
                    errors.append("status %d, %d bytes" % (resp.status, len(body)))
                if not keepalive or resp.will_close:
                    conn.close()
                    conn = None
                mine.append(t1 - t0)
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            if conn is not None:
                conn.close()
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(c)]
    for t in threads:
        t.start()
    deadline = time.perf_counter() + seconds
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    latencies.sort()
    def pct(p):
        return latencies[max(math.ceil(p * len(latencies) / 100) - 1, 0)] if latencies else None
    json.dump({"elapsed": elapsed, "completed": len(latencies), "p50": pct(50), "p99": pct(99),
               "errors": errors[:10], "nerrors": len(errors)}, sys.stdout)

main()
'''


def run_python(url: str, scn: Scenario, loops: int) -> LoadResult:
    n = max(loops * scn.requests, scn.concurrency)
    seconds = loops * SECONDS_PER_LOOP
    port = url.rsplit(":", 1)[1].strip("/")
    cmd = [sys.executable, "-c", PYTHON_LOADGEN, "127.0.0.1", port, str(n), str(scn.concurrency),
           "1" if scn.keepalive else "0", str(CONNECTION_TIMEOUT), str(seconds)]
    out = _run_process(cmd, seconds + CONNECTION_TIMEOUT + LOAD_TIMEOUT_GRACE, "python load generator")
    try:
        data = json.loads(out)
    except ValueError:
        raise LoadGenError(f"python load generator printed no JSON:\n{out[-2000:]}")
    if data["nerrors"] or data["completed"] < 1:
        raise LoadGenError(f"python load generator: {data['completed']}/{n} requests, "
                           f"{data['nerrors']} errors: {data['errors']}")
    return LoadResult(data["completed"], data["elapsed"] / data["completed"], data["p50"], data["p99"])


OPEN_LOOP_SCRIPT = os.path.join(HERE, "open_loop.py")


def run_open_loop(url: str, scn: Scenario, loops: int, python: str) -> LoadResult:
    """The fixed-rate generator (open_loop.py) on ``python``, not on the interpreter under test.

    Its p50/p99 are over all scheduled requests, censored ones as the cap; any socket
    error or non-200 response is fatal, as ab's failed requests are.
    """
    n = loops * scn.requests
    port = url.rsplit(":", 1)[1].strip("/")
    cmd = [python, OPEN_LOOP_SCRIPT, "127.0.0.1", port, str(n), repr(scn.rate),
           str(scn.concurrency), repr(OPEN_LOOP_CAP), repr(OPEN_LOOP_THRESHOLD)]
    timeout = n / scn.rate + OPEN_LOOP_CAP + LOAD_TIMEOUT_GRACE
    out = _run_process(cmd, timeout, "open-loop load generator")
    try:
        data = json.loads(out)
    except ValueError:
        raise LoadGenError(f"open-loop load generator printed no JSON:\n{out[-2000:]}")
    if data["nerrors"]:
        raise LoadGenError(f"open-loop load generator: {data['nerrors']} errors: {data['errors']}")
    extra = {key: data[key] for key in ("requests", "censored", "exceeded", "threshold", "cap",
                                        "mean", "send_lag_p50", "send_lag_p99", "rate")}
    extra["scheduled"] = extra.pop("requests")
    return LoadResult(data["completed"], data["elapsed"] / n, data["p50"], data["p99"], extra)


LOADGENS = {"ab": run_ab, "wrk": run_wrk, "python": run_python}
DEBIAN_PACKAGES = {"ab": "apache2-utils", "wrk": "wrk"}


def resolve_loadgen(requested: str | None) -> str:
    """Return the load generator to use, or exit with a message saying what to install."""
    if requested is None:
        for name in ("ab", "wrk"):
            if shutil.which(name):
                return name
        sys.exit("bm_testserver: error: no load generator found on PATH: install ab (Debian package "
                 "apache2-utils) or wrk (Debian package wrk), e.g. `apt-get install apache2-utils`, "
                 "or pass --loadgen python (portable but slower, and it runs on the interpreter "
                 "under test)")
    if requested in DEBIAN_PACKAGES and not shutil.which(requested):
        sys.exit(f"bm_testserver: error: --loadgen {requested}: {requested!r} not found on PATH; "
                 f"install the Debian package {DEBIAN_PACKAGES[requested]} "
                 f"(apt-get install {DEBIAN_PACKAGES[requested]}) or pass --loadgen python")
    return requested


def open_loop_version(python: str) -> str:
    """'open_loop.py on <python> <version>': what ran the open-loop generator."""
    try:
        proc = subprocess.run([python, "-c", "import platform; print(platform.python_version())"],
                              capture_output=True, text=True, timeout=30)
    except OSError as exc:
        sys.exit(f"bm_testserver: error: --loadgen-python {python}: {exc}")
    if proc.returncode != 0:
        sys.exit(f"bm_testserver: error: --loadgen-python {python} does not run:\n{proc.stderr}")
    return f"open_loop.py on {python} (Python {proc.stdout.strip()})"


def loadgen_version(name: str) -> str:
    if name == "python":
        build = "free-threaded" if not getattr(sys, "_is_gil_enabled", lambda: True)() else "GIL"
        return f"python {platform.python_version()} http.client ({build})"
    if name == "ab":
        proc = subprocess.run(["ab", "-V"], capture_output=True, text=True, timeout=30)
        match = re.search(r"Version (\S+)", proc.stdout + proc.stderr)
        return f"ab {match.group(1)}" if match else "ab"
    proc = subprocess.run(["wrk", "--version"], capture_output=True, text=True, timeout=30)
    match = re.search(r"^wrk (\S+)", proc.stdout + proc.stderr, re.MULTILINE)
    return f"wrk {match.group(1)}" if match else "wrk"


# ---------------------------------------------------------------------------
# Benchmark functions
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class LoadGen:
    """Which closed-loop generator (ab, wrk, python) and which Python runs the open-loop one."""

    closed: str
    open_python: str

    def run(self, url: str, scn: Scenario, loops: int) -> LoadResult:
        if scn.open_loop:
            return run_open_loop(url, scn, loops, self.open_python)
        return LOADGENS[self.closed](url, scn, loops)


def run_load(server: ServerRunner, loadgen: LoadGen, scn: Scenario,
             loops: int) -> tuple[LoadResult, float, dict]:
    """One load run: the result, the CPU thread's seconds per chunk (0.0 without one) and
    the joint record of the same window (joint_window.window: CPU thread, rusage, steal)."""
    url = f"http://127.0.0.1:{server.port}/"
    cpu = None
    if scn.cpu_thread:
        cpu = CpuThread()
        cpu.start()
    try:
        before = joint_window.Snapshot.take(cpu.chunks if cpu is not None else 0)
        result = loadgen.run(url, scn, loops)
        after = joint_window.Snapshot.take(cpu.chunks if cpu is not None else 0)
    finally:
        if cpu is not None:
            cpu.stop()
    record = joint_window.window(before, after, result.requests, cpu is not None)
    record.update(result.extra)
    chunks = after.cpu_chunks - before.cpu_chunks
    seconds_per_chunk = record["elapsed"] / max(chunks, 1) if cpu is not None else 0.0
    return result, seconds_per_chunk, record


JOINT_KEY = "testserver_joint"  # run metadata: JSON list, one joint record per call (warmups first)


def make_time_func(server: ServerRunner, loadgen: LoadGen, scn: Scenario, suffix: str):
    def time_func(loops: int, run_metadata: dict) -> float:
        result, seconds_per_chunk, record = run_load(server, loadgen, scn, loops)
        records = json.loads(run_metadata.get(JOINT_KEY, "[]"))
        records.append({"seq": len(records) + 1, "loops": loops, **record})
        run_metadata[JOINT_KEY] = json.dumps(records, separators=(",", ":"))
        statistic = {
            "": result.seconds_per_request,
            ".p50": result.p50,
            ".p99": result.p99,
            ".cpu_thread": seconds_per_chunk,
        }[suffix]
        # pyperf divides by loops * inner_loops (= loops * scn.requests): it stores `statistic`.
        return statistic * loops * scn.requests

    return time_func


def bench_with_run_metadata(runner: pyperf.Runner, name: str, func, inner_loops: int,
                            metadata: dict):
    """``runner.bench_time_func``, except that ``func(loops, run_metadata)`` gets the run's
    metadata dict, so every value can add its joint record to the run it belongs to.

    pyperf's public API stores one number per value and fixes a run's metadata before
    the first value; this mirrors bench_time_func of the pinned pyperf 2.10 with its
    worker task (pyperf._worker.WorkerProcessTask), whose ``metadata`` is copied into
    the run after the values are computed.  (--profile is not supported here.)
    """
    from pyperf._worker import WorkerProcessTask

    if not runner._check_worker_task():
        return None
    task = WorkerProcessTask(runner, name, lambda task, loops: func(loops, task.metadata), metadata)
    task.inner_loops = inner_loops
    return runner._main(task)


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def add_cmdline_args(cmd: list[str], args) -> None:
    cmd.extend(["--loadgen", args.loadgen, "--workers", str(args.workers),
                "--loadgen-python", args.loadgen_python])
    if args.select:
        cmd.extend(["--select", args.select])


def selected_benchmarks(select: str | None, parser) -> list[str]:
    if not select:
        return list(ALL_BENCHMARKS)
    wanted = [part.strip() for part in select.split(",") if part.strip()]
    unknown = [name for name in wanted if name not in SCENARIOS and name not in ALL_BENCHMARKS]
    if unknown or not wanted:
        parser.error(
            f"unknown benchmark name(s) in --select: {', '.join(unknown) or repr(select)}; valid names: "
            f"scenarios {', '.join(SCENARIOS)} (each selects all its benchmarks) or benchmarks "
            f"{', '.join(ALL_BENCHMARKS)}"
        )
    chosen = set()
    for name in wanted:
        chosen.update(benchmark_names(SCENARIOS[name]) if name in SCENARIOS else [name])
    return [name for name in ALL_BENCHMARKS if name in chosen]  # stable order: same in every worker


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def _gil_io_priority() -> str:
    """The IO-priority GIL's state (patch 0004), stored as metadata so a run
    says whether the hand-off policy was on: "on, cpu_share N", "off", or
    "absent" (an interpreter without the patch, or free-threaded)."""
    get = getattr(sys, "_get_gil_io_priority", None)
    if get is None:
        return "absent"
    state = get()
    return "on, cpu_share %d" % state["cpu_share"] if state["enabled"] else "off"


def main() -> None:
    runner = pyperf.Runner(processes=4, values=3, warmups=1, loops=1, add_cmdline_args=add_cmdline_args)
    parser = runner.argparser
    parser.add_argument("--select", metavar="NAME[,NAME...]",
                        help="scenarios or benchmarks to run (default: all); see --list")
    parser.add_argument("--list", action="store_true", help="list the benchmark names and exit")
    parser.add_argument("--loadgen", choices=sorted(LOADGENS),
                        help="load generator (default: ab if found, else wrk)")
    parser.add_argument("--workers", type=positive_int, default=DEFAULT_WORKERS,
                        help=f"server worker threads (default: {DEFAULT_WORKERS})")
    parser.add_argument("--loadgen-python", metavar="PATH", default=None,
                        help="the Python that runs the open-loop generator (default: python3 on "
                             "PATH, else this interpreter); give every variant the same one")
    args = runner.parse_args()
    names = selected_benchmarks(args.select, parser)

    if args.list:
        for name in names:
            base, dot, suffix = name.partition(".")
            scn = SCENARIOS[base]
            print(f"{name:28s} c={scn.concurrency:<3d} {'keep-alive' if scn.keepalive else 'close':10s} "
                  f"{'+cpu thread' if scn.cpu_thread else '':11s} {METRICS[dot + suffix]}")
        return

    args.loadgen = resolve_loadgen(args.loadgen)
    if args.loadgen_python is None:
        args.loadgen_python = shutil.which("python3") or sys.executable
    runner.metadata["loadgen"] = loadgen_version(args.loadgen)
    runner.metadata["open_loop_loadgen"] = open_loop_version(args.loadgen_python)
    runner.metadata["testserver_pid"] = os.getpid()
    runner.metadata["gil_io_priority"] = _gil_io_priority()
    runner.metadata["testserver_workers"] = args.workers
    runner.metadata["testserver_switch_interval"] = sys.getswitchinterval()
    runner.metadata["testserver_seconds_per_loop"] = SECONDS_PER_LOOP

    loadgen = LoadGen(args.loadgen, args.loadgen_python)
    server = ServerRunner(args.workers)
    atexit.register(server.close)
    try:
        for name in names:
            base, dot, suffix = name.partition(".")
            scn = SCENARIOS[base]
            metadata = {
                "description": METRICS[dot + suffix],
                "testserver_scenario": scn.name,
                "testserver_concurrency": scn.concurrency,
                "testserver_keepalive": int(scn.keepalive),
                "testserver_cpu_thread": int(scn.cpu_thread),
                "testserver_requests": scn.requests,
            }
            if scn.open_loop:
                metadata.update(testserver_rate=scn.rate, testserver_open_loop_cap=OPEN_LOOP_CAP,
                                testserver_open_loop_threshold=OPEN_LOOP_THRESHOLD)
            func = make_time_func(server, loadgen, scn, dot + suffix)
            bench_with_run_metadata(runner, name, func, scn.requests, metadata)
    finally:
        server.close()


if __name__ == "__main__":
    main()
