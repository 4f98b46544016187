"""pyperformance's view: the general cost of each variant over the external suite.

Its report section is the geometric mean of the benchmarks' ratios to baseline, speed
(rate ratios) and peak memory (the ``--track-memory`` pass), each with its 95% interval;
its charts are one ratio dot per benchmark, a panel per variant, time and memory.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import charts
from ..stats import PYPERFORMANCE_SOURCE, suite_geomean
from ..tables import md_table
from .base import Run, View


def pyperformance_geomean(df: pd.DataFrame, variant: str, kind: str) -> tuple[float, float, float, int] | None:
    """Geometric mean of a variant's pyperformance ratios [95% CI] and the benchmark count.

    ``kind`` is ``time`` (rate ratios, above 1 is faster) or ``memory`` (peak-memory
    ratios, below 1 is smaller); None when the variant has no benchmark beside baseline.
    The charts draw the same figure (``stats.suite_geomean``, same seed).
    """
    return suite_geomean(df, f"{PYPERFORMANCE_SOURCE}{kind}.", variant, invert=kind == "time",
                         seed=f"geomean/{kind}/{variant}")


def pyperformance_summary(df: pd.DataFrame, table: pd.DataFrame, variants: list[str]) -> pd.DataFrame:
    """Per variant: the general cost over pyperformance, time and memory.

    Time: geometric mean of the benchmarks' rate ratios (above 1 is faster). Memory:
    geometric mean of peak-memory ratios from the --track-memory pass (below 1 is
    smaller). Each with its 95% bootstrap interval (``geomean_ratio``) and how many
    benchmarks are significantly better or worse on their own.
    """
    if df.empty or table.empty:
        return pd.DataFrame()
    rows: dict[str, dict[str, str]] = {}
    for kind, label in (("time", "speed"), ("memory", "peak memory")):
        source = f"{PYPERFORMANCE_SOURCE}{kind}."
        verdicts = table[table.source.str.startswith(source)]
        for variant in [v for v in variants if v != "baseline"]:
            found = pyperformance_geomean(df, variant, kind)
            if found is None:
                continue
            point, low, high, benchmarks = found
            counts = verdicts[verdicts.variant == variant].verdict.value_counts()
            better, worse = int(counts.get("better", 0)), int(counts.get("worse", 0))
            row = rows.setdefault(variant, {})
            row[f"{label}: geometric mean [95% CI]"] = f"{point:.3f} [{low:.3f}–{high:.3f}]"
            row[f"{label}: better / worse / n.s."] = f"{better} / {worse} / {benchmarks - better - worse}"
    return pd.DataFrame(rows).T if rows else pd.DataFrame()


def _pyperformance(folder: Path, table: pd.DataFrame, footer: str = "",
                   df: pd.DataFrame | None = None) -> list[Path]:
    """One dot per pyperformance benchmark and variant, time and memory, a panel per variant.

    Each panel has its own x range and, on top, the suite's geometric mean [95% CI].
    """
    if table.empty or "ratio" not in table:
        return []
    written = []
    kinds = (("time", "speed", f"rate ratio to baseline (log; {charts.HIGHER}: faster)", True),
             ("memory", "peak memory", f"peak memory ratio to baseline (log; {charts.LOWER}: smaller)",
              False))
    for kind, what, xlabel, invert in kinds:
        source = f"{PYPERFORMANCE_SOURCE}{kind}."
        rows = table[table.source.str.startswith(source) & (table.variant != "baseline")]
        means = {}
        if df is not None and not rows.empty:
            for variant in dict.fromkeys(rows.variant):
                found = suite_geomean(df, source, variant, invert=invert,
                                      seed=f"geomean/{kind}/{variant}")
                if found is not None:
                    means[variant] = found[:3]
        written += charts.ratio_dots(folder, f"pyperformance_{kind}", rows, facet="variant",
                              title=f"pyperformance: {what} of each benchmark against baseline "
                                    "(95% intervals)",
                              xlabel=xlabel, footer=footer, sharex=False, geomeans=means)
    return written


def sections(run: Run) -> list[str]:
    """The general-cost table (none when the run has no pyperformance rows)."""
    general = pyperformance_summary(run.values, run.table, run.variants)
    if general.empty:
        return []
    return ["## pyperformance: the general cost", "",
            "Geometric mean over the suite's benchmarks of each one's ratio to baseline: speed as rate ratio "
            "(above 1 is faster), peak memory from the `--track-memory` pass (below 1 is smaller). The interval "
            "resamples every benchmark's worker processes (each process's mean is one sample) on both sides; "
            "better / worse count benchmarks called so on their own (Welch's t-test over processes, BH q < 5%). "
            "Per benchmark: charts `pyperformance_time` and `pyperformance_memory`, and the table at the end.", "",
            md_table(general, "variant"), ""]


def draw(run: Run, folder: Path) -> list[Path]:
    """pyperformance_time and pyperformance_memory, when the run has the suite's rows."""
    return _pyperformance(folder, run.table, run.footer, run.values)


VIEW = View("pyperformance", "pyperformance", sections, draw)
