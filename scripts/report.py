"""Turn one run folder's JSON into report.md and charts/, and index the runs.

Everything here is derived from the run's JSON alone (pyperf suites and the dict size
tables), so ``make report RUN=…`` regenerates the same report on any machine. Stored
values are times per operation (seconds) or bytes; rates (hand-offs/s, requests/s) are
derived here. The samples are worker processes, one value each (``scripts.processes``):
every comparison is a ratio to baseline with a 95% bootstrap interval over processes,
a test over processes, a Benjamini-Hochberg q-value over all rows of the report, and a
non-inferiority call ("no worse" only when the interval's worse end is within 5% of 1);
the targets a patch exists for (``targets`` in variants.toml) are tested as one family
per variant with Holm's correction.

Runs under the harness venv (pandas, numpy, scipy, matplotlib, pyperf).
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import numpy as np
import pandas as pd

from . import charts, instructions_view, processes, provenance, server_joint
from . import results_layout as layout
from .config import BOUND_GOALS
from .stats import (
    ALPHA,
    DELTA,
    NOT_SHOWN_NO_WORSE,
    PYPERFORMANCE_SOURCE,
    Comparison,
    bh_qvalues,
    bootstrap_ci,
    compare,
    difference_ci,
    holm,
    median_ci,
    non_inferior,
    rate,
    rate_stat,
    ratio_ci,
    suite_geomean,
    values_of,
)
from .sweep_grid import grid_aliases

HANDOFF_PRIMITIVES = ("lock", "condition", "queue")
MIXED_GAPS = ("2ms", "500us", "100us")  # giltest's mixed_io_cpu_<gap> rows, in the script's order
SERVER_SCENARIOS = ("c1_close", "c1_keepalive", "c10_close", "c10_keepalive")


# ---------------------------------------------------------------- loading


def load_raw(run_dir: Path) -> pd.DataFrame:
    """One row per stored value: variant, source file, benchmark, unit, process, value.

    Besides: what the benchmark declares about a value's work where the report needs it
    to weigh values (``processes.RAW_COLUMNS``): operations per batch and the window
    of giltest's ``handoff_*_cpu``, requests per load run and the time cap of
    testserver's scenarios (nan where not declared).
    """
    import pyperf

    rows = []
    for vdir in layout.variant_dirs(run_dir):
        for path in layout.pyperf_files(vdir):
            for benchmark in pyperf.BenchmarkSuite.load(str(path)):
                unit = benchmark.get_unit()
                meta = benchmark.get_metadata()
                window = float(meta.get("giltest_cpu_window", "nan"))
                batch = float(meta.get("testserver_requests", meta.get("giltest_handoffs_per_value", "nan")))
                cap_per_loop = float(meta.get("testserver_seconds_per_loop", "nan"))
                for run_no, run in enumerate(benchmark.get_runs()):
                    cap = cap_per_loop * run.get_loops() if run.values else float("nan")
                    for value in run.values:
                        rows.append(
                            (vdir.name, path.stem, benchmark.get_name(), unit, run_no, value, batch, window, cap)
                        )
    return pd.DataFrame(rows, columns=processes.RAW_COLUMNS)


def load_values(run_dir: Path) -> pd.DataFrame:
    """One row per variant, source, metric and worker process (``processes.per_process``),
    and the rows giltest's joint lines give (``processes.joint_rows``)."""
    values = processes.per_process(load_raw(run_dir))
    joint = processes.joint_rows(load_joint(run_dir))
    return pd.concat([values, joint], ignore_index=True) if len(joint) else values


def load_sizes(run_dir: Path) -> pd.DataFrame:
    """The sys.getsizeof tables of every variant: variant, n, keys, built_by, bytes."""
    frames = []
    for vdir in layout.variant_dirs(run_dir):
        path = vdir / layout.SIZES_FILE
        if path.is_file():
            frame = pd.DataFrame(json.loads(path.read_text())["rows"])
            frame["variant"] = vdir.name
            frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


MACHINE_KEYS = ("cpu_model_name", "platform", "loadgen", "performance_version", "perf_version")


def load_metadata(run_dir: Path) -> dict[str, dict]:
    """The harness metadata of each variant, and what pyperf recorded about the machine.

    ``harness_*`` keys come from the first pyperf file of the variant's folder (without
    the prefix); ``MACHINE_KEYS`` (CPU model, platform with kernel and glibc, the load
    generator, pyperformance and pyperf versions) from the first file that has each.
    """
    import pyperf

    result = {}
    for vdir in layout.variant_dirs(run_dir):
        for path in layout.pyperf_files(vdir):
            meta = pyperf.BenchmarkSuite.load(str(path)).get_benchmarks()[0].get_metadata()
            if vdir.name not in result:
                result[vdir.name] = {k[len("harness_"):]: v for k, v in meta.items() if k.startswith("harness_")}
                result[vdir.name]["python_version"] = meta.get("python_version", "?")
            for key in MACHINE_KEYS:
                if key in meta:
                    result[vdir.name].setdefault(key, str(meta[key]))
    return result


def machine_line(meta: dict[str, dict]) -> str:
    """CPU model, kernel, glibc and load generator as the run's JSON records them ('' when absent)."""
    import re

    first = next(iter(meta.values()), {})
    parts = []
    if "cpu_model_name" in first:
        parts.append(f"CPU {first['cpu_model_name']}")
    if "cores" in first:
        parts.append(f"{first['cores']} cores")
    platform = first.get("platform", "")
    if kernel := re.match(r"Linux-([^-]+(?:-[^-]+)*?)-(x86_64|aarch64|arm64|i686)", platform):
        parts.append(f"kernel {kernel.group(1)}")
    elif platform:
        parts.append(f"platform {platform}")
    if glibc := re.search(r"glibc([0-9.]+)", platform):
        parts.append(f"glibc {glibc.group(1)}")
    if "compiler" in first:
        parts.append(f"compiler {first['compiler']}")
    loadgens = sorted({m["loadgen"] for m in meta.values() if "loadgen" in m})
    if loadgens:
        parts.append(f"load generator {', '.join(loadgens)}")
    versions = sorted({m["performance_version"] for m in meta.values() if "performance_version" in m})
    if versions:
        parts.append(f"pyperformance {', '.join(versions)}")
    return "; ".join(parts)


