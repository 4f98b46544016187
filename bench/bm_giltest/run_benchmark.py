"""giltest: how threads share the interpreter (GIL or free-threaded).

Inspired by CPython's Tools/ccbench, rewritten on pyperf.  Every value pyperf
stores is a TIME PER OPERATION in seconds (lower is better); the report turns
them into rates (operations per second) and ratios.  The one exception is the
shares of mixed_io_cpu_*.cpu_share and .io_busy, fractions stored in pyperf's
plain-number unit ("integer", which pyperf prints as the number itself).

What is measured
----------------
cpu_1thread
    A pure-Python CPU "chunk" (a local counter incremented CHUNK times) run in
    one thread; time per chunk.
cpu_2threads
    The same total number of chunks split over 2 threads running concurrently;
    time per chunk of total work.  The report computes
    e = time(cpu_1thread) / time(cpu_2threads): 1.0 is ideal with a GIL, up to
    2.0 without one (on 2 or more idle cores).
handoff_lock, handoff_condition, handoff_queue
    A pair of threads (the benchmark's calling thread and one more) passing the
    turn back and forth: through two threading.Lock objects (each side
    releases the other's lock, then acquires its own), through one
    threading.Condition (a shared turn flag, wait/notify) or through two
    queue.Queue objects (put/get).  Time per hand-off; one direction counts as
    one hand-off, so a round trip is two.
handoff_*_cpu
    The same with one extra CPU-bound Python thread running beside the pair for
    the whole measurement.  A value covers batches of HANDOFFS_PER_VALUE
    hand-offs (fixed, not calibrated) until at least CPU_WINDOW seconds of
    ping-pong, run by ONE pair without a pause (the clock is read after each
    batch; metadata giltest_pair = "continuous"; earlier runs started a new
    pong thread for every batch and timed only the batches, so CPU turns could
    fall in the untimed gaps): a GIL that gives CPU threads a turn every few switch intervals
    must be seen over many turns, or a fast pair's 100 hand-offs (about 2 ms)
    would fall between two turns and hide the CPU thread's share.  With an
    unpatched GIL the behaviour is bimodal: either the woken side
    must wait for the CPU thread to drop the GIL, up to the switch interval
    per hand-off (the "convoy effect": about 200 hand-offs/s, ~100x slower
    than handoff_lock), or the pair keeps passing the GIL between themselves
    and the CPU thread starves (its waiter never sees a switch-free
    interval, so it never requests a drop).  Which mode a value falls in
    varies from run to run.
handoff_*_cpu.cpu_thread
    The same scenario, but the value is the CPU thread's time per chunk
    measured while the pair ping-pongs (the same batches and CPU_WINDOW),
    so starvation of the CPU thread is visible (compare with
    cpu_1thread).  The chunks counted are those completed between the two
    clock readings of each batch (granularity one chunk).
io_latency_cpu0, io_latency_cpu1, io_latency_cpu2
    A Python thread blocked in socket recv() on a loopback UDP socket; another
    process (same sys.executable, started with subprocess) sends it datagrams
    carrying their send time (time.perf_counter_ns()) after irregular delays of
    LATENCY_DELAY_MIN..MAX seconds.  The value is receive time - send time,
    with 0, 1 and 2 CPU-bound threads running.  perf_counter is a system-wide
    monotonic clock on Linux (CLOCK_MONOTONIC), Windows
    (QueryPerformanceCounter) and macOS, so the two processes' readings can be
    subtracted; the script checks the clock implementation of both processes
    and refuses to run these benchmarks on an unknown one.  The receiver asks
    for each datagram (a request datagram) and then enters recv().  The
    latency runs from the later of two instants, the datagram's send time and
    the receiver's clock reading just before recv(), to the return of recv()
    into Python.  Either the thread was blocked in recv() when the datagram
    came (the wake-up latency), or the datagram was already waiting (with a
    GIL and CPU threads, getting the GIL back after sending the request often
    takes longer than the sender's delay) and recv() still dropped the GIL
    around the system call and had to win it back: both are the cost of
    coming back from a blocking call.  (An earlier version discarded the
    second kind and asked again, which on some machines never succeeded.)
mixed_io_cpu_<gap>.cpu_share, .io_busy, .p50, .p99  (gap: 2ms, 500us, 100us)
    IO beside CPU work, as a server that serves a steady stream sees it.  The
    sender process sends a UDP datagram every <gap> on an absolute schedule
    (datagram i at t0 + i * gap, so a late wake-up is caught up and never
    drifts), each carrying its send time (time.perf_counter_ns(), checked to
    be system-wide as for io_latency), MIXED_WINDOW seconds of them per value.
    An IO thread blocks in recv(), and for each datagram does IO_WORK
    increments of Python work (a fixed count, about 20 us on baseline on the
    2-core development machine: not a spin on the clock, so every variant
    does the same work) and blocks again; one CPU-bound thread runs beside
    it.  Around that, in the same call and process, the CPU thread runs alone
    (the IO thread parked) for MIXED_SOLO seconds before and after: its rate
    alone.  One window per value (loops forced to 1), and one statistic of it
    per benchmark, since pyperf runs each benchmark in its own processes (as
    testserver's S, S.p50, S.p99):
      .cpu_share  the CPU thread's chunks/s over the window / its chunks/s
                  alone (a share, higher is better);
      .io_busy    seconds inside the IO thread's work / the window's wall time;
      .p50, .p99  nearest-rank percentiles of receive time - send time over
                  the window's datagrams.
    The window runs from the IO thread's request until the last datagram's
    work is done, or MIXED_CAP after the last scheduled send: datagrams not
    received by then (the socket buffer overflowed, or they still wait) are
    lost, ranked above every received one; a percentile among them is stored
    as the window's length (longer than any latency it measured).  With a
    GIL, 1 - io_busy is the most the CPU thread can get (less the IO
    thread's recv() and bookkeeping, which the joint line gives as
    io_handling); a CPU share below it is time the GIL was left idle.  Every
    call appends all of its window's figures to the --joint-file, with
    gil_use = cpu_share / (1 - io_busy) of the same window.
compute_release, compute_release_cpu, compute_release_cpu.cpu_thread
    C code that releases the GIL: hashlib.sha256 of HASH_BLOCK (1 MiB)
    bytes (CPython hashes 2 KiB and more with the GIL released) in the
    benchmark's thread.  compute_release: alone, time per block (the report
    gives MiB/s).  compute_release_cpu: beside one CPU-bound Python thread,
    time per block over one window of at least CPU_WINDOW seconds;
    .cpu_thread: the CPU thread's time per chunk over such a window.  With a
    GIL, each block's return must win the GIL back from the CPU thread (a
    switch interval, upstream); a GIL that favours threads back from blocking
    calls may instead take the CPU thread's turns.  Every window's hashed
    blocks and CPU chunks go to the --joint-file together.
gil_switch
    Two CPU-bound threads with sys.setswitchinterval(SWITCH_INTERVAL)
    (restored afterwards).  A shared "last runner" slot holds the id of the
    thread that last checked it; every SWITCH_CHECK_EVERY loop iterations each
    thread checks the slot and, if it holds the OTHER thread's id, counts one
    switch (appends its own id to a shared list) and writes its own id.  So a
    switch is "the other thread ran (and checked) since my previous check".
    With a GIL that is one GIL hand-over; on a free-threaded build the two
    threads run in parallel and the count measures how often their checks
    interleave, which is far higher and not a GIL property.  Time per observed
    switch.
lock_with_pass, condition_notify_nowaiter, queue_put_get
    Single-threaded costs of `with lock: pass`, `with cond: cond.notify()` with
    no waiter, and `q.put(x); q.get()`; time per iteration.

What is NOT measured
--------------------
Thread creation and joining (threads are started, and wait at a gate or
signal that they run, before the clock starts, and are joined after it
stops), the sender process start-up, C code that releases the GIL other
than sha256 (no compression/regex workloads as ccbench had), multi-process
throughput, fairness between more than 3 threads, and anything that needs
more cores than the machine has: on a 2-core machine cpu_2threads and the
*_cpu scenarios also measure the OS scheduler.

One value per latency: how it is done
-------------------------------------
A script has exactly one pyperf.Runner, and pyperf normally calibrates
`loops` so that one value lasts at least --min-time, which would average
hundreds of latencies into one value and hide the tail.  The latency
functions receive `loops` datagrams and return the SUM of their latencies
(so any loops value gives a correct mean), and the script registers the
io_latency_* benchmarks with pyperf's loops forced to 1 and values per
process multiplied by LATENCY_VALUES_FACTOR: in the manager process (never
in a worker) it sets runner.args.loops = 1 and runner.args.values *= factor
just around that benchmark's bench_time_func() call and restores them right
after.  pyperf 2.10's Manager reads these fields when it spawns the workers
of that benchmark and passes them as `--loops 1 --values N`, so no loop
calibration happens and every stored value is ONE latency; the report can
take p50/p99 over all values of all processes (with --values 3: 75 values
per process).  A --loops given on the command line does not apply to these.
The same forcing is used, with values unchanged, for the *.cpu_thread,
mixed_io_cpu_* and compute_release_cpu benchmarks (loops=1: their work per
value is fixed and `loops` would only be a scale factor) and for handoff_*_cpu (loops = HANDOFFS_PER_VALUE / 2
round trips: calibrated in the fast mode, a value could last minutes if the
run then fell into the convoy mode).  So the harness runs the script once;
`--select` chooses benchmarks.  (Rejected: a `--latency` flag and two
invocations -- two result files and two pyperf runs to merge; pyperf has no
per-benchmark loops option.)

Defaults and durations
----------------------
Runner(processes=PROCESSES, values=3, warmups=1); the benchmarks not listed
above calibrate loops with pyperf's default --min-time (0.1 s), so a value
lasts 0.1-0.2 s.  HANDOFFS_PER_VALUE = 100 keeps a handoff_*_cpu or
*.cpu_thread value under ~0.5 s even at ~200 hand-offs/s (convoy mode);
in the other mode a value lasts a few ms.  Measured on a noisy, shared
2-core machine (load average 2-3 from other jobs) with the baseline (GIL)
CPython 3.13.5 build, whole script: `--fast` 1 min 05 s, default
(no --fast) 3 min 02 s; free-threaded 3.13.5 build, `--fast`: 1 min 28 s
(both before the mixed_io_cpu_* and compute_release* rows).  Those 15
benchmarks: a mixed_io_cpu_* value lasts about 0.35 s (2 x MIXED_SOLO +
MIXED_WINDOW, up to MIXED_CAP more, and the GIL waits of waking threads), a
compute_release_cpu* value CPU_WINDOW; on the same kind of machine with
builds running beside (load average 4-7), the 15 took 23-25 s in one
invocation with --processes 1 (as `make bench QUICK=1` runs it: 1 warmup + 3
values) and 34 s with --processes 2 --values 2 (one round of a full run,
which has 5).

Every thread a benchmark starts is stopped (CPU threads by a flag) and joined
inside the timed function, every blocking wait has a timeout (a bug raises
RuntimeError instead of hanging), and the sender process stops by itself
(quit message, a bound on the number of datagrams, an idle timeout and a
lifetime bound) and only uses 127.0.0.1.

Options (besides pyperf's): --select NAME[,NAME...] runs only those
benchmarks (unknown names: exit status 2), --list prints the names,
--joint-file PATH appends one JSON line per handoff_*_cpu[.cpu_thread],
mixed_io_cpu_* and compute_release_cpu[.cpu_thread] window (pid, call
number, elapsed, the window's own figures -- round trips and CPU chunks;
every mixed_io_cpu figure; hashed blocks and CPU chunks -- and the voluntary
and involuntary context switches of the worker: the joint measurement one
pyperf value cannot hold; warmup calls included, each run's metadata has its
worker's pid as giltest_pid).
Runs on Python 3.11+, GIL and free-threaded builds.
"""

