"""giltest's view: hand-offs, the CPU thread's share, receive latency and paced IO.

Its report sections are the headline table (rates and kept shares with 95% intervals
over processes, each rate's ratio to baseline beside it) and the joint table (figures
from the same measured windows, giltest's ``--joint-file`` lines); its charts are the
hand-offs, the other rates, io_latency and mixed_io. The joint lines also give
per-process rows of their own (``processes.joint_rows``), which the report's values
take in through ``VIEW.values``.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import charts, processes, tables
from .. import results_layout as layout
from ..stats import bootstrap_ci, median_ci, rate_stat, ratio_ci, values_of
from ..tables import idle_cell, mean_cell, median_ms, percent, rate_cell, rate_ratio_ci, share_cell, versus
from .base import Run, View

HANDOFF_PRIMITIVES = ("lock", "condition", "queue")
MIXED_GAPS = ("2ms", "500us", "100us")  # the mixed_io_cpu_<gap> rows, in the script's order
CONVOY_SECONDS = 4e-3  # a hand-off this slow waited about a whole 5 ms switch interval: the convoy mode
GILTEST_OTHERS = ("cpu_1thread", "cpu_2threads", "compute_release", "compute_release_cpu",
                  "compute_release_cpu.cpu_thread", "gil_switch", "lock_with_pass",
                  "condition_notify_nowaiter", "queue_put_get")


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


# ---------------------------------------------------------------- charts


def _share_panel(ax, df: pd.DataFrame, metrics: list[str], variants: list[str]) -> bool:
    """The CPU thread's rate beside each hand-off, % of its rate alone, per variant and baseline."""
    drawn = False
    step = 0.7 / max(1, len(variants))
    for i, variant in enumerate(variants):
        solo = values_of(df, "cpu_1thread", variant)
        for bench in metrics:
            beside = values_of(df, f"{bench}.cpu_thread", variant)
            if not (len(solo) and len(beside)):
                continue
            point, low, high = ratio_ci(beside, solo, seed=f"share/{bench}/{variant}",
                                        stat_num=rate_stat(charts.stored_unit(df, f"{bench}.cpu_thread")),
                                        stat_den=rate_stat("second"))
            y = metrics.index(bench) + (i - (len(variants) - 1) / 2) * step
            shade = charts.color(variant, variants)
            ax.plot([100 * low, 100 * high], [y, y], color=shade, linewidth=1.8)
            ax.plot([100 * point], [y], "o", color=shade, markeredgecolor="#333333", markersize=6.5)
            drawn = True
    _percent_axes(ax, metrics, f"CPU thread's rate, % of running alone ({charts.HIGHER})",
                  "what the CPU thread keeps meanwhile")
    return drawn


def _percent_axes(ax, rows: list[str], xlabel: str, title: str) -> None:
    """A panel of shares in % of a rate alone: a dashed line at 100, from 0, one labelled row each (first on top)."""
    ax.axvline(100, color="#555555", linestyle="--", linewidth=0.9)
    ax.set_xlim(left=0)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(rows, fontsize=8)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlabel(xlabel, fontsize=9)
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.25)


def _handoffs(folder: Path, df: pd.DataFrame, table: pd.DataFrame, variants: list[str],
              names: set[str], footer: str) -> list[Path]:
    """giltest hand-offs: rate ratio to baseline per primitive, and what the CPU thread keeps."""
    every = [f"handoff_{p}{s}" for p in HANDOFF_PRIMITIVES for s in ("", "_cpu")]
    metrics = [m for m in every if m in names]
    rows = charts.comparison_rows(table, metrics)
    if not metrics or rows.empty:
        return []
    with_cpu = [m for m in metrics if m.endswith("_cpu") and f"{m}.cpu_thread" in names]
    drawn_count = len(set(rows.variant))
    fig, (ax, share_ax) = plt.subplots(1, 2, figsize=(12, charts.ratio_height(metrics, drawn_count)),
                                       gridspec_kw={"width_ratios": [3, 2]})
    ticks = {m: charts.baseline_rate(df, m, "hand-offs/s") for m in metrics}
    xlabel = f"hand-offs/s, ratio to baseline (log; {charts.HIGHER})"
    drawn = charts.variant_ratio_panel(ax, rows, metrics, variants, xlabel, ticks)
    ax.set_title("hand-off rate against baseline, alone and beside a CPU-bound thread",
                 fontsize=10)
    if not (with_cpu and _share_panel(share_ax, df, with_cpu, variants)):
        share_ax.set_visible(False)
    fig.suptitle("giltest: thread hand-offs (95% bootstrap intervals over processes)")
    charts.variant_legend(fig, (["baseline"] if with_cpu else []) + drawn, variants)
    return charts.save(fig, folder, "giltest_handoffs", footer)


