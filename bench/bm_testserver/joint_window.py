"""Joint measurements of one server load run: who used the machine during the window.

Why: a server's requests/s or latency alone cannot say whether the server, its CPU
thread, the load generator or another tenant of the VM was the bottleneck. For the same
window as the load run this records the CPU thread's progress, the requests completed,
the elapsed time, ``getrusage`` deltas (user and system CPU seconds, voluntary and
involuntary context switches) of the server process (``RUSAGE_SELF``: the interpreter
under test, with its server and CPU threads) and of the load generator
(``RUSAGE_CHILDREN``: the benchmark starts no other child while a load runs, and the
generator is waited for inside the window, so the delta is the generator alone), and
the steal time of all CPUs from ``/proc/stat``. Key names match giltest's joint lines
(``elapsed``, ``cpu_chunks``, ``voluntary_ctxt_switches``, ``involuntary_ctxt_switches``
for the process under test); the generator's carry a ``loadgen_`` prefix.

Fields are None where the platform has no such counter (no ``resource`` module, no
``/proc/stat``).
"""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Optional

try:
    import resource
except ImportError:  # Windows
    resource = None

PROC_STAT = "/proc/stat"


def cpu_ticks(path: str = PROC_STAT) -> Optional[tuple[int, int]]:
    """(steal, total) clock ticks of all CPUs from /proc/stat's first line, or None.

    total is user + nice + system + idle + iowait + irq + softirq + steal (guest time is
    already inside user), so steal / total is the share of the machine taken by the host.
    """
    try:
        with open(path) as f:
            first = f.readline().split()
    except OSError:
        return None
    if not first or first[0] != "cpu":
        return None
    fields = [int(x) for x in first[1:9]] + [0] * 8
    return fields[7], sum(fields[:8])


def clock_ticks_per_second() -> float:
    """USER_HZ, the unit of /proc/stat (100 on Linux)."""
    try:
        return float(os.sysconf("SC_CLK_TCK"))
    except (AttributeError, ValueError, OSError):
        return 100.0


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """Counters at one instant; two of them make a window."""

    clock: float
    cpu_chunks: int
    server: Optional[tuple[float, float, int, int]]   # utime, stime, nvcsw, nivcsw
    loadgen: Optional[tuple[float, float, int, int]]
    ticks: Optional[tuple[int, int]]

    @classmethod
    def take(cls, cpu_chunks: int = 0) -> "Snapshot":
        return cls(time.perf_counter(), cpu_chunks, _rusage("RUSAGE_SELF"),
                   _rusage("RUSAGE_CHILDREN"), cpu_ticks())


def _rusage(who: str) -> Optional[tuple[float, float, int, int]]:
    if resource is None:
        return None
    ru = resource.getrusage(getattr(resource, who))
    return ru.ru_utime, ru.ru_stime, ru.ru_nvcsw, ru.ru_nivcsw


def _usage_delta(prefix: str, a, b) -> dict:
    names = ("user_seconds", "sys_seconds", "voluntary_ctxt_switches", "involuntary_ctxt_switches")
    if a is None or b is None:
        return {prefix + name: None for name in names}
    return {prefix + name: round(y - x, 6) if isinstance(x, float) else y - x
            for name, x, y in zip(names, a, b)}


def window(before: Snapshot, after: Snapshot, completed: int, cpu_thread: bool) -> dict:
    """The joint record of the window between two snapshots (JSON-ready)."""
    record = {"elapsed": round(after.clock - before.clock, 6), "completed": completed,
              "cpu_chunks": after.cpu_chunks - before.cpu_chunks if cpu_thread else None}
    record.update(_usage_delta("", before.server, after.server))
    record.update(_usage_delta("loadgen_", before.loadgen, after.loadgen))
    if before.ticks is None or after.ticks is None:
        record.update(steal_seconds=None, machine_cpu_seconds=None)
    else:
        hz = clock_ticks_per_second()
        record.update(steal_seconds=(after.ticks[0] - before.ticks[0]) / hz,
                      machine_cpu_seconds=(after.ticks[1] - before.ticks[1]) / hz)
    return record
