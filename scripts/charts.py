"""Charts of one run, drawn from its values alone (PNG for the README, SVG for print).

Each chart says what it shows in its title and axis labels: rates derived from stored
times, error bars as 95% bootstrap intervals, log scales where variants differ by
orders of magnitude (the convoy effect does).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")  # no display on build machines
matplotlib.rcParams["svg.hashsalt"] = "cpython-plus"  # stable ids: a regenerated SVG is byte-identical
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .dict_sizing import parse_slug  # noqa: E402
from .stats import median_ci, rate, rate_stat, ratio_ci, values_of  # noqa: E402

# Okabe-Ito, the colour-blind-safe palette: one fixed colour per variant of variants.toml, in
# every chart of every run (grey for the A/A row). Labels outside the table (swept dict
# sizings) take the palette's colours no named variant of the chart uses, in order.
COLORS = {
    "baseline": "#000000", "baseline_aa": "#999999", "freethreaded": "#E69F00", "tight_dict": "#009E73",
    "native_condition": "#56B4E9", "sem_condvar": "#F0E442", "io_gil": "#D55E00", "io_gil_off": "#CC79A7",
    "plus": "#0072B2",
}  # fmt: skip
OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999"]


def color(variant: str, variants: list[str]) -> str:
    """The variant's fixed colour; a label not in variants.toml takes a colour left free in this chart."""
    if variant in COLORS:
        return COLORS[variant]
    taken = {COLORS[v] for v in variants if v in COLORS}
    free = [c for c in OKABE_ITO if c not in taken] or OKABE_ITO
    others = [v for v in variants if v not in COLORS]
    return free[others.index(variant) % len(free)]


def grouped_bars(ax, categories: list[str], variants: list[str], getter, log: bool) -> bool:
    """Bars per category, one per variant; getter(cat, variant) -> (value, low, high) or None."""
    width = 0.8 / max(1, len(variants))
    drew = False
    for i, variant in enumerate(variants):
        xs, ys, errs = [], [], [[], []]
        for j, cat in enumerate(categories):
            got = getter(cat, variant)
            if got is None:
                continue
            value, low, high = got
            xs.append(j + (i - (len(variants) - 1) / 2) * width)
            ys.append(value)
            errs[0].append(max(0.0, value - low) if np.isfinite(low) else 0.0)
            errs[1].append(max(0.0, high - value) if np.isfinite(high) else 0.0)
        if xs:
            drew = True
            ax.bar(xs, ys, width, yerr=errs, capsize=2, label=short_label(variant), color=color(variant, variants))
    ax.set_xticks(range(len(categories)))
    ax.set_xticklabels(categories, rotation=30, ha="right", fontsize=8)
    if log:
        ax.set_yscale("log")
    ax.grid(axis="y", alpha=0.3, which="both")
    return drew


def _save(fig, folder: Path, name: str, footer: str = "") -> list[Path]:
    """Write the figure as PNG and SVG, with ``footer`` (what machine and run it shows) along its bottom edge."""
    paths = [folder / f"{name}.png", folder / f"{name}.svg"]
    if not fig.legends:  # a figure-level legend has already laid the figure out around itself
        fig.tight_layout(rect=(0, 0.05 if footer else 0, 1, 1))
    if footer:
        for legend in fig.legends:  # a legend at the bottom edge moves up over the footer's line
            legend.set_bbox_to_anchor((0.5, 0.022), transform=fig.transFigure)
        fig.text(0.005, 0.004, footer, fontsize=6.5, color="#444444", ha="left", va="bottom", wrap=True)
    for path in paths:
        fig.savefig(path, dpi=110, metadata={"Date": None} if path.suffix == ".svg" else None)
    plt.close(fig)
    return paths


def _unit(df: pd.DataFrame, benchmark: str) -> str:
    hit = df.loc[df.benchmark == benchmark, "unit"]
    return str(hit.iloc[0]) if len(hit) else "second"


def _rate_getter(df: pd.DataFrame):
    """Rates over processes: 1 / mean time, or the mean of per-process rates."""
    def get(benchmark: str, variant: str):
        vals = values_of(df, benchmark, variant)
        return rate(vals, f"{benchmark}/{variant}", unit=_unit(df, benchmark)) if len(vals) else None

    return get