def sample_shape(raw: pd.DataFrame) -> pd.DataFrame:
    """Per source file: worker processes per variant and values per process, as stored."""
    if raw.empty:
        return pd.DataFrame()
    rows = {}
    for source, part in raw.groupby("source", sort=False):
        per = part.groupby(["variant", "benchmark", "process"]).size()
        processes = per.groupby(level=["variant", "benchmark"]).size()
        rows[source] = {
            "benchmarks": part.benchmark.nunique(),
            "processes per variant": _span(processes),
            "values per process": _span(per),
        }
    return pd.DataFrame(rows).T


def _span(counts: pd.Series) -> str:
    low, high = int(counts.min()), int(counts.max())
    return str(low) if low == high else f"{low}–{high}"


# ---------------------------------------------------------------- tables


def orientation(unit: str) -> tuple[bool, bool]:
    """(invert, higher_is_better) of a metric's ratio to baseline.

    Times become rate ratios (baseline / variant, above 1 is faster); rates and kept
    shares (a thread's rate as a share of its rate alone) stay variant / baseline (above 1
    is faster); bytes and other shares are variant / baseline (below 1 is smaller).
    """
    if unit == "second":
        return True, True
    if unit in (processes.PER_SECOND, processes.KEPT):
        return False, True
    return False, False


def comparison_table(df: pd.DataFrame, variants: list[str], delta: float = DELTA) -> pd.DataFrame:
    """Every metric × variant: processes, mean, spread, ratio to baseline with CI, p, q, verdicts.

    Samples are processes (``df`` holds one row per process). ``q`` is the
    Benjamini-Hochberg q-value over every compared row of the table; ``verdict`` reads
    q at 5%; ``no worse`` is the non-inferiority call at margin ``delta``.
    """
    rows = []
    comparisons: list[Comparison | None] = []
    for (source, benchmark), group in df.groupby(["source", "benchmark"], sort=False):
        unit = group.unit.iloc[0]
        base = values_of(group, benchmark, "baseline")
        center = processes.center_of(benchmark, unit)
        for variant in variants:
            vals = values_of(group, benchmark, variant)
            if len(vals) == 0:
                continue
            row = {
                "source": source, "benchmark": benchmark, "variant": variant, "unit": unit,
                "n": len(vals), "mean": vals.mean(), "stdev": vals.std(ddof=1) if len(vals) > 1 else np.nan,
            }  # fmt: skip
            cmp = None
            if variant != "baseline" and len(base):
                invert, higher = orientation(unit)
                cmp = compare(vals, base, invert=invert, seed=f"{benchmark}/{variant}", center=center)
                row.update(ratio=cmp.ratio, ci_low=cmp.low, ci_high=cmp.high, p_value=cmp.p_value,
                           higher_is_better=higher, center=center)  # fmt: skip
            rows.append(row)
            comparisons.append(cmp)
    table = pd.DataFrame(rows)
    if table.empty or "ratio" not in table:
        return table
    qs = bh_qvalues([None if c is None else c.p_value for c in comparisons])
    table["q_value"] = [np.nan if q is None else q for q in qs]
    verdicts, no_worse = [], []
    for cmp, q, higher in zip(comparisons, qs, table.get("higher_is_better")):
        if cmp is None:
            verdicts.append(np.nan)
            no_worse.append(np.nan)
            continue
        verdicts.append(cmp.verdict(bool(higher), q_value=q))
        ok = cmp.no_worse(bool(higher), delta)
        no_worse.append("–" if ok is None else ("yes" if ok else NOT_SHOWN_NO_WORSE))
    table["verdict"] = verdicts
    table["no_worse"] = no_worse
    return table


def targets_table(table: pd.DataFrame, variants: list[str], targets: dict[str, tuple],
                  df: pd.DataFrame | None = None) -> pd.DataFrame:
    """The declared targets of each variant, judged on this run.

    ``targets`` maps a variant name to its ``config.Target`` rows (a swept variant
    ``name+dict-…`` takes ``name``'s). Per variant, the "better" targets are one family:
    their p-values (over processes) are corrected by Holm, and a target is met when
    its adjusted p is below 5% in the better direction. A "no worse" target is met when
    the ratio's interval lies within the target's margin (non-inferiority; several such
    claims together are an intersection-union test and need no correction). An "at
    least" or "at most" target holds the variant's own value (``df``, one row per
    process: the mean, or the median for latency percentiles, with its 95% bootstrap
    interval) against a fixed bound: met when the whole interval lies beyond it, missed
    when the whole interval lies on the wrong side.
    """
    rows = []
    for variant in variants:
        declared = targets.get(variant) or targets.get(variant.partition("+")[0]) or ()
        if variant == "baseline" or not declared:
            continue
        found = []
        for target in declared:
            if target.goal in BOUND_GOALS:
                vals = values_of(df, target.metric, variant) if df is not None and not df.empty else np.array([])
                found.append(vals if len(vals) else None)
                continue
            hit = table[(table.variant == variant) & (table.benchmark == target.metric)] if not table.empty else table
            found.append(hit.iloc[0] if len(hit) and pd.notna(hit.iloc[0].get("ratio")) else None)
        if all(f is None for f in found):
            continue  # this run measured none of them (another benchmark family)
        better = [i for i, t in enumerate(declared) if t.goal == "better"]
        adjusted = holm(
            [None if found[i] is None or pd.isna(found[i].p_value) else float(found[i].p_value) for i in better]
        )
        holm_of = dict(zip(better, adjusted))
        for i, target in enumerate(declared):
            row = found[i]
            out = {"variant": variant, "metric": target.metric, "goal": goal_text(target, df)}
            if row is None:
                rows.append({**out, "ratio [95% CI]": "not measured", "p (Holm)": "", "result": "not measured"})
                continue
            if target.goal in BOUND_GOALS:
                value, result = bound_judgement(row, target, unit_of(df, target.metric), f"target/{variant}")
                rows.append({**out, "ratio [95% CI]": value, "p (Holm)": "", "result": result})
                continue
            out["ratio [95% CI]"] = f"{row.ratio:.3f} [{row.ci_low:.3f}–{row.ci_high:.3f}]"
            higher = bool(row.higher_is_better)
            if target.goal == "better":
                p = holm_of.get(i)
                out["p (Holm)"] = "–" if p is None else f"{p:.3g}"
                good = (row.ratio > 1) == higher
                if p is None:
                    out["result"] = "n/a (too few processes)"
                elif p < ALPHA:
                    out["result"] = "met" if good else "**worse**"
                else:
                    out["result"] = "not shown better"
            else:
                out["p (Holm)"] = ""
                ok = non_inferior(row.ci_low, row.ci_high, higher, target.delta)
                out["result"] = "n/a" if ok is None else ("met: no worse" if ok else NOT_SHOWN_NO_WORSE)
            rows.append(out)
    return pd.DataFrame(rows)


