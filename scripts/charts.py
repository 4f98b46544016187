"""The charts' generic machinery: palette, footer, ratio dot plots, legends, saving.

Each benchmark family draws its own charts in its view (scripts/views/), from these
parts and from the run's values alone (PNG for the README, SVG for print); nothing here
names a benchmark row. Every comparison is a ratio to baseline with its 95% bootstrap
interval over worker processes (the report's comparison table), drawn as a dot on a log
axis with a dashed line at 1 and an axis label that says which way is better; never
bars on a log axis. Each variant keeps one Okabe-Ito colour in every chart (``color``); a verdict is drawn
by fill or shape, never by colour. Every chart carries a footer naming the machine,
run, flavor, mode and date (``save``).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib
import matplotlib.patches
import matplotlib.ticker

matplotlib.use("Agg")  # no display on build machines
matplotlib.rcParams["svg.hashsalt"] = "cpython-plus"  # stable ids: a regenerated SVG is byte-identical
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .patch_hooks import settings  # noqa: E402
from .stats import rate, values_of  # noqa: E402
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
TITLE_CHAR_EMS = 0.6  # a title character's mean width in ems (DejaVu Sans), for line breaks


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


def _wrap(text, width_inches: float) -> None:
    """Break a title into lines of about ``width_inches`` unless it already has its own breaks."""
    if text is None or not text.get_text() or "\n" in text.get_text():
        return
    room = max(30, int(width_inches * 72 / (text.get_fontsize() * TITLE_CHAR_EMS)))
    text.set_text(textwrap.fill(text.get_text(), room))


def _wrap_titles(fig, width_inches: float) -> None:
    """Fit the figure title to the figure and each axes title to its axes, so none is cut off."""
    _wrap(fig._suptitle, width_inches)  # matplotlib keeps the suptitle here; no public getter
    for ax in fig.axes:
        _wrap(ax.title, ax.get_position().width * width_inches)


def save(fig, folder: Path, name: str, footer: str = "") -> list[Path]:
    """Write the figure as PNG and SVG, ``footer`` (the machine and run it shows) along its bottom.

    Footer, then the figure legend (if any), then the axes, from the bottom up: none
    overlaps another whatever the footer's length.
    """
    paths = [folder / f"{name}.png", folder / f"{name}.svg"]
    width, height = fig.get_size_inches()
    _wrap_titles(fig, width)
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
SIGNIFICANT = ("better", "worse")


def stored_unit(df: pd.DataFrame, benchmark: str) -> str:
    """The stored unit of a metric ('second' when the run does not have it)."""
    hit = df.loc[df.benchmark == benchmark, "unit"]
    return str(hit.iloc[0]) if len(hit) else "second"


def baseline_rate(df: pd.DataFrame, benchmark: str, what: str) -> str:
    """Baseline's rate of a metric over its processes, e.g. '412 hand-offs/s' ('' without one)."""
    vals = values_of(df, benchmark, "baseline")
    if not len(vals):
        return ""
    point = rate(vals, f"{benchmark}/baseline", unit=stored_unit(df, benchmark))[0]
    return f"baseline {point:,.0f} {what}"


def baseline_ms(df: pd.DataFrame, benchmark: str) -> str:
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


def variant_legend(fig, drawn: list[str], variants: list[str], fill_note: bool = True) -> None:
    """One legend under the plots: a dot per variant in its colour, and what a filled dot means."""
    handles = [plt.Line2D([], [], marker="o", linestyle="", color=color(v, variants), markersize=7,
                          label=short_label(v)) for v in drawn]
    if fill_note:
        # grey, not black: a black dot is baseline's colour, and the key must not read as a variant
        dot = {"marker": "o", "linestyle": "", "color": "#999999", "markeredgecolor": "#555555"}
        handles += [plt.Line2D([], [], label="filled: BH q < 5%", **dot),
                    plt.Line2D([], [], markerfacecolor="white", label="hollow: not significant",
                               **dot)]
    legend_below(fig, handles)


def ratio_height(metrics: list[str], drawn: int) -> float:
    """Figure height (inches) for a ratio panel of these rows and variants per row."""
    return 2.0 + len(metrics) * (0.32 + 0.1 * drawn)


def single_ratio_chart(folder: Path, name: str, title: str, rows: pd.DataFrame,
                        metrics: list[str], variants: list[str], xlabel: str,
                        ticks: dict[str, str], footer: str) -> list[Path]:
    """One ratio panel (``variant_ratio_panel``) as a chart of its own."""
    if rows.empty:
        return []
    fig, ax = plt.subplots(figsize=(10.5, ratio_height(metrics, len(set(rows.variant)))))
    drawn = variant_ratio_panel(ax, rows, metrics, variants, xlabel, ticks)
    ax.set_title(title, fontsize=10)
    variant_legend(fig, drawn, variants)
    return save(fig, folder, name, footer)


def legend_below(fig, handles: list) -> None:
    """One legend for the whole figure, under the plots (``save`` makes room for it)."""
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
    """A legend-sized name: the sweep grid's alias, else the build setting spelled out.

    ``tight_dict+dict-growth3_2`` (a grid point) -> ``growth 3/2``;
    ``tight_dict+dict-growth9_8-entries_min2`` -> ``tight_dict growth 9/8, entries_min 2``
    (the setting's hook, scripts/patch_hooks/settings.py).
    """
    point = grid_aliases().get(variant)
    if point is not None:
        return point.alias
    return settings.legend(variant)


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
    return save(fig, folder, name, footer)
