"""testserver's view: requests/s and latency of each server scenario, alone and beside a
CPU-bound thread, and the open-loop latency with the load generator beside the server.

Its report sections are the headline table and the joint records' table
(scripts/server_joint.py); its chart is server_rps, a ratio dot plot against baseline.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import charts, server_joint, tables
from ..stats import rate, values_of
from ..tables import median_ms, percent, rate_ratio_ci, unit_of, versus
from .base import Run, View

SERVER_SCENARIOS = ("c1_close", "c1_keepalive", "c10_close", "c10_keepalive")


def server_headlines(df: pd.DataFrame, variants: list[str], table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Requests/s and latency of each server scenario, with and without the CPU thread.

    req/s is Σrequests / Σelapsed per process, averaged over processes; p50 and p99
    are the median over processes of each process's median load-run percentile.
    """
    rows = {}
    for scenario in SERVER_SCENARIOS:
        for suffix in ("", "_cpu"):
            name = scenario + suffix
            cells = {}
            for v in variants:
                vals = values_of(df, name, v)
                if len(vals) == 0:
                    cells[v] = "–"
                    continue
                r, lo, hi = rate(vals, f"{name}/{v}", unit=unit_of(df, name))
                p50, p99 = (values_of(df, f"{name}.{p}", v) for p in ("p50", "p99"))
                latency = (
                    f"; p50 {1e3 * np.median(p50):.2f} ms, p99 {1e3 * np.median(p99):.2f} ms"
                    if len(p50) and len(p99)
                    else ""
                )
                cells[v] = f"{r:,.0f} req/s ({lo:,.0f}–{hi:,.0f}){versus(table, name, v)}{latency}"
            if any(c != "–" for c in cells.values()):
                rows[name] = cells
        # What a CPU-bound thread beside the server costs it, on the same build.
        kept = {}
        for v in variants:
            try:
                kept[v] = percent(*rate_ratio_ci(df, scenario + "_cpu", scenario, v, f"kept/{scenario}/{v}"))
            except (ValueError, ZeroDivisionError):
                kept[v] = "–"
        if any(c != "–" for c in kept.values()):
            rows[f"{scenario}_cpu: req/s kept beside a CPU thread, % of {scenario}"] = kept
    return pd.DataFrame(rows).T if rows else pd.DataFrame()


def _server(folder: Path, df: pd.DataFrame, table: pd.DataFrame, variants: list[str],
            names: set[str], footer: str) -> list[Path]:
    """testserver requests/s per scenario, alone and beside a CPU thread: ratio to baseline."""
    every = [s + suffix for s in SERVER_SCENARIOS for suffix in ("", "_cpu")]
    metrics = [m for m in every if m in names]
    ticks = {m: charts.baseline_rate(df, m, "req/s") for m in metrics}
    title = ("testserver: thread-pool HTTP server under a real load generator "
             "(_cpu: a CPU-bound thread beside)")
    return charts.single_ratio_chart(folder, "server_rps", title, charts.comparison_rows(table, metrics),
                               metrics, variants, f"requests/s, ratio to baseline (log; {charts.HIGHER})",
                               ticks, footer)


def sections(run: Run) -> list[str]:
    """The headline table, then the open-loop joint records' table (none without testserver)."""
    df, table, variants = run.values, run.table, run.variants
    return [
        *tables.titled("testserver: requests/s (95% interval) and latency", server_headlines(df, variants, table)),
        *tables.titled("testserver: open-loop latency, and the load generator beside the server (joint records)",
                       server_joint.table(server_joint.load(run.path), variants,
                                          lambda m, v: median_ms(df, m, v) + versus(table, m, v))),
    ]


def draw(run: Run, folder: Path) -> list[Path]:
    """server_rps, when the run has testserver rows."""
    names = set(run.values.benchmark) if not run.values.empty else set()
    return _server(folder, run.values, run.table, run.variants, names, run.footer)


# requests per load run, and the time cap per loop (processes.py weighs values by them)
DECLARES = (("batch", "testserver_requests"), ("cap", "testserver_seconds_per_loop"))
VIEW = View("testserver", "testserver", sections, draw, declares=DECLARES)