def _rates(folder: Path, df: pd.DataFrame, table: pd.DataFrame, variants: list[str],
           names: set[str], footer: str) -> list[Path]:
    """giltest's CPU chunks, GIL switches and single-thread primitives: rate ratio to baseline."""
    metrics = [n for n in GILTEST_OTHERS if n in names]
    ticks = {m: charts.baseline_rate(df, m, "/s") for m in metrics}
    title = ("giltest: CPU chunks, sha256 hashing (GIL released) beside a CPU thread, GIL switches "
             "and single-thread primitives against baseline")
    xlabel = f"operations/s, ratio to baseline (log; {charts.HIGHER})"
    return charts.single_ratio_chart(folder, "giltest_rates", title, charts.comparison_rows(table, metrics),
                               metrics, variants, xlabel, ticks, footer)


def _latency(folder: Path, df: pd.DataFrame, table: pd.DataFrame, variants: list[str],
             names: set[str], footer: str) -> list[Path]:
    """io_latency p50 and p99 with 0/1/2 CPU threads: baseline's latency / the variant's."""
    metrics = [f"io_latency_cpu{n}.p{pct}" for n in range(3) for pct in (50, 99)
               if f"io_latency_cpu{n}.p{pct}" in names]
    ticks = {m: charts.baseline_ms(df, m) for m in metrics}
    title = ("io_latency: a thread blocked in recv beside 0/1/2 CPU-bound threads "
             "(median of the processes' p50 / p99)")
    xlabel = f"latency ratio, baseline / variant (log; {charts.HIGHER}: shorter)"
    return charts.single_ratio_chart(folder, "io_latency", title, charts.comparison_rows(table, metrics),
                               metrics, variants, xlabel, ticks, footer)


def _mean_ci(values: np.ndarray, seed: str) -> tuple[float, float, float]:
    low, high = bootstrap_ci(values, np.mean, seed=seed)
    return float(np.mean(values)), low, high


def _idle_gil_panel(ax, df: pd.DataFrame, gaps: list[str], variants: list[str]) -> bool:
    """Per gap and variant: the CPU thread's share of its rate alone (dot) against the
    share the IO thread leaves it, 1 − IO busy share (diamond); the line between is GIL left idle."""
    drawn = False
    shown = [v for v in variants
             if any(len(values_of(df, f"mixed_io_cpu_{g}.cpu_share", v)) for g in gaps)]
    step = 0.7 / max(1, len(shown))
    for i, variant in enumerate(shown):
        shade = charts.color(variant, variants)
        for row, gap in enumerate(gaps):
            cpu = values_of(df, f"mixed_io_cpu_{gap}.cpu_share", variant)
            busy = values_of(df, f"mixed_io_cpu_{gap}.io_busy", variant)
            if not (len(cpu) and len(busy)):
                continue
            y = row + (i - (len(shown) - 1) / 2) * step
            c, c_lo, c_hi = _mean_ci(cpu, f"chart/cs/{gap}/{variant}")
            b, b_lo, b_hi = _mean_ci(1.0 - busy, f"chart/ib/{gap}/{variant}")
            ax.plot([100 * c, 100 * b], [y, y], color=shade, linewidth=0.9, linestyle=":")
            for low, high in ((c_lo, c_hi), (b_lo, b_hi)):
                if np.isfinite(low) and np.isfinite(high):
                    ax.plot([100 * low, 100 * high], [y, y], color=shade, linewidth=1.8)
            ax.plot([100 * c], [y], "o", color=shade, markeredgecolor="#333333", markersize=6.5)
            ax.plot([100 * b], [y], "D", color="white", markeredgecolor=shade, markeredgewidth=1.5,
                    markersize=6)
            drawn = True
    _percent_axes(ax, [f"one datagram\nevery {g.replace('us', ' µs').replace('ms', ' ms')}" for g in gaps],
                  f"% of the CPU thread's rate alone ({charts.HIGHER})",
                  "● CPU thread's share, ◇ 1 − IO busy share\n(the gap between them: GIL left idle)")
    return drawn