import atexit
import hashlib
import json
import math
import os
import queue
import socket
import subprocess
import sys
import threading
import time

try:
    import resource     # getrusage: context switches (not on Windows)
except ImportError:
    resource = None

import pyperf


# --- constants that shape the measurement (also stored as metadata) --------

CHUNK = 1000                    # increments per CPU chunk
HANDOFFS_PER_VALUE = 100        # hand-offs per batch of handoff_*_cpu[.cpu_thread]
CPU_WINDOW = 0.2                # minimum seconds of ping-pong per value of those
SWITCH_INTERVAL = 0.0005        # sys.setswitchinterval() for gil_switch
SWITCH_CHECK_EVERY = 10         # loop iterations between two "last runner" checks
LATENCY_DELAY_MIN = 0.001       # sender delay before each datagram, seconds
LATENCY_DELAY_MAX = 0.004
LATENCY_VALUES_FACTOR = 25      # io_latency_*: values per process = values * this
PROCESSES = 10                  # default number of pyperf worker processes
MIXED_GAPS = (("2ms", 2_000_000), ("500us", 500_000), ("100us", 100_000))  # mixed_io_cpu_*: ns between datagrams
MIXED_WINDOW = 0.2              # seconds of paced datagrams per mixed_io_cpu_* value
MIXED_SOLO = 0.05               # seconds of the CPU thread alone before and after them
MIXED_CAP = 0.02                # seconds after the last scheduled send that a value waits at most
IO_WORK = 800                   # increments of the IO thread's work per datagram (~20 us on baseline here)
HASH_BLOCK = 1 << 20            # bytes per sha256 call of compute_release* (1 MiB: the GIL is released)