def _in_unit(value: float, unit: str) -> str:
    """A value of a metric for a target row: milliseconds for seconds, else three decimals."""
    return f"{1e3 * value:.3f} ms" if unit == "second" else f"{value:.3f}"


def goal_text(target, df: pd.DataFrame | None = None) -> str:
    """How the targets table names a goal: better, no worse (δ), at least / at most the bound."""
    if target.goal == "better":
        return "better"
    if target.goal == "no_worse":
        return f"no worse (δ = {target.delta:g})"
    unit = "second" if target.metric.endswith((".p50", ".p99")) else ""
    if df is not None and not df.empty and (df.benchmark == target.metric).any():
        unit = unit_of(df, target.metric)
    word = "at least" if target.goal == "at_least" else "at most"
    return f"{word} {_in_unit(target.bound, unit)} (the variant's own value)"


def bound_judgement(values: np.ndarray, target, unit: str, seed: str) -> tuple[str, str]:
    """(value [95% CI], result) of an at_least / at_most target on one variant's processes."""
    middle = np.median if processes.center_of(target.metric, unit) == "median" else np.mean
    point = float(middle(values))
    low, high = bootstrap_ci(values, middle, seed=f"{seed}/{target.metric}")
    if not (np.isfinite(low) and np.isfinite(high)):
        return f"{_in_unit(point, unit)} [no interval]", "n/a (too few processes)"
    text = f"{_in_unit(point, unit)} [{_in_unit(low, unit)}–{_in_unit(high, unit)}]"
    if target.goal == "at_least":
        beyond, wrong = low >= target.bound, high < target.bound
    else:
        beyond, wrong = high <= target.bound, low > target.bound
    if beyond:
        return text, "met"
    return text, "**missed**" if wrong else "not shown (the interval spans the bound)"


def verdict_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Per variant: rows better / worse by raw p and by BH q, and rows not shown no-worse."""
    if table.empty or "ratio" not in table:
        return pd.DataFrame()
    rows = {}
    for variant, part in table[table.ratio.notna() & table.p_value.notna()].groupby("variant", sort=False):
        good = (part.ratio > 1) == part.higher_is_better.astype(bool)
        raw = part.p_value < ALPHA
        rows[variant] = {
            "rows compared": len(part),
            "better / worse at raw p < 0.05": f"{int((raw & good).sum())} / {int((raw & ~good).sum())}",
            "better / worse at BH q < 0.05":
                f"{int((part.verdict == 'better').sum())} / {int((part.verdict == 'worse').sum())}",
            f"not shown no-worse (δ = {DELTA:g})": int((part.no_worse == NOT_SHOWN_NO_WORSE).sum()),
        }
    return pd.DataFrame(rows).T


AA_VARIANT = "baseline_aa"  # baseline built a second time: the A/A row
CONVOY_SECONDS = 4e-3  # a hand-off this slow waited about a whole 5 ms switch interval: the convoy mode


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


def giltest_headlines(df: pd.DataFrame, variants: list[str], raw: pd.DataFrame | None = None,
                      table: pd.DataFrame | None = None) -> pd.DataFrame:
    """The giltest figures people ask about, one row per metric, one column per variant.

    ``df`` has one row per process (``load_values``); ``raw`` (``load_raw``), when
    given, adds the share of hand-off values in the convoy mode; ``table``
    (``comparison_table``), when given, puts each rate's ratio to baseline [95% CI] and
    verdict beside it.
    """
    rows: list[tuple[str, dict[str, str]]] = []

    def add(label: str, fn) -> None:
        cells = {}
        for v in variants:
            try:
                cells[v] = fn(v)
            except (ValueError, ZeroDivisionError, IndexError):
                cells[v] = "–"
        if any(c != "–" for c in cells.values()):
            rows.append((label, cells))

    def need(name: str, v: str) -> np.ndarray:
        vals = values_of(df, name, v)
        if len(vals) == 0:
            raise ValueError(name)
        return vals

    def fmt_ratio(numerator: str, denominator: str, v: str, seed: str, unit: str = "") -> str:
        r, lo, hi = ratio_ci(need(numerator, v), need(denominator, v), seed)
        return f"{r:.2f}{unit} ({lo:.2f}–{hi:.2f})"

    def compared(cell, metric: str):
        """A variant's cell of ``metric`` (``rate_cell`` or ``median_ms``), then its ratio to baseline."""
        return lambda v: cell(df, metric, v) + versus(table, metric, v)

    def convoy(name: str, v: str) -> str:
        vals = values_of(raw, name, v) if raw is not None else np.array([])
        if not len(vals):
            raise ValueError(name)
        return f"{np.mean(vals >= CONVOY_SECONDS):.0%} of {len(vals)}"

    for prim in HANDOFF_PRIMITIVES:
        add(f"handoff_{prim}: hand-offs/s", compared(rate_cell, f"handoff_{prim}"))
        add(f"handoff_{prim}_cpu: hand-offs/s, CPU thread beside", compared(rate_cell, f"handoff_{prim}_cpu"))
        add(f"handoff_{prim}_cpu: values in the convoy mode (≥ {CONVOY_SECONDS * 1e3:g} ms per hand-off)",
            lambda v, p=prim: convoy(f"handoff_{p}_cpu", v))
        add(
            f"handoff_{prim}_cpu: rate kept beside a CPU thread, % of handoff_{prim}",
            lambda v, p=prim: percent(*rate_ratio_ci(df, f"handoff_{p}_cpu", f"handoff_{p}", v, f"kept/{p}/{v}")),
        )
        add(
            f"handoff_{prim}_cpu: CPU thread's rate, % of cpu_1thread",
            lambda v, p=prim: percent(*rate_ratio_ci(df, f"handoff_{p}_cpu.cpu_thread", "cpu_1thread", v, f"{p}/{v}")),
        )
    add(
        "cpu efficiency e = time(cpu_1thread) / time(cpu_2threads)",
        lambda v: fmt_ratio("cpu_1thread", "cpu_2threads", v, f"e/{v}"),
    )
    add("gil_switch: switches/s", compared(rate_cell, "gil_switch"))
    for threads in (0, 1, 2):
        name = f"io_latency_cpu{threads}"
        add(f"{name}: p50, ms (median of processes' p50)", compared(median_ms, f"{name}.p50"))
        add(f"{name}: p99, ms (median of processes' p99)", compared(median_ms, f"{name}.p99"))
        add(
            f"{name}: receives over {processes.EXCEEDANCE_SECONDS * 1e3:g} ms (median of processes' shares)",
            lambda v, n=name: percent(*median_ci(need(f"{n}.over_{processes.EXCEEDANCE_SECONDS * 1e3:g}ms", v),
                                                 seed=f"over/{n}/{v}")),
        )
    for gap in MIXED_GAPS:
        name = f"{processes.MIXED_IO}{gap}"
        add(f"{name}: CPU thread's rate, % of its rate alone (same process) | 1 − IO busy share, % "
            "(what the IO thread leaves it)",
            lambda v, n=name: f"{share_cell(need(f'{n}.cpu_share', v), f'cs/{n}/{v}')} | "
                              f"{share_cell(1.0 - need(f'{n}.io_busy', v), f'ib/{n}/{v}')}"
                              + versus(table, f"{n}.cpu_share", v))
        add(f"{name}: GIL left idle = (1 − IO busy share) − CPU share, points",
            lambda v, n=name: idle_cell(need(f"{n}.cpu_share", v), need(f"{n}.io_busy", v), f"idle/{n}/{v}"))
        add(f"{name}: GIL use = CPU share / (1 − IO busy share), same windows (joint lines)",
            lambda v, n=name: f"{mean_cell(need(f'{n}.gil_use', v), f'use/{n}/{v}')}"
                              + versus(table, f"{n}.gil_use", v))
        add(f"{name}: receive latency p50, ms (median of processes' p50)", compared(median_ms, f"{name}.p50"))
        add(f"{name}: receive latency p99, ms (median of processes' p99)", compared(median_ms, f"{name}.p99"))
    add("compute_release: MiB/s hashed (sha256 of 1 MiB blocks, GIL released), alone",
        compared(rate_cell, "compute_release"))
    add("compute_release_cpu: MiB/s hashed, CPU thread beside", compared(rate_cell, "compute_release_cpu"))
    add("compute_release_cpu: hashing rate kept beside a CPU thread, % of compute_release",
        lambda v: percent(*rate_ratio_ci(df, "compute_release_cpu", "compute_release", v, f"kept/hash/{v}")))
    add("compute_release_cpu.cpu_thread: CPU thread's chunks/s beside the hashing thread",
        compared(rate_cell, "compute_release_cpu.cpu_thread"))
    add("compute_release_cpu: CPU thread's rate, % of cpu_1thread",
        lambda v: percent(*rate_ratio_ci(df, "compute_release_cpu.cpu_thread", "cpu_1thread", v, f"hash/{v}")))
    for name in ("lock_with_pass", "condition_notify_nowaiter", "queue_put_get"):
        add(f"{name}: ns per iteration", lambda v, n=name: f"{1e9 * need(n, v).mean():,.0f}")
    # Same-build ratios: what a Condition costs next to the bare Lock it wraps.
    add(
        "condition_notify_nowaiter / lock_with_pass: cost, same build",
        lambda v: fmt_ratio("condition_notify_nowaiter", "lock_with_pass", v, f"cn/{v}", "×"),
    )
    add(
        "handoff_condition / handoff_lock: rate, same build",
        lambda v: fmt_ratio("handoff_lock", "handoff_condition", v, f"hc/{v}", "×"),
    )
    return pd.DataFrame(dict(rows)).T if rows else pd.DataFrame()


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


