"""Charts of one run, drawn from its values alone (PNG for the README, SVG for print).

Every comparison is a ratio to baseline with its 95% bootstrap interval over worker
processes (the report's comparison table), drawn as a dot on a log axis with a dashed
line at 1 and an axis label that says which way is better; never bars on a log axis.
Each variant keeps one Okabe-Ito colour in every chart (``color``); a verdict is drawn
by fill or shape, never by colour. Every chart carries a footer naming the machine,
run, flavor, mode and date (``_save``).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.patches
import matplotlib.ticker

matplotlib.use("Agg")  # no display on build machines
matplotlib.rcParams["svg.hashsalt"] = "cpython-plus"  # stable ids: a regenerated SVG is byte-identical
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .dict_sizing import parse_slug  # noqa: E402
from .stats import (  # noqa: E402
    PYPERFORMANCE_SOURCE,
    bootstrap_ci,
    rate,
    rate_stat,
    ratio_ci,
    suite_geomean,
    values_of,
)
from .sweep_grid import grid_aliases  # noqa: E402

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


FOOTER_POINTS = 6.5  # the footer's font size
FOOTER_CHAR_INCHES = 0.048  # about one character of the footer's font, for line breaks


def footer_lines(footer: str, width_inches: float) -> list[str]:
    """The footer broken at its ' · ' separators into lines that fit the figure's width."""
    room = max(40, int(width_inches / FOOTER_CHAR_INCHES))
    lines: list[str] = []
    for part in footer.split(" · "):
        if lines and len(lines[-1]) + 3 + len(part) <= room:
            lines[-1] += " · " + part
        else:
            lines.append(part)
    return lines


def _layout(fig, bottom: float) -> None:
    """Lay the axes out above ``bottom`` (figure fraction), a figure legend between the two."""
    for legend in fig.legends:
        legend.set_bbox_to_anchor((0.5, bottom), transform=fig.transFigure)
        legend.set_loc("lower center")
        renderer = fig.canvas.get_renderer()
        bottom += legend.get_window_extent(renderer).height / fig.bbox.height
    fig.tight_layout(rect=(0, min(0.6, bottom + 0.01), 1, 1))


def _save(fig, folder: Path, name: str, footer: str = "") -> list[Path]:
    """Write the figure as PNG and SVG, ``footer`` (the machine and run it shows) along its bottom.

    Footer, then the figure legend (if any), then the axes, from the bottom up: none
    overlaps another whatever the footer's length.
    """
    paths = [folder / f"{name}.png", folder / f"{name}.svg"]
    width, height = fig.get_size_inches()
    lines = footer_lines(footer, width) if footer else []
    line_height = 1.3 * FOOTER_POINTS / 72 / height
    if lines:
        fig.text(0.005, 0.004, "\n".join(lines), fontsize=FOOTER_POINTS, color="#444444", ha="left",
                 va="bottom", linespacing=1.3)
    _layout(fig, 0.004 + len(lines) * line_height + (0.005 if lines else 0))
    for path in paths:
        fig.savefig(path, dpi=110, metadata={"Date": None} if path.suffix == ".svg" else None)
    plt.close(fig)
    return paths


HIGHER = "higher is better →"
LOWER = "← lower is better"
HANDOFF_PRIMITIVES = ("lock", "condition", "queue")
GILTEST_OTHERS = ("cpu_1thread", "cpu_2threads", "compute_release", "compute_release_cpu",
                  "compute_release_cpu.cpu_thread", "gil_switch", "lock_with_pass",
                  "condition_notify_nowaiter", "queue_put_get")
MIXED_GAPS = ("2ms", "500us", "100us")  # giltest's mixed_io_cpu_<gap> rows
SERVER_SCENARIOS = ("c1_close", "c1_keepalive", "c10_close", "c10_keepalive")
SIGNIFICANT = ("better", "worse")


def _unit(df: pd.DataFrame, benchmark: str) -> str:
    """The stored unit of a metric ('second' when the run does not have it)."""
    hit = df.loc[df.benchmark == benchmark, "unit"]
    return str(hit.iloc[0]) if len(hit) else "second"


