"""bench/bm_testserver: runs end to end with tiny pyperf settings, names and metadata, CLI errors.

Real load runs against 127.0.0.1 only, each a few hundred to a few thousand requests.
No assertion about speed: only that values exist, are positive, and are labelled.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pyperf = pytest.importorskip("pyperf")

SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "bm_testserver" / "run_benchmark.py"
TINY = ["--processes", "1", "--values", "1", "--warmups", "0", "--loops", "1"]


def run_script(*args: str, env: dict | None = None, timeout: float = 45) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                          env=env, timeout=timeout)


def run_and_load(tmp_path: Path, *args: str):
    out = tmp_path / "result.json"
    proc = run_script(*TINY, "-q", "-o", str(out), *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return pyperf.BenchmarkSuite.load(str(out))


def check_suite(suite, expected_names: list[str], loadgen_prefix: str) -> None:
    assert sorted(suite.get_benchmark_names()) == sorted(expected_names)
    for bench in suite.get_benchmarks():
        values = bench.get_values()
        assert values and all(v > 0 for v in values), (bench.get_name(), values)
        metadata = bench.get_metadata()
        assert metadata["loadgen"].startswith(loadgen_prefix), metadata["loadgen"]
        assert metadata["testserver_workers"] == 8
        assert metadata["unit"] == "second"
        assert metadata["inner_loops"] == metadata["testserver_requests"]
        check_joint(bench)


JOINT_KEYS = {"seq", "loops", "elapsed", "completed", "cpu_chunks", "user_seconds", "sys_seconds",
              "voluntary_ctxt_switches", "involuntary_ctxt_switches", "loadgen_user_seconds",
              "loadgen_sys_seconds", "loadgen_voluntary_ctxt_switches",
              "loadgen_involuntary_ctxt_switches", "steal_seconds", "machine_cpu_seconds"}


def check_joint(bench) -> list[dict]:
    """Every run holds one joint record per call (warmups, values) with the window's counters."""
    records = []
    for run in bench.get_runs():
        joint = json.loads(run.get_metadata()["testserver_joint"])
        assert len(joint) == len(run.warmups or ()) + len(run.values), bench.get_name()
        for rec in joint:
            assert JOINT_KEYS <= set(rec), JOINT_KEYS - set(rec)
            assert rec["elapsed"] > 0 and rec["completed"] >= 1
            # the generator is a child process that did work: its CPU time shows
            assert rec["loadgen_user_seconds"] + rec["loadgen_sys_seconds"] > 0
            assert rec["loadgen_voluntary_ctxt_switches"] > 0
            cpu = bench.get_metadata()["testserver_cpu_thread"]
            assert (rec["cpu_chunks"] > 0) if cpu else rec["cpu_chunks"] is None
        records += joint
    return records


@pytest.mark.skipif(shutil.which("ab") is None, reason="ab (apache2-utils) not installed")
def test_ab_scenario(tmp_path):
    suite = run_and_load(tmp_path, "--loadgen", "ab", "--select", "c1_keepalive")
    check_suite(suite, ["c1_keepalive", "c1_keepalive.p50", "c1_keepalive.p99"], "ab ")


def test_python_loadgen(tmp_path):
    suite = run_and_load(tmp_path, "--loadgen", "python", "--select", "c10_keepalive,c1_close_cpu.cpu_thread")
    check_suite(suite, ["c10_keepalive", "c10_keepalive.p50", "c10_keepalive.p99",
                        "c1_close_cpu.cpu_thread"], "python ")


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk not installed")
def test_wrk_scenario(tmp_path):
    suite = run_and_load(tmp_path, "--loadgen", "wrk", "--select", "c1_close")
    check_suite(suite, ["c1_close", "c1_close.p50", "c1_close.p99"], "wrk ")


