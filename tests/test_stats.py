"""The statistics on synthetic data with known answers: processes as samples, BH, Holm, non-inferiority."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scripts import processes, report
from scripts.config import Target
from scripts.stats import NOT_SHOWN_NO_WORSE, bh_qvalues, compare, holm, median_ci, non_inferior, rate


def correlated_run(rng: np.random.Generator, shift: float, n_proc: int, n_val: int) -> tuple[np.ndarray, np.ndarray]:
    """(values, process index): each process draws its own level (sd 10%), values add 0.5% noise."""
    levels = 1.0 + shift + rng.normal(0, 0.10, n_proc)
    values = np.repeat(levels, n_val) * (1 + rng.normal(0, 0.005, n_proc * n_val))
    return values, np.repeat(np.arange(n_proc), n_val)


def raw_frame(variant: str, benchmark: str, values: np.ndarray, procs: np.ndarray, **declared) -> pd.DataFrame:
    return pd.DataFrame({"variant": variant, "source": declared.pop("source", "giltest"), "benchmark": benchmark,
                         "unit": declared.pop("unit", "second"), "process": procs, "value": values,
                         "batch": declared.get("batch", np.nan), "window": declared.get("window", np.nan),
                         "cap": declared.get("cap", np.nan)})


def test_pooled_values_overstate_significance_processes_do_not():
    """A/A with strongly correlated values: pooled t-tests reject far above 5%, per-process tests near 5%."""
    rng = np.random.default_rng(7)
    pooled_hits = process_hits = 0
    trials = 300
    for i in range(trials):
        a, pa = correlated_run(rng, 0.0, 6, 10)
        b, pb = correlated_run(rng, 0.0, 6, 10)
        pooled_hits += compare(a, b, seed=f"p{i}").p_value < 0.05
        df = processes.per_process(pd.concat([raw_frame("baseline", "x", a, pa), raw_frame("v", "x", b, pb)]))
        va, vb = (df[df.variant == name].value.to_numpy() for name in ("baseline", "v"))
        assert len(va) == len(vb) == 6
        process_hits += compare(vb, va, seed=f"q{i}").p_value < 0.05
    assert pooled_hits / trials > 0.4  # ICC ~0.99: 60 "samples" are really 6
    assert process_hits / trials < 0.10


def test_per_process_bootstrap_interval_covers_the_truth():
    """A 10% slowdown between process levels: the interval over processes covers 1.10 about 95% of the time."""
    rng = np.random.default_rng(11)
    covered = 0
    trials = 200
    for i in range(trials):
        base, pb = correlated_run(rng, 0.0, 10, 3)
        slow, ps = correlated_run(rng, 0.10, 10, 3)
        df = processes.per_process(pd.concat([raw_frame("baseline", "x", base, pb), raw_frame("v", "x", slow, ps)]))
        cmp = compare(
            df[df.variant == "v"].value.to_numpy(), df[df.variant == "baseline"].value.to_numpy(), seed=f"c{i}"
        )
        covered += cmp.low <= 1.10 <= cmp.high
    assert 0.85 <= covered / trials <= 0.99  # percentile bootstrap with 10 processes runs a little narrow


def test_bh_and_holm_match_hand_computed_values():
    p = [0.01, 0.04, 0.03, 0.5]
    # BH: sorted 0.01, 0.03, 0.04, 0.5 -> 0.04, 0.04*4/3 (monotone), 0.04*4/3, 0.5
    assert bh_qvalues(p) == pytest.approx([0.04, 4 * 0.04 / 3, 4 * 0.04 / 3, 0.5])
    # Holm: 0.01*4, max(0.04, 0.03*3), max(0.09, 0.04*2), 0.5
    assert holm(p) == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert bh_qvalues([0.02, None, 0.03]) == pytest.approx([0.03, None, 0.03])
    assert holm([None]) == [None]


def test_bh_controls_false_discoveries_where_raw_p_does_not():
    """100 null rows and 10 real ones: raw p calls about 5 nulls, BH at most a few."""
    rng = np.random.default_rng(3)
    nulls = rng.uniform(size=100)
    real = np.full(10, 1e-5)
    q = bh_qvalues(list(nulls) + list(real))
    assert sum(p < 0.05 for p in nulls) >= 2
    assert sum(x < 0.05 for x in q[:100]) <= 1
    assert all(x < 0.05 for x in q[100:])


@pytest.mark.parametrize(
    ("low", "high", "higher_is_better", "expected"),
    [
        (0.96, 1.10, True, True),  # rate: lower bound above 1 - 0.05
        (0.66, 1.02, True, False),  # handoff_queue 0.82x (0.66-1.02): a 34% slowdown is inside
        (0.95, 1.00, True, True),  # on the margin counts
        (0.90, 1.04, False, True),  # bytes: upper bound under 1 + 0.05
        (0.90, 1.06, False, False),
        (float("nan"), 1.0, True, None),
    ],
)
def test_non_inferiority_rule(low, high, higher_is_better, expected):
    assert non_inferior(low, high, higher_is_better, 0.05) is expected


def test_window_rates_are_work_over_time_not_one_over_mean_time():
    """Two values of a 0.2 s window: 1 ms and 10 us per hand-off. Work 200 and 20,000 hand-offs."""
    values = np.array([1e-3, 1e-5])
    work = processes.window_work(values, batch=100, window=0.2)
    assert work.tolist() == [200, 20000]
    frame = raw_frame("baseline", "handoff_lock_cpu", values, np.array([0, 0]), batch=100, window=0.2)
    df = processes.per_process(frame)
    assert df.unit.iloc[0] == processes.PER_SECOND
    assert df.value.iloc[0] == pytest.approx(20200 / 0.4)  # not 1 / mean = 1 / 505 us = 1,980/s
    # without a window (older runs: one batch per value) values are equal work: mean time
    old = processes.per_process(raw_frame("baseline", "handoff_lock_cpu", values, np.array([0, 0]), batch=100))
    assert old.unit.iloc[0] == "second" and old.value.iloc[0] == pytest.approx(5.05e-4)


def test_capped_load_runs_count_the_requests_they_completed():
    """300 requests per run, 1 s cap: a run at 1 ms per request completed all, one at 10 ms only 100."""
    values = np.array([1e-3, 1e-2])
    assert processes.capped_work(values, 300, 1.0).tolist() == [300, 100]
    frame = raw_frame("baseline", "c1_close_cpu", values, np.array([0, 0]), source="testserver", batch=300, cap=1.0)
    df = processes.per_process(frame)
    assert df.value.iloc[0] == pytest.approx(400 / 1.3)


def test_latency_rows_per_process_and_exceedance():
    """Process 0: all 0.5 ms; process 1: half at 0.5 ms, half at 5 ms. p99, share over 1 ms per process."""
    values = np.array([5e-4] * 4 + [5e-4, 5e-4, 5e-3, 5e-3])
    df = processes.per_process(raw_frame("baseline", "io_latency_cpu1", values, np.repeat([0, 1], 4)))
    by = {name: part.value.to_numpy() for name, part in df.groupby("benchmark")}
    assert by["io_latency_cpu1.over_1ms"].tolist() == [0.0, 0.5]
    assert by["io_latency_cpu1.p99"][0] == pytest.approx(5e-4) and by["io_latency_cpu1.p99"][1] > 4.8e-3
    assert processes.center_of("io_latency_cpu1.p99", "second") == "median"
    point, low, high = median_ci(np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 100.0]), seed="m")
    assert point == 5.0 and low <= point <= high <= 8.0  # one bad process does not set the median


def test_rate_of_per_second_rows_is_their_mean():
    assert rate(np.array([100.0, 300.0]), unit=processes.PER_SECOND)[0] == pytest.approx(200.0)
    assert rate(np.array([0.01, 0.03]))[0] == pytest.approx(50.0)


def _table(ratio_rows: dict[str, tuple[float, float]]) -> pd.DataFrame:
    """Per-process rows for baseline and 'v': six processes each, v's level = baseline x ratio."""
    rows = []
    spread = np.linspace(-0.02, 0.02, 6)
    for bench, (level, noise) in ratio_rows.items():
        for i, s in enumerate(spread):
            rows.append(("baseline", "giltest", bench, "second", i, 1e-3 * (1 + s * noise), 1))
            rows.append(("v", "giltest", bench, "second", i, 1e-3 / level * (1 + s[()] * noise * 1.1), 1))
    return pd.DataFrame(rows, columns=processes.KEYS + ["value", "values"])


