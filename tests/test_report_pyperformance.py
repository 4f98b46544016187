"""The report's pyperformance section on a fixture run: geometric means, intervals, charts.

Values are chosen so the answers are known: on 'fast', json_loads runs at 2x
baseline's rate and nbody at 0.5x, so the geometric mean of speed is exactly 1; on
'lean', memory is 0.8x on both benchmarks and speed does not change.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pyperf_fixtures import process_suite
from scripts import charts, report
from scripts.stats import geomean_ratio
from scripts.views import pyperformance

PROCESSES = 6


def processes(center: float, spread: float = 0.01) -> list[list[float]]:
    """PROCESSES worker processes of 3 values around ``center``; processes differ more than values."""
    shifts = np.linspace(-spread, spread, PROCESSES)
    return [[center * (1 + s) * (1 + d) for d in (-0.001, 0.0, 0.001)] for s in shifts]


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    run = tmp_path / "results" / "linux-x86_64-2cpu" / "3.13.5" / "20260101T000000Z"
    plan = {"variants": ["baseline", "fast", "lean"], "benches": ["pyperformance"], "flavor": "release",
            "quick": False, "rounds": 3, "processes": 2, "pyperformance": "subset"}
    run.mkdir(parents=True)
    (run / "plan.json").write_text(json.dumps({"plan": plan}))
    times = {"baseline": (10e-3, 40e-3), "fast": (5e-3, 80e-3), "lean": (10e-3, 40e-3)}
    memory = {"baseline": 50e6, "fast": 50e6, "lean": 40e6}
    for variant in plan["variants"]:
        (run / variant).mkdir()
        json_loads, nbody = times[variant]
        process_suite({"json_loads": processes(json_loads), "nbody": processes(nbody)}).dump(
            str(run / variant / "pyperformance.time.dict.json"))
        process_suite({"json_loads": processes(memory[variant], 0.0), "nbody": processes(memory[variant], 0.0)},
                      unit="byte").dump(str(run / variant / "pyperformance.memory.dict.json"))
    return run


def test_values_become_one_sample_per_process(run_dir: Path):
    df = report.load_values(run_dir)
    one = df[(df.variant == "fast") & (df.benchmark == "nbody") & (df.source == "pyperformance.time.dict")]
    assert len(one) == PROCESSES
    assert one.value.mean() == pytest.approx(80e-3, rel=1e-9)


def test_geometric_means_and_counts(run_dir: Path):
    df = report.load_values(run_dir)
    variants = ["baseline", "fast", "lean"]
    table = report.comparison_table(df, variants)
    summary = pyperformance.pyperformance_summary(df, table, variants)
    fast_speed = summary.loc["fast", "speed: geometric mean [95% CI]"]
    assert fast_speed.startswith("1.000 [")
    assert summary.loc["fast", "speed: better / worse / n.s."] == "1 / 1 / 0"
    assert summary.loc["lean", "peak memory: geometric mean [95% CI]"].startswith("0.800 [0.800–0.800]")
    assert summary.loc["lean", "peak memory: better / worse / n.s."] == "2 / 0 / 0"
    assert summary.loc["lean", "speed: better / worse / n.s."] == "0 / 0 / 2"


def test_geomean_interval_brackets_the_point_and_widens_with_noise():
    rng = np.random.default_rng(1)
    quiet = [(rng.normal(1.0, 0.01, 20), rng.normal(1.1, 0.01, 20)) for _ in range(5)]
    noisy = [(rng.normal(1.0, 0.1, 20), rng.normal(1.1, 0.1, 20)) for _ in range(5)]
    p1, lo1, hi1 = geomean_ratio(quiet, invert=True, seed="q")
    p2, lo2, hi2 = geomean_ratio(noisy, invert=True, seed="n")
    assert lo1 <= p1 <= hi1 and lo2 <= p2 <= hi2
    assert p1 == pytest.approx(1.1, rel=0.01)
    assert (hi2 - lo2) > 3 * (hi1 - lo1)
    assert np.isnan(geomean_ratio([(np.array([1.0]), np.array([1.0, 1.1]))], seed="x")[1])  # too few: unknown


def test_report_has_the_section_and_both_charts(run_dir: Path):
    text = report.write_report(run_dir).read_text()
    assert "## pyperformance: the general cost" in text
    section = text.split("## pyperformance: the general cost")[1].split("\n## ")[0]
    assert "| fast |" in section and "| lean |" in section and "| baseline |" not in section
    for kind in ("time", "memory"):
        assert (run_dir / "charts" / f"pyperformance_{kind}.png").stat().st_size > 0
        assert f"![pyperformance_{kind}](charts/pyperformance_{kind}.png)" in text
    svg = (run_dir / "charts" / "pyperformance_time.svg").read_text()
    # verdicts by shape (json_loads faster: up, nbody slower: down), never by a colour that names a variant
    assert charts.VERDICT_MARKERS["better"][0] != charts.VERDICT_MARKERS["worse"][0]
    assert not {c for _, c in charts.VERDICT_MARKERS.values()} & (set(charts.COLORS.values()) - {"#000000"})
    assert "#2a9d3f" not in svg and "#c44e52" not in svg
    memory_svg = (run_dir / "charts" / "pyperformance_memory.svg").read_text()
    assert "#b0b0b0" in memory_svg  # fast's memory is unchanged: greyed as not significant
