"""Green threads handing work to each other through threading's primitives, monkey-patched.

Usage: python handoff.py gevent|eventlet [--items N]

After gevent's or eventlet's monkey-patching, threading.Condition, queue.Queue,
threading.Event, threading.Semaphore and threading.Barrier must block the *green* thread
that waits, not the OS thread: every green thread here runs on one OS thread, so a
primitive that parks the OS thread (on a C mutex, say) stops the hub and the notifier
never runs. That shows as a hang; the caller runs this with a timeout.

Prints one JSON line (which classes were used, how many hand-offs each scenario made)
and exits 0 when every hand-off completed with the right result; exits 1 with a message
when a result is wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Callable

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("library", choices=("gevent", "eventlet"))
parser.add_argument("--items", type=int, default=200, help="hand-offs per scenario (default: 200)")
args = parser.parse_args()

if args.library == "gevent":
    from gevent import monkey

    monkey.patch_all()
    import gevent

    def spawn(func: Callable[..., object], *a: object):
        return gevent.spawn(func, *a)

    def join(greenlets: list) -> None:
        gevent.joinall(greenlets, raise_error=True)

    def patched() -> bool:
        return bool(monkey.is_module_patched("threading"))
else:
    import eventlet

    eventlet.monkey_patch()

    def spawn(func: Callable[..., object], *a: object):
        return eventlet.spawn(func, *a)

    def join(greenlets: list) -> None:
        for g in greenlets:
            g.wait()

    def patched() -> bool:
        return bool(eventlet.patcher.is_monkey_patched("thread"))

import queue  # noqa: E402  (after monkey-patching, as a patched program imports it)
import threading  # noqa: E402

N = args.items
counts: dict[str, int] = {}


def fail(message: str) -> None:
    print(f"handoff.py ({args.library}): {message}", file=sys.stderr)
    sys.exit(1)


def condition_pingpong(name: str, cond: threading.Condition) -> None:
    """Two green threads alternate through one Condition: a producer and a consumer of a box."""
    box: list[int] = []
    got: list[int] = []

    def producer() -> None:
        for i in range(N):
            with cond:
                cond.wait_for(lambda: not box)
                box.append(i)
                cond.notify()

    def consumer() -> None:
        for _ in range(N):
            with cond:
                while not box:
                    cond.wait()
                got.append(box.pop())
                cond.notify()

    join([spawn(consumer), spawn(producer)])
    if got != list(range(N)):
        fail(f"{name}: the consumer got {got[:5]}... instead of 0..{N - 1}")
    counts[name] = len(got)


def condition_timeout_and_notify_all() -> None:
    """A timed wait that nobody notifies returns False; notify_all wakes every waiter."""
    cond = threading.Condition()
    with cond:
        if cond.wait(0.01):
            fail("Condition.wait(0.01) with no notifier returned True")
    woken: list[int] = []
    ready = [0]

    def waiter(i: int) -> None:
        with cond:
            ready[0] += 1
            cond.wait()
            woken.append(i)

    waiters = [spawn(waiter, i) for i in range(5)]

    def notifier() -> None:
        while True:
            with cond:
                if ready[0] == 5:
                    cond.notify_all()
                    return
            threading.Event().wait(0.001)

    join([*waiters, spawn(notifier)])
    if sorted(woken) != list(range(5)):
        fail(f"notify_all woke {sorted(woken)} instead of all 5 waiters")
    counts["condition_notify_all"] = len(woken)


def queue_handoff() -> None:
    """A bounded queue of one slot: both sides block in turn."""
    q: queue.Queue[int] = queue.Queue(maxsize=1)
    got: list[int] = []

    def producer() -> None:
        for i in range(N):
            q.put(i)
        q.put(-1)

    def consumer() -> None:
        while (item := q.get()) != -1:
            got.append(item)

    join([spawn(consumer), spawn(producer)])
    if got != list(range(N)):
        fail(f"queue: the consumer got {len(got)} items, not 0..{N - 1} in order")
    counts["queue"] = len(got)


def event_pingpong() -> None:
    """Two Events bounce control between two green threads."""
    ping, pong = threading.Event(), threading.Event()
    trips = [0]

    def a() -> None:
        for _ in range(N):
            ping.set()
            if not pong.wait(5):
                fail("event: pong never came")
            pong.clear()
            trips[0] += 1

    def b() -> None:
        for _ in range(N):
            if not ping.wait(5):
                fail("event: ping never came")
            ping.clear()
            pong.set()

    join([spawn(b), spawn(a)])
    counts["event"] = trips[0]


def semaphore_limit() -> None:
    """A Semaphore(2) lets at most two of eight workers in at once, and all of them eventually."""
    sem = threading.Semaphore(2)
    bounded = threading.BoundedSemaphore(1)
    inside = [0]
    peak = [0]
    done: list[int] = []

    def worker(i: int) -> None:
        for _ in range(N // 8 or 1):
            with sem:
                inside[0] += 1
                peak[0] = max(peak[0], inside[0])
                threading.Event().wait(0)  # yield to the hub while holding the semaphore
                inside[0] -= 1
        with bounded:
            done.append(i)

    join([spawn(worker, i) for i in range(8)])
    if peak[0] > 2 or sorted(done) != list(range(8)):
        fail(f"semaphore: peak {peak[0]} inside (limit 2), finished {sorted(done)}")
    counts["semaphore"] = len(done)


def barrier_rounds() -> None:
    """Three green threads meet at a Barrier, round after round."""
    barrier = threading.Barrier(3)
    rounds = max(N // 10, 1)
    passed = [0]

    def party() -> None:
        for _ in range(rounds):
            barrier.wait(5)
            passed[0] += 1

    join([spawn(party) for _ in range(3)])
    if passed[0] != 3 * rounds:
        fail(f"barrier: {passed[0]} passes instead of {3 * rounds}")
    counts["barrier"] = passed[0]


if not patched():
    fail("monkey-patching did not take effect")
condition_pingpong("condition_rlock", threading.Condition())
condition_pingpong("condition_lock", threading.Condition(threading.Lock()))
condition_timeout_and_notify_all()
queue_handoff()
event_pingpong()
semaphore_limit()
barrier_rounds()
print(json.dumps({
    "library": args.library,
    "condition_class": f"{threading.Condition.__module__}.{threading.Condition.__qualname__}",
    "lock_class": f"{type(threading.Lock()).__module__}.{type(threading.Lock()).__qualname__}",
    "handoffs": counts,
}))
