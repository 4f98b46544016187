"""results/SUMMARY.md: one row per variant of variants.toml, the figures a user decides from.

Every cell comes from a published run's JSON through the report's own statistics
(``report.comparison_table``: per-process ratios with 95% bootstrap intervals and BH
q-values; ``report.targets_table``: Holm over a variant's declared targets and
non-inferiority). A cell takes the newest finished run that measured the figure for
that variant; older runs that measured it too are named as superseded. A figure no run
has is "not measured". Nothing here reads a clock or the machine, so the page
regenerates byte for byte from the same results folder (and the same git history, which
says whether a run's benchmark code is still the current one: ``scripts.provenance``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import provenance, report
from . import results_layout as layout
from .config import variant_rows as table_rows
from .stats import PYPERFORMANCE_SOURCE
from .views.dict_memory import dict_size_summary, load_sizes
from .views.pyperformance import pyperformance_geomean

SUMMARY_FILE = "SUMMARY.md"
NOT_MEASURED = "not measured"


@dataclass(frozen=True)
class Column:
    """One figure of the summary: where it comes from and which way is better."""

    key: str
    title: str
    source: str  # "table" (a row of the comparison table), "sizes" (getsizeof) or "geomean:<kind>"
    metric: str = ""
    bench: str = ""  # the benchmark family whose script measured it (provenance)
    better: str = "↑"  # which way the ratio is better


COLUMNS = (
    Column(
        "server", "server req/s beside a CPU thread (c10_keepalive_cpu)", "table", "c10_keepalive_cpu", "testserver"
    ),
    Column("lock", "Lock hand-offs/s beside a CPU thread (handoff_lock_cpu)", "table", "handoff_lock_cpu", "giltest"),
    Column(
        "share",
        "the CPU thread's rate beside them (handoff_lock_cpu.cpu_thread)",
        "table",
        "handoff_lock_cpu.cpu_thread",
        "giltest",
    ),
    Column(
        "latency",
        "receive latency p50 beside a CPU thread (io_latency_cpu1.p50; baseline / variant)",
        "table",
        "io_latency_cpu1.p50",
        "giltest",
    ),
    Column(
        "getsizeof", "dict getsizeof, insertion-built, mean over n = 1..100", "sizes", bench="dict_memory", better="↓"
    ),
    Column(
        "json",
        "JSON-corpus peak (mem_json_corpus.tracemalloc)",
        "table",
        "mem_json_corpus.tracemalloc",
        "dict_memory",
        "↓",
    ),
    Column("speed", "pyperformance speed (geometric mean)", "geomean:time", bench="pyperformance"),
    Column("memory", "pyperformance peak memory (geometric mean)", "geomean:memory", bench="pyperformance", better="↓"),
)


@dataclass
class Figure:
    """One measured cell: ratio, interval, mark and the run it comes from."""

    ratio: float
    low: float
    high: float
    mark: str  # met, missed, better, worse, n.s., exact, reference
    run: str
    link: str
    flags: tuple[str, ...] = ()  # dirty, quick, method superseded by <commit>

    def cell(self) -> str:
        if self.mark == "reference":
            value = "1 (reference)"
        elif self.mark in ("smaller", "larger", "equal"):
            value = f"{self.ratio:.3f} (exact) {self.mark}"
        elif np.isfinite(self.low) and np.isfinite(self.high):
            value = f"{self.ratio:.3f} [{self.low:.3f}–{self.high:.3f}] {self.mark}"
        else:
            value = f"{self.ratio:.3f} [no interval] {self.mark}"
        flags = f" ({', '.join(self.flags)})" if self.flags else ""
        return f"{value} · [{self.run}]({self.link}){flags}"


@dataclass
class RunFigures:
    """Everything the summary needs from one finished run."""

    run_dir: Path
    figures: dict[tuple[str, str], Figure] = field(default_factory=dict)  # (variant, column key)


def finished_runs(results: Path) -> dict[tuple[str, str], list[Path]]:
    """Finished run folders grouped by (machine class, CPython version), newest first."""
    groups: dict[tuple[str, str], list[Path]] = {}
    for run_dir in layout.finished_runs(results):
        groups.setdefault((run_dir.parent.parent.name, run_dir.parent.name), []).append(run_dir)
    return {key: sorted(runs, key=lambda p: p.name, reverse=True) for key, runs in sorted(groups.items())}


def _mark_from_target(result: str) -> str:
    """targets_table's result text as the summary's mark."""
    if result.startswith("met"):
        return "**met**"
    if result.startswith("n/a"):
        return "n/a"
    return "**missed**"


def _mark_from_verdict(verdict: str) -> str:
    return {"better": "better", "worse": "worse", "not significant": "n.s."}.get(str(verdict), "n/a")


def run_figures(run_dir: Path, results: Path, variant_names: list[str], targets: dict[str, tuple]) -> RunFigures:
    """The summary's figures of one run, for the variants of variants.toml it holds."""
    out = RunFigures(run_dir)
    present = [d.name for d in layout.variant_dirs(run_dir)]
    if "baseline" not in present:
        return out
    wanted = ["baseline"] + [v for v in present if v in variant_names and v != "baseline"]
    df = report.load_values(run_dir)
    table = report.comparison_table(df, present)  # q-values over the whole report, as the report has them
    target_rows = report.targets_table(table, present, targets, df)
    sizes = load_sizes(run_dir)
    size_summary = dict_size_summary(sizes, present)
    meta = report.load_metadata(run_dir)
    plan = layout.read_plan(run_dir)
    link = f"{run_dir.relative_to(results).as_posix()}/{layout.REPORT_FILE}"
    run_id = run_dir.name
    for variant in wanted:
        flags = provenance.run_flags(meta, variant, plan)
        for col in COLUMNS:
            changes = provenance.superseding(meta, variant, col.metric) if col.metric else []
            col_flags = flags + tuple(f"method superseded by {c.commit}" for c in changes)
            fig = _figure(col, variant, df, table, target_rows, sizes, size_summary)
            if fig is not None:
                fig.run, fig.link, fig.flags = run_id, link, col_flags
                out.figures[(variant, col.key)] = fig
    return out