WAIT_TIMEOUT = 30.0             # bound of every blocking wait, seconds
JOIN_TIMEOUT = WAIT_TIMEOUT + 10.0

SENDER_MAX_DATAGRAMS = 200_000
SENDER_IDLE_TIMEOUT = 60.0
SENDER_MAX_LIFETIME = 1800.0

# perf_counter implementations known to be a system-wide monotonic clock
SYSTEM_WIDE_CLOCKS = (
    "clock_gettime(CLOCK_MONOTONIC)",       # Linux, BSDs
    "clock_gettime(CLOCK_MONOTONIC_RAW)",
    "clock_gettime(CLOCK_UPTIME_RAW)",      # macOS, Python 3.13+
    "mach_absolute_time()",                 # macOS, older Pythons
    "QueryPerformanceCounter()",            # Windows
)

BENCHMARKS = (
    "cpu_1thread",
    "cpu_2threads",
    "handoff_lock",
    "handoff_lock_cpu",
    "handoff_lock_cpu.cpu_thread",
    "handoff_condition",
    "handoff_condition_cpu",
    "handoff_condition_cpu.cpu_thread",
    "handoff_queue",
    "handoff_queue_cpu",
    "handoff_queue_cpu.cpu_thread",
    "io_latency_cpu0",
    "io_latency_cpu1",
    "io_latency_cpu2",
    *["mixed_io_cpu_%s.%s" % (gap, stat) for gap, _ in MIXED_GAPS
      for stat in ("cpu_share", "io_busy", "p50", "p99")],
    "compute_release",
    "compute_release_cpu",
    "compute_release_cpu.cpu_thread",
    "gil_switch",
    "lock_with_pass",
    "condition_notify_nowaiter",
    "queue_put_get",
)


# --- helpers ----------------------------------------------------------------

def _cpu_chunk():
    """One unit of pure-Python CPU work: increment a local counter CHUNK times."""
    x = 0
    for _ in range(CHUNK):
        x += 1
    return x


class _Thread(threading.Thread):
    """A daemon thread that keeps the exception of its target for the joiner."""

    def __init__(self, target, args=(), name=None):
        super().__init__(name=name, daemon=True)
        self._fn = target
        self._fn_args = args
        self.exc = None

    def run(self):
        try:
            self._fn(*self._fn_args)
        except BaseException as exc:   # reported by _join()
            self.exc = exc


def _join(threads, what):
    """Join threads (bounded); raise if one is stuck or failed."""
    deadline = time.monotonic() + JOIN_TIMEOUT
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
        if t.is_alive():
            raise RuntimeError("%s: thread %s did not stop within %.0f s"
                               % (what, t.name, JOIN_TIMEOUT))
    for t in threads:
        if t.exc is not None:
            raise RuntimeError("%s: thread %s failed: %r"
                               % (what, t.name, t.exc)) from t.exc


def _wait(event, what):
    if not event.wait(WAIT_TIMEOUT):
        raise RuntimeError("%s: timed out after %.0f s" % (what, WAIT_TIMEOUT))


class _CpuThreads:
    """Context manager running n CPU-bound threads that loop on _cpu_chunk().

    On entry it returns once every thread has completed at least one chunk;
    on exit it sets the stop flag and joins them.  chunks() is the total
    number of chunks completed so far.
    """

    def __init__(self, n, what):
        self.n = n
        self.what = what
        self.stop = False
        self.counts = [0] * n
        self.running = [threading.Event() for _ in range(n)]
        self.threads = [_Thread(self._body, (i,), name="cpu%d" % i)
                        for i in range(n)]

    def _body(self, idx):
        counts = self.counts
        chunk = _cpu_chunk
        done = 0
        chunk()
        done += 1
        counts[idx] = done
        self.running[idx].set()
        while not self.stop:
            chunk()
            done += 1
            counts[idx] = done

    def chunks(self):
        return sum(self.counts)

    def __enter__(self):
        try:
            for t in self.threads:
                t.start()
            for ev in self.running:
                _wait(ev, self.what + ": CPU thread start")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info):
        self.stop = True
        _join([t for t in self.threads if t.ident is not None], self.what)
        return False


# --- 1, 2: CPU throughput -----------------------------------------------------

def _chunks_body(gate, n):
    _wait(gate, "cpu: start gate")
    chunk = _cpu_chunk
    for _ in range(n):
        chunk()


def _cpu_threads_time(loops, nthreads, what):
    gate = threading.Event()
    share, extra = divmod(loops, nthreads)
    threads = [_Thread(_chunks_body, (gate, share + (1 if i < extra else 0)),
                       name="chunks%d" % i)
               for i in range(nthreads)]
    try:
        for t in threads:
            t.start()
        t0 = time.perf_counter()
        gate.set()
    finally:
        gate.set()
        _join([t for t in threads if t.ident is not None], what)
    return time.perf_counter() - t0


