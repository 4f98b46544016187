"""One sample per pyperf worker process: how each benchmark's values are reduced.

Values of one worker process share its hash seed, memory layout and scheduling luck:
their intraclass correlation on this machine is about 0.9, so a run of 6 processes
× 3 values holds about 6 independent samples, not 18. Every comparison in the report
resamples and tests processes, and this module turns a run's values into one row per
process and metric, choosing the statistic by what a value covers:

* equal work (pyperf's calibrated loops, a fixed batch): the mean time per operation,
  so the process's rate is Σwork / Σtime;
* a window of about equal time (``handoff_*_cpu`` since values span at least
  ``giltest_cpu_window`` seconds, ``*.cpu_thread``, load runs stopped by their time
  cap): the rate Σwork / Σtime, with each value's work reconstructed from what the
  benchmark declares (batch size, window, request count and cap); such rows are
  stored as rates (unit ``per_second``, higher is better);
* one latency per value (``io_latency_*``): the process's mean, p50 and p99 and the
  share of receives above ``EXCEEDANCE_SECONDS``;
* one share per value (giltest ``mixed_io_cpu_*.cpu_share`` and ``.io_busy``, each a
  window of about equal time): the process's mean share, unit ``kept`` (a thread's
  rate as a share of its rate alone: higher is better) or ``share`` (lower is better);
* a percentile per value (testserver ``*.p50``, ``*.p99`` from the load generator,
  giltest ``mixed_io_cpu_*.p50``, ``.p99`` of one window's receives): the process's
  median, compared by medians over processes.

giltest's joint lines (``--joint-file``) add one row per process for what needs two
figures of the same window (``joint_rows``): ``mixed_io_cpu_*.gil_use``, the CPU
thread's share over the share the IO thread leaves it, cpu_share / (1 - io_busy).

``center`` says how processes are pooled for that metric: ``mean`` (Welch's t-test)
or ``median`` (Mann-Whitney U).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

EXCEEDANCE_SECONDS = 1e-3  # io_latency: share of receives slower than this
PER_SECOND = "per_second"  # unit of rows stored as rates
SHARE = "share"  # unit of rows stored as a fraction (of values, of wall time): lower is better
KEPT = "kept"  # unit of a thread's rate as a share of its rate alone: higher is better
MIXED_IO = "mixed_io_cpu_"  # giltest's paced-IO rows: mixed_io_cpu_<gap>.<stat>
RAW_COLUMNS = ["variant", "source", "benchmark", "unit", "process", "value", "batch", "window", "cap"]
KEYS = ["variant", "source", "benchmark", "unit", "process"]


def kind_of(source: str, benchmark: str, window: float, cap: float) -> str:
    """How a benchmark's values are reduced: work, window, cap, equal_time, latency, percentile, kept, share."""
    if source.startswith("giltest"):
        if benchmark.startswith("io_latency_"):
            return "latency"
        if benchmark.startswith("handoff_") and "_cpu" in benchmark and window > 0:
            return "equal_time" if benchmark.endswith(".cpu_thread") else "window"
        if benchmark.startswith("compute_release_cpu"):
            return "equal_time"  # one window of CPU_WINDOW seconds per value
        if benchmark.startswith(MIXED_IO):
            if benchmark.endswith((".p50", ".p99")):
                return "percentile"
            return "kept" if benchmark.endswith(".cpu_share") else "share"
    if source.startswith("testserver"):
        if benchmark.endswith((".p50", ".p99")):
            return "percentile"
        if benchmark.endswith(".cpu_thread"):
            return "equal_time"  # one load run per value, bounded by the cap
        if cap > 0:
            return "cap"
    return "work"


def window_work(values: np.ndarray, batch: float, window: float) -> np.ndarray:
    """Operations behind each value of a batch-until-window benchmark.

    A value is elapsed / operations over whole batches of ``batch`` operations run
    until at least ``window`` seconds passed, so it covers
    max(1, ceil(window / (batch × value))) batches.
    """
    batches = np.maximum(1.0, np.ceil(window / (batch * values) - 1e-9))
    return batch * batches