def test_comparison_table_reads_q_and_no_worse():
    df = _table({"fast": (1.5, 1), "same": (1.0, 1), "noisy": (0.9, 20)})
    table = report.comparison_table(df, ["baseline", "v"])
    row = table[table.variant == "v"].set_index("benchmark")
    assert row.loc["fast", "verdict"] == "better" and row.loc["fast", "no_worse"] == "yes"
    assert row.loc["same", "verdict"] == "not significant" and row.loc["same", "no_worse"] == "yes"
    assert row.loc["noisy", "no_worse"] == NOT_SHOWN_NO_WORSE
    assert (row.q_value >= row.p_value).all()


def test_targets_holm_family_and_non_inferiority():
    df = _table({"fast": (1.5, 1), "same": (1.0, 1), "noisy": (0.9, 20)})
    table = report.comparison_table(df, ["baseline", "v"])
    declared = {"v": (Target("fast", "better"), Target("same", "better"), Target("same", "no_worse"),
                      Target("noisy", "no_worse"), Target("absent", "better"))}
    out = report.targets_table(table, ["baseline", "v"], declared).set_index(["metric", "goal"])
    assert out.loc[("fast", "better"), "result"] == "met"
    assert out.loc[("same", "better"), "result"] == "not shown better"
    assert out.loc[("same", "no worse (δ = 0.05)"), "result"] == "met: no worse"
    assert out.loc[("noisy", "no worse (δ = 0.05)"), "result"] == NOT_SHOWN_NO_WORSE
    assert out.loc[("absent", "better"), "result"] == "not measured"
    fast_p = table[(table.variant == "v") & (table.benchmark == "fast")].p_value.iloc[0]
    same_p = table[(table.variant == "v") & (table.benchmark == "same")].p_value.iloc[0]
    assert float(out.loc[("fast", "better"), "p (Holm)"]) == pytest.approx(holm([fast_p, same_p])[0], rel=1e-2)
    # a swept build takes its base variant's targets
    swept = report.targets_table(table.assign(variant=table.variant.replace("v", "v+dict-growth9_8")),
                                 ["baseline", "v+dict-growth9_8"], declared)
    assert len(swept) == 5