def bench_cpu_1thread(loops):
    return _cpu_threads_time(loops, 1, "cpu_1thread")


def bench_cpu_2threads(loops):
    return _cpu_threads_time(loops, 2, "cpu_2threads")


# --- 3-7: hand-off pairs ------------------------------------------------------
# Each _pair_* factory returns (ping, pong, finish): ping(rounds) runs in the
# calling thread and does `rounds` round trips (2 hand-offs each); it may be
# called again and again.  pong(ready) runs in a new thread, sets `ready` before
# its first wait and answers every round trip until finish() (called by the ping
# side after its last round trip) tells it to return.  So one pair serves a whole
# value: no thread is started or joined between two batches.

def _timeout(what):
    raise RuntimeError("%s: no hand-off within %.0f s" % (what, WAIT_TIMEOUT))


def _pair_lock():
    ping_lock = threading.Lock()
    pong_lock = threading.Lock()
    ping_lock.acquire()
    pong_lock.acquire()
    stop = [False]

    def ping(rounds):
        for _ in range(rounds):
            pong_lock.release()
            if not ping_lock.acquire(timeout=WAIT_TIMEOUT):
                _timeout("handoff_lock ping")

    def pong(ready):
        ready.set()
        while True:
            if not pong_lock.acquire(timeout=WAIT_TIMEOUT):
                _timeout("handoff_lock pong")
            if stop[0]:
                return
            ping_lock.release()

    def finish():
        stop[0] = True
        pong_lock.release()

    return ping, pong, finish


def _pair_condition():
    cond = threading.Condition()
    turn = [0]          # 0: ping's turn, 1: pong's turn
    stop = [False]

    def ping(rounds):
        with cond:
            for _ in range(rounds):
                turn[0] = 1
                cond.notify()
                if not cond.wait_for(lambda: turn[0] == 0, WAIT_TIMEOUT):
                    _timeout("handoff_condition ping")

    def pong(ready):
        with cond:
            ready.set()
            while True:
                if not cond.wait_for(lambda: turn[0] == 1, WAIT_TIMEOUT):
                    _timeout("handoff_condition pong")
                if stop[0]:
                    return
                turn[0] = 0
                cond.notify()

    def finish():
        with cond:
            stop[0] = True
            turn[0] = 1
            cond.notify()

    return ping, pong, finish


def _pair_queue():
    to_pong = queue.Queue()
    to_ping = queue.Queue()

    def ping(rounds):
        try:
            for i in range(rounds):
                to_pong.put(i)
                to_ping.get(timeout=WAIT_TIMEOUT)
        except queue.Empty:
            _timeout("handoff_queue ping")

    def pong(ready):
        ready.set()
        try:
            while True:
                item = to_pong.get(timeout=WAIT_TIMEOUT)
                if item is None:
                    return
                to_ping.put(item)
        except queue.Empty:
            _timeout("handoff_queue pong")

    def finish():
        to_pong.put(None)

    return ping, pong, finish


PAIRS = {"lock": _pair_lock, "condition": _pair_condition, "queue": _pair_queue}


# --joint-file: one JSON line per call of a handoff_*_cpu[.cpu_thread] function
# (warmups included, in call order per worker pid; each run's metadata carries
# its worker's pid as giltest_pid), holding what one pyperf value cannot: the
# hand-offs AND the CPU thread's chunks over the same window, and the worker's
# context switches meanwhile, so a report can pair rate and CPU share per value.
_JOINT = {"path": None, "seq": 0}


def _rusage():
    if resource is None:
        return None
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_nvcsw, ru.ru_nivcsw


def _append_joint(name, fields, ru0, ru1):
    """Append one window's joint line (``fields`` plus pid, call number and the
    worker's context switches meanwhile) to the --joint-file, if one was given."""
    if _JOINT["path"] is None:
        return
    _JOINT["seq"] += 1
    line = {"pid": os.getpid(), "seq": _JOINT["seq"], "bench": name, **fields,
            "voluntary_ctxt_switches": None if ru0 is None else ru1[0] - ru0[0],
            "involuntary_ctxt_switches": None if ru0 is None else ru1[1] - ru0[1]}
    with open(_JOINT["path"], "a") as f:     # O_APPEND: workers' lines do not interleave
        f.write(json.dumps(line) + "\n")


def _record_joint(name, elapsed, trips, chunks, ru0, ru1):
    """Append one hand-off window's joint measurement to the --joint-file, if one was given."""
    _append_joint(name, {"elapsed": elapsed, "round_trips": trips, "cpu_chunks": chunks},
                  ru0, ru1)


def _run_pair(kind, rounds, ncpu, window=0.0, record=None):
    """Ping-pong beside `ncpu` CPU threads: batches of `rounds` round trips
    until at least `window` seconds of ping-pong (one batch if 0).

    One pair runs continuously for the whole value; the ping side reads the
    clock after every batch, so the time measured has no gaps (the pong thread
    is started before the clock starts and stopped after it stops).

    Returns (elapsed seconds, round trips, CPU chunks completed meanwhile);
    with `record` (a benchmark name) also appends them to the --joint-file.
    """
    what = "handoff_%s%s" % (kind, "_cpu" if ncpu else "")
    trips = 0
    with _CpuThreads(ncpu, what) as cpu:
        ping, pong, finish = PAIRS[kind]()
        ready = threading.Event()
        th = _Thread(pong, (ready,), name="pong")
        th.start()
        finished = False
        try:
            _wait(ready, what + ": pong start")
            ru0 = _rusage()
            c0 = cpu.chunks()
            t0 = time.perf_counter()
            while True:
                ping(rounds)
                trips += rounds
                t1 = time.perf_counter()
                if t1 - t0 >= window:
                    break
            c1 = cpu.chunks()
            ru1 = _rusage()
            finish()
            finished = True
        finally:
            if not finished:
                try:
                    finish()    # a failed ping: let pong return if it can
                except RuntimeError:
                    pass
            _join([th], what)
    if record is not None:
        _record_joint(record, t1 - t0, trips, c1 - c0, ru0, ru1)
    return t1 - t0, trips, c1 - c0


