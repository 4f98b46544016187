"""The charts of a fixture run that has every benchmark family: which files, what they draw.

Figures are caught just before they are written (``charts.save``), so the tests read
the axes themselves: ratios and intervals from the report's comparison table, a line
at 1, a label that says which way is better, no bars.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from pyperf_fixtures import write_two_variant_run
from scripts import charts, report
from scripts.views import dict_memory

CHARTS = ("giltest_handoffs", "giltest_rates", "io_latency", "mixed_io", "server_rps", "dict_sizes",
          "dict_memory_vs_speed", "pyperformance_time", "pyperformance_memory")


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """The report tests' two-variant run, with testserver and pyperformance files too."""
    return write_two_variant_run(tmp_path, full=True)


@pytest.fixture
def figures(run_dir: Path, monkeypatch: pytest.MonkeyPatch):
    """Every figure the report draws, by chart name, caught before it is saved and closed."""
    caught: dict[str, plt.Figure] = {}
    save = charts.save

    def keep(fig, folder, name, footer=""):
        caught[name] = fig
        fig.canvas.draw()  # lay out and render, as saving would, but keep the figure open
        return save(plt.figure(), folder, name, footer)

    monkeypatch.setattr(charts, "save", keep)
    report.write_report(run_dir)
    yield caught
    for fig in caught.values():
        plt.close(fig)


def _texts(fig: plt.Figure) -> str:
    """Every axis label and title of a figure, and its legends' entries, as one string."""
    parts = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        parts += [ax.get_xlabel(), ax.get_ylabel(), ax.get_title()]
    for legend in fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]:
        parts += [t.get_text() for t in legend.get_texts()]
    return "\n".join(parts)


def test_every_chart_is_written_once_as_png_and_svg_and_linked(run_dir: Path):
    text = report.write_report(run_dir).read_text()
    folder = run_dir / "charts"
    expected = sorted(f"{c}{s}" for c in CHARTS for s in (".png", ".svg"))
    assert sorted(p.name for p in folder.iterdir()) == expected
    for name in CHARTS:
        assert (folder / f"{name}.png").stat().st_size > 5000, name
        assert f"](charts/{name}.png)" in text


def test_every_chart_regenerates_byte_identically(run_dir: Path):
    report.write_report(run_dir)
    first = {p.name: p.read_bytes() for p in (run_dir / "charts").iterdir()}
    report.write_report(run_dir)
    assert {p.name: p.read_bytes() for p in (run_dir / "charts").iterdir()} == first


def test_every_chart_says_which_way_is_better_and_draws_no_bars(figures: dict[str, plt.Figure]):
    assert sorted(figures) == sorted(CHARTS)
    for name, fig in figures.items():
        assert "is better" in _texts(fig), name
        bars = [p for ax in fig.axes for p in ax.patches if isinstance(p, plt.Rectangle)]
        assert not bars, name


def test_every_chart_has_the_footer(figures: dict[str, plt.Figure], run_dir: Path):
    report.write_report(run_dir)
    svg = (run_dir / "charts" / "giltest_handoffs.svg").read_text()
    assert "20260101T000000Z" in svg and "QUICK" in svg and "flavor release" in svg


def _dots(ax) -> dict[float, tuple[float, float]]:
    """Marker points of an axis (y -> x) and interval lines (y -> (low, high))."""
    points, spans = {}, {}
    for line in ax.lines:
        xs, ys = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
        if len(xs) == 1:
            points[round(float(ys[0]), 6)] = float(xs[0])
        elif len(xs) == 2 and ys[0] == ys[1]:
            spans[round(float(ys[0]), 6)] = (float(xs[0]), float(xs[1]))
    return points, spans


def test_handoff_chart_is_the_ratio_with_its_interval_and_a_line_at_one(figures, run_dir: Path):
    fig = figures["giltest_handoffs"]
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and "higher is better" in ax.get_xlabel()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[1].startswith("handoff_lock_cpu\nbaseline 250 hand-offs/s")
    table = report.comparison_table(report.load_values(run_dir), ["baseline", "fast"])
    row = table[(table.benchmark == "handoff_lock_cpu") & (table.variant == "fast")].iloc[0]
    points, spans = _dots(ax)
    assert points[1.0] == pytest.approx(2.0, rel=1e-3) == pytest.approx(row.ratio)
    assert spans[1.0] == pytest.approx((row.ci_low, row.ci_high))
    assert any(list(line.get_xdata()) == [1.0, 1.0] for line in ax.lines)  # the reference line at 1
    marker = next(line for line in ax.lines if len(line.get_xdata()) == 1)
    assert marker.get_color() == charts.color("fast", ["baseline", "fast"])