def _baseline_rate(df: pd.DataFrame, benchmark: str, what: str) -> str:
    """Baseline's rate of a metric over its processes, e.g. '412 hand-offs/s' ('' without one)."""
    vals = values_of(df, benchmark, "baseline")
    if not len(vals):
        return ""
    point = rate(vals, f"{benchmark}/baseline", unit=_unit(df, benchmark))[0]
    return f"baseline {point:,.0f} {what}"


def _baseline_ms(df: pd.DataFrame, benchmark: str) -> str:
    """Baseline's median over processes of a per-process latency, in ms ('' without one)."""
    vals = values_of(df, benchmark, "baseline")
    return f"baseline {np.median(vals) * 1e3:.3g} ms" if len(vals) else ""


def _plain_log(axis, low: float, high: float) -> None:
    """Log-scale ticks as plain numbers (0.6, not 6×10⁻¹), spaced so a ratio can be read off.

    Narrow ranges (under 3×) get evenly spaced ticks, middle ones the minor ticks
    labelled, wide ones 1, 2, 5, 10, 20, 50...
    """
    plain = matplotlib.ticker.FuncFormatter(lambda x, _: f"{x:g}")
    minor = matplotlib.ticker.NullFormatter()
    if high / low < 3:
        axis.set_major_locator(matplotlib.ticker.MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    elif high / low < 30:
        minor = plain
    else:
        axis.set_major_locator(matplotlib.ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(plain)
    axis.set_minor_formatter(minor)


def _log_limits(values: list[float]) -> tuple[float, float]:
    """x limits of a log ratio axis: every finite value and 1, with a margin of 12% each side."""
    finite = [v for v in values if np.isfinite(v) and v > 0] + [1.0]
    return min(finite) / 1.12, max(finite) * 1.12


def comparison_rows(table: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    """The comparison table's rows of these metrics, every variant but baseline, with a ratio."""
    if table.empty or "ratio" not in table:
        return pd.DataFrame()
    keep = table.benchmark.isin(metrics) & (table.variant != "baseline") & table.ratio.notna()
    return table[keep]


def variant_ratio_panel(ax, rows: pd.DataFrame, metrics: list[str], variants: list[str],
                        xlabel: str, tick_labels: dict[str, str] | None = None) -> list[str]:
    """Ratio to baseline per metric (one row each, top down) and variant (its colour), log x.

    Each dot has its 95% bootstrap interval over processes; a filled dot is called
    better or worse at BH q < 5%, a hollow one is not significant. A dashed line marks 1
    (baseline). Returns the variants drawn.
    """
    drawn = [v for v in variants if v != "baseline" and (rows.variant == v).any()]
    step = 0.7 / max(1, len(drawn))
    xs: list[float] = []
    for i, variant in enumerate(drawn):
        offset = (i - (len(drawn) - 1) / 2) * step
        shade = color(variant, variants)
        for r in rows[rows.variant == variant].itertuples():
            y = metrics.index(r.benchmark) + offset
            if np.isfinite(r.ci_low) and np.isfinite(r.ci_high):
                ax.plot([r.ci_low, r.ci_high], [y, y], color=shade, linewidth=1.8,
                        solid_capstyle="butt")
            filled = r.verdict in SIGNIFICANT
            ax.plot([r.ratio], [y], "o", markersize=6.5, color=shade, markeredgewidth=1.2,
                    markeredgecolor="#333333" if filled else shade,
                    markerfacecolor=shade if filled else "white")
            xs += [r.ratio, r.ci_low, r.ci_high]
    ax.axvline(1.0, color="#555555", linestyle="--", linewidth=0.9)
    ax.set_xscale("log")
    ax.set_xlim(*_log_limits(xs))
    _plain_log(ax.xaxis, *ax.get_xlim())
    ax.set_yticks(range(len(metrics)))
    ticks = tick_labels or {}
    labels = [f"{m}\n{ticks[m]}" if ticks.get(m) else m for m in metrics]
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_ylim(len(metrics) - 0.5, -0.5)  # first metric on top
    ax.set_xlabel(xlabel, fontsize=9)
    ax.tick_params(axis="x", which="both", labelsize=8)
    ax.grid(axis="x", which="both", alpha=0.25)
    return drawn


def _variant_legend(fig, drawn: list[str], variants: list[str], fill_note: bool = True) -> None:
    """One legend under the plots: a dot per variant in its colour, and what a filled dot means."""
    handles = [plt.Line2D([], [], marker="o", linestyle="", color=color(v, variants), markersize=7,
                          label=short_label(v)) for v in drawn]
    if fill_note:
        dot = {"marker": "o", "linestyle": "", "color": "#333333"}
        handles += [plt.Line2D([], [], label="filled: BH q < 5%", **dot),
                    plt.Line2D([], [], markerfacecolor="white", label="hollow: not significant",
                               **dot)]
    _legend_below(fig, handles)


def _ratio_height(metrics: list[str], drawn: int) -> float:
    """Figure height (inches) for a ratio panel of these rows and variants per row."""
    return 2.0 + len(metrics) * (0.32 + 0.1 * drawn)


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
                                        stat_num=rate_stat(_unit(df, f"{bench}.cpu_thread")),
                                        stat_den=rate_stat("second"))
            y = metrics.index(bench) + (i - (len(variants) - 1) / 2) * step
            shade = color(variant, variants)
            ax.plot([100 * low, 100 * high], [y, y], color=shade, linewidth=1.8)
            ax.plot([100 * point], [y], "o", color=shade, markeredgecolor="#333333", markersize=6.5)
            drawn = True
    ax.axvline(100, color="#555555", linestyle="--", linewidth=0.9)
    ax.set_xlim(left=0)
    ax.set_yticks(range(len(metrics)))
    ax.set_yticklabels(metrics, fontsize=8)
    ax.set_ylim(len(metrics) - 0.5, -0.5)
    ax.set_xlabel(f"CPU thread's rate, % of running alone ({HIGHER})", fontsize=9)
    ax.set_title("what the CPU thread keeps meanwhile", fontsize=10)
    ax.grid(axis="x", alpha=0.25)
    return drawn


def _handoffs(folder: Path, df: pd.DataFrame, table: pd.DataFrame, variants: list[str],
              names: set[str], footer: str) -> list[Path]:
    """giltest hand-offs: rate ratio to baseline per primitive, and what the CPU thread keeps."""
    every = [f"handoff_{p}{s}" for p in HANDOFF_PRIMITIVES for s in ("", "_cpu")]
    metrics = [m for m in every if m in names]
    rows = comparison_rows(table, metrics)
    if not metrics or rows.empty:
        return []
    with_cpu = [m for m in metrics if m.endswith("_cpu") and f"{m}.cpu_thread" in names]
    drawn_count = len(set(rows.variant))
    fig, (ax, share_ax) = plt.subplots(1, 2, figsize=(12, _ratio_height(metrics, drawn_count)),
                                       gridspec_kw={"width_ratios": [3, 2]})
    ticks = {m: _baseline_rate(df, m, "hand-offs/s") for m in metrics}
    xlabel = f"hand-offs/s, ratio to baseline (log; {HIGHER})"
    drawn = variant_ratio_panel(ax, rows, metrics, variants, xlabel, ticks)
    ax.set_title("hand-off rate against baseline, alone and beside a CPU-bound thread",
                 fontsize=10)
    if not (with_cpu and _share_panel(share_ax, df, with_cpu, variants)):
        share_ax.set_visible(False)
    fig.suptitle("giltest: thread hand-offs (95% bootstrap intervals over processes)")
    _variant_legend(fig, (["baseline"] if with_cpu else []) + drawn, variants)
    return _save(fig, folder, "giltest_handoffs", footer)


def _single_ratio_chart(folder: Path, name: str, title: str, rows: pd.DataFrame,
                        metrics: list[str], variants: list[str], xlabel: str,
                        ticks: dict[str, str], footer: str) -> list[Path]:
    """One ratio panel (``variant_ratio_panel``) as a chart of its own."""
    if rows.empty:
        return []
    fig, ax = plt.subplots(figsize=(10.5, _ratio_height(metrics, len(set(rows.variant)))))
    drawn = variant_ratio_panel(ax, rows, metrics, variants, xlabel, ticks)
    ax.set_title(title, fontsize=10)
    _variant_legend(fig, drawn, variants)
    return _save(fig, folder, name, footer)


def _rates(folder: Path, df: pd.DataFrame, table: pd.DataFrame, variants: list[str],
           names: set[str], footer: str) -> list[Path]:
    """giltest's CPU chunks, GIL switches and single-thread primitives: rate ratio to baseline."""
    metrics = [n for n in GILTEST_OTHERS if n in names]
    ticks = {m: _baseline_rate(df, m, "/s") for m in metrics}
    title = ("giltest: CPU chunks, sha256 hashing (GIL released) beside a CPU thread, GIL switches "
             "and single-thread primitives against baseline")
    xlabel = f"operations/s, ratio to baseline (log; {HIGHER})"
    return _single_ratio_chart(folder, "giltest_rates", title, comparison_rows(table, metrics),
                               metrics, variants, xlabel, ticks, footer)


def _latency(folder: Path, df: pd.DataFrame, table: pd.DataFrame, variants: list[str],
             names: set[str], footer: str) -> list[Path]:
    """io_latency p50 and p99 with 0/1/2 CPU threads: baseline's latency / the variant's."""
    metrics = [f"io_latency_cpu{n}.p{pct}" for n in range(3) for pct in (50, 99)
               if f"io_latency_cpu{n}.p{pct}" in names]
    ticks = {m: _baseline_ms(df, m) for m in metrics}
    title = ("io_latency: a thread blocked in recv beside 0/1/2 CPU-bound threads "
             "(median of the processes' p50 / p99)")
    xlabel = f"latency ratio, baseline / variant (log; {HIGHER}: shorter)"
    return _single_ratio_chart(folder, "io_latency", title, comparison_rows(table, metrics),
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
        shade = color(variant, variants)
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
    ax.axvline(100, color="#555555", linestyle="--", linewidth=0.9)
    ax.set_xlim(left=0)
    ax.set_yticks(range(len(gaps)))
    ax.set_yticklabels([f"one datagram\nevery {g.replace('us', ' µs').replace('ms', ' ms')}" for g in gaps],
                       fontsize=8)
    ax.set_ylim(len(gaps) - 0.5, -0.5)
    ax.set_xlabel(f"% of the CPU thread's rate alone ({HIGHER})", fontsize=9)
    ax.set_title("● CPU thread's share, ◇ 1 − IO busy share\n(the gap between them: GIL left idle)", fontsize=10)
    ax.grid(axis="x", alpha=0.25)
    return drawn


def _mixed_io(folder: Path, df: pd.DataFrame, table: pd.DataFrame, variants: list[str],
              names: set[str], footer: str) -> list[Path]:
    """mixed_io_cpu: receive latency against baseline, and the CPU share against 1 − IO busy share."""
    gaps = [g for g in MIXED_GAPS if f"mixed_io_cpu_{g}.cpu_share" in names]
    metrics = [f"mixed_io_cpu_{g}.p{pct}" for g in MIXED_GAPS for pct in (50, 99)
               if f"mixed_io_cpu_{g}.p{pct}" in names]
    rows = comparison_rows(table, metrics)
    if not gaps and rows.empty:
        return []
    fig, (ax, share_ax) = plt.subplots(1, 2, figsize=(12, _ratio_height(metrics, len(set(rows.variant)))),
                                       gridspec_kw={"width_ratios": [3, 2]})
    drawn: list[str] = []
    if rows.empty:
        ax.set_visible(False)
    else:
        xlabel = f"latency ratio, baseline / variant (log; {HIGHER}: shorter)"
        drawn = variant_ratio_panel(ax, rows, metrics, variants, xlabel,
                                    {m: _baseline_ms(df, m) for m in metrics})
        ax.set_title("receive latency (median of the processes' p50 / p99) against baseline", fontsize=10)
    if not (gaps and _idle_gil_panel(share_ax, df, gaps, variants)):
        share_ax.set_visible(False)
    fig.suptitle("mixed_io_cpu: paced UDP datagrams, ~20 µs of Python work each, beside a CPU-bound thread")
    _variant_legend(fig, (["baseline"] if gaps else []) + drawn, variants)
    return _save(fig, folder, "mixed_io", footer)


def _server(folder: Path, df: pd.DataFrame, table: pd.DataFrame, variants: list[str],
            names: set[str], footer: str) -> list[Path]:
    """testserver requests/s per scenario, alone and beside a CPU thread: ratio to baseline."""
    every = [s + suffix for s in SERVER_SCENARIOS for suffix in ("", "_cpu")]
    metrics = [m for m in every if m in names]
    ticks = {m: _baseline_rate(df, m, "req/s") for m in metrics}
    title = ("testserver: thread-pool HTTP server under a real load generator "
             "(_cpu: a CPU-bound thread beside)")
    return _single_ratio_chart(folder, "server_rps", title, comparison_rows(table, metrics),
                               metrics, variants, f"requests/s, ratio to baseline (log; {HIGHER})",
                               ticks, footer)


PRESIZED = ("literal", "dict_zip", "copy")  # constructions that know their size up front


def size_ratios(sizes: pd.DataFrame, variant: str) -> pd.DataFrame:
    """getsizeof of ``variant`` over baseline's at each n, key type and construction."""
    index = ["n", "keys", "built_by"]
    base = sizes[sizes.variant == "baseline"].set_index(index)["bytes"]
    mine = sizes[sizes.variant == variant].set_index(index)["bytes"]
    return (mine / base).dropna().rename("ratio").reset_index()


def _size_panel(ax, ratios: pd.DataFrame, shade: str) -> None:
    """One variant's size ratio against n: per construction group, a line and a band (key types)."""
    presized = ratios.built_by.isin(PRESIZED)
    for label, mask, style in (("one at a time", ~presized, "-"), ("presized", presized, "--")):
        part = ratios[mask]
        if part.empty:
            continue
        by_n = part.groupby("n").ratio
        n, low, high, mid = by_n.min().index, by_n.min(), by_n.max(), by_n.median()
        ax.fill_between(n, low, high, step="post", color=shade, alpha=0.18, linewidth=0)
        ax.step(n, mid, where="post", color=shade, linestyle=style, linewidth=1.5, label=label)
    ax.axhline(1.0, color="#555555", linestyle=":", linewidth=0.9)
    ax.grid(alpha=0.25)


def _dict_sizes(folder: Path, sizes: pd.DataFrame, variants: list[str], footer: str) -> list[Path]:
    """sys.getsizeof as a ratio to baseline against the item count: one small panel per variant."""
    if sizes.empty or "baseline" not in set(sizes.variant):
        return []
    shown = [v for v in variants if v != "baseline" and (sizes.variant == v).any()]
    if not shown:
        return []
    cols = min(3, len(shown))
    rows = (len(shown) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.3 * cols + 0.6, 2.9 * rows + 1.4), sharex=True,
                             sharey=True, squeeze=False)
    for ax, variant in zip(axes.flat, shown):
        ratios = size_ratios(sizes, variant)
        _size_panel(ax, ratios, color(variant, variants))
        mean = ratios[ratios.n >= 1].ratio.mean()
        shade = color(variant, variants)
        ax.set_title(f"{short_label(variant)}: mean {mean:.2f}× (n ≥ 1)", fontsize=9,
                     color="#000000" if shade == "#F0E442" else shade)  # yellow text is unreadable
    for ax in axes.flat[len(shown):]:
        ax.set_visible(False)
    for row in axes:
        row[0].set_ylabel(f"getsizeof / baseline's\n({LOWER})", fontsize=8)
    for ax in axes[-1]:
        ax.set_xlabel("items in the dict", fontsize=8)
    kinds = (("-", "built one item at a time (insertion, comprehension)"),
             ("--", "presized (literal, dict(zip()), copy)"))
    styles = [plt.Line2D([], [], color="#333333", linestyle=s, label=t) for s, t in kinds]
    styles.append(matplotlib.patches.Patch(color="#333333", alpha=0.18,
                                           label="band: int to str keys"))
    fig.suptitle("dict size against baseline by number of items (sys.getsizeof; dotted: baseline)")
    _legend_below(fig, styles)
    return _save(fig, folder, "dict_sizes", footer)


def draw_all(folder: Path, df: pd.DataFrame, sizes: pd.DataFrame, table: pd.DataFrame,
             variants: list[str], footer: str = "") -> list[Path]:
    """Draw every chart the data allows, each with ``footer`` (machine, run, mode) under it.

    Returns the files written. Comparisons are ratios to baseline with 95% intervals
    (``table``, the report's comparison table), each axis says which way is better.
    """
    folder.mkdir(parents=True, exist_ok=True)
    names = set(df.benchmark) if not df.empty else set()
    written: list[Path] = []
    written += _handoffs(folder, df, table, variants, names, footer)
    written += _rates(folder, df, table, variants, names, footer)
    written += _latency(folder, df, table, variants, names, footer)
    written += _mixed_io(folder, df, table, variants, names, footer)
    written += _server(folder, df, table, variants, names, footer)
    written += _dict_sizes(folder, sizes, variants, footer)
    written += _memory_vs_speed(folder, table, variants, sizes, footer, df)
    written += _pyperformance(folder, table, footer, df)
    return written


def _pyperformance(folder: Path, table: pd.DataFrame, footer: str = "",
                   df: pd.DataFrame | None = None) -> list[Path]:
    """One dot per pyperformance benchmark and variant, time and memory, a panel per variant.

    Each panel has its own x range and, on top, the suite's geometric mean [95% CI].
    """
    if table.empty or "ratio" not in table:
        return []
    written = []
    kinds = (("time", "speed", f"rate ratio to baseline (log; {HIGHER}: faster)", True),
             ("memory", "peak memory", f"peak memory ratio to baseline (log; {LOWER}: smaller)",
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
        written += ratio_dots(folder, f"pyperformance_{kind}", rows, facet="variant",
                              title=f"pyperformance: {what} of each benchmark against baseline "
                                    "(95% intervals)",
                              xlabel=xlabel, footer=footer, sharex=False, geomeans=means)
    return written


def _legend_below(fig, handles: list) -> None:
    """One legend for the whole figure, under the plots (``_save`` makes room for it)."""
    fig.legend(handles=handles, fontsize=8, loc="lower center", ncol=min(5, len(handles)) or 1,
               frameon=False)


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
    """A legend-sized name: the sweep grid's alias, else the dict knobs spelled out.

    ``tight_dict+dict-growth3_2`` (a grid point) -> ``growth 3/2``;
    ``tight_dict+dict-growth9_8-entries_min2`` -> ``tight_dict growth 9/8, entries_min 2``.
    """
    point = grid_aliases().get(variant)
    if point is not None:
        return point.alias
    if "+dict-" not in variant:
        return variant
    base, _, slug = variant.partition("+")
    return f"{base} " + ", ".join(f"{knob} {value}" for knob, value in parse_slug(slug).items())


def _speed_geomeans(df: pd.DataFrame | None, table: pd.DataFrame,
                    variants: list[str]) -> dict[str, tuple[float, float, float]]:
    """Per variant: geometric mean rate ratio of the dict speed benchmarks [95% CI] (baseline 1)."""
    out = {"baseline": (1.0, 1.0, 1.0)}
    speed = table[(table.source == "dict_memory.speed") & table.ratio.notna()]
    for v in variants:
        if v == "baseline" or not (speed.variant == v).any():
            continue
        found = suite_geomean(df, "dict_memory.speed", v, invert=True, seed=f"geomean/dict/{v}") \
            if df is not None else None
        point = float(np.exp(np.log(speed[speed.variant == v].ratio).mean()))
        out[v] = found[:3] if found is not None else (point, float("nan"), float("nan"))
    return out


def _memory_panels(table: pd.DataFrame, variants: list[str],
                   sizes: pd.DataFrame | None) -> list[tuple[str, dict[str, float]]]:
    """(y label, memory ratio per variant) for the JSON-corpus peak and, with sizes, getsizeof."""
    memory = table[(table.benchmark == "mem_json_corpus.tracemalloc") & table.ratio.notna()]
    panels = [(f"JSON corpus peak (tracemalloc) / baseline's ({LOWER})",
               {v: float(memory[memory.variant == v].ratio.iloc[0]) for v in variants
                if (memory.variant == v).any()})]
    if sizes is not None and not sizes.empty and "baseline" in set(sizes.variant):
        mean_size = {}
        for v in variants:
            ratios = size_ratios(sizes, v)
            if len(ratios[ratios.n >= 1]):
                mean_size[v] = float(ratios[ratios.n >= 1].ratio.mean())
        panels.append((f"mean sys.getsizeof / baseline's, n = 1..100 ({LOWER})", mean_size))
    for panel in panels:
        panel[1]["baseline"] = 1.0
    return panels


def _memory_vs_speed(folder: Path, table: pd.DataFrame, variants: list[str],
                     sizes: pd.DataFrame | None = None, footer: str = "",
                     df: pd.DataFrame | None = None) -> list[Path]:
    """One point per variant: dict speed (geometric mean rate ratio, 95% interval) against memory.

    Left: JSON-corpus peak (tracemalloc) ratio. Right, when the size table is there:
    mean sys.getsizeof ratio over n = 1..100, every key type and construction. The
    Pareto front (faster or smaller than every other point) is joined and ringed. The
    memory meters are deterministic, so only speed has an interval.
    """
    if table.empty or "ratio" not in table:
        return []
    speed = _speed_geomeans(df, table, variants)
    if len(speed) < 2 or not (table.benchmark == "mem_json_corpus.tracemalloc").any():
        return []
    panels = _memory_panels(table, variants, sizes)
    fig, axes = plt.subplots(1, len(panels), figsize=(6.2 * len(panels), 5.4), squeeze=False)
    for ax, (ylabel, y_of) in zip(axes[0], panels):
        points = {v: (speed[v][0], y_of[v]) for v in variants if v in speed and v in y_of}
        front = pareto_front(points)
        fx, fy = [points[v][0] for v in front], [points[v][1] for v in front]
        ax.plot(fx, fy, color="black", lw=1, ls="--", zorder=2)
        ax.scatter(fx, fy, s=190, facecolors="none", edgecolors="black", lw=1.2, zorder=4)
        for v, (x, y) in points.items():
            _, low, high = speed[v]
            if v != "baseline" and np.isfinite(low) and np.isfinite(high):
                ax.errorbar([x], [y], xerr=[[x - low], [high - x]], color=color(v, variants),
                            capsize=3, lw=1.4, zorder=3)
            marker, size = ("*", 200) if v == "baseline" else ("o", 60)
            ax.scatter([x], [y], marker=marker, s=size, color=color(v, variants), zorder=5,
                       edgecolors="#333333", linewidths=0.5)
        ax.axhline(1.0, color="grey", lw=0.6)
        ax.axvline(1.0, color="grey", lw=0.6)
        ax.set_xlabel(f"dict speed / baseline's (geometric mean rate ratio, 95% CI; {HIGHER})",
                      fontsize=9)
        ax.set_ylabel(ylabel, fontsize=9)
        ax.grid(alpha=0.3)
    fig.suptitle("dict memory against speed, one point per build (ringed and dashed: the "
                 "Pareto front; best is bottom right)", fontsize=11)
    handles = [plt.Line2D([], [], marker="*" if v == "baseline" else "o", linestyle="",
                          markersize=9, color=color(v, variants), label=short_label(v))
               for v in variants if v in speed]
    handles.append(plt.Line2D([], [], color="black", linestyle="--", marker="o",
                              markerfacecolor="none", markersize=9, label="Pareto front"))
    _legend_below(fig, handles)
    return _save(fig, folder, "dict_memory_vs_speed", footer)


# ---------------------------------------------------------------- ratio dot plots

# A verdict is drawn by shape, not colour: every Okabe-Ito colour already names a variant.
VERDICT_MARKERS = {"better": ("^", "#000000"), "worse": ("v", "#000000")}
INSIGNIFICANT = ("o", "#b0b0b0")
GEOMEAN_MARKER = "D"


def _dot_row(ax, y: float, ratio: float, low: float, high: float, marker: str, shade: str,
             size: float = 5) -> None:
    """One ratio with its interval on a dot-plot row."""
    if np.isfinite(low) and np.isfinite(high):
        ax.plot([low, high], [y, y], color=shade, linewidth=1.5)
    ax.plot([ratio], [y], marker, color=shade, markersize=size)


def _dot_legend(fig, with_geomean: bool) -> None:
    """The verdict shapes (and the geometric-mean diamond) under a ratio dot plot."""
    shapes = (("better (BH q < 5%)", VERDICT_MARKERS["better"]),
              ("worse (BH q < 5%)", VERDICT_MARKERS["worse"]), ("not significant", INSIGNIFICANT))
    handles = [plt.Line2D([], [], marker=m, linestyle="", color=c, label=label)
               for label, (m, c) in shapes]
    if with_geomean:
        handles.append(plt.Line2D([], [], marker=GEOMEAN_MARKER, linestyle="", color="#333333",
                                  label="geometric mean [95% CI], in the variant's colour"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, frameon=False)


def _two_lines(label: str, room: int = 44) -> str:
    """A long axis label broken before its parenthesis, so narrow panels' labels do not collide."""
    if len(label) <= room or " (" not in label:
        return label
    head, _, tail = label.partition(" (")
    return f"{head}\n({tail}"


def _ratio_text(point: float, low: float, high: float) -> str:
    """'0.686× [0.682–0.692]', or without the interval when it is unknown."""
    if np.isfinite(low) and np.isfinite(high):
        return f"{point:.3f}× [{low:.3f}–{high:.3f}]"
    return f"{point:.3f}×"


def ratio_dots(folder: Path, name: str, rows: pd.DataFrame, facet: str, title: str, xlabel: str,
               footer: str = "", sharex: bool = True,
               geomeans: dict[str, tuple[float, float, float]] | None = None) -> list[Path]:
    """A dot per benchmark and facet: ratio to baseline with its 95% interval, log x.

    ``rows`` has columns benchmark, ratio, ci_low, ci_high, verdict and ``facet``
    (e.g. platform or variant). The verdict is the shape (▲ better, ▼ worse, grey dot
    not significant); a dashed line marks 1 (same as baseline). One panel per facet
    value, benchmarks on a shared y axis so a row reads across panels; ``sharex=False``
    gives each panel its own x range. ``geomeans`` (facet value -> point, low, high)
    adds a top row with the geometric mean as a diamond (the variant's colour when
    the facets are variants).
    """
    rows = rows.dropna(subset=["ratio"])
    if rows.empty:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    facets = list(dict.fromkeys(rows[facet]))
    benchmarks = sorted(set(rows.benchmark), reverse=True)
    position = {b: i for i, b in enumerate(benchmarks)}
    top = len(benchmarks) + 0.5  # the geometric mean's row, above a rule
    size = (3.6 + 3.0 * len(facets), 1.6 + 0.24 * len(benchmarks))
    fig, axes = plt.subplots(1, len(facets), figsize=size, sharey=True, sharex=sharex,
                             squeeze=False)
    for ax, value in zip(axes[0], facets):
        part = rows[rows[facet] == value]
        xs = list(part.ratio) + list(part.ci_low) + list(part.ci_high)
        for r in part.itertuples():
            marker, shade = VERDICT_MARKERS.get(r.verdict, INSIGNIFICANT)
            _dot_row(ax, position[r.benchmark], r.ratio, r.ci_low, r.ci_high, marker, shade)
        if geomeans and value in geomeans:
            point, low, high = geomeans[value]
            shade = color(str(value), facets) if facet == "variant" else "#000000"
            _dot_row(ax, top, point, low, high, GEOMEAN_MARKER, shade, size=7)
            ax.annotate(_ratio_text(point, low, high), (point, top), xytext=(0, 6),
                        textcoords="offset points", ha="center", va="bottom", fontsize=7)
            ax.axhline(len(benchmarks) - 0.25, color="#999999", linewidth=0.6)
            xs += [point, low, high]
        ax.axvline(1.0, color="#555555", linestyle="--", linewidth=0.8)
        ax.set_xscale("log")
        if not sharex:
            ax.set_xlim(*_log_limits(xs))
        ax.tick_params(axis="x", which="both", labelsize=7)
        ax.set_title(str(value), fontsize=10)
        ax.set_xlabel(_two_lines(xlabel), fontsize=8)
        ax.grid(axis="x", alpha=0.3)
    if sharex:
        low, high = _log_limits(list(rows.ratio) + list(rows.ci_low) + list(rows.ci_high))
        axes[0][0].set_xlim(low, high)
    for ax in axes[0]:
        _plain_log(ax.xaxis, *ax.get_xlim())
    ticks = list(range(len(benchmarks))) + ([top] if geomeans else [])
    axes[0][0].set_yticks(ticks)
    axes[0][0].set_yticklabels(benchmarks + (["geometric mean"] if geomeans else []), fontsize=7)
    if geomeans:
        axes[0][0].get_yticklabels()[-1].set_fontweight("bold")
    _dot_legend(fig, bool(geomeans))
    fig.suptitle(title, fontsize=11)
    return _save(fig, folder, name, footer)