def _handoff_func(kind, ncpu):
    def func(loops):
        # loops round trips = 2 * loops hand-offs (inner_loops=2)
        if ncpu == 0:
            return _run_pair(kind, loops, 0)[0]
        # loops is forced to HANDOFFS_PER_VALUE // 2: time per `loops` round
        # trips, averaged over the whole window
        elapsed, trips, _ = _run_pair(kind, loops, ncpu, CPU_WINDOW,
                                      record="handoff_%s_cpu" % kind)
        return elapsed * loops / trips
    return func


def _handoff_cpu_thread_func(kind):
    def func(loops):
        elapsed, _, chunks = _run_pair(kind, HANDOFFS_PER_VALUE // 2, 1,
                                       CPU_WINDOW,
                                       record="handoff_%s_cpu.cpu_thread" % kind)
        if chunks <= 0:
            # The CPU thread did not finish a single chunk while the pair ran:
            # count it as one chunk over the whole time (an underestimate of
            # the real time per chunk, which is at least that long).
            chunks = 1
        # pyperf divides by loops: the stored value is seconds per chunk.
        return elapsed * loops / chunks
    return func


# --- 8: I/O latency -----------------------------------------------------------

SENDER_SCRIPT = r"""
import random, socket, sys, time
port, max_n, idle, life, lo, hi = sys.argv[1:7]
port, max_n = int(port), int(max_n)
idle, life, lo, hi = float(idle), float(life), float(lo), float(hi)
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", 0))
sock.connect(("127.0.0.1", port))
sock.settimeout(idle)
impl = time.get_clock_info("perf_counter").implementation
sock.send(("hello " + impl).encode())
deadline = time.monotonic() + life
sent = 0
try:
    while sent < max_n and time.monotonic() < deadline:
        try:
            data = sock.recv(256)
        except socket.timeout:
            break
        if data == b"quit":
            break
        fields = data.split()
        req, n = fields[0], int(fields[1])
        if len(fields) == 2:    # "<req> <n>": n datagrams after random delays
            for _ in range(n):
                time.sleep(random.uniform(lo, hi))
                sock.send(b"%s %d" % (req, time.perf_counter_ns()))
                sent += 1
            continue
        # "<req> <n> <gap_ns>": datagram i at t0 + i * gap on an absolute
        # schedule (a late wake-up sends at once: no drift), then "<req> end"
        gap = int(fields[2])
        t0 = time.perf_counter_ns() + gap
        for i in range(n):
            wait = t0 + i * gap - time.perf_counter_ns()
            if wait > 0:
                time.sleep(wait / 1e9)
            sock.send(b"%s %d %d" % (req, i, time.perf_counter_ns()))
        sock.send(b"%s end" % req)
        sent += n
except ConnectionRefusedError:
    pass    # the receiver's socket is gone
"""


class _Sender:
    """The datagram-sending process, one per worker process.

    Started on first use, stopped at exit (and it stops by itself anyway).
    Protocol on a connected loopback UDP pair: the receiver sends
    b"<req> <n>"; the sender answers with n datagrams b"<req> <send_ns>",
    each after a random delay of LATENCY_DELAY_MIN..MAX seconds.  Or it sends
    b"<req> <n> <gap_ns>" (mixed_io_cpu_*): the sender answers with
    b"<req> <i> <send_ns>" for i = 0..n-1, datagram i at t0 + i * gap_ns
    (t0 one gap after the command arrives), then b"<req> end".
    """

    _instance = None

    @classmethod
    def get(cls):
        if cls._instance is None:
            cls._instance = cls()
            atexit.register(cls._instance.close)
        return cls._instance

    def __init__(self):
        impl = time.get_clock_info("perf_counter").implementation
        if impl not in SYSTEM_WIDE_CLOCKS:
            raise RuntimeError("io_latency: perf_counter is %r, not a known "
                               "system-wide clock" % impl)
        self.req = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(WAIT_TIMEOUT)
        port = self.sock.getsockname()[1]
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-c", SENDER_SCRIPT, str(port),
             str(SENDER_MAX_DATAGRAMS), str(SENDER_IDLE_TIMEOUT),
             str(SENDER_MAX_LIFETIME), str(LATENCY_DELAY_MIN),
             str(LATENCY_DELAY_MAX)],
            stdin=subprocess.DEVNULL)
        try:
            data, addr = self.sock.recvfrom(256)
        except socket.timeout:
            self.close()
            raise RuntimeError("io_latency: no hello from the sender process "
                               "within %.0f s" % WAIT_TIMEOUT)
        word, _, sender_impl = data.decode().partition(" ")
        if word != "hello" or addr[0] != "127.0.0.1":
            self.close()
            raise RuntimeError("io_latency: unexpected datagram %r from %r"
                               % (data, addr))
        if sender_impl != impl:
            self.close()
            raise RuntimeError("io_latency: sender clock %r != receiver "
                               "clock %r" % (sender_impl, impl))
        self.sock.connect(addr)     # from now on only the sender is heard

    def close(self):
        proc = self.proc if hasattr(self, "proc") else None
        if proc is not None and proc.poll() is None:
            try:
                self.sock.send(b"quit")
            except OSError:
                pass
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.sock.close()

    def latency(self):
        """One latency in seconds: from max(send time, recv() entry) to recv() return."""
        sock = self.sock
        perf_ns = time.perf_counter_ns
        self.req += 1
        req = b"%d" % self.req
        sock.send(req + b" 1")
        while True:
            t_enter = perf_ns()
            try:
                data = sock.recv(256)
            except socket.timeout:
                raise RuntimeError("io_latency: no datagram within %.0f s"
                                   % WAIT_TIMEOUT) from None
            t_recv = perf_ns()
            got_req, _, sent_ns = data.partition(b" ")
            if got_req == req:
                break
            # a late answer to an earlier request: ignore it
        latency = (t_recv - max(int(sent_ns), t_enter)) / 1e9
        if latency < 0:
            raise RuntimeError("io_latency: negative latency %r s: the "
                               "clocks are not the same" % latency)
        return max(latency, 1e-9)

    def drain(self):
        """Discard datagrams left from an earlier request (a window that ended
        at its deadline leaves its backlog); call it with no CPU thread running."""
        self.sock.setblocking(False)
        try:
            while True:
                try:
                    self.sock.recv(256)
                except (BlockingIOError, InterruptedError):
                    break
        finally:
            self.sock.settimeout(WAIT_TIMEOUT)

    def paced(self, n, gap_ns, cpu):
        """The IO thread of one mixed_io_cpu_* window: ask for n datagrams
        gap_ns apart, and for each one received do IO_WORK increments.

        The window runs from sending the request until the last datagram's
        work is done (or the "end" datagram, or MIXED_CAP after the last
        scheduled send, whichever comes first: datagrams not received by then
        are lost, counted as slower than every received one).  Returns a dict:
        elapsed and the CPU threads' chunks over the window, the latencies
        (receive - send, ns) received, the seconds inside the work (busy) and
        from each recv() return to the end of its work (handling).
        """
        sock = self.sock
        perf_ns = time.perf_counter_ns
        work = _io_work
        self.req += 1
        req = b"%d" % self.req
        last = n - 1
        latencies = []
        busy = handling = 0
        sock.settimeout(MIXED_CAP)
        try:
            c0 = cpu.chunks()
            t0 = perf_ns()
            deadline = t0 + (n + 1) * gap_ns + int(MIXED_CAP * 1e9)
            sock.send(b"%s %d %d" % (req, n, gap_ns))
            while True:
                try:
                    data = sock.recv(64)
                except socket.timeout:
                    if perf_ns() >= deadline:
                        break
                    continue
                t_recv = perf_ns()
                got_req, _, rest = data.partition(b" ")
                if got_req != req:
                    continue        # a late datagram of an earlier request
                if rest == b"end":
                    break
                index, sent_ns = rest.split()
                latencies.append(t_recv - int(sent_ns))
                w0 = perf_ns()
                work()
                w1 = perf_ns()
                busy += w1 - w0
                handling += w1 - t_recv
                if int(index) == last or w1 >= deadline:
                    break
            t1 = perf_ns()
            c1 = cpu.chunks()
        finally:
            sock.settimeout(WAIT_TIMEOUT)
        if latencies and min(latencies) < 0:
            raise RuntimeError("mixed_io_cpu: negative latency %d ns: the "
                               "clocks are not the same" % min(latencies))
        return {"elapsed": (t1 - t0) / 1e9, "cpu_chunks": c1 - c0,
                "latencies": latencies, "busy": busy / 1e9,
                "handling": handling / 1e9}