def test_dict_sizes_are_ratios_to_baseline_against_items(figures, run_dir: Path):
    sizes = dict_memory.load_sizes(run_dir)
    ratios = dict_memory.size_ratios(sizes, "fast")
    assert len(ratios) == 101 * 2 and np.allclose(ratios.ratio, 0.75)
    ax = figures["dict_sizes"].axes[0]
    drawn = [line for line in ax.lines if len(line.get_xdata()) > 2]
    assert drawn and np.allclose(drawn[0].get_ydata(), 0.75)
    assert "lower is better" in ax.get_ylabel() and "items" in ax.get_xlabel()


def test_memory_vs_speed_has_speed_intervals(figures):
    ax = figures["dict_memory_vs_speed"].axes[0]
    bars = [c for c in ax.containers if hasattr(c, "has_xerr") and c.has_xerr]
    assert len(bars) == 1  # 'fast' (baseline is the reference, exactly 1)
    (low, high), = [seg[:, 0] for seg in bars[0].lines[2][0].get_segments()]
    assert low < 3 / 3.3 < high


def test_pyperformance_panels_have_own_ranges_and_a_geometric_mean(tmp_path: Path):
    rows = pd.DataFrame({"benchmark": ["a", "b", "a", "b"], "variant": ["x", "x", "y", "y"],
                         "ratio": [0.9, 1.1, 3.0, 4.0], "ci_low": [0.85, 1.0, 2.5, 3.5],
                         "ci_high": [0.95, 1.2, 3.5, 4.5],
                         "verdict": ["worse", "better", "better", "better"]})
    caught = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(charts, "save", lambda fig, _dir, name, *_: caught.setdefault(name, fig))
        charts.ratio_dots(tmp_path, "dots", rows, facet="variant", title="t",
                          xlabel="x (higher is better)", sharex=False,
                          geomeans={"x": (0.99, 0.9, 1.1), "y": (3.46, 3.0, 4.0)})
    first, second = caught["dots"].axes
    assert first.get_xlim()[0] <= 0.85 and first.get_xlim()[1] < 1.5  # each panel its own range,
    assert second.get_xlim()[1] >= 4.5  # 1 (baseline) always in it
    assert "geometric mean" in [t.get_text() for t in first.get_yticklabels()]
    diamonds = [line for line in second.lines if line.get_marker() == charts.GEOMEAN_MARKER]
    assert len(diamonds) == 1 and list(diamonds[0].get_xdata()) == [3.46]
    assert diamonds[0].get_color() == charts.color("y", ["x", "y"])


def test_footer_breaks_into_lines_that_fit():
    footer = " · ".join(f"part{i:02d} " + "x" * 30 for i in range(8))
    lines = charts.footer_lines(footer, 6.0)
    assert len(lines) > 1 and " · ".join(lines) == footer
    assert all(len(line) <= 6.0 / charts.FOOTER_CHAR_INCHES for line in lines)
    assert charts.footer_lines(footer, 40.0) == [footer]


def test_mixed_io_chart_sets_the_cpu_share_beside_what_the_io_thread_leaves(figures):
    """Left: latency ratios to baseline; right: ● CPU share against ◇ 1 − IO busy share, per gap."""
    fig = figures["mixed_io"]
    latency, shares = fig.axes[:2]
    labels = [t.get_text() for t in latency.get_yticklabels()]
    assert labels[0].startswith("mixed_io_cpu_2ms.p50\nbaseline 5 ms")
    points, _ = _dots(latency)
    assert points[0.0] == pytest.approx(25.0, rel=0.05)  # 5 ms against 0.2 ms
    assert [t.get_text() for t in shares.get_yticklabels()][1] == "one datagram\nevery 500 µs"
    dots = [(line.get_marker(), float(line.get_xdata()[0])) for line in shares.lines if len(line.get_xdata()) == 1]
    fast = charts.color("fast", ["baseline", "fast"])
    mine = [(m, x) for (m, x), line in zip(dots, [ln for ln in shares.lines if len(ln.get_xdata()) == 1])
            if fast in (line.get_color(), line.get_markeredgecolor())]
    assert ("o", pytest.approx(60.0, rel=0.01)) in mine and ("D", pytest.approx(95.0, rel=0.01)) in mine
    assert "GIL left idle" in shares.get_title()


def test_long_titles_stay_inside_the_figure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A title longer than its figure is broken into lines, not cut off at the edge (giltest_rates' was)."""
    monkeypatch.setattr(charts.plt, "close", lambda fig: None)  # keep the figure to measure it
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([0, 1], [0, 1])
    ax.set_title("an axes title that is far too long for an axes of this width " * 2)
    fig.suptitle("a figure title that is far too long for a figure six inches wide " * 2)
    charts.save(fig, tmp_path, "long_titles", footer="machine · run")
    renderer = fig.canvas.get_renderer()
    figure_box = fig.bbox
    for title in (fig._suptitle, ax.title):
        box = title.get_window_extent(renderer)
        assert box.x0 >= figure_box.x0 - 1 and box.x1 <= figure_box.x1 + 1, title.get_text()
    plt.close(fig)