def test_paced_io_rows_are_reduced_by_what_a_value_holds():
    """mixed_io_cpu_*: shares are means (a CPU share higher-is-better), percentiles medians;
    compute_release_cpu* are windows of equal time; GIL use pairs two figures of each joint window."""
    assert processes.kind_of("giltest", "mixed_io_cpu_500us.cpu_share", 0.2, 0) == "kept"
    assert processes.kind_of("giltest", "mixed_io_cpu_500us.io_busy", 0.2, 0) == "share"
    assert processes.kind_of("giltest", "mixed_io_cpu_100us.p99", 0.2, 0) == "percentile"
    assert processes.kind_of("giltest", "compute_release_cpu.cpu_thread", 0.2, 0) == "equal_time"
    assert processes.kind_of("giltest", "compute_release", 0.2, 0) == "work"
    values = np.array([0.5, 0.7])
    assert processes.reduce_process("kept", values, 0, 0, 0) == [("", processes.KEPT, pytest.approx(0.6))]
    assert processes.reduce_process("share", values, 0, 0, 0) == [("", processes.SHARE, pytest.approx(0.6))]
    assert report.orientation(processes.KEPT) == (False, True)
    assert report.orientation(processes.SHARE) == (False, False)
    joint = pd.DataFrame([
        {"variant": "v", "process": "0/1", "bench": "mixed_io_cpu_2ms.p50", "gil_use": 0.5},
        {"variant": "v", "process": "0/1", "bench": "mixed_io_cpu_2ms.p50", "gil_use": 0.7},
        {"variant": "v", "process": "0/2", "bench": "mixed_io_cpu_2ms.cpu_share", "gil_use": 0.9},
        {"variant": "v", "process": "0/3", "bench": "handoff_lock_cpu", "gil_use": float("nan")},
    ])
    rows = processes.joint_rows(joint)
    assert list(rows.benchmark) == ["mixed_io_cpu_2ms.gil_use"] * 2
    assert list(rows.value) == [pytest.approx(0.6), pytest.approx(0.9)] and list(rows["values"]) == [2, 1]
    assert set(rows.unit) == {processes.KEPT} and set(rows.source) == {processes.JOINT_SOURCE}
    assert processes.joint_rows(pd.DataFrame()).empty
