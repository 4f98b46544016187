"""Turn one run folder's JSON into report.md and charts/: the generic part of the report.

This module loads a run, compares every row with baseline, judges the declared targets
and writes the sections every run has (targets, row counts, same-binary pairs, method,
variants, provenance, the chart list, every benchmark); each benchmark family's own
sections and charts come from its view (scripts/views/), asked in turn, so nothing here
names a benchmark row. Everything is derived from the run's JSON alone (pyperf suites
and the benchmarks' own JSON files), so ``make report RUN=…`` regenerates the same report on any machine. Stored
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
from pathlib import Path

import numpy as np
import pandas as pd

from . import charts, processes, provenance, views
from . import results_layout as layout
from .config import BOUND_GOALS, variant_rows
from .patch_hooks import settings
from .stats import (
    ALPHA,
    DELTA,
    NOT_SHOWN_NO_WORSE,
    Comparison,
    bh_qvalues,
    bootstrap_ci,
    compare,
    holm,
    non_inferior,
    values_of,
)
from .sweep_grid import grid_aliases
from .tables import md_table, numbered_section, unit_of

# ---------------------------------------------------------------- loading


def load_raw(run_dir: Path) -> pd.DataFrame:
    """One row per stored value: variant, source file, benchmark, unit, process, value.

    Besides: what the benchmark declares about a value's work where the report needs it
    to weigh values (``processes.RAW_COLUMNS``: operations per batch, a measuring window,
    a time cap), by the metadata keys its view names (``declared``; nan where none).
    """
    import pyperf

    rows = []
    for vdir in layout.variant_dirs(run_dir):
        for path in layout.pyperf_files(vdir):
            for benchmark in pyperf.BenchmarkSuite.load(str(path)):
                unit = benchmark.get_unit()
                meta = benchmark.get_metadata()
                window, batch, cap_per_loop = (declared(meta, column) for column in ("window", "batch", "cap"))
                for run_no, run in enumerate(benchmark.get_runs()):
                    cap = cap_per_loop * run.get_loops() if run.values else float("nan")
                    for value in run.values:
                        rows.append(
                            (vdir.name, path.stem, benchmark.get_name(), unit, run_no, value, batch, window, cap)
                        )
    return pd.DataFrame(rows, columns=processes.RAW_COLUMNS)


def declared(meta: dict, column: str) -> float:
    """What a benchmark's metadata declares for one weighing column of ``processes.RAW_COLUMNS``
    (``batch``, ``window``, ``cap``), by the keys its view names (``View.declares``); nan when none."""
    for view in views.VIEWS:
        key = dict(view.declares).get(column)
        if key is not None and key in meta:
            return float(meta[key])
    return float("nan")


def load_values(run_dir: Path) -> pd.DataFrame:
    """One row per variant, source, metric and worker process (``processes.per_process``),
    and the rows the registered views make from files of their own (giltest's joint lines)."""
    values = processes.per_process(load_raw(run_dir))
    extra = [frame for view in views.VIEWS if view.values is not None and len(frame := view.values(run_dir))]
    return pd.concat([values, *extra], ignore_index=True) if extra else values


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
        declared = targets.get(variant) or targets.get(settings.base_variant(variant)) or ()
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
# ---------------------------------------------------------------- markdown


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


def runtime_pairs() -> dict[str, str]:
    """Runtime variants of variants.toml and the built variant each runs (``build_of``)."""
    return {name: v.build_of for name, v in variant_rows().items() if v.build_of}


def declared_targets() -> dict[str, tuple]:
    """Each variant's ``targets`` from variants.toml."""
    return {name: v.targets for name, v in variant_rows().items() if v.targets}


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
    run = views.Run(run_dir, variants, df, raw, table, footer)
    folder = run_dir / layout.CHARTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    chart_files = [path for view in views.in_chart_order() for path in view.charts(run, folder)]
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
    out += [line for view in views.VIEWS for line in view.sections(run)]
    out += background
    out += ["## Charts", ""]
    out += [f"![{p.stem}](charts/{p.name})" for p in chart_files if p.suffix == ".png"]
    out += ["", "## Every benchmark", "", "<details><summary>every metric and variant: per-process mean, ratio "
            "[95% CI], p, BH q, verdict, non-inferiority</summary>", "", full_table_md(table), "</details>"]
    out = out[:head] + alias_section(aliases) + [shorten(line, aliases) for line in out[head:]]
    path = run_dir / layout.REPORT_FILE
    path.write_text("\n".join(out) + "\n")
    return path