def _latency_func(ncpu):
    def func(loops):
        sender = _Sender.get()
        total = 0.0
        with _CpuThreads(ncpu, "io_latency_cpu%d" % ncpu):
            for _ in range(loops):
                total += sender.latency()
        return total
    return func


# --- 8b: paced IO beside a CPU thread ---------------------------------------------

def _io_work():
    """The IO thread's fixed Python work per datagram: IO_WORK increments."""
    x = 0
    for _ in range(IO_WORK):
        x += 1
    return x


def _solo(cpu, seconds):
    """(chunks, seconds) of the CPU threads while this thread sleeps `seconds`."""
    t0 = time.perf_counter()
    c0 = cpu.chunks()
    time.sleep(seconds)
    t1 = time.perf_counter()
    c1 = cpu.chunks()
    return c1 - c0, t1 - t0


def _percentile(sorted_ns, n, p, censored):
    """Nearest-rank percentile p of n latencies of which sorted_ns (ns, ascending)
    were received; the n - len(sorted_ns) lost ones rank above them all and a
    percentile among them is `censored` (seconds)."""
    rank = max(1, math.ceil(p / 100.0 * n))
    return sorted_ns[rank - 1] / 1e9 if rank <= len(sorted_ns) else censored


def _mixed_window(gap_ns, record=None):
    """One value of mixed_io_cpu_*: the CPU thread alone (MIXED_SOLO), beside
    the IO thread serving datagrams gap_ns apart (MIXED_WINDOW), then alone
    again, all in this process.  Returns the window's figures (a dict); with
    `record` (a benchmark name) also appends them to the --joint-file.
    """
    what = "mixed_io_cpu"
    sender = _Sender.get()
    sender.drain()              # no CPU thread yet: a backlog drains at once
    n = max(1, round(MIXED_WINDOW * 1e9 / gap_ns))
    go = threading.Event()
    state = {"run": True}
    out = {}
    with _CpuThreads(1, what) as cpu:
        def io_body():
            _wait(go, what + ": IO thread start")
            if state["run"]:
                out.update(sender.paced(n, gap_ns, cpu))

        io = _Thread(io_body, name="io")
        io.start()
        try:
            solo_a = _solo(cpu, MIXED_SOLO)
            ru0 = _rusage()
            go.set()
            _join([io], what)
            ru1 = _rusage()
            solo_b = _solo(cpu, MIXED_SOLO)
        finally:
            if io.is_alive():       # failed before the window: let it return
                state["run"] = False
                go.set()
                io.join(JOIN_TIMEOUT)
    solo_rate = (solo_a[0] + solo_b[0]) / (solo_a[1] + solo_b[1])
    elapsed = out["elapsed"]
    latencies = sorted(out["latencies"])
    # pyperf refuses a value of 0: a CPU thread without one chunk counts one,
    # a window without one datagram received counts 1 ns of work
    cpu_share = max(1, out["cpu_chunks"]) / elapsed / solo_rate
    io_busy = max(out["busy"], 1e-9) / elapsed
    fig = {"gap": gap_ns / 1e9, "elapsed": elapsed, "cpu_chunks": out["cpu_chunks"],
           "solo_chunks": solo_a[0] + solo_b[0], "solo_elapsed": solo_a[1] + solo_b[1],
           "cpu_share": cpu_share, "io_busy": io_busy,
           "gil_use": cpu_share / max(1e-9, 1.0 - io_busy),
           "io_handling": out["handling"] / elapsed,
           "datagrams": n, "received": len(latencies),
           "p50": _percentile(latencies, n, 50, elapsed),
           "p99": _percentile(latencies, n, 99, elapsed)}
    if record is not None:
        _append_joint(record, fig, ru0, ru1)
    return fig


