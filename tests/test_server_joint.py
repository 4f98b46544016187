"""scripts/server_joint.py and its report section, on a fixture run with known joint records.

Each testserver run carries one joint record per call in its metadata, warmups first;
the table must drop the warmups, sum each process's values, and take medians over
processes, so every expected cell below is computed by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyperf
import pytest

from scripts import report, server_joint


def record(exceeded: int, steal: float = 0.0, loadgen_user: float = 0.1, censored: int = 0) -> dict:
    return {"elapsed": 2.0, "completed": 200 - censored, "cpu_chunks": 80_000,
            "user_seconds": 1.0, "sys_seconds": 0.0,
            "voluntary_ctxt_switches": 1000, "involuntary_ctxt_switches": 200,
            "loadgen_user_seconds": loadgen_user, "loadgen_sys_seconds": 0.1,
            "loadgen_voluntary_ctxt_switches": 400, "loadgen_involuntary_ctxt_switches": 100,
            "steal_seconds": steal, "machine_cpu_seconds": 4.0, "scheduled": 200,
            "censored": censored, "exceeded": exceeded, "threshold": 0.005, "cap": 1.0,
            "send_lag_p99": 0.0002, "rate": 100.0}


# per process: (warmup record, value records); the warmups would change every cell if kept
PROCESSES = [
    (record(200, loadgen_user=5.0), [record(20), record(40, steal=0.5)]),  # 60/400 = 15%
    (record(200, loadgen_user=5.0), [record(20, censored=1), record(20)]),  # 40/400 = 10%
]


def server_suite(p50: float) -> pyperf.BenchmarkSuite:
    benchmarks = []
    for name in ("open_loop_cpu.p50", "c10_keepalive_cpu"):
        runs = []
        for warm, values in PROCESSES:
            meta = {"name": name, "unit": "second", "loops": 1, "testserver_requests": 200,
                    "testserver_seconds_per_loop": 1, "harness_variant": "x",
                    server_joint.JOINT_KEY: json.dumps([warm, *values])}
            runs.append(pyperf.Run([p50, p50 * 1.01], warmups=[(1, 9.0)], metadata=meta,
                                   collect_metadata=False))
        benchmarks.append(pyperf.Benchmark(runs))
    return pyperf.BenchmarkSuite(benchmarks)


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    run = tmp_path / "results" / "linux-x86_64-2cpu" / "3.13.5" / "20260101T000000Z"
    plan = {"variants": ["baseline", "io"], "benches": ["testserver"], "flavor": "release",
            "quick": True, "rounds": 1, "processes": 2}
    run.mkdir(parents=True)
    (run / "plan.json").write_text(json.dumps({"plan": plan, "started_at": "2026-01-01"}))
    for variant, p50 in (("baseline", 6e-3), ("io", 1e-3)):
        (run / variant).mkdir()
        server_suite(p50).dump(str(run / variant / "testserver.json"))
    return run


def test_warmups_are_dropped_and_each_process_is_one_sample(run_dir):
    joint = server_joint.load(run_dir)
    # 2 variants x 2 benchmarks x 2 processes x 2 values; the 8 warmup records are gone
    assert len(joint) == 16
    assert set(joint.scenario) == {"open_loop_cpu", "c10_keepalive_cpu"}
    frame = server_joint.table(joint, ["baseline", "io"])
    cell = frame.loc["open_loop_cpu: requests over 5 ms, % of scheduled (median of processes)",
                     "baseline"]
    assert cell.startswith("12.5% ")  # median of 15% and 10%
    assert frame.loc["open_loop_cpu: censored at the 1 s cap, of scheduled", "io"] == "1 of 800"
    # generator 0.2 s CPU per 2 s = 10%, server 1 s per 2 s = 50%
    cpu = "closed loop: CPU, % of one core, load generator / server (median of processes)"
    assert frame.loc[cpu, "baseline"] == "10% / 50%"
    switches = "open loop: context switches per request, load generator / server"
    # per process 1000 / 400 and 1000 / 399 (one censored) for the generator, 2400 / ... the server
    assert frame.loc[switches, "io"] == "2.50 / 6.01"
    flagged = "values flagged: steal > 5% or generator > 50% of a core"
    assert frame.loc[flagged, "baseline"] == "2 of 8"  # 0.5 / 4.0 = 12.5% steal, in both benchmarks
    chunks = "open_loop_cpu: CPU thread, chunks/s over the same windows (median of processes)"
    assert frame.loc[chunks, "io"] == "40,000"


def test_the_report_shows_open_loop_latency_beside_the_generator(run_dir):
    text = report.write_report(run_dir).read_text()
    section = text.split("## testserver: open-loop latency", 1)[1].split("\n## ", 1)[0]
    assert "open_loop_cpu: p50, ms from the scheduled send" in section
    assert "| 6.030 (6.030–6.030) |" in section  # median of the processes' medians of 6, 6.06 ms
    assert "6.00× [6.00–6.00] better" in section  # io's p50 against baseline's
    assert "load generator / server" in section
