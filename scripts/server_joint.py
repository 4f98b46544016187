"""testserver's joint records: open-loop latency and who used the CPU during each load run.

Every testserver value carries a joint record in its run's metadata (``testserver_joint``,
see bench/bm_testserver/run_benchmark.py): the load run's elapsed time, completed
requests, the CPU thread's chunks, getrusage deltas of the server process and of the
load generator, the machine's steal time, and for the open-loop generator the scheduled,
censored and exceeding requests and its own send lag. This module reads them (warmups
dropped) and makes the report's short table: the open-loop p50/p99 and exceedance, and
the load generator's CPU and context switches beside the server's, so a reader sees
whether the generator or a noisy host, not the server, set the numbers. Values taken
while the host stole more than ``STEAL_FLAG`` of the machine, or while the generator
used more than ``LOADGEN_FLAG`` of a core, are counted as flagged.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from . import results_layout as layout
from .stats import median_ci

BENCH = "testserver"  # the benchmark whose results carry the records
JOINT_KEY = "testserver_joint"
OPEN_LOOP = ("open_loop", "open_loop_cpu")
STEAL_FLAG = 0.05   # share of all CPUs' time stolen by the host during a value
LOADGEN_FLAG = 0.5  # share of one core used by the load generator during a value


def load(run_dir: Path) -> pd.DataFrame:
    """One row per measured testserver value of the run (warmups dropped): variant, benchmark,
    scenario, process (the run's index, as ``report.load_raw`` numbers them) and the record's
    fields. The run's testserver results are found through scripts/results_layout.py."""
    import pyperf

    rows = []
    for variant, path in layout.bench_results(run_dir, BENCH):
        for bench in pyperf.BenchmarkSuite.load(str(path)):
            for process, run in enumerate(bench.get_runs()):
                text = run.get_metadata().get(JOINT_KEY)
                if not text:
                    continue
                records = json.loads(text)[len(run.warmups or ()):]
                name = bench.get_name()
                rows += [{"variant": variant, "benchmark": name, "scenario": name.split(".")[0],
                          "process": process, **rec} for rec in records]
    return pd.DataFrame(rows)


def _per_process(part: pd.DataFrame) -> pd.DataFrame:
    """Sums over each process's values (a process is the sample, as everywhere in the report)."""
    return part.groupby(["benchmark", "process"]).sum(numeric_only=True)


def _cpu(frame: pd.DataFrame, prefix: str) -> pd.Series:
    return frame[f"{prefix}user_seconds"] + frame[f"{prefix}sys_seconds"]


def _switches(frame: pd.DataFrame, prefix: str) -> pd.Series:
    return frame[f"{prefix}voluntary_ctxt_switches"] + frame[f"{prefix}involuntary_ctxt_switches"]


def _median(values: pd.Series, scale: float = 1.0) -> float:
    return float(np.median(values.to_numpy(dtype=float))) * scale


def open_loop_cells(joint: pd.DataFrame, scenario: str, variant: str) -> dict[str, str]:
    """Exceedance, censoring, the CPU thread's rate and the generator's send lag of one scenario."""
    part = joint[(joint.variant == variant) & (joint.scenario == scenario)]
    if part.empty:
        return {}
    per = _per_process(part)
    share, low, high = median_ci((per.exceeded / per.scheduled).to_numpy(dtype=float),
                                 seed=f"exceed/{scenario}/{variant}")
    threshold_ms, cap = 1e3 * float(part.threshold.iloc[0]), float(part.cap.iloc[0])
    cells = {
        f"{scenario}: requests over {threshold_ms:g} ms, % of scheduled (median of processes)":
            f"{100 * share:.1f}% ({100 * low:.1f}–{100 * high:.1f})",
        f"{scenario}: censored at the {cap:g} s cap, of scheduled":
            f"{int(part.censored.sum())} of {int(part.scheduled.sum())}",
        f"{scenario}: generator's send lag p99, ms (median of values)":
            f"{_median(part.send_lag_p99, 1e3):.2f}",
    }
    if part.cpu_chunks.notna().any():
        cells[f"{scenario}: CPU thread, chunks/s over the same windows (median of processes)"] = \
            f"{_median(per.cpu_chunks / per.elapsed):,.0f}"
    return cells


def generator_cells(joint: pd.DataFrame, variant: str) -> dict[str, str]:
    """The load generator's CPU and context switches beside the server's, closed and open loop."""
    mine = joint[joint.variant == variant]
    cells = {}
    for label, part in (("closed loop", mine[~mine.scenario.isin(OPEN_LOOP)]),
                        ("open loop", mine[mine.scenario.isin(OPEN_LOOP)])):
        if part.empty or part.loadgen_user_seconds.isna().all():
            continue
        per = _per_process(part)
        cells[f"{label}: CPU, % of one core, load generator / server (median of processes)"] = (
            f"{_median(_cpu(per, 'loadgen_') / per.elapsed, 100):.0f}% / "
            f"{_median(_cpu(per, '') / per.elapsed, 100):.0f}%")
        cells[f"{label}: context switches per request, load generator / server"] = (
            f"{_median(_switches(per, 'loadgen_') / per.completed):.2f} / "
            f"{_median(_switches(per, '') / per.completed):.2f}")
    if mine.empty:
        return cells
    stolen = (mine.steal_seconds / mine.machine_cpu_seconds).astype(float)
    if stolen.notna().any():
        cells["steal, % of the machine's CPU during load runs (median; max)"] = \
            f"{100 * stolen.median():.1f}%; {100 * stolen.max():.1f}%"
    flagged = (stolen > STEAL_FLAG) | (_cpu(mine, "loadgen_") / mine.elapsed > LOADGEN_FLAG)
    label = f"values flagged: steal > {STEAL_FLAG:.0%} or generator > {LOADGEN_FLAG:.0%} of a core"
    cells[label] = f"{int(flagged.sum())} of {len(mine)}"
    return cells


def table(joint: pd.DataFrame, variants: list[str], latency_cell=None) -> pd.DataFrame:
    """Rows: open-loop p50/p99 (``latency_cell(metric, variant)``, when given), exceedance and
    censoring, then generator against server; one column per variant."""
    if joint.empty:
        return pd.DataFrame()
    rows: dict[str, dict[str, str]] = {}
    for scenario in OPEN_LOOP:
        if latency_cell is not None:
            for pct in ("p50", "p99"):
                label = f"{scenario}: {pct}, ms from the scheduled send (median of processes)"
                for v in variants:
                    try:
                        rows.setdefault(label, {})[v] = latency_cell(f"{scenario}.{pct}", v)
                    except ValueError:
                        pass
        for v in variants:
            for label, cell in open_loop_cells(joint, scenario, v).items():
                rows.setdefault(label, {})[v] = cell
    for v in variants:
        for label, cell in generator_cells(joint, v).items():
            rows.setdefault(label, {})[v] = cell
    rows = {label: cells for label, cells in rows.items() if cells}
    frame = pd.DataFrame(rows).T
    return frame.reindex(columns=[v for v in variants if v in frame.columns]).fillna("–")