def load_joint(run_dir: Path) -> pd.DataFrame:
    """giltest's joint lines (``--joint-file``) of every variant, warmup calls dropped.

    One row per measured window: variant, process (round and worker pid), bench,
    elapsed, round_trips, cpu_chunks and the worker's context switches meanwhile.
    """
    rows = []
    for vdir in layout.variant_dirs(run_dir):
        path = layout.sidecar_path(layout.result_path(run_dir, vdir.name, "giltest"))
        if not path.is_file():
            continue
        lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        seen: set[tuple] = set()
        for line in sorted(lines, key=lambda x: (x.get("round", 0), x["pid"], x["seq"])):
            key = (line.get("round", 0), line["pid"], line["bench"])
            if key not in seen:  # a worker's first call of a benchmark is pyperf's warmup
                seen.add(key)
                continue
            rows.append({"variant": vdir.name, "process": f"{key[0]}/{key[1]}", **line})
    return pd.DataFrame(rows)


def joint_headlines(joint: pd.DataFrame, df: pd.DataFrame, variants: list[str]) -> pd.DataFrame:
    """Hand-off rate, the CPU thread's share and context switches from the SAME windows;
    compute_release_cpu's and mixed_io_cpu_*'s figures from the same windows likewise.

    Per process: Σ hand-offs / Σ elapsed, Σ chunks / Σ elapsed against cpu_1thread's
    rate, Σ context switches / Σ hand-offs; each cell the median over processes [95% CI].
    """
    if joint.empty:
        return pd.DataFrame()
    rows: dict[str, dict[str, str]] = {}
    for prim in HANDOFF_PRIMITIVES:
        name = f"handoff_{prim}_cpu"
        for v in variants:
            part = joint[(joint.variant == v) & (joint.bench == name)]
            if part.empty:
                continue
            per = part.groupby("process").agg(elapsed=("elapsed", "sum"), trips=("round_trips", "sum"),
                                              chunks=("cpu_chunks", "sum"),
                                              vol=("voluntary_ctxt_switches", "sum"),
                                              invol=("involuntary_ctxt_switches", "sum"))
            handoffs = 2 * per.trips
            rate = median_ci((handoffs / per.elapsed).to_numpy(), seed=f"joint/{name}/{v}")
            rows.setdefault(f"{name}: hand-offs/s (joint windows)", {})[v] = (
                f"{rate[0]:,.0f} ({rate[1]:,.0f}–{rate[2]:,.0f})"
            )
            solo = values_of(df, "cpu_1thread", v)
            if len(solo):
                share = (per.chunks / per.elapsed).to_numpy() * solo.mean()
                rows.setdefault(f"{name}: CPU thread's rate over the same windows, % of cpu_1thread", {})[v] = \
                    percent(*median_ci(share, seed=f"joint-share/{name}/{v}"))
            switches = ((per.vol + per.invol) / handoffs).to_numpy()
            low_high = median_ci(switches, seed=f"joint-cs/{name}/{v}")
            rows.setdefault(f"{name}: the worker's context switches per hand-off", {})[v] = (
                f"{low_high[0]:.2f} ({low_high[1]:.2f}–{low_high[2]:.2f}); "
                f"involuntary {float((per.invol / handoffs).median()):.3f}"
            )
    for v in variants:
        _joint_compute_release(joint, df, v, rows)
        for gap in MIXED_GAPS:
            _joint_mixed_io(joint, f"{processes.MIXED_IO}{gap}", v, rows)
    frame = pd.DataFrame(rows).T
    return frame.reindex(columns=[v for v in variants if v in frame.columns]).fillna("–")


