"""The report on small synthetic runs: ratios, significance, tables and chart files.

The fixture run is written with pyperf's own API, with values chosen so the expected
ratios are known exactly; nothing here depends on this machine's speed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyperf
import pytest

from pyperf_fixtures import jitter, suite, write_two_variant_run
from scripts import report, runs_index
from scripts import results_layout as layout
from scripts.stats import compare, ratio_ci
from scripts.views import dict_memory, giltest


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """A two-variant run: 'fast' halves hand-off time, the CPU thread keeps 50%, sizes shrink."""
    return write_two_variant_run(tmp_path)


def test_compare_direction_and_significance():
    base = np.array(jitter(4e-3))
    faster = compare(np.array(jitter(2e-3)), base, invert=True, seed="x")
    assert faster.ratio == pytest.approx(2.0, rel=1e-3)
    assert faster.low <= faster.ratio <= faster.high
    assert faster.significant and faster.verdict(higher_is_better=True) == "better"
    same = compare(np.array(jitter(4e-3)[::-1]), base, invert=True, seed="x")
    assert same.ratio == pytest.approx(1.0) and same.verdict(True) == "not significant"
    smaller = compare(np.array([800.0] * 3), np.array([1000.0] * 3), seed="m")
    assert smaller.ratio == pytest.approx(0.8) and smaller.verdict(higher_is_better=False) == "better"
    lonely = compare(np.array([1.0]), base, seed="y")
    assert lonely.significant is None and lonely.verdict(True).startswith("n/a")


def test_ratio_ci_brackets_the_point():
    point, low, high = ratio_ci(np.array(jitter(50e-6)), np.array(jitter(25e-6)), seed="s")
    assert point == pytest.approx(2.0, rel=1e-3) and low <= point <= high


def test_report_tables_and_charts(run_dir):
    path = report.write_report(run_dir)
    text = path.read_text()
    assert "# Benchmark run 20260101T000000Z" in text
    # handoff_lock_cpu: 4 ms -> 2 ms per hand-off is 250 -> 500 hand-offs/s, a rate ratio of 2.
    table = report.comparison_table(report.load_values(run_dir), ["baseline", "fast"])
    row = table[(table.benchmark == "handoff_lock_cpu") & (table.variant == "fast")].iloc[0]
    assert row.ratio == pytest.approx(2.0, rel=1e-3) and row.verdict == "better"
    same = table[(table.benchmark == "handoff_lock") & (table.variant == "fast")].iloc[0]
    assert same.verdict == "not significant"
    slower = table[(table.benchmark == "dict_insert_100") & (table.variant == "fast")].iloc[0]
    assert slower.ratio == pytest.approx(3 / 3.3, rel=1e-3) and slower.verdict == "worse"
    assert "| handoff_lock_cpu: hand-offs/s, CPU thread beside | 250 " in text
    assert "50% (" in text  # the CPU thread keeps half its solo rate in both variants
    assert "0.75" in text  # the size ratio
    charts = run_dir / "charts"
    for name in ("giltest_handoffs", "io_latency", "dict_sizes", "dict_memory_vs_speed", "giltest_rates"):
        for suffix in (".png", ".svg"):
            assert (charts / f"{name}{suffix}").stat().st_size > 1000, name
        assert f"charts/{name}.png" in text


def test_report_regenerates_identically(run_dir):
    first = report.write_report(run_dir).read_text()
    svg = (run_dir / "charts" / "giltest_handoffs.svg").read_bytes()
    assert report.write_report(run_dir).read_text() == first
    assert (run_dir / "charts" / "giltest_handoffs.svg").read_bytes() == svg


def test_index_lists_finished_runs_only(run_dir):
    results = run_dir.parents[2]
    partial = run_dir.parent / "20260102T000000Z"
    (partial / ".partial").mkdir(parents=True)
    (partial / "plan.json").write_text((run_dir / "plan.json").read_text())
    text = runs_index.write_index(results).read_text()
    assert "[20260101T000000Z](linux-x86_64-2cpu/3.13.5/20260101T000000Z/report.md)" in text
    assert "20260102T000000Z" not in text


def test_index_keeps_the_hand_written_text_around_its_markers(run_dir):
    results = run_dir.parents[2]
    index = results / "README.md"
    index.write_text(f"# Results\n\nby hand, before\n\n{runs_index.INDEX_BEGIN}\nstale\n{runs_index.INDEX_END}\n\n"
                     "## A run\n\nby hand, after\n")
    text = runs_index.write_index(results).read_text()
    assert text.startswith("# Results\n\nby hand, before\n\n" + runs_index.INDEX_BEGIN + "\n")
    assert text.endswith(runs_index.INDEX_END + "\n\n## A run\n\nby hand, after\n")
    assert "stale" not in text
    assert "[20260101T000000Z](linux-x86_64-2cpu/3.13.5/20260101T000000Z/report.md)" in text
    assert runs_index.write_index(results).read_text() == text


def test_dict_tradeoff_names_slow_benchmarks_and_the_pareto_front(run_dir):
    df, sizes = report.load_values(run_dir), dict_memory.load_sizes(run_dir)
    table = report.comparison_table(df, ["baseline", "fast"])
    frame = dict_memory.dict_tradeoff(table, sizes, ["baseline", "fast"])
    row = frame.loc["fast"]
    assert row["dict speed (geo. mean)"] == pytest.approx(3 / 3.3, rel=1e-3)
    assert row["slower than 5%"] == "dict_insert_100 (0.91)"
    assert row["mem_json_corpus peak"] == pytest.approx(0.8)
    assert row["getsizeof, insertion (mean)"] == pytest.approx(0.75)
    # slower but smaller: neither it nor baseline dominates the other
    assert row["Pareto front (speed, JSON peak)"] == "yes"
    assert "## dict memory against speed" in report.write_report(run_dir).read_text()


def test_pareto_front_and_labels():
    from scripts.charts import pareto_front, short_label

    points = {"baseline": (1.0, 1.0), "a": (0.97, 0.8), "b": (0.9, 0.85), "c": (1.02, 0.95), "d": (0.99, 0.8)}
    # b is slower and larger than a; a is slower than d at the same memory;
    # c is both faster and smaller than baseline
    assert pareto_front(points) == ["d", "c"]
    assert pareto_front({"baseline": (1.0, 1.0), "x": (0.9, 0.7)}) == ["x", "baseline"]
    assert short_label("tight_dict+dict-growth9_8-entries_min2") == "tight_dict growth 9/8, entries_min 2"
    assert short_label("baseline") == "baseline"


def test_giltest_headlines_give_same_build_condition_ratios():
    import pandas as pd

    rows = []
    for variant, (lock, cond, h_lock, h_cond) in {
        "baseline": (100e-9, 330e-9, 10e-6, 12e-6),
        "fast": (100e-9, 120e-9, 10e-6, 10e-6),
    }.items():
        for name, center in (
            ("lock_with_pass", lock),
            ("condition_notify_nowaiter", cond),
            ("handoff_lock", h_lock),
            ("handoff_condition", h_cond),
        ):
            rows += [(variant, "giltest", name, "second", v) for v in jitter(center)]
    df = pd.DataFrame(rows, columns=["variant", "source", "benchmark", "unit", "value"])
    table = giltest.giltest_headlines(df, ["baseline", "fast"])
    cost = table.loc["condition_notify_nowaiter / lock_with_pass: cost, same build"]
    assert cost["baseline"].startswith("3.30×") and cost["fast"].startswith("1.20×")
    handoff = table.loc["handoff_condition / handoff_lock: rate, same build"]
    assert handoff["baseline"].startswith("0.83×") and handoff["fast"].startswith("1.00×")


def test_aa_row_counts_false_positives(tmp_path):
    """baseline_aa (baseline built again) gets its own count row and the A/A sentence; equal data: no row differs."""
    run = tmp_path / "results" / "linux-x86_64-2cpu" / "3.13.5" / "20260101T000000Z"
    plan = {"variants": ["baseline", "baseline_aa"], "benches": ["giltest"], "flavor": "release",
            "quick": True, "rounds": 1, "processes": 8}  # fmt: skip
    run.mkdir(parents=True)
    (run / "plan.json").write_text(json.dumps({"plan": plan}))
    for variant, order in (("baseline", 1), ("baseline_aa", -1)):
        (run / variant).mkdir()
        values = {name: jitter(center)[::order] for name, center in (("lock_with_pass", 1e-7), ("gil_switch", 6e-4))}
        suite(values).dump(str(run / variant / "giltest.json"))
    text = report.write_report(run).read_text()
    assert "`baseline_aa` is baseline built again (A/A)" in text
    assert "| baseline_aa | 2 | 0 / 0 | 0 / 0 |" in text


def test_same_binary_section_compares_the_build_with_its_runtime_twin(tmp_path):
    """io_gil against io_gil_off (variants.toml): hand-offs beside a CPU thread twice as fast on the same binary."""
    run = tmp_path / "results" / "linux-x86_64-2cpu" / "3.13.5" / "20260101T000000Z"
    plan = {"variants": ["baseline", "io_gil", "io_gil_off"], "benches": ["giltest"], "flavor": "release",
            "quick": True, "rounds": 1, "processes": 8}  # fmt: skip
    run.mkdir(parents=True)
    (run / "plan.json").write_text(json.dumps({"plan": plan}))
    for variant, center in (("baseline", 4e-3), ("io_gil", 2e-3), ("io_gil_off", 4e-3)):
        (run / variant).mkdir()
        suite({"handoff_lock_cpu": jitter(center), "handoff_lock": jitter(1e-5)}).dump(
            str(run / variant / "giltest.json")
        )
    text = report.write_report(run).read_text()
    section = text.split("## Same binary, policy on against off", 1)[1].split("\n## ", 1)[0]
    assert "| io_gil / io_gil_off | handoff_lock_cpu | 2.000 [" in section
    assert "| io_gil / io_gil_off | handoff_lock | 1.000 [" in section and "| better |" in section


def test_joint_measurements_pair_rate_and_cpu_share_of_the_same_windows(tmp_path):
    """Two workers, a warmup and two windows each: 0.2 s, 1,000 round trips, 4,000 chunks, 120 switches."""
    run = tmp_path / "results" / "linux-x86_64-2cpu" / "3.13.5" / "20260101T000000Z"
    plan = {"variants": ["baseline"], "benches": ["giltest"], "flavor": "release", "quick": True, "rounds": 1,
            "processes": 2}  # fmt: skip
    (run / "baseline").mkdir(parents=True)
    (run / "plan.json").write_text(json.dumps({"plan": plan}))
    suite({"cpu_1thread": [25e-6] * 4}).dump(str(run / "baseline" / "giltest.json"))
    window = {"bench": "handoff_lock_cpu", "elapsed": 0.2, "round_trips": 1000, "cpu_chunks": 4000,
              "voluntary_ctxt_switches": 100, "involuntary_ctxt_switches": 20}
    warmup = {**window, "round_trips": 1, "cpu_chunks": 0}  # dropped: a worker's first call is the warmup
    lines = [
        {"round": 0, "pid": pid, "seq": seq, **(warmup if seq == 1 else window)} for pid in (7, 8) for seq in (1, 2, 3)
    ]
    layout.sidecar_path(layout.result_path(run, "baseline", "giltest")).write_text(
        "".join(json.dumps(x) + "\n" for x in lines)
    )
    joint = giltest.load_joint(run)
    assert len(joint) == 4 and set(joint.process) == {"0/7", "0/8"}
    table = giltest.joint_headlines(joint, report.load_values(run), ["baseline"])
    assert table.loc["handoff_lock_cpu: hand-offs/s (joint windows)", "baseline"].startswith("10,000 (10,000–10,000)")
    assert table.loc[
        "handoff_lock_cpu: CPU thread's rate over the same windows, % of cpu_1thread", "baseline"
    ].startswith("50%")
    assert table.loc["handoff_lock_cpu: the worker's context switches per hand-off", "baseline"] == \
        "0.06 (0.06–0.06); involuntary 0.010"
    assert "joint measurements" in report.write_report(run).read_text()


def test_report_answers_first_and_says_where_its_numbers_come_from(run_dir):
    """Targets and headlines before the method; ratio [CI] and verdict beside a headline rate; the
    samples as stored; the full harness commit; the long table folded; provenance per benchmark script."""
    text = report.write_report(run_dir).read_text()
    assert text.index("## giltest: hand-offs") < text.index("## Method and samples") < text.index("## Every benchmark")
    # 6 benchmarks, 8 processes per variant (40 for io_latency), 1 value each
    assert "| giltest | 6 | 8–40 | 1 |" in text
    lock = next(
        line for line in text.splitlines() if line.startswith("| handoff_lock_cpu: hand-offs/s, CPU thread beside")
    )
    assert "**2.00× [" in lock and "] better**" in lock
    assert "| abc123 |" in text  # the commit as recorded, not cut
    every = text.split("## Every benchmark", 1)[1]
    assert every.lstrip().startswith("<details>") and every.rstrip().endswith("</details>")
    assert "| fast | benchmark bench/bm_giltest | abc123 | unknown (commit not in this history) |" in text


def test_dirty_metadata_marks_the_report(run_dir):
    """A variant measured from a dirty tree: the report says so at its top and shows the commit with -dirty."""

    for path in sorted((run_dir / "fast").glob("*.json")):
        if path.name == layout.SIZES_FILE:
            continue
        loaded = pyperf.BenchmarkSuite.load(str(path))
        runs = [[pyperf.Run(r.values, metadata={**r.get_metadata(), "harness_commit": "abc123-dirty"},
                            collect_metadata=False) for r in b.get_runs()] for b in loaded]
        path.unlink()
        pyperf.BenchmarkSuite([pyperf.Benchmark(r) for r in runs]).dump(str(path))
    text = report.write_report(run_dir).read_text()
    assert "**Dirty run**" in text and "(`fast`;" in text and "abc123-dirty" in text


SWEPT = "tight_dict+dict-log_minsize2-load4_5-growth3_2-decoupled0-entries_min0-presizeupstream"


def test_a_long_sweep_label_is_shortened_to_its_alias_with_a_legend_table(tmp_path):
    run = write_two_variant_run(tmp_path, other=SWEPT)
    text = report.write_report(run).read_text()
    assert "## Variant aliases" in text
    assert f"| 2.7-era preset | `{SWEPT}` | the 2.7-era PythonPlus preset" in text
    assert text.count(SWEPT) == 1  # only in the alias table: every other table says the alias
    assert "| 2.7-era preset | mem_json_corpus.tracemalloc |" in text
    plain = report.write_report(write_two_variant_run(tmp_path / "b")).read_text()
    assert "## Variant aliases" not in plain


def test_aliases_are_unique_or_not_used():
    assert report.variant_aliases(["baseline", SWEPT, "tight_dict+dict-growth3_2"]) == {
        SWEPT: "2.7-era preset", "tight_dict+dict-growth3_2": "growth 3/2"}
    # a label whose alias another variant already is keeps its full label
    assert report.variant_aliases(["growth 3/2", "tight_dict+dict-growth3_2"]) == {}
    shortened = report.shorten(f"`{SWEPT}` and tight_dict", {SWEPT: "2.7-era preset"})
    assert shortened == "`2.7-era preset` and tight_dict"


def _git(*args: str) -> str:
    import subprocess

    done = subprocess.run(["git", *args], cwd=report.provenance.ROOT, capture_output=True,
                          text=True, check=True)
    return done.stdout.strip()


def _row(text: str, benchmark: str, variant: str) -> str:
    start = f"| {benchmark} | {variant} |"
    return next(line for line in text.splitlines() if line.startswith(start))


def test_rows_measured_before_a_method_change_are_marked_superseded(tmp_path):
    before_window = _git("rev-parse", "453a7f7^")  # after io_latency's change, before the window
    text = report.write_report(write_two_variant_run(tmp_path, commit=before_window)).read_text()
    assert _row(text, "handoff_lock_cpu", "fast").endswith("| superseded (453a7f7, 2b0c478) |")
    assert _row(text, "handoff_lock", "fast").endswith("| superseded (2b0c478) |")
    assert "superseded" not in _row(text, "cpu_1thread", "fast")
    assert "superseded" not in _row(text, "io_latency_cpu1.p50", "fast")  # its change came first
    assert "**Superseded rows**: " in text and "`453a7f7` (handoff_*_cpu, handoff_*_cpu.*)" in text
    assert "| 6e59d01 | giltest | io_latency_* |" in text and "measured after it (current)" in text
    head = _git("rev-parse", "HEAD")
    now = report.write_report(write_two_variant_run(tmp_path / "now", commit=head)).read_text()
    assert "superseded (" not in now and "**Superseded rows**" not in now
    assert "| method |" not in now


def test_baseline_measured_before_a_change_supersedes_the_ratio(tmp_path):
    meta = {"baseline": {"commit": _git("rev-parse", "6e59d01^")},
            "fast": {"commit": _git("rev-parse", "HEAD")}}
    found = report.provenance.superseding(meta, "fast", "io_latency_cpu2.p99")
    assert [c.commit for c in found] == ["6e59d01"]
    assert report.provenance.superseding(meta, "fast", "gil_switch") == []
    unknown = {"baseline": {"commit": "abc123"}, "fast": {"commit": "abc123"}}
    assert report.provenance.superseding(unknown, "fast", "io_latency_cpu2.p99") == []


def test_mixed_io_and_compute_release_headlines(tmp_path):
    """The CPU share beside 1 − IO busy share, the idle-GIL gap, GIL use, latency and hashing rows."""
    run = write_two_variant_run(tmp_path, full=True)
    df = report.load_values(run)
    table = report.comparison_table(df, ["baseline", "fast"])
    frame = giltest.giltest_headlines(df, ["baseline", "fast"], report.load_raw(run), table)
    name = "mixed_io_cpu_500us"
    share = frame.loc[f"{name}: CPU thread's rate, % of its rate alone (same process) | 1 − IO busy share, % "
                      "(what the IO thread leaves it)"]
    assert share["fast"].startswith("60% (") and " | 95% (" in share["fast"]
    assert share["baseline"].startswith("99% (") and " | 99% (" in share["baseline"]
    idle = frame.loc[f"{name}: GIL left idle = (1 − IO busy share) − CPU share, points"]
    assert idle["fast"].startswith("35.0 (") and idle["baseline"].startswith("0.0 (")
    use = frame.loc[f"{name}: GIL use = CPU share / (1 − IO busy share), same windows (joint lines)", "fast"]
    assert use.startswith(f"{0.6 / 0.95:.2f} (") and "× [" in use
    assert frame.loc[f"{name}: receive latency p50, ms (median of processes' p50)", "fast"].startswith("0.200 (")
    # the shares compare the right way round: a CPU share is higher-is-better, a busy share lower-is-better
    rows = table[table.variant == "fast"].set_index("benchmark")
    assert rows.loc[f"{name}.cpu_share", "unit"] == "kept" and rows.loc[f"{name}.cpu_share", "verdict"] == "worse"
    assert rows.loc[f"{name}.io_busy", "unit"] == "share" and rows.loc[f"{name}.io_busy", "verdict"] == "worse"
    assert rows.loc[f"{name}.p50", "ratio"] == pytest.approx(25.0, rel=0.05)
    assert rows.loc[f"{name}.gil_use", "ratio"] == pytest.approx((0.6 / 0.95) / (0.99 / 0.99), rel=1e-3)
    assert frame.loc["compute_release_cpu: MiB/s hashed, CPU thread beside", "fast"].startswith("500 (")
    kept = frame.loc["compute_release_cpu: CPU thread's rate, % of cpu_1thread", "fast"]
    assert kept.startswith("100% (")  # 40,000 chunks/s against cpu_1thread's 25 µs per chunk
    joint = giltest.joint_headlines(giltest.load_joint(run), df, ["baseline", "fast"])
    same = joint.loc[f"{name}: CPU share | 1 − IO busy share | 1 − IO handling share, same windows", "fast"]
    assert same.startswith("60% (60–60) | 95% (95–95) | 94% (94–94)")
    assert joint.loc[f"{name}: datagrams not received by the window's end", "baseline"].endswith("; 320 of 3,200")
    text = report.write_report(run).read_text()
    assert "| mixed_io_cpu_500us: GIL left idle" in text and "![mixed_io](charts/mixed_io.png)" in text


def test_bound_targets_hold_the_variants_own_value_against_the_bound(tmp_path):
    """at_least / at_most: met when the whole 95% interval lies beyond the bound, missed when on the wrong side."""
    from scripts.config import Target

    run = write_two_variant_run(tmp_path, full=True)
    df = report.load_values(run)
    table = report.comparison_table(df, ["baseline", "fast"])
    declared = {"fast": (Target("mixed_io_cpu_500us.gil_use", "at_least", bound=0.95),
                         Target("mixed_io_cpu_500us.gil_use", "at_least", bound=0.5),
                         Target("mixed_io_cpu_500us.p50", "at_most", bound=0.0005),
                         Target("mixed_io_cpu_500us.p99", "at_most", bound=0.0004),
                         Target("mixed_io_cpu_2ms.p50", "at_most", bound=1e-4),
                         Target("nothing.p50", "at_most", bound=1e-3))}
    out = report.targets_table(table, ["baseline", "fast"], declared, df)
    assert list(out.result) == ["**missed**", "met", "met", "not shown (the interval spans the bound)", "**missed**",
                                "not measured"]
    assert out.goal.iloc[0] == "at least 0.950 (the variant's own value)"
    assert out.goal.iloc[2] == "at most 0.500 ms (the variant's own value)"
    assert out["ratio [95% CI]"].iloc[2].startswith("0.200 ms [")
    # without the per-process rows a bound cannot be judged: not measured (here: no row at all)
    assert report.targets_table(table, ["baseline", "fast"], declared).empty