def _mixed_io(folder: Path, df: pd.DataFrame, table: pd.DataFrame, variants: list[str],
              names: set[str], footer: str) -> list[Path]:
    """mixed_io_cpu: receive latency against baseline, and the CPU share against 1 − IO busy share."""
    gaps = [g for g in MIXED_GAPS if f"mixed_io_cpu_{g}.cpu_share" in names]
    metrics = [f"mixed_io_cpu_{g}.p{pct}" for g in MIXED_GAPS for pct in (50, 99)
               if f"mixed_io_cpu_{g}.p{pct}" in names]
    rows = charts.comparison_rows(table, metrics)
    if not gaps and rows.empty:
        return []
    fig, (ax, share_ax) = plt.subplots(1, 2, figsize=(12, charts.ratio_height(metrics, len(set(rows.variant)))),
                                       gridspec_kw={"width_ratios": [3, 2]})
    drawn: list[str] = []
    if rows.empty:
        ax.set_visible(False)
    else:
        xlabel = f"latency ratio, baseline / variant (log; {charts.HIGHER}: shorter)"
        drawn = charts.variant_ratio_panel(ax, rows, metrics, variants, xlabel,
                                    {m: charts.baseline_ms(df, m) for m in metrics})
        ax.set_title("receive latency (median of the processes' p50 / p99) against baseline", fontsize=10)
    if not (gaps and _idle_gil_panel(share_ax, df, gaps, variants)):
        share_ax.set_visible(False)
    fig.suptitle("mixed_io_cpu: paced UDP datagrams, ~20 µs of Python work each, beside a CPU-bound thread")
    charts.variant_legend(fig, (["baseline"] if gaps else []) + drawn, variants)
    return charts.save(fig, folder, "mixed_io", footer)


# ---------------------------------------------------------------- the view


def sections(run: Run) -> list[str]:
    """The headline table, then the joint table (none of either when the run has no giltest)."""
    return [
        *tables.titled("giltest: hand-offs, CPU share, latency (value and 95% interval over processes)",
                       giltest_headlines(run.values, run.variants, run.raw, run.table)),
        *tables.titled("giltest: joint measurements (rate, CPU share and context switches from the same windows; "
                       "median over processes and 95% interval)",
                       joint_headlines(load_joint(run.path), run.values, run.variants)),
    ]


def draw(run: Run, folder: Path) -> list[Path]:
    """Hand-offs, the other rates, io_latency and mixed_io, each when the run has its rows."""
    df, table, variants, footer = run.values, run.table, run.variants, run.footer
    names = set(df.benchmark) if not df.empty else set()
    return [*_handoffs(folder, df, table, variants, names, footer),
            *_rates(folder, df, table, variants, names, footer),
            *_latency(folder, df, table, variants, names, footer),
            *_mixed_io(folder, df, table, variants, names, footer)]


def joint_values(run_dir: Path) -> pd.DataFrame:
    """The per-process rows the joint lines give (``processes.joint_rows``)."""
    return processes.joint_rows(load_joint(run_dir))


# operations per stored value, and the window of handoff_*_cpu (processes.py weighs values by them)
DECLARES = (("batch", "giltest_handoffs_per_value"), ("window", "giltest_cpu_window"))
VIEW = View("giltest", "giltest", sections, draw, joint_values, DECLARES)