def test_open_loop_rows_store_their_schedule_and_censoring(tmp_path):
    """A real open-loop run: equal scheduled requests, exceedance and generator lag per record."""
    suite = run_and_load(tmp_path, "--select", "open_loop_cpu.p99,open_loop.p50",
                         "--loadgen-python", sys.executable)
    check_suite(suite, ["open_loop.p50", "open_loop_cpu.p99"], "")
    for bench in suite.get_benchmarks():
        meta = bench.get_metadata()
        assert meta["open_loop_loadgen"].startswith("open_loop.py on ")
        assert meta["testserver_rate"] > 0 and meta["testserver_open_loop_cap"] > 0
        for rec in check_joint(bench):
            assert rec["scheduled"] == meta["testserver_requests"]
            assert rec["completed"] + rec["censored"] == rec["scheduled"]
            assert 0 <= rec["censored"] <= rec["exceeded"] <= rec["scheduled"]
            assert rec["send_lag_p99"] >= rec["send_lag_p50"] >= 0
            # the run lasted at least the schedule: n / rate seconds
            assert rec["elapsed"] >= (rec["scheduled"] - 1) / rec["rate"]


def test_list_names():
    proc = run_script("--list")
    assert proc.returncode == 0, proc.stderr
    names = [line.split()[0] for line in proc.stdout.splitlines()]
    assert len(names) == 8 * 3 + 4 + 2 * 2  # closed-loop rows, then open_loop[_cpu].p50/.p99
    assert {"c1_close", "c10_keepalive_cpu.p99", "c10_close_cpu.cpu_thread"} <= set(names)
    open_rows = {"open_loop.p50", "open_loop.p99", "open_loop_cpu.p50", "open_loop_cpu.p99"}
    assert open_rows <= set(names)


def test_unknown_name_exits_2():
    proc = run_script("--select", "nope")
    assert proc.returncode == 2
    assert "nope" in proc.stderr and "c1_keepalive" in proc.stderr


def test_missing_ab_names_the_package(tmp_path):
    env = dict(os.environ, PATH=str(tmp_path))  # nothing on PATH: no ab, no wrk
    proc = run_script("--loadgen", "ab", "--select", "c1_close", env=env)
    assert proc.returncode != 0
    assert "apache2-utils" in proc.stderr
    proc = run_script("--select", "c1_close", env=env)  # default: neither ab nor wrk found
    assert proc.returncode != 0
    assert "apache2-utils" in proc.stderr and "--loadgen python" in proc.stderr


def _load_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("bm_testserver_run", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


WRK_OUT = """Running 1s test @ http://127.0.0.1:1/
  1 threads and 10 connections
  Latency Distribution
     50%  300.00us
     99%    2.00ms
  2000 requests in 1.00s, 1.00MB read
  Socket errors: connect 0, read {read}, write 0, timeout {timeout}
Requests/sec:   2000.00
"""


def test_wrk_errors_are_counted_and_fatal(monkeypatch):
    """Any read error or timeout stops the run, as ab's failures do (one read error per
    connection used to pass); a clean run carries its zero counts into the joint record."""
    bm = _load_module()
    assert bm.wrk_errors("no error line") == {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    assert bm.wrk_errors(WRK_OUT.format(read=3, timeout=1))["timeout"] == 1
    scn = bm.SCENARIOS["c10_keepalive"]
    for read, timeout, fatal in ((0, 0, False), (1, 0, True), (0, 1, True)):
        monkeypatch.setattr(bm, "_run_process", lambda *a, r=read, t=timeout: WRK_OUT.format(read=r, timeout=t))
        if fatal:
            with pytest.raises(bm.LoadGenError, match="socket errors"):
                bm.run_wrk("http://127.0.0.1:1/", scn, 1)
        else:
            result = bm.run_wrk("http://127.0.0.1:1/", scn, 1)
            assert result.requests == 2000
            assert result.extra["loadgen_read_errors"] == 0
            assert result.extra["loadgen_timeout_errors"] == 0