def _figure(col: Column, variant: str, df: pd.DataFrame, table: pd.DataFrame, target_rows: pd.DataFrame,
            sizes: pd.DataFrame, size_summary: pd.DataFrame) -> Figure | None:
    """One cell's figure, or None when this run did not measure it for this variant."""
    if col.source == "table":
        if table.empty or not ((table.benchmark == col.metric) & (table.variant == variant)).any():
            return None
        if variant == "baseline":
            return Figure(1.0, 1.0, 1.0, "reference", "", "")
        row = table[(table.benchmark == col.metric) & (table.variant == variant)].iloc[0]
        if pd.isna(row.get("ratio")):
            return None
        mark = _mark_from_verdict(row.verdict)
        if not target_rows.empty:
            hit = target_rows[(target_rows.variant == variant) & (target_rows.metric == col.metric)]
            if len(hit):
                goal = str(hit.iloc[0].goal)
                mark = _mark_from_target(str(hit.iloc[0].result)) + (
                    f" (target: {'no worse' if goal.startswith('no worse') else goal.split(' (')[0]})")
        return Figure(float(row.ratio), float(row.ci_low), float(row.ci_high), mark, "", "")
    if col.source == "sizes":
        if sizes.empty or not (sizes.variant == variant).any():
            return None
        if variant == "baseline":
            return Figure(1.0, 1.0, 1.0, "reference", "", "")
        part = size_summary[(size_summary.variant == variant) & (size_summary.built_by == "insertion")] \
            if not size_summary.empty else size_summary
        if part.empty:
            return None
        ratio = float(part["mean ratio (n=1..100)"].mean())
        mark = "equal" if np.isclose(ratio, 1.0) else ("smaller" if ratio < 1 else "larger")
        return Figure(ratio, ratio, ratio, mark, "", "")
    kind = col.source.partition(":")[2]
    if variant == "baseline":
        part = df[df.source.str.startswith(f"{PYPERFORMANCE_SOURCE}{kind}.")] if not df.empty else df
        return Figure(1.0, 1.0, 1.0, "reference", "", "") if (part.variant == "baseline").any() else None
    found = pyperformance_geomean(df, variant, kind)
    if found is None:
        return None
    point, low, high, _ = found
    higher = kind == "time"
    if not (np.isfinite(low) and np.isfinite(high)):
        mark = "n/a (too few processes)"
    elif low <= 1 <= high:
        mark = "n.s."
    else:
        mark = "better" if (point > 1) == higher else "worse"
    return Figure(point, low, high, mark, "", "")


def pick(runs: list[RunFigures], variant: str, key: str) -> tuple[Figure | None, list[Figure]]:
    """The newest run's figure (runs are newest first) and the older ones it supersedes."""
    found = [r.figures[(variant, key)] for r in runs if (variant, key) in r.figures]
    return (found[0], found[1:]) if found else (None, [])