def _joint_compute_release(joint: pd.DataFrame, df: pd.DataFrame, v: str, rows: dict) -> None:
    """compute_release_cpu's hashing rate and the CPU thread's share from the same windows."""
    part = joint[(joint.variant == v) & joint.bench.astype(str).str.startswith("compute_release_cpu")]
    if part.empty or "hashed" not in part:
        return
    per = part.groupby("process").agg(elapsed=("elapsed", "sum"), hashed=("hashed", "sum"),
                                      block=("hash_block", "first"), chunks=("cpu_chunks", "sum"))
    mib = median_ci((per.hashed * per.block / 2**20 / per.elapsed).to_numpy(), seed=f"joint/hash/{v}")
    rows.setdefault("compute_release_cpu: MiB/s hashed (joint windows)", {})[v] = \
        f"{mib[0]:,.0f} ({mib[1]:,.0f}–{mib[2]:,.0f})"
    solo = values_of(df, "cpu_1thread", v)
    if len(solo):
        share = (per.chunks / per.elapsed).to_numpy() * solo.mean()
        rows.setdefault("compute_release_cpu: CPU thread's rate over the same windows, % of cpu_1thread", {})[v] = \
            percent(*median_ci(share, seed=f"joint-share/hash/{v}"))


def _joint_mixed_io(joint: pd.DataFrame, name: str, v: str, rows: dict) -> None:
    """One gap of mixed_io_cpu: the CPU share beside 1 − IO busy share, the IO thread's
    handling and the datagrams lost, all from the same windows (median over processes)."""
    part = joint[(joint.variant == v) & joint.bench.astype(str).str.startswith(name + ".")]
    if part.empty or "cpu_share" not in part:
        return
    per = part.groupby("process").agg(cpu=("cpu_share", "mean"), busy=("io_busy", "mean"),
                                      handling=("io_handling", "mean"), use=("gil_use", "mean"),
                                      sent=("datagrams", "sum"), received=("received", "sum"))

    def cell(values: pd.Series, what: str) -> str:
        return percent(*median_ci(values.to_numpy(dtype=float), seed=f"joint/{what}/{name}/{v}"))

    rows.setdefault(f"{name}: CPU share | 1 − IO busy share | 1 − IO handling share, same windows", {})[v] = (
        f"{cell(per.cpu, 'cpu')} | {cell(1 - per.busy, 'busy')} | {cell(1 - per.handling, 'handling')}"
    )
    rows.setdefault(f"{name}: GIL use = CPU share / (1 − IO busy share), same windows", {})[v] = (
        "{:.2f} ({:.2f}–{:.2f})".format(*median_ci(per.use.to_numpy(dtype=float), seed=f"joint/use/{name}/{v}"))
    )
    rows.setdefault(f"{name}: datagrams not received by the window's end", {})[v] = (
        f"{cell(1 - per.received / per.sent, 'lost')}; {int(per.sent.sum() - per.received.sum()):,} "
        f"of {int(per.sent.sum()):,}"
    )


def dict_size_summary(sizes: pd.DataFrame, variants: list[str]) -> pd.DataFrame:
    """Mean and worst ratio of getsizeof to baseline over n = 1..100, per construction."""
    if sizes.empty or "baseline" not in set(sizes.variant):
        return pd.DataFrame()
    base = sizes[sizes.variant == "baseline"].set_index(["n", "keys", "built_by"])["bytes"]
    rows = []
    for v in variants:
        if v == "baseline":
            continue
        mine = sizes[sizes.variant == v].set_index(["n", "keys", "built_by"])["bytes"]
        ratio = (mine / base).dropna()
        ratio = ratio[ratio.index.get_level_values("n") >= 1]
        for (keys, built_by), group in ratio.groupby(level=["keys", "built_by"]):
            worst_n = group.idxmax()[0]
            rows.append({"variant": v, "keys": keys, "built_by": built_by, "mean ratio (n=1..100)": group.mean(),
                         "worst ratio": group.max(), "worst at n": worst_n})  # fmt: skip
    return pd.DataFrame(rows)


def dict_tradeoff(table: pd.DataFrame, sizes: pd.DataFrame, variants: list[str]) -> pd.DataFrame:
    """Per variant: dict speed geometric mean, memory ratios, the slow benchmarks, Pareto membership.

    Speed is the geometric mean of the dict_memory speed benchmarks' rate ratios (above 1
    is faster); "slower than 5%" names each benchmark whose ratio is below 0.95 with a
    significant t-test, so a geometric mean cannot hide one.
    """
    if table.empty or "ratio" not in table:
        return pd.DataFrame()
    speed = table[(table.source == "dict_memory.speed") & table.ratio.notna()]
    if speed.empty:
        return pd.DataFrame()
    size_summary = dict_size_summary(sizes, variants)
    rows = {}
    for v in variants:
        if v == "baseline" or not (speed.variant == v).any():
            continue
        mine = speed[speed.variant == v]
        slow = mine[(mine.ratio < 0.95) & (mine.verdict == "worse")]
        row = {"dict speed (geo. mean)": float(np.exp(np.log(mine.ratio).mean())),
               "slower than 5%": ", ".join(f"{b} ({r:.2f})" for b, r in zip(slow.benchmark, slow.ratio)) or "none"}
        for bench in ("mem_json_corpus.tracemalloc", "mem_records_100k.tracemalloc", "mem_kwargs.tracemalloc"):
            hit = table[(table.benchmark == bench) & (table.variant == v) & table.ratio.notna()]
            if len(hit):
                row[bench.replace(".tracemalloc", " peak")] = float(hit.ratio.iloc[0])
        if not size_summary.empty:
            part = size_summary[size_summary.variant == v]
            for label, built in (
                ("getsizeof, insertion", ["insertion"]),
                ("getsizeof, presized", ["literal", "dict_zip", "copy"]),
            ):
                sel = part[part.built_by.isin(built)]
                if len(sel):
                    row[f"{label} (mean)"] = float(sel["mean ratio (n=1..100)"].mean())
                    row[f"{label} (worst)"] = float(sel["worst ratio"].max())
        rows[v] = row
    frame = pd.DataFrame(rows).T
    if "mem_json_corpus peak" in frame:
        points = {
            v: (float(frame.loc[v, "dict speed (geo. mean)"]), float(frame.loc[v, "mem_json_corpus peak"]))
            for v in frame.index
        }
        points["baseline"] = (1.0, 1.0)
        front = set(charts.pareto_front(points))
        frame["Pareto front (speed, JSON peak)"] = ["yes" if v in front else "" for v in frame.index]
    return frame


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