def draw_all(folder: Path, df: pd.DataFrame, sizes: pd.DataFrame, table: pd.DataFrame, variants: list[str],
             footer: str = "") -> list[Path]:
    """Draw every chart the data allows, each with ``footer`` (machine, run, mode) under it; return the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    names = set(df.benchmark) if not df.empty else set()

    handoffs = [f"handoff_{p}{s}" for p in ("lock", "condition", "queue") for s in ("", "_cpu") if f"handoff_{p}{s}" in names]
    if handoffs:
        fig, (ax, share_ax) = plt.subplots(1, 2, figsize=(12, 4.6), gridspec_kw={"width_ratios": [2, 1]})
        grouped_bars(ax, handoffs, variants, _rate_getter(df), log=True)
        ax.set_ylabel("hand-offs per second (log)")
        ax.set_title("hand-offs, alone and with a CPU-bound thread beside", fontsize=10)
        ax.legend(fontsize=8)
        with_cpu = [h for h in handoffs if h.endswith("_cpu") and f"{h}.cpu_thread" in names]

        def share(bench: str, variant: str):
            solo, beside = values_of(df, "cpu_1thread", variant), values_of(df, f"{bench}.cpu_thread", variant)
            if not (len(solo) and len(beside)):
                return None
            point, low, high = ratio_ci(beside, solo, seed=f"share/{bench}/{variant}",
                                        stat_num=rate_stat(_unit(df, f"{bench}.cpu_thread")), stat_den=rate_stat("second"))
            return 100 * point, 100 * low, 100 * high

        if with_cpu and grouped_bars(share_ax, with_cpu, variants, share, log=False):
            share_ax.set_ylabel("CPU thread's rate, % of running alone")
            share_ax.set_title("what the CPU thread keeps meanwhile", fontsize=10)
        else:
            share_ax.set_visible(False)
        fig.suptitle("giltest: thread hand-offs (error bars: 95% bootstrap intervals over processes)")
        written += _save(fig, folder, "giltest_handoffs", footer)

    others = [n for n in ("cpu_1thread", "cpu_2threads", "gil_switch", "lock_with_pass", "condition_notify_nowaiter", "queue_put_get") if n in names]
    if others:
        fig, ax = plt.subplots(figsize=(8, 4.5))
        grouped_bars(ax, others, variants, _rate_getter(df), log=True)
        ax.set_ylabel("operations per second (log)")
        ax.set_title("giltest: CPU chunks, GIL switches and single-thread primitives")
        ax.legend(fontsize=8)
        written += _save(fig, folder, "giltest_rates", footer)

    latency = [f"io_latency_cpu{n}" for n in range(3) if f"io_latency_cpu{n}" in names]
    if latency:
        fig, axes = plt.subplots(1, 2, figsize=(9, 4), sharey=True)
        for ax, pct in zip(axes, (50, 99)):
            def getter(bench, variant, pct=pct):
                vals = values_of(df, f"{bench}.p{pct}", variant)  # one p50 / p99 per process
                if not len(vals):
                    return None
                return median_ci(vals * 1e3, seed=f"{bench}/{variant}/{pct}")

            grouped_bars(ax, latency, variants, getter, log=True)
            ax.set_title(f"p{pct}: median over processes of each one's p{pct}", fontsize=9)
            ax.set_ylabel("ms from send to handling (log)")
        axes[0].legend(fontsize=8)
        fig.suptitle("io_latency: a thread blocked in recv, with 0/1/2 CPU-bound threads")
        written += _save(fig, folder, "io_latency", footer)

    server = [s for s in ("c1_close", "c1_keepalive", "c10_close", "c10_keepalive") if s in names or f"{s}_cpu" in names]
    if server:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), sharey=True)
        for ax, suffix, title in zip(axes, ("", "_cpu"), ("alone", "with one CPU-bound thread in the server")):
            grouped_bars(ax, [s + suffix for s in server], variants, _rate_getter(df), log=True)
            ax.set_title(title)
        axes[0].set_ylabel("requests per second (log)")
        axes[0].legend(fontsize=8)
        fig.suptitle("testserver: thread-pool HTTP server under a real load generator")
        written += _save(fig, folder, "server_rps", footer)

    if not sizes.empty:
        key_kinds = sorted(set(sizes["keys"]))
        constructions = list(dict.fromkeys(sizes["built_by"]))
        combos = [(k, b) for k in key_kinds for b in constructions]
        fig, axes = plt.subplots(len(key_kinds), len(constructions), figsize=(3.2 * len(constructions), 3.2 * len(key_kinds) + 1.2),
                                 sharey=True, squeeze=False)
        for ax, (keys, built_by) in zip(axes.flat, combos):
            for variant in variants:
                part = sizes[(sizes.variant == variant) & (sizes["keys"] == keys) & (sizes.built_by == built_by)].sort_values("n")
                if not part.empty:
                    ax.step(part.n, part["bytes"], where="post", label=short_label(variant), color=color(variant, variants))
            ax.set_title(f"{keys} keys, {built_by}", fontsize=9)
            ax.set_xlabel("items")
            ax.grid(alpha=0.3)
        for row in axes:
            row[0].set_ylabel("sys.getsizeof (bytes)")
        _legend_below(fig, axes[0][0])
        fig.suptitle("dict size by number of items")
        written += _save(fig, folder, "dict_sizes", footer)

    written += _memory_vs_speed(folder, table, variants, sizes, footer)
    written += _pyperformance(folder, table, footer)
    return written


def _pyperformance(folder: Path, table: pd.DataFrame, footer: str = "") -> list[Path]:
    """One dot per pyperformance benchmark and variant, time and memory, a panel per variant."""
    if table.empty or "ratio" not in table:
        return []
    written = []
    for kind, what, xlabel in (("time", "speed", "rate ratio to baseline (log; >1 faster)"),
                               ("memory", "peak memory", "peak memory ratio to baseline (log; <1 smaller)")):
        rows = table[table.source.str.startswith(f"pyperformance.{kind}.") & (table.variant != "baseline")]
        written += ratio_dots(folder, f"pyperformance_{kind}", rows, facet="variant",
                              title=f"pyperformance: {what} of each benchmark against baseline (95% intervals)", xlabel=xlabel,
                              footer=footer)
    return written


def _legend_below(fig, ax) -> None:
    """One legend for the whole figure, under the plots, with room made for it."""
    handles, labels = ax.get_legend_handles_labels()
    rows = (len(labels) + 2) // 3
    height = fig.get_size_inches()[1]
    fig.legend(handles, labels, fontsize=8, loc="lower center", ncol=min(3, len(labels)), frameon=False)
    fig.tight_layout(rect=(0, min(0.4, (0.25 * rows + 0.1) / height), 1, 0.96))


def pareto_front(points: dict[str, tuple[float, float]]) -> list[str]:
    """Names of the points no other point beats: speed (x) higher is better, memory (y) lower.

    A point is dominated when another is at least as fast and at least as small, and
    strictly better in one of the two. The front is returned in order of speed.
    """
    front = []
    for name, (x, y) in points.items():
        dominated = any(
            (ox >= x and oy <= y) and (ox > x or oy < y) for other, (ox, oy) in points.items() if other != name
        )
        if not dominated:
            front.append(name)
    return sorted(front, key=lambda n: points[n][0])


def short_label(variant: str) -> str:
    """A legend-sized name: ``tight_dict+dict-growth9_8`` -> ``tight_dict growth 9/8``."""
    if "+dict-" not in variant:
        return variant
    base, _, slug = variant.partition("+")
    return f"{base} " + ", ".join(f"{knob} {value}" for knob, value in parse_slug(slug).items())


def _memory_vs_speed(folder: Path, table: pd.DataFrame, variants: list[str], sizes: pd.DataFrame | None = None,
                     footer: str = "") -> list[Path]:
    """One point per variant: dict speed (geometric mean rate ratio) against memory.

    Left: JSON-corpus peak (tracemalloc) ratio. Right, when the size table is there:
    mean sys.getsizeof ratio over n = 1..100, every key type and construction. The
    Pareto front (faster or smaller than every other point) is joined and ringed.
    """
    if table.empty or "ratio" not in table:
        return []
    speed = table[(table.source == "dict_memory.speed") & table.ratio.notna()]
    memory = table[(table.benchmark == "mem_json_corpus.tracemalloc") & table.ratio.notna()]
    if speed.empty or memory.empty:
        return []
    x_of = {v: float(np.exp(np.log(speed[speed.variant == v].ratio).mean())) for v in variants if (speed.variant == v).any()}
    x_of["baseline"] = 1.0
    panels = [("JSON corpus peak (tracemalloc) vs baseline",
               {v: float(memory[memory.variant == v].ratio.iloc[0]) for v in variants if (memory.variant == v).any()})]
    if sizes is not None and not sizes.empty and "baseline" in set(sizes.variant):
        base = sizes[(sizes.variant == "baseline") & (sizes.n >= 1)].set_index(["n", "keys", "built_by"])["bytes"]
        mean_size = {}
        for v in variants:
            mine = sizes[(sizes.variant == v) & (sizes.n >= 1)].set_index(["n", "keys", "built_by"])["bytes"]
            if len(mine):
                mean_size[v] = float((mine / base).dropna().mean())
        panels.append(("mean sys.getsizeof vs baseline, n = 1..100", mean_size))
    for panel in panels:
        panel[1]["baseline"] = 1.0
    fig, axes = plt.subplots(1, len(panels), figsize=(6.2 * len(panels), 5.2), squeeze=False)
    for ax, (ylabel, y_of) in zip(axes[0], panels):
        points = {v: (x_of[v], y_of[v]) for v in variants if v in x_of and v in y_of}
        front = pareto_front(points)
        fx, fy = [points[v][0] for v in front], [points[v][1] for v in front]
        ax.plot(fx, fy, color="black", lw=1, ls="--", zorder=2, label="Pareto front")
        ax.scatter(fx, fy, s=190, facecolors="none", edgecolors="black", lw=1.2, zorder=4)
        for v, (x, y) in points.items():
            marker, size = ("*", 200) if v == "baseline" else ("o", 60)
            ax.scatter([x], [y], marker=marker, s=size, color=color(v, variants), label=short_label(v), zorder=3)
        ax.axhline(1.0, color="grey", lw=0.6)
        ax.axvline(1.0, color="grey", lw=0.6)
        ax.set_xlabel("dict speed vs baseline (geometric mean rate ratio; right is faster)")
        ax.set_ylabel(ylabel, fontsize=9)
        ax.grid(alpha=0.3)
    fig.suptitle("dict memory vs speed, one point per build (ringed: on the Pareto front)")
    _legend_below(fig, axes[0][0])
    return _save(fig, folder, "dict_memory_vs_speed", footer)


# ---------------------------------------------------------------- ratio dot plots

# A verdict is drawn by shape, not colour: every Okabe-Ito colour already names a variant.
VERDICT_MARKERS = {"better": ("^", "#000000"), "worse": ("v", "#000000")}
INSIGNIFICANT = ("o", "#b0b0b0")


def ratio_dots(folder: Path, name: str, rows: pd.DataFrame, facet: str, title: str, xlabel: str,
               footer: str = "") -> list[Path]:
    """A dot per benchmark and facet: ratio to baseline with its 95% interval, log x.

    ``rows`` has columns benchmark, ratio, ci_low, ci_high, verdict and ``facet``
    (e.g. platform or variant). Better is green, worse red, not significant grey;
    a dashed line marks 1 (same as baseline). One panel per facet value, benchmarks
    on a shared y axis so a row reads across platforms.
    """
    rows = rows.dropna(subset=["ratio"])
    if rows.empty:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    facets = list(dict.fromkeys(rows[facet]))
    benchmarks = sorted(set(rows.benchmark), reverse=True)
    position = {b: i for i, b in enumerate(benchmarks)}
    fig, axes = plt.subplots(1, len(facets), figsize=(3.6 + 3.0 * len(facets), 1.2 + 0.24 * len(benchmarks)),
                             sharey=True, sharex=True, squeeze=False)
    for ax, value in zip(axes[0], facets):
        part = rows[rows[facet] == value]
        for _, r in part.iterrows():
            y = position[r.benchmark]
            marker, shade = VERDICT_MARKERS.get(r.verdict, INSIGNIFICANT)
            if np.isfinite(r.ci_low) and np.isfinite(r.ci_high):
                ax.plot([r.ci_low, r.ci_high], [y, y], color=shade, linewidth=1.5)
            ax.plot([r.ratio], [y], marker, color=shade, markersize=5)
        ax.axvline(1.0, color="#555555", linestyle="--", linewidth=0.8)
        ax.set_xscale("log")
        plain = matplotlib.ticker.FuncFormatter(lambda x, _: f"{x:g}")  # 0.6, not 6×10⁻¹
        ax.xaxis.set_major_formatter(plain)
        ax.xaxis.set_minor_formatter(plain)
        ax.tick_params(axis="x", which="both", labelsize=7)
        ax.set_title(str(value), fontsize=10)
        ax.set_xlabel(xlabel, fontsize=8)
        ax.grid(axis="x", alpha=0.3)
    axes[0][0].set_yticks(range(len(benchmarks)))
    axes[0][0].set_yticklabels(benchmarks, fontsize=7)
    handles = [plt.Line2D([], [], marker=m, linestyle="", color=c, label=label)
               for label, (m, c) in (("better (BH q < 5%)", VERDICT_MARKERS["better"]),
                                     ("worse (BH q < 5%)", VERDICT_MARKERS["worse"]), ("not significant", INSIGNIFICANT))]
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return _save(fig, folder, name, footer)