def _mixed_func(gap, gap_ns, stat):
    name = "mixed_io_cpu_%s.%s" % (gap, stat)

    def func(loops):
        # loops is forced to 1: one window per value, its statistic `stat`
        return sum(_mixed_window(gap_ns, record=name)[stat] for _ in range(loops))
    return func


# --- 8c: C code that releases the GIL beside a CPU thread ----------------------

_BLOCK = []


def _hash_block():
    """HASH_BLOCK bytes to hash (made once per process)."""
    if not _BLOCK:
        _BLOCK.append(bytes(range(256)) * (HASH_BLOCK // 256))
    return _BLOCK[0]


def bench_compute_release(loops):
    block = _hash_block()
    sha256 = hashlib.sha256
    it = range(loops)
    t0 = time.perf_counter()
    for _ in it:
        sha256(block).digest()
    return time.perf_counter() - t0


def _run_hash_beside_cpu(window, record=None):
    """Hash HASH_BLOCK chunks in this thread beside one CPU thread until at
    least `window` seconds; returns (elapsed, chunks hashed, CPU chunks)."""
    what = "compute_release_cpu"
    block = _hash_block()
    sha256 = hashlib.sha256
    hashed = 0
    with _CpuThreads(1, what) as cpu:
        ru0 = _rusage()
        c0 = cpu.chunks()
        t0 = time.perf_counter()
        while True:
            sha256(block).digest()
            hashed += 1
            t1 = time.perf_counter()
            if t1 - t0 >= window:
                break
        c1 = cpu.chunks()
        ru1 = _rusage()
    if record is not None:
        _append_joint(record, {"elapsed": t1 - t0, "hashed": hashed,
                               "hash_block": HASH_BLOCK, "cpu_chunks": c1 - c0},
                      ru0, ru1)
    return t1 - t0, hashed, c1 - c0


def _compute_release_func(cpu_thread):
    name = "compute_release_cpu" + (".cpu_thread" if cpu_thread else "")

    def func(loops):
        # loops is forced to 1: one window per value; seconds per hashed block
        # (the hashing thread) or per CPU chunk (the CPU thread)
        elapsed, hashed, chunks = _run_hash_beside_cpu(CPU_WINDOW, record=name)
        return elapsed * loops / (max(1, chunks) if cpu_thread else hashed)
    return func


# --- 9: GIL switches ------------------------------------------------------------

def bench_gil_switch(loops):
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        gate = threading.Event()
        done = threading.Event()
        last = [None]           # id of the thread that checked last
        switches = []           # one entry (the observer's id) per switch
        state = {"stop": False, "t_end": None}

        def body(me):
            _wait(gate, "gil_switch: start gate")
            append = switches.append
            spin = range(SWITCH_CHECK_EVERY)
            x = 0
            while not state["stop"]:
                for _ in spin:
                    x += 1
                prev = last[0]
                if prev != me:
                    last[0] = me
                    if prev is not None:
                        append(me)
                        if len(switches) >= loops and not state["stop"]:
                            state["t_end"] = time.perf_counter()
                            state["stop"] = True
                            done.set()

        threads = [_Thread(body, (i,), name="switch%d" % i) for i in (1, 2)]
        try:
            for t in threads:
                t.start()
            t0 = time.perf_counter()
            gate.set()
            if not done.wait(WAIT_TIMEOUT):
                raise RuntimeError("gil_switch: only %d of %d switches in "
                                   "%.0f s" % (len(switches), loops,
                                               WAIT_TIMEOUT))
        finally:
            state["stop"] = True
            gate.set()
            _join([t for t in threads if t.ident is not None], "gil_switch")
        return state["t_end"] - t0
    finally:
        sys.setswitchinterval(old_interval)


# --- 10: single-threaded primitives -------------------------------------------

def bench_lock_with_pass(loops):
    lock = threading.Lock()
    it = range(loops)
    t0 = time.perf_counter()
    for _ in it:
        with lock:     # never contended: cannot block
            pass
    return time.perf_counter() - t0


def bench_condition_notify_nowaiter(loops):
    cond = threading.Condition()
    it = range(loops)
    t0 = time.perf_counter()
    for _ in it:
        with cond:
            cond.notify()
    return time.perf_counter() - t0


def bench_queue_put_get(loops):
    q = queue.Queue()
    it = range(loops)
    t0 = time.perf_counter()
    for x in it:
        q.put(x)
        q.get()        # the queue holds the item just put: cannot block
    return time.perf_counter() - t0


# --- registration ------------------------------------------------------------

def _spec():
    """(name, func, inner_loops, forced loops or None, values factor, metadata).

    A forced `loops` replaces pyperf's calibration for that benchmark (see
    _register); the values factor multiplies --values for it.
    """
    rounds = HANDOFFS_PER_VALUE // 2
    specs = [
        ("cpu_1thread", bench_cpu_1thread, None, None, 1, {}),
        ("cpu_2threads", bench_cpu_2threads, None, None, 1, {}),
    ]
    for kind in ("lock", "condition", "queue"):
        specs += [
            ("handoff_%s" % kind, _handoff_func(kind, 0), 2, None, 1,
             {"giltest_cpu_threads": 0}),
            # fixed work per value (rounds round trips): calibration would pick
            # thousands of round trips in the fast mode, which can take
            # minutes per value if the run then falls into the convoy mode
            ("handoff_%s_cpu" % kind, _handoff_func(kind, 1), 2, rounds, 1,
             {"giltest_cpu_threads": 1}),
            ("handoff_%s_cpu.cpu_thread" % kind,
             _handoff_cpu_thread_func(kind), None, 1, 1,
             {"giltest_cpu_threads": 1}),
        ]
    for ncpu in (0, 1, 2):
        specs.append(("io_latency_cpu%d" % ncpu, _latency_func(ncpu), None,
                      1, LATENCY_VALUES_FACTOR, {"giltest_cpu_threads": ncpu}))
    for gap, gap_ns in MIXED_GAPS:
        for stat in ("cpu_share", "io_busy", "p50", "p99"):
            meta = {"giltest_cpu_threads": 1, "giltest_gap": gap_ns / 1e9}
            if stat in ("cpu_share", "io_busy"):
                meta["unit"] = "integer"    # a share: pyperf's plain-number unit
            specs.append(("mixed_io_cpu_%s.%s" % (gap, stat),
                          _mixed_func(gap, gap_ns, stat), None, 1, 1, meta))
    specs += [
        ("compute_release", bench_compute_release, None, None, 1,
         {"giltest_cpu_threads": 0}),
        ("compute_release_cpu", _compute_release_func(False), None, 1, 1,
         {"giltest_cpu_threads": 1}),
        ("compute_release_cpu.cpu_thread", _compute_release_func(True), None,
         1, 1, {"giltest_cpu_threads": 1}),
    ]
    specs += [
        ("gil_switch", bench_gil_switch, None, None, 1, {}),
        ("lock_with_pass", bench_lock_with_pass, None, None, 1, {}),
        ("condition_notify_nowaiter", bench_condition_notify_nowaiter, None,
         None, 1, {}),
        ("queue_put_get", bench_queue_put_get, None, None, 1, {}),
    ]
    assert tuple(s[0] for s in specs) == BENCHMARKS
    return specs


def _add_cmdline_args(cmd, args):
    if args.select:
        cmd.extend(("--select", args.select))
    if args.joint_file:
        cmd.extend(("--joint-file", args.joint_file))


def _parse_select(text):
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown or not names:
        print("ERROR: unknown benchmark name(s): %s"
              % (", ".join(unknown) or repr(text)), file=sys.stderr)
        print("valid names: %s" % ", ".join(BENCHMARKS), file=sys.stderr)
        sys.exit(2)
    return set(names)


def _register(runner, name, func, inner_loops, forced_loops, values_factor,
              metadata):
    args = runner.args
    if forced_loops is None or args.worker:
        # Workers get the forced --loops/--values on their command line from
        # the manager; nothing to change there.
        runner.bench_time_func(name, func, inner_loops=inner_loops,
                               metadata=metadata)
        return
    # Manager process: pyperf's Manager reads runner.args when it spawns the
    # workers of this benchmark, so setting loops here disables calibration
    # and passes --loops/--values to them.  Restored for the next benchmark.
    saved = (args.loops, args.values)
    args.loops = forced_loops
    args.values = args.values * values_factor
    try:
        runner.bench_time_func(name, func, inner_loops=inner_loops,
                               metadata=metadata)
    finally:
        args.loops, args.values = saved


def _gil_io_priority():
    """The IO-priority GIL's state (patch 0004), stored as metadata so a run
    says whether the hand-off policy was on: "on, cpu_share N", "off", or
    "absent" (an interpreter without the patch, or free-threaded)."""
    get = getattr(sys, "_get_gil_io_priority", None)
    if get is None:
        return "absent"
    state = get()
    return "on, cpu_share %d" % state["cpu_share"] if state["enabled"] else "off"


def main():
    runner = pyperf.Runner(processes=PROCESSES, values=3, warmups=1,
                           add_cmdline_args=_add_cmdline_args)
    runner.argparser.add_argument(
        "--select", metavar="NAME[,NAME...]", default=None,
        help="run only these benchmarks (comma-separated; see --list)")
    runner.argparser.add_argument(
        "--list", action="store_true", help="print the benchmark names and exit")
    runner.argparser.add_argument(
        "--joint-file", metavar="PATH", default=None,
        help="append one JSON line per handoff_*_cpu window: round trips, CPU "
             "chunks, elapsed and context switches of the same window")
    runner.metadata["description"] = "GIL / free-threading behaviour of threads"
    runner.metadata["giltest_chunk"] = CHUNK
    runner.metadata["giltest_handoffs_per_value"] = HANDOFFS_PER_VALUE
    runner.metadata["giltest_cpu_window"] = CPU_WINDOW
    runner.metadata["giltest_pair"] = "continuous"    # one pair per value, no tear-down between batches
    runner.metadata["giltest_switch_interval"] = SWITCH_INTERVAL
    runner.metadata["giltest_switch_check_every"] = SWITCH_CHECK_EVERY
    runner.metadata["giltest_latency_delay"] = "%g-%g s" % (
        LATENCY_DELAY_MIN, LATENCY_DELAY_MAX)
    runner.metadata["giltest_latency_values_factor"] = LATENCY_VALUES_FACTOR
    runner.metadata["giltest_latency_origin"] = "max(send, recv entry)"
    runner.metadata["giltest_mixed_window"] = MIXED_WINDOW
    runner.metadata["giltest_mixed_solo"] = MIXED_SOLO
    runner.metadata["giltest_mixed_cap"] = MIXED_CAP
    runner.metadata["giltest_io_work"] = IO_WORK
    runner.metadata["giltest_hash_block"] = HASH_BLOCK
    runner.metadata["giltest_sha256"] = type(hashlib.sha256()).__module__ + "." + type(hashlib.sha256()).__name__
    is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
    runner.metadata["gil_io_priority"] = _gil_io_priority()
    runner.metadata["giltest_gil"] = (
        "enabled" if is_gil_enabled is None or is_gil_enabled() else "disabled")

    args = runner.parse_args()
    runner.metadata["giltest_pid"] = os.getpid()   # a worker's own pid: pairs its runs with --joint-file lines
    _JOINT["path"] = os.path.abspath(args.joint_file) if args.joint_file else None
    if args.list:
        for name in BENCHMARKS:
            print(name)
        return
    selected = _parse_select(args.select) if args.select else set(BENCHMARKS)

    for name, func, inner_loops, loops, factor, metadata in _spec():
        if name in selected:
            _register(runner, name, func, inner_loops, loops, factor,
                      metadata)


if __name__ == "__main__":
    main()