def full_table_md(table: pd.DataFrame) -> str:
    """Every metric: per-process mean per variant and the comparison with baseline."""
    if table.empty:
        return "_(no data)_\n"
    shown = table.copy()
    shown["ratio [95% CI]"] = [
        "" if pd.isna(r.get("ratio")) else f"{r['ratio']:.3f} [{r['ci_low']:.3f}–{r['ci_high']:.3f}]"
        for _, r in shown.iterrows()
    ]
    blank = pd.Series([np.nan] * len(shown))
    shown["p"] = ["" if pd.isna(p) else f"{p:.3g}" for p in shown.get("p_value", blank)]
    shown["q (BH)"] = ["" if pd.isna(q) else f"{q:.3g}" for q in shown.get("q_value", blank)]
    shown["verdict"] = shown.get("verdict", pd.Series([""] * len(shown))).fillna("")
    shown[f"no worse (δ = {DELTA:g})"] = shown.get("no_worse", pd.Series([""] * len(shown))).fillna("")
    shown = shown.rename(columns={"n": "processes"})
    cols = ["benchmark", "variant", "unit", "processes", "mean", "stdev", "ratio [95% CI]", "p", "q (BH)", "verdict",
            f"no worse (δ = {DELTA:g})"] + (["method"] if "method" in shown else [])
    return md_table(shown[cols].set_index(pd.RangeIndex(len(shown))), index_label=None)


def same_binary_table(df: pd.DataFrame, variants: list[str], pairs: dict[str, str],
                      targets: dict[str, tuple]) -> pd.DataFrame:
    """Same-binary A/B: each built variant against its runtime twin (``build_of``) in this run.

    The twin runs the same binary with the policy switched off, so code placement is
    the same on both sides. Rows: the built variant's declared targets (all its rows if
    it declares none), as ratios of the variant to its twin, with BH q over these rows.
    """
    frames = []
    for twin, built in pairs.items():
        if twin not in variants or built not in variants:
            continue
        part = df[df.variant.isin([built, twin])].replace({"variant": {twin: "baseline"}})
        table = comparison_table(part, ["baseline", built])
        if table.empty or "ratio" not in table:
            continue
        table = table[table.variant == built]
        wanted = [t.metric for t in targets.get(built, ())]
        if wanted:
            table = table[table.benchmark.isin(wanted)]
        table = table.assign(comparison=f"{built} / {twin}")
        frames.append(table)
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    return pd.DataFrame({
        "comparison": out.comparison, "metric": out.benchmark,
        "ratio [95% CI]": [f"{r.ratio:.3f} [{r.ci_low:.3f}–{r.ci_high:.3f}]" for r in out.itertuples()],
        "q (BH)": [f"{q:.3g}" if pd.notna(q) else "" for q in out.q_value], "verdict": out.verdict,
        f"no worse (δ = {DELTA:g})": out.no_worse,
    })


def numbered_section(title: str, lead: str, frame: pd.DataFrame) -> list[str]:
    """A report section: heading, one paragraph, and a table whose rows are numbered, not indexed."""
    return [f"## {title}", "", lead, "", md_table(frame.set_index(pd.RangeIndex(len(frame))), index_label=None), ""]


def _variant_rows() -> dict:
    """The variants of variants.toml (empty when the table cannot be read: the report needs only JSON)."""
    from . import config
    from .errors import HarnessError

    try:
        return config.load_table().variants
    except HarnessError:
        return {}


def runtime_pairs() -> dict[str, str]:
    """Runtime variants of variants.toml and the built variant each runs (``build_of``)."""
    return {name: v.build_of for name, v in _variant_rows().items() if v.build_of}


def declared_targets() -> dict[str, tuple]:
    """Each variant's ``targets`` from variants.toml."""
    return {name: v.targets for name, v in _variant_rows().items() if v.targets}


def with_method_marks(frame: pd.DataFrame, meta: dict[str, dict],
                      metric: str = "benchmark") -> pd.DataFrame:
    """``frame`` with a ``method`` column: 'superseded (commits)' for rows measured before a change.

    The changes are ``provenance.METHOD_CHANGES``; a row is marked when its variant's or
    baseline's harness commit predates one that changed how its metric is measured.
    """
    if frame.empty:
        return frame
    marks = [provenance.superseded_mark(meta, r["variant"], r[metric]) for _, r in frame.iterrows()]
    return frame.assign(method=marks) if any(marks) else frame


def superseded_lead(meta: dict[str, dict], table: pd.DataFrame) -> list[str]:
    """The report's opening note: how many rows a later method change superseded, and which."""
    if table.empty or "method" not in table or not (table.method != "").any():
        return []
    marked = table[table.method != ""]
    changes = [c for c in provenance.METHOD_CHANGES if any(c.commit in m for m in marked.method)]
    listed = "; ".join(f"`{c.commit}` ({', '.join(c.rows)}): {c.what}" for c in changes)
    return [f"**Superseded rows**: {len(marked)} of {len(table)} rows were measured before a "
            "later change to how their benchmark measures them, and are marked `superseded` in the "
            f"tables: {listed}. A newer run of these benchmarks replaces them (Provenance, below).",
            ""]


def method_changes_section(meta: dict[str, dict], table: pd.DataFrame) -> list[str]:
    """Provenance, per method change: whether this run's rows it covers predate it."""
    if table.empty or "method" not in table:
        return []
    rows = []
    for change in provenance.METHOD_CHANGES:
        hit = table[table.method.str.contains(change.commit, regex=False)]
        covers = [any(fnmatch.fnmatchcase(b, pat) for pat in change.rows) for b in table.benchmark]
        covered = table[covers]
        if covered.empty:
            continue
        state = f"**superseded**: {len(hit)} rows" if len(hit) else "measured after it (current)"
        rows.append({"commit": change.commit, "benchmark": change.bench,
                     "rows": ", ".join(change.rows), "what changed": change.what,
                     "this run": state})
    if not rows:
        return []
    frame = pd.DataFrame(rows)
    return ["Method changes that supersede rows measured before them (`scripts/provenance.py`, "
            "`METHOD_CHANGES`; a script change not listed there added rows or changed no measured "
            "value):",
            "", md_table(frame.set_index(pd.RangeIndex(len(frame))), index_label=None)]


