"""The cross-platform report on fixture runs of two platforms (Linux and Windows).

Each platform's run has its own baseline; the ratios are chosen to differ between the
platforms (io_gil 2x faster on Linux, not different on Windows; tight_dict measured
only on Linux), so a report that mixed up runs or platforms would show it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pyperf_fixtures import jitter, suite
from scripts import cross_report
from scripts.errors import HarnessError

VERSION = "3.13.5"


def write_run(results: Path, platform: str, run_id: str, times: dict[str, float], meta: dict[str, str],
              partial: bool = False) -> Path:
    """A finished run: variant -> time of 'handoff_lock_cpu' (baseline first), rss meter in metadata."""
    run = results / platform / VERSION / run_id
    run.mkdir(parents=True)
    plan = {
        "variants": list(times),
        "benches": ["giltest"],
        "flavor": "release",
        "quick": True,
        "rounds": 1,
        "processes": 2,
    }
    (run / "plan.json").write_text(json.dumps({"plan": plan}))
    if partial:
        (run / ".partial").mkdir()
    for variant, seconds in times.items():
        (run / variant).mkdir()
        suite({"handoff_lock_cpu": jitter(seconds)}, meta={"harness_variant": variant, **meta}).dump(
            str(run / variant / "giltest.json")
        )
        mem_meta = {**meta, "dict_memory_rss_meter": meta["meter"]}
        suite({"mem_records_100k.rss": [1000.0] * 3}, unit="byte", meta=mem_meta).dump(
            str(run / variant / "dict_memory.memory.json")
        )
    return run


@pytest.fixture
def results(tmp_path: Path) -> Path:
    root = tmp_path / "collected"
    linux = {"loadgen": "ab 2.3", "meter": "resident set (/proc/self/statm)"}
    windows = {"loadgen": "ab 2.3", "meter": "working set (GetProcessMemoryInfo)"}
    write_run(root, "linux-x86_64-4cpu", "20261201T000000Z", {"baseline": 4e-3, "io_gil": 2e-3}, linux)
    write_run(root, "linux-x86_64-4cpu", "20261201T010000Z", {"baseline": 4e-3, "tight_dict": 4e-3}, linux)
    write_run(root, "windows-amd64-4cpu", "20261201T000000Z", {"baseline": 1e-3, "io_gil": 1e-3}, windows)
    # an unfinished run must be ignored even though it is newer
    write_run(
        root, "windows-amd64-4cpu", "20261202T000000Z", {"baseline": 1e-3, "io_gil": 0.1e-3}, windows, partial=True
    )
    return root


def test_picks_the_newest_finished_run_per_platform_and_variant(results: Path):
    picked = cross_report.pick_runs(cross_report.finished_runs(results, VERSION))
    assert sorted({key[:2] for key in picked}) == [("linux-x86_64-4cpu", "io_gil"), ("linux-x86_64-4cpu", "tight_dict"),
                                                   ("windows-amd64-4cpu", "io_gil")]
    assert picked[("windows-amd64-4cpu", "io_gil", "giltest")].path.name == "20261201T000000Z"


def test_a_newer_run_of_one_benchmark_does_not_hide_an_older_one_of_another(results: Path):
    """A later pyperformance-only run of io_gil must not drop io_gil's giltest figures."""
    run = results / "linux-x86_64-4cpu" / VERSION / "20261203T000000Z"
    (run / "baseline").mkdir(parents=True)
    (run / "io_gil").mkdir()
    plan = {"variants": ["baseline", "io_gil"], "benches": ["pyperformance"], "flavor": "release", "quick": True,
            "rounds": 1, "processes": 2}
    (run / "plan.json").write_text(json.dumps({"plan": plan}))
    for variant, seconds in (("baseline", 1e-3), ("io_gil", 1e-3)):
        suite({"richards": jitter(seconds)}).dump(str(run / variant / "pyperformance.time.objects.json"))
    picked = cross_report.pick_runs(cross_report.finished_runs(results, VERSION))
    assert picked[("linux-x86_64-4cpu", "io_gil", "giltest")].path.name == "20261201T000000Z"
    assert picked[("linux-x86_64-4cpu", "io_gil", "pyperformance.time.objects")].path.name == "20261203T000000Z"
    ratios = cross_report.merged_ratios(picked)
    linux_io = ratios[(ratios.platform == "linux-x86_64-4cpu") & (ratios.variant == "io_gil")]
    assert {"handoff_lock_cpu", "richards"} <= set(linux_io.benchmark)