def capped_work(values: np.ndarray, requests: float, cap: float) -> np.ndarray:
    """Requests behind each value of a load run bounded by ``requests`` and ``cap`` seconds.

    A value is elapsed / completed: a run that completed all ``requests`` took
    requests × value ≤ cap seconds; one that took longer was stopped at the cap and
    completed about cap / value.
    """
    return np.where(requests * values <= cap * (1 + 1e-6), requests, cap / values)


def reduce_process(
    kind: str, values: np.ndarray, batch: float, window: float, cap: float
) -> list[tuple[str, str, float]]:
    """(suffix, unit, statistic) rows for one process's values of one benchmark."""
    if kind == "window":
        work = window_work(values, batch, window)
        return [("", PER_SECOND, float(work.sum() / (work * values).sum()))]
    if kind == "cap":
        work = capped_work(values, batch, cap)
        return [("", PER_SECOND, float(work.sum() / (work * values).sum()))]
    if kind == "equal_time":
        return [("", PER_SECOND, float(np.mean(1.0 / values)))]
    if kind == "latency":
        return [
            ("", "second", float(values.mean())),
            (".p50", "second", float(np.percentile(values, 50))),
            (".p99", "second", float(np.percentile(values, 99))),
            (f".over_{EXCEEDANCE_SECONDS * 1e3:g}ms", SHARE, float(np.mean(values > EXCEEDANCE_SECONDS))),
        ]
    if kind == "percentile":
        return [("", "second", float(np.median(values)))]
    if kind in ("kept", "share"):
        return [("", KEPT if kind == "kept" else SHARE, float(values.mean()))]
    return [("", "", float(values.mean()))]


def center_of(benchmark: str, unit: str) -> str:
    """How processes are pooled: by median for latency percentiles, else by mean."""
    return "median" if benchmark.endswith((".p50", ".p99")) else "mean"


def per_process(raw: pd.DataFrame) -> pd.DataFrame:
    """One row per variant, source, metric and worker process (see the module docstring).

    ``raw`` has RAW_COLUMNS: every stored value with its process number and, where the
    benchmark declares them, batch (operations per batch or requests per load run),
    window (seconds) and cap (seconds). Rows keep the input's order of first
    appearance, and derived metrics (``.p50``, ``.over_1ms``) follow their benchmark.
    """
    if raw.empty:
        return pd.DataFrame(columns=KEYS + ["value", "values"])
    rows = []
    for (variant, source, benchmark, unit, process), group in raw.groupby(KEYS, sort=False):
        values = group.value.to_numpy(dtype=float)
        batch, window, cap = (float(group[c].iloc[0]) for c in ("batch", "window", "cap"))
        batch, window, cap = (0.0 if math.isnan(x) else x for x in (batch, window, cap))
        kind = kind_of(source, benchmark, window, cap)
        for suffix, out_unit, stat in reduce_process(kind, values, batch, window, cap):
            rows.append((variant, source, benchmark + suffix, out_unit or unit, process, stat, len(values)))
    return pd.DataFrame(rows, columns=KEYS + ["value", "values"])


JOINT_SOURCE = "giltest.joint"  # source of the rows made from giltest's joint lines


def joint_rows(joint: pd.DataFrame) -> pd.DataFrame:
    """Per-process rows (``per_process``'s columns) from giltest's joint lines.

    ``joint`` has one row per measured window (warmups dropped) with variant, process,
    bench and the window's figures. For every ``mixed_io_cpu_<gap>`` window:
    ``mixed_io_cpu_<gap>.gil_use`` = cpu_share / (1 - io_busy) of that window (unit
    ``kept``), the process's mean over its windows. Every benchmark of a gap measures
    the same kind of window, so all of them count.
    """
    if joint.empty or "gil_use" not in joint:
        return pd.DataFrame(columns=KEYS + ["value", "values"])
    part = joint[joint.bench.astype(str).str.startswith(MIXED_IO) & joint.gil_use.notna()]
    rows = []
    for (variant, bench, process), group in part.groupby(["variant", "bench", "process"], sort=False):
        metric = bench.partition(".")[0] + ".gil_use"
        rows.append((variant, JOINT_SOURCE, metric, KEPT, process, float(group.gil_use.mean()), len(group)))
    return pd.DataFrame(rows, columns=KEYS + ["value", "values"])