def variant_aliases(variants: list[str]) -> dict[str, str]:
    """Labels the report shortens, and their aliases (the sweep grid's, or the knobs spelled out).

    Only labels whose alias differs from them; every alias is unique in the run, else
    the label is kept.
    """
    found = {v: charts.short_label(v) for v in variants if charts.short_label(v) != v}
    taken = list(found.values()) + [v for v in variants if v not in found]
    return {v: a for v, a in found.items() if taken.count(a) == 1}


def alias_section(aliases: dict[str, str]) -> list[str]:
    """The report's alias table: alias, full label, what the grid point is (none: no lines)."""
    if not aliases:
        return []
    why = {label: point.why for label, point in grid_aliases().items()}
    lines = ["## Variant aliases", "",
             "Long variant labels are shortened in the tables below; the charts' legends use the "
             "same aliases.", "", "| alias | full label | what it is |", "|---|---|---|"]
    lines += [f"| {alias} | `{label}` | {why.get(label, '')} |" for label, alias in aliases.items()]
    return lines + [""]


def shorten(text: str, aliases: dict[str, str]) -> str:
    """``text`` with every aliased label replaced by its alias, the longest labels first."""
    for label in sorted(aliases, key=len, reverse=True):
        text = text.replace(label, aliases[label])
    return text


