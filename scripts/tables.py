"""The report's tables and the cells they are made of, for every benchmark family alike.

A cell is one figure of one variant with its 95% interval over worker processes (a
rate, a kept share, a median latency, a ratio to baseline from the comparison table);
a table is a DataFrame written as Markdown without extra dependencies. The report
(scripts/report.py) and every family's view (scripts/views/) build their sections from
these, so a figure reads the same wherever it stands.

Runs under the harness venv (pandas, numpy, scipy).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import processes
from .stats import bootstrap_ci, difference_ci, median_ci, rate, rate_stat, ratio_ci, values_of


def unit_of(df: pd.DataFrame, name: str) -> str:
    """The unit of a metric's per-process rows (``second``, ``per_second``, ``byte``, ``share``)."""
    hit = df.loc[df.benchmark == name, "unit"]
    if hit.empty:
        raise ValueError(name)
    return str(hit.iloc[0])


def rate_ratio_ci(df: pd.DataFrame, numerator: str, denominator: str, v: str, seed: str) -> tuple[float, float, float]:
    """rate(numerator) / rate(denominator) on one variant, each a rate over its processes."""
    num, den = values_of(df, numerator, v), values_of(df, denominator, v)
    if not (len(num) and len(den)):
        raise ValueError(numerator)
    return ratio_ci(
        num, den, seed, stat_num=rate_stat(unit_of(df, numerator)), stat_den=rate_stat(unit_of(df, denominator))
    )


def percent(r: float, lo: float, hi: float) -> str:
    """A share as a percentage with its interval."""
    digits = 0 if r >= 0.1 else 1
    return f"{100 * r:.{digits}f}% ({100 * lo:.{digits}f}–{100 * hi:.{digits}f})"


def percent_ci(numerator: np.ndarray, denominator: np.ndarray, seed: str) -> str:
    """mean(numerator)/mean(denominator) as a percentage with its 95% bootstrap interval.

    With times as inputs (alone, beside), this is the share of a rate that is kept."""
    return percent(*ratio_ci(numerator, denominator, seed))


def rate_cell(df: pd.DataFrame, name: str, v: str) -> str:
    """A rate over processes [95% CI] and the median process's rate."""
    vals = values_of(df, name, v)
    if not len(vals):
        raise ValueError(name)
    unit = unit_of(df, name)
    r, lo, hi = rate(vals, f"{name}/{v}", unit=unit)
    per_process = vals if unit == processes.PER_SECOND else 1.0 / vals
    return f"{r:,.0f} ({lo:,.0f}–{hi:,.0f}); median {np.median(per_process):,.0f}"


def median_ms(df: pd.DataFrame, name: str, v: str) -> str:
    """The median over processes of a per-process latency, in ms, with its interval."""
    vals = values_of(df, name, v)
    if not len(vals):
        raise ValueError(name)
    m, lo, hi = median_ci(1e3 * vals, seed=f"median/{name}/{v}")
    return f"{m:.3f} ({lo:.3f}–{hi:.3f})"


def share_cell(values: np.ndarray, seed: str) -> str:
    """The mean of per-process shares as a percentage with its 95% bootstrap interval."""
    low, high = bootstrap_ci(values, np.mean, seed=seed)
    return percent(float(np.mean(values)), low, high)


def mean_cell(values: np.ndarray, seed: str) -> str:
    """The mean of per-process values with its 95% bootstrap interval, two decimals."""
    low, high = bootstrap_ci(values, np.mean, seed=seed)
    return f"{float(np.mean(values)):.2f} ({low:.2f}–{high:.2f})"


def idle_cell(cpu_share: np.ndarray, io_busy: np.ndarray, seed: str) -> str:
    """(1 − mean IO busy share) − mean CPU share in percentage points, with its 95% interval.

    The two come from different processes (each its own benchmark), so each side is
    resampled on its own; the joint lines' GIL use pairs them within each window."""
    point, low, high = difference_ci(1.0 - io_busy, cpu_share, seed)
    if not (np.isfinite(low) and np.isfinite(high)):
        return f"{100 * point:.1f}"
    return f"{100 * point:.1f} ({100 * low:.1f}–{100 * high:.1f})"


def versus(table: pd.DataFrame | None, metric: str, v: str) -> str:
    """'; ratio× [95% CI] verdict' of a metric against baseline from the comparison table ('' without one)."""
    if table is None or table.empty or "ratio" not in table or v == "baseline":
        return ""
    hit = table[(table.benchmark == metric) & (table.variant == v) & table.ratio.notna()]
    if hit.empty:
        return ""
    row = hit.iloc[0]
    return f"; **{row.ratio:.2f}× [{row.ci_low:.2f}–{row.ci_high:.2f}] {row.verdict}**"


# ---------------------------------------------------------------- markdown


def md_table(frame: pd.DataFrame, index_label: str = "") -> str:
    """A Markdown table without extra dependencies (pandas.to_markdown needs tabulate)."""
    if frame.empty:
        return "_(no data)_\n"
    cols = list(frame.columns)
    head = ([index_label] if index_label is not None else []) + [str(c) for c in cols]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for idx, row in frame.iterrows():
        cells = [_fmt(row[c]) for c in cols]
        lines.append("| " + " | ".join(([str(idx)] if index_label is not None else []) + cells) + " |")
    return "\n".join(lines) + "\n"


def _fmt(value) -> str:
    if isinstance(value, float):
        if np.isnan(value):
            return "–"
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e6):
            return f"{value:.3e}"
        return f"{value:.4g}"
    return str(value)


def numbered_section(title: str, lead: str, frame: pd.DataFrame) -> list[str]:
    """A report section: heading, one paragraph, and a table whose rows are numbered, not indexed."""
    return [f"## {title}", "", lead, "", md_table(frame.set_index(pd.RangeIndex(len(frame))), index_label=None), ""]


def titled(title: str, frame: pd.DataFrame, index_label: str = "metric") -> list[str]:
    """A report section of one table under a heading, or no lines when the table is empty."""
    if frame.empty:
        return []
    return [f"## {title}", "", md_table(frame, index_label), ""]
