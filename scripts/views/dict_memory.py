"""dict_memory's view: dict sizes (sys.getsizeof tables), dict memory against speed.

Its report sections are the getsizeof tables of a few sizes with the ratio to baseline
over n = 1..100, and the memory-against-speed table with its Pareto front; its charts
are the size ratios against the item count and the memory-against-speed scatter. The
instruction counts of the same benchmark have their own view (``views.instructions``).
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import matplotlib.patches
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import charts
from .. import results_layout as layout
from ..stats import suite_geomean
from ..tables import md_table
from .base import Run, View


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


# ---------------------------------------------------------------- charts


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
        _size_panel(ax, ratios, charts.color(variant, variants))
        mean = ratios[ratios.n >= 1].ratio.mean()
        shade = charts.color(variant, variants)
        ax.set_title(f"{charts.short_label(variant)}: mean {mean:.2f}× (n ≥ 1)", fontsize=9,
                     color="#000000" if shade == "#F0E442" else shade)  # yellow text is unreadable
    for ax in axes.flat[len(shown):]:
        ax.set_visible(False)
    for row in axes:
        row[0].set_ylabel(f"getsizeof / baseline's\n({charts.LOWER})", fontsize=8)
    for ax in axes[-1]:
        ax.set_xlabel("items in the dict", fontsize=8)
    kinds = (("-", "built one item at a time (insertion, comprehension)"),
             ("--", "presized (literal, dict(zip()), copy)"))
    styles = [plt.Line2D([], [], color="#333333", linestyle=s, label=t) for s, t in kinds]
    styles.append(matplotlib.patches.Patch(color="#333333", alpha=0.18,
                                           label="band: int to str keys"))
    fig.suptitle("dict size against baseline by number of items (sys.getsizeof; dotted: baseline)")
    charts.legend_below(fig, styles)
    return charts.save(fig, folder, "dict_sizes", footer)


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
    panels = [(f"JSON corpus peak (tracemalloc) / baseline's ({charts.LOWER})",
               {v: float(memory[memory.variant == v].ratio.iloc[0]) for v in variants
                if (memory.variant == v).any()})]
    if sizes is not None and not sizes.empty and "baseline" in set(sizes.variant):
        mean_size = {}
        for v in variants:
            ratios = size_ratios(sizes, v)
            if len(ratios[ratios.n >= 1]):
                mean_size[v] = float(ratios[ratios.n >= 1].ratio.mean())
        panels.append((f"mean sys.getsizeof / baseline's, n = 1..100 ({charts.LOWER})", mean_size))
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
        front = charts.pareto_front(points)
        fx, fy = [points[v][0] for v in front], [points[v][1] for v in front]
        ax.plot(fx, fy, color="black", lw=1, ls="--", zorder=2)
        ax.scatter(fx, fy, s=190, facecolors="none", edgecolors="black", lw=1.2, zorder=4)
        for v, (x, y) in points.items():
            _, low, high = speed[v]
            if v != "baseline" and np.isfinite(low) and np.isfinite(high):
                ax.errorbar([x], [y], xerr=[[x - low], [high - x]], color=charts.color(v, variants),
                            capsize=3, lw=1.4, zorder=3)
            marker, size = ("*", 200) if v == "baseline" else ("o", 60)
            ax.scatter([x], [y], marker=marker, s=size, color=charts.color(v, variants), zorder=5,
                       edgecolors="#333333", linewidths=0.5)
        ax.axhline(1.0, color="grey", lw=0.6)
        ax.axvline(1.0, color="grey", lw=0.6)
        ax.set_xlabel(f"dict speed / baseline's (geometric mean rate ratio, 95% CI; {charts.HIGHER})",
                      fontsize=9)
        ax.set_ylabel(ylabel, fontsize=9)
        ax.grid(alpha=0.3)
    fig.suptitle("dict memory against speed, one point per build (ringed and dashed: the "
                 "Pareto front; best is bottom right)", fontsize=11)
    handles = [plt.Line2D([], [], marker="*" if v == "baseline" else "o", linestyle="",
                          markersize=9, color=charts.color(v, variants), label=charts.short_label(v))
               for v in variants if v in speed]
    handles.append(plt.Line2D([], [], color="black", linestyle="--", marker="o",
                              markerfacecolor="none", markersize=9, label="Pareto front"))
    charts.legend_below(fig, handles)
    return charts.save(fig, folder, "dict_memory_vs_speed", footer)


# ---------------------------------------------------------------- the view


SHOWN_SIZES = [0, 1, 5, 8, 10, 11, 21, 22, 42, 43, 85, 86, 100]  # the item counts the size tables print


def size_sections(sizes: pd.DataFrame, variants: list[str]) -> list[str]:
    """The getsizeof tables (insertion and literal at a few sizes) and their ratio to baseline."""
    if sizes.empty:
        return []
    out = ["## dict sizes (sys.getsizeof, bytes)", ""]
    picked = sizes[sizes.n.isin(SHOWN_SIZES)]
    picked = picked[picked.built_by.isin(["insertion", "literal"])]
    for keys, part in picked.groupby("keys"):
        pivot = part.pivot_table(index="n", columns=["variant", "built_by"], values="bytes")
        pivot = pivot[[c for v in variants for c in pivot.columns if c[0] == v]]
        pivot.columns = [f"{v} ({b})" for v, b in pivot.columns]
        out += [f"{keys} keys (every construction is in the JSON; insertion and literal shown):", "",
                md_table(pivot, "n"), ""]
    size_summary = dict_size_summary(sizes, variants)
    if not size_summary.empty:
        out += ["Ratio to baseline over n = 1..100:", "", md_table(size_summary.set_index("variant"), "variant"), ""]
    return out


def sections(run: Run) -> list[str]:
    """The size tables, then dict memory against speed (none of either without their rows)."""
    sizes = load_sizes(run.path)
    out = size_sections(sizes, run.variants)
    tradeoff = dict_tradeoff(run.table, sizes, run.variants)
    if not tradeoff.empty:
        out += ["## dict memory against speed", "",
                "Ratios to baseline. Speed: geometric mean of the dict speed benchmarks' rate ratios (above 1 is "
                "faster). Memory: JSON-corpus and other workload peaks (tracemalloc) and sys.getsizeof over n = 1..100 "
                "(below 1 is smaller; presized = literal, dict(zip()) and copy).", "",
                md_table(tradeoff, "variant"), ""]
    return out


def draw(run: Run, folder: Path) -> list[Path]:
    """dict_sizes and dict_memory_vs_speed, each when the run has its rows."""
    sizes = load_sizes(run.path)
    return [*_dict_sizes(folder, sizes, run.variants, run.footer),
            *_memory_vs_speed(folder, run.table, run.variants, sizes, run.footer, run.values)]


VIEW = View("dict_memory", "dict_memory", sections, draw)