def write_report(run_dir: Path) -> Path:
    """Write report.md and charts/ for a finished run; return report.md's path."""
    plan_doc = layout.read_plan_doc(run_dir)
    plan = plan_doc["plan"]
    df = load_values(run_dir)
    sizes = load_sizes(run_dir)
    meta = load_metadata(run_dir)
    variants = [d.name for d in layout.variant_dirs(run_dir)]
    raw = load_raw(run_dir)
    table = with_method_marks(comparison_table(df, variants), meta)
    targets = with_method_marks(targets_table(table, variants, declared_targets(), df), meta, "metric")
    counts = verdict_counts(table)
    machine = machine_line(meta)
    footer = (f"{run_dir.parent.parent.name} · {machine} · CPython {run_dir.parent.name} · run {run_dir.name} · "
              f"flavor {plan['flavor']} · {'QUICK' if plan['quick'] else 'full'} · started "
              f"{str(plan_doc.get('started_at', '?'))[:10]}")
    chart_files = charts.draw_all(run_dir / layout.CHARTS_DIR, df, sizes, table, variants, footer)
    dirty = [v for v in variants if provenance.variant_dirty(meta.get(v, {}))]
    dirty_lines = [f"**Dirty run**: measured from a harness tree or builds with uncommitted changes "
                   f"({', '.join(f'`{v}`' for v in dirty)}; harness and build commits below end in -dirty, or "
                   f"--allow-dirty was given). The summary marks its figures dirty.", ""] if dirty else []

    aliases = variant_aliases(variants)
    out = [f"# Benchmark run {run_dir.name}", ""]
    out += [
        f"Machine class: `{run_dir.parent.parent.name}`; CPython {run_dir.parent.name}; flavor `{plan['flavor']}`; "
        f"{'QUICK (rough numbers)' if plan['quick'] else 'full'} run, "
        f"planned as {plan['rounds']} interleaved round(s) × "
        f"{plan['processes']} pyperf process(es) per variant and round; started {plan_doc.get('started_at', '?')}."
        + (f" Machine: {machine}." if machine else ""),
        "",
    ]
    head = len(out)  # the alias table goes here, after every label in the report is shortened
    out += [*dirty_lines, *superseded_lead(meta, table)]
    if not targets.empty:
        out += numbered_section(
            "Targets: what each patch exists for",
            "Declared in variants.toml (`targets`). \"better\" targets of a variant are one family, "
            "Holm-corrected; \"no worse\" targets are judged by non-inferiority at their margin δ.",
            targets,
        )
    background = [
        "## Method and samples",
        "",
        "Samples as stored (worker processes per variant × values per process; pyperformance runs its own "
        "processes):",
        "",
        md_table(sample_shape(raw), "source"),
        "Values are stored as time per operation (seconds) or bytes; rates are derived. **The samples are worker "
        "processes**: each process's values become one number (mean time per operation; Σwork / Σtime where values "
        "cover about equal time, stored as a rate; per-process p50, p99 and share of receives over 1 ms for latencies; "
        "see `scripts/processes.py`). Ratios are to baseline (for times and rates: rate ratio, above 1 is faster; for "
        "bytes and shares: variant/baseline, below 1 is smaller), with a 95% bootstrap interval over processes, and a "
        "test over processes (Welch's t-test of means; Mann-Whitney U of medians for latency percentiles). A row is "
        "called better or worse only when its Benjamini-Hochberg q-value over every row of this report is below 5%; "
        f"\"no worse\" needs the interval's worse end within {DELTA:.0%} of 1 (non-inferiority), else the row is "
        "\"not shown no-worse\". Each patch's targets (variants.toml) are tested as one family per variant with "
        "Holm's correction. With a handful of processes per variant, intervals are wide: read them, not the point "
        "values. On this 2-vCPU machine, `*_cpu` rows compared between the free-threaded and GIL builds are 2-vCPU "
        "results: the free-threaded CPU thread takes a whole core from the server and the load generator. "
        "Regenerate with `make report RUN=" + str(run_dir.name) + "`.",
        "",
    ]
    background += ["## Variants", ""]
    vtable = pd.DataFrame(
        {
            v: {
                "python": m.get("python_version", "?"),
                "patches": m.get("patches", "?"),
                "configure": m.get("configure_args", "?"),
                "defines": m.get("defines", "?"),
                "harness commit": str(m.get("commit", "?")),
                "build commit": str(m.get("build_commit", "?")),
            }
            for v, m in meta.items()
        }  # fmt: skip
    ).T
    background += [md_table(vtable, "variant"), ""]
    origin = pd.DataFrame(provenance.provenance_rows(meta, list(plan.get("benches", []))))
    if not origin.empty:
        background += [
            "## Provenance: is what was measured still the current code?", "",
            "Per variant, each patch (its sha256 against today's file) and each benchmark script "
            "(`git diff` of its folder between the run's harness commit and HEAD). A changed "
            "script need not change what a row measures: the rows whose method changed since are "
            "marked superseded, here and in the summary (below).", "",
            "<details><summary>per patch and benchmark script</summary>", "",
            md_table(origin.set_index(pd.RangeIndex(len(origin))), index_label=None), "</details>",
            "", *method_changes_section(meta, table)]
    if not counts.empty:
        out += ["## How many rows differ", "",
                "Rows compared with baseline, called at raw p < 0.05 and at Benjamini-Hochberg q < 0.05 over every "
                "row of this report; the difference between the two is what uncorrected testing would have called.", "",
                md_table(counts, "variant"), ""]
        if AA_VARIANT in counts.index:
            out += [f"`{AA_VARIANT}` is baseline built again (A/A): each of its rows called better or worse is a "
                    f"false positive, so its count is what noise alone produces in this run.", ""]
    same_binary = same_binary_table(df, variants, runtime_pairs(), declared_targets())
    if not same_binary.empty:
        out += numbered_section(
            "Same binary, policy on against off",
            "The built variant against its runtime twin (the same binary, the policy switched off by "
            "the environment), so code placement is equal on both sides; ratios oriented as against "
            "baseline.",
            same_binary,
        )
    sections = [
        (
            "giltest: hand-offs, CPU share, latency (value and 95% interval over processes)",
            giltest_headlines(df, variants, raw, table),
        ),
        (
            "giltest: joint measurements (rate, CPU share and context switches from the same windows; "
            "median over processes and 95% interval)",
            joint_headlines(load_joint(run_dir), df, variants),
        ),
        ("testserver: requests/s (95% interval) and latency", server_headlines(df, variants, table)),
        (
            "testserver: open-loop latency, and the load generator beside the server (joint records)",
            server_joint.table(
                server_joint.load(run_dir), variants, lambda m, v: median_ms(df, m, v) + versus(table, m, v)
            ),
        ),
    ]
    for title, frame in sections:
        if not frame.empty:
            out += [f"## {title}", "", md_table(frame, "metric"), ""]
    general = pyperformance_summary(df, table, variants)
    if not general.empty:
        out += ["## pyperformance: the general cost", "",
                "Geometric mean over the suite's benchmarks of each one's ratio to baseline: speed as rate ratio "
                "(above 1 is faster), peak memory from the `--track-memory` pass (below 1 is smaller). The interval "
                "resamples every benchmark's worker processes (each process's mean is one sample) on both sides; "
                "better / worse count benchmarks called so on their own (Welch's t-test over processes, BH q < 5%). "
                "Per benchmark: charts `pyperformance_time` and `pyperformance_memory`, and the table at the end.", "",
                md_table(general, "variant"), ""]
    size_summary = dict_size_summary(sizes, variants)
    if not sizes.empty:
        out += ["## dict sizes (sys.getsizeof, bytes)", ""]
        picked = sizes[sizes.n.isin([0, 1, 5, 8, 10, 11, 21, 22, 42, 43, 85, 86, 100])]
        picked = picked[picked.built_by.isin(["insertion", "literal"])]
        for keys, part in picked.groupby("keys"):
            pivot = part.pivot_table(index="n", columns=["variant", "built_by"], values="bytes")
            pivot = pivot[[c for v in variants for c in pivot.columns if c[0] == v]]
            pivot.columns = [f"{v} ({b})" for v, b in pivot.columns]
            out += [
                f"{keys} keys (every construction is in the JSON; insertion and literal shown):",
                "",
                md_table(pivot, "n"),
                "",
            ]
        if not size_summary.empty:
            out += [
                "Ratio to baseline over n = 1..100:",
                "",
                md_table(size_summary.set_index("variant"), "variant"),
                "",
            ]
    tradeoff = dict_tradeoff(table, sizes, variants)
    if not tradeoff.empty:
        out += ["## dict memory against speed", "",
                "Ratios to baseline. Speed: geometric mean of the dict speed benchmarks' rate ratios (above 1 is "
                "faster). Memory: JSON-corpus and other workload peaks (tracemalloc) and sys.getsizeof over n = 1..100 "
                "(below 1 is smaller; presized = literal, dict(zip()) and copy).", "",
                md_table(tradeoff, "variant"), ""]
    out += instructions_view.section(run_dir, variants)
    out += background
    out += ["## Charts", ""]
    out += [f"![{p.stem}](charts/{p.name})" for p in chart_files if p.suffix == ".png"]
    out += ["", "## Every benchmark", "", "<details><summary>every metric and variant: per-process mean, ratio "
            "[95% CI], p, BH q, verdict, non-inferiority</summary>", "", full_table_md(table), "</details>"]
    out = out[:head] + alias_section(aliases) + [shorten(line, aliases) for line in out[head:]]
    path = run_dir / layout.REPORT_FILE
    path.write_text("\n".join(out) + "\n")
    return path


INDEX_BEGIN, INDEX_END = "<!-- runs:begin -->", "<!-- runs:end -->"


def write_index(results: Path) -> Path:
    """results/README.md: one line per run folder, newest first.

    Only the part between the INDEX_BEGIN and INDEX_END markers is generated; the
    hand-written text around it (what the runs showed) is kept. A file without the
    markers is replaced whole.
    """
    lines = ["Each folder holds one run's pyperf JSON, its report.md and charts/. "
             "Regenerate a report with `make report RUN=<run-id>`.", "",
             "| run | machine | CPython | variants | benchmarks | mode |", "|---|---|---|---|---|---|"]  # fmt: skip
    for run_dir in reversed(layout.finished_runs(results)):
        plan = layout.read_plan(run_dir)
        rel = run_dir.relative_to(results)
        lines.append(
            f"| [{run_dir.name}]({rel}/{layout.REPORT_FILE}) | {run_dir.parent.parent.name} | {run_dir.parent.name} | "
            f"{', '.join(plan['variants'])} | {', '.join(plan['benches'])} | {'quick' if plan['quick'] else 'full'} |"
        )
    block = "\n".join([INDEX_BEGIN, *lines, INDEX_END])
    path = results / "README.md"
    text = path.read_text() if path.exists() else ""
    begin, end = text.find(INDEX_BEGIN), text.find(INDEX_END)
    if 0 <= begin < end:
        text = text[:begin] + block + text[end + len(INDEX_END):]
    else:
        text = "# Published runs\n\n" + block + "\n"
    path.write_text(text)
    return path