def use_and_cost(variant: str, chosen: dict[str, Figure | None]) -> str:
    """One line from the figures: what the variant is measured good for, what it costs."""
    if variant == "baseline":
        return "the reference every ratio is against."
    if all(fig is None for fig in chosen.values()):
        return "not measured in any published run yet."
    gains, holds, costs, flat = [], [], [], []
    for col in COLUMNS:
        fig = chosen.get(col.key)
        if fig is None:
            continue
        what = f"{col.title.split(' (')[0]} {fig.ratio:.2f}×"
        mark = fig.mark.replace("*", "")
        if mark == "met (target: no worse)":
            holds.append(what)
        elif mark.startswith("met") or mark in ("better", "smaller"):
            gains.append(what)
        elif mark in ("worse", "larger") or (mark.startswith("missed") and _worse_side(col, fig)):
            costs.append(what + (" (target missed)" if mark.startswith("missed") else ""))
        else:
            flat.append(what + (" (target missed: not shown)" if mark.startswith("missed") else ""))
    missing = [col.key for col in COLUMNS if chosen.get(col.key) is None]
    parts = [f"use it for: {', '.join(gains)}" if gains else "use it for: nothing measured better than baseline"]
    parts.append(f"costs: {', '.join(costs)}" if costs else "costs: none measured")
    if holds:
        parts.append(f"shown no worse: {', '.join(holds)}")
    if flat:
        parts.append(f"not distinguishable from baseline: {', '.join(flat)}")
    if missing:
        parts.append(f"not measured: {', '.join(missing)}")
    return "; ".join(parts) + "."


def _worse_side(col: Column, fig: Figure) -> bool:
    """Whether a figure's point lies on the worse side of 1."""
    return (fig.ratio < 1) if col.better == "↑" else (fig.ratio > 1)


def render(results: Path, variant_rows: dict) -> str:
    """SUMMARY.md's text for every machine class and CPython version under ``results``."""
    names = list(variant_rows)
    targets = {name: v.targets for name, v in variant_rows.items() if v.targets}
    out = ["# Summary: which build for what", "",
           "Generated by `make summary` (and `make report`) from the published JSON; do not edit. One row per "
           "variant of variants.toml. Each cell: the ratio to baseline [95% bootstrap interval over worker "
           "processes], its mark, and the run it comes from (the newest finished run that measured it). Marks: "
           "**met** / **missed** for a target the variant declares (variants.toml `targets`: \"better\" ones "
           "Holm-corrected as one family, \"no worse\" ones by non-inferiority within 5%); otherwise better / worse "
           "at Benjamini-Hochberg q < 5% over the run's report, or n.s. (not significant); geometric means are "
           "better / worse when their interval excludes 1. ↑: above 1 is better; ↓: below 1 is better. A run marked "
           "dirty was measured from a harness tree or build with uncommitted changes; "
           "\"method superseded by <commit>\": the benchmark changed how it measures this row "
           "after the run (scripts/provenance.py METHOD_CHANGES; the run's report marks the rows "
           "and lists the changes under Provenance); quick runs give rough numbers.",
           ""]
    for (machine, version), run_dirs in finished_runs(results).items():
        runs = [run_figures(r, results, names, targets) for r in run_dirs]
        out += [f"## {machine}, CPython {version}", ""]
        head = ["variant"] + [f"{c.title} {c.better}" for c in COLUMNS]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        superseded: list[str] = []
        chosen_by_variant: dict[str, dict[str, Figure | None]] = {}
        for name in names:
            chosen = {}
            cells = [f"`{name}`"]
            for col in COLUMNS:
                fig, older = pick(runs, name, col.key)
                chosen[col.key] = fig
                cells.append(NOT_MEASURED if fig is None else fig.cell())
                if older:
                    superseded.append(f"`{name}`, {col.key}: {', '.join(f.run for f in older)} (by {fig.run})")
            chosen_by_variant[name] = chosen
            lines.append("| " + " | ".join(cells) + " |")
        out += lines + [""]
        out += ["### What each variant is for, and what it costs", "",
                "Generated from the cells above (gains: met or better; costs: worse, or missed).", ""]
        out += [f"- `{name}`: {use_and_cost(name, chosen_by_variant[name])}" for name in names]
        out += ["", "### Superseded runs", ""]
        out += ([f"- {line}" for line in superseded] if superseded else ["- none: every figure comes from one run"])
        out += ["", "Runs read (newest first): " + ", ".join(
            f"[{r.name}]({r.relative_to(results).as_posix()}/{layout.REPORT_FILE})" for r in run_dirs) + ".", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def write(results: Path, variant_rows: dict | None = None) -> Path:
    """Write results/SUMMARY.md; return its path."""
    rows = table_rows() if variant_rows is None else variant_rows
    path = results / SUMMARY_FILE
    path.write_text(render(results, rows))
    return path