def test_ratios_come_from_each_platforms_own_baseline(results: Path):
    ratios = cross_report.merged_ratios(cross_report.pick_runs(cross_report.finished_runs(results, VERSION)))
    lock = ratios[ratios.benchmark == "handoff_lock_cpu"].set_index(["platform", "variant"])
    assert lock.loc[("linux-x86_64-4cpu", "io_gil"), "ratio"] == pytest.approx(2.0, rel=1e-3)
    assert lock.loc[("linux-x86_64-4cpu", "io_gil"), "verdict"] == "better"
    assert lock.loc[("windows-amd64-4cpu", "io_gil"), "ratio"] == pytest.approx(1.0, rel=1e-3)
    assert lock.loc[("windows-amd64-4cpu", "io_gil"), "verdict"] == "not significant"
    assert ("windows-amd64-4cpu", "tight_dict") not in lock.index


def test_report_has_a_column_per_platform_a_faceted_chart_and_the_meters(results: Path, tmp_path: Path):
    out = tmp_path / "xreport"
    path = cross_report.write(results, out, VERSION)
    text = path.read_text()
    assert "| variant: benchmark | linux-x86_64-4cpu | windows-amd64-4cpu |" in text
    io_row = next(line for line in text.splitlines() if line.startswith("| io_gil: handoff_lock_cpu |"))
    cells = [c.strip() for c in io_row.strip("|").split("|")]
    assert cells[1].startswith("2.000") and cells[1].endswith("▲")
    assert cells[2].startswith("1.000") and "▲" not in cells[2] and "▼" not in cells[2]
    tight_row = next(line for line in text.splitlines() if line.startswith("| tight_dict: handoff_lock_cpu |"))
    assert tight_row.rstrip().endswith("| – |")  # not measured on Windows, shown as such
    assert "working set (GetProcessMemoryInfo)" in text and "resident set (/proc/self/statm)" in text
    assert "20261202T000000Z" not in text  # the unfinished run
    for variant in ("io_gil", "tight_dict"):
        assert (out / "charts" / f"ratios_{variant}.png").stat().st_size > 0
        assert (out / "charts" / f"ratios_{variant}.svg").is_file()
    svg = (out / "charts" / "ratios_io_gil.svg").read_text()
    assert "linux-x86_64-4cpu" in svg and "windows-amd64-4cpu" in svg  # one facet per platform
    records = pd.DataFrame(json.loads((out / "ratios.json").read_text()))
    assert set(records.platform) == {"linux-x86_64-4cpu", "windows-amd64-4cpu"}



def test_reading_the_runs_needs_no_rendering(results: Path, tmp_path: Path, monkeypatch):
    """read() gathers what the report shows, and draws and writes nothing."""
    monkeypatch.setattr(cross_report.charts, "ratio_dots", lambda *a, **k: pytest.fail("read() drew a chart"))
    before = sorted(results.rglob("*"))
    runs = cross_report.read(results, VERSION)
    assert sorted(results.rglob("*")) == before
    assert runs.version == VERSION and runs.platforms == ["linux-x86_64-4cpu", "windows-amd64-4cpu"]
    used = {(platform, variant, path.name): sources for (platform, variant, path), sources in runs.runs_used().items()}
    assert used == {
        ("linux-x86_64-4cpu", "io_gil", "20261201T000000Z"): ["dict_memory.memory", "giltest"],
        ("linux-x86_64-4cpu", "tight_dict", "20261201T010000Z"): ["dict_memory.memory", "giltest"],
        ("windows-amd64-4cpu", "io_gil", "20261201T000000Z"): ["dict_memory.memory", "giltest"],
    }
    assert runs.notes["windows-amd64-4cpu"]["dict_memory's rss meter"] == "working set (GetProcessMemoryInfo)"
    assert runs.notes["linux-x86_64-4cpu"]["HTTP load generator"] == "ab 2.3"
    assert set(runs.ratios.platform) == set(runs.platforms)


def test_rendering_needs_only_what_was_read(results: Path, tmp_path: Path):
    """render() writes the same report from a CrossRuns as write() does from the runs."""
    runs = cross_report.read(results, VERSION)
    rendered = cross_report.render(runs, tmp_path / "a", "collected").read_text()
    assert rendered == cross_report.write(results, tmp_path / "b", VERSION).read_text()
    assert "--results collected`" in rendered

def test_no_finished_run_is_a_clear_error(tmp_path: Path):
    with pytest.raises(HarnessError, match="no finished run"):
        cross_report.write(tmp_path, tmp_path / "out", VERSION)
