"""bench/bm_giltest/run_benchmark.py runs, selects and lists benchmarks (no performance thresholds)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pyperf = pytest.importorskip("pyperf")

SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "bm_giltest" / "run_benchmark.py"

ALL_NAMES = [
    "cpu_1thread",
    "cpu_2threads",
    "handoff_lock",
    "handoff_lock_cpu",
    "handoff_lock_cpu.cpu_thread",
    "handoff_condition",
    "handoff_condition_cpu",
    "handoff_condition_cpu.cpu_thread",
    "handoff_queue",
    "handoff_queue_cpu",
    "handoff_queue_cpu.cpu_thread",
    "io_latency_cpu0",
    "io_latency_cpu1",
    "io_latency_cpu2",
    *[f"mixed_io_cpu_{gap}.{stat}" for gap in ("2ms", "500us", "100us")
      for stat in ("cpu_share", "io_busy", "p50", "p99")],
    "compute_release",
    "compute_release_cpu",
    "compute_release_cpu.cpu_thread",
    "gil_switch",
    "lock_with_pass",
    "condition_notify_nowaiter",
    "queue_put_get",
]

# one of each mechanism: plain loops, a hand-off pair, the forced-loops
# handoff_*_cpu and *.cpu_thread values, the latency sender process, gil_switch
SELECTED = [
    "cpu_2threads",
    "handoff_lock_cpu",
    "handoff_lock_cpu.cpu_thread",
    "handoff_queue",
    "io_latency_cpu1",
    "mixed_io_cpu_2ms.cpu_share",
    "compute_release_cpu.cpu_thread",
    "gil_switch",
    "queue_put_get",
]
SHARES = {"mixed_io_cpu_2ms.cpu_share"}  # stored in pyperf's plain-number unit


def run(*args: str, timeout: float = 25) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True, text=True, timeout=timeout,
    )


def test_list_prints_all_names_in_order():
    proc = run("--list", timeout=10)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ALL_NAMES


def test_unknown_select_exits_2_and_lists_valid_names():
    proc = run("--select", "cpu_1thread,nope", timeout=10)
    assert proc.returncode == 2
    assert "nope" in proc.stderr
    for name in ALL_NAMES:
        assert name in proc.stderr


def test_tiny_run_writes_positive_values(tmp_path: Path):
    out = tmp_path / "giltest.json"
    proc = run(
        "--select", ",".join(SELECTED),
        "--processes", "1", "--values", "1", "--warmups", "0", "--loops", "2",
        "--quiet", "-o", str(out),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    suite = pyperf.BenchmarkSuite.load(str(out))
    # registration order is kept
    assert suite.get_benchmark_names() == SELECTED
    for bench in suite.get_benchmarks():
        values = bench.get_values()
        assert values, bench.get_name()
        assert all(v > 0 for v in values), (bench.get_name(), values)
        assert bench.get_unit() == ("integer" if bench.get_name() in SHARES else "second")
    metadata = suite.get_benchmark("cpu_2threads").get_metadata()
    assert metadata["giltest_chunk"] > 0
    assert metadata["giltest_handoffs_per_value"] > 0
    assert metadata["giltest_cpu_window"] > 0
    # forced one-latency-per-value: loops 1, values multiplied
    latency = suite.get_benchmark("io_latency_cpu1")
    assert latency.get_metadata()["loops"] == 1
    assert len(latency.get_values()) > 1
    assert suite.get_benchmark("handoff_lock_cpu.cpu_thread").get_metadata()["loops"] == 1
    # one window per value: loops forced to 1, whatever --loops says
    for name in ("mixed_io_cpu_2ms.cpu_share", "compute_release_cpu.cpu_thread"):
        assert suite.get_benchmark(name).get_metadata()["loops"] == 1
    assert metadata["giltest_io_work"] > 0 and metadata["giltest_mixed_window"] > 0
    assert metadata["giltest_hash_block"] == 1 << 20 and metadata["giltest_sha256"]
    # the pair beside a CPU thread does a fixed number of round trips per value
    handoffs = metadata["giltest_handoffs_per_value"]
    assert suite.get_benchmark("handoff_lock_cpu").get_metadata()["loops"] == handoffs // 2
    assert suite.get_benchmark("handoff_queue").get_metadata()["loops"] == 2


def load_giltest_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("giltest_run_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pair_beside_cpu_runs_batches_until_the_window_is_covered():
    """A value of handoff_*_cpu must span many switch intervals, not one batch of 100 hand-offs."""
    giltest = load_giltest_module()
    elapsed, trips, chunks = giltest._run_pair("lock", 3, 0, 0.05)
    assert elapsed >= 0.05
    assert trips % 3 == 0 and trips > 3   # 3 round trips alone take far less than 50 ms
    assert chunks == 0                    # no CPU thread
    assert giltest._run_pair("lock", 3, 0)[1] == 3   # no window: exactly one batch
    assert giltest.CPU_WINDOW >= 40 * 0.005          # at least 40 default switch intervals


@pytest.mark.parametrize("kind", ["lock", "condition", "queue"])
def test_one_pair_serves_a_whole_window_without_tear_down(kind, monkeypatch):
    """One pong thread per value however many batches, and every batch is inside the timed window."""
    giltest = load_giltest_module()
    started = []
    real = giltest._Thread

    def counting(*args, **kwargs):
        thread = real(*args, **kwargs)
        started.append(thread.name)
        return thread

    monkeypatch.setattr(giltest, "_Thread", counting)
    elapsed, trips, chunks = giltest._run_pair(kind, 5, 0, 0.03)
    assert started == ["pong"]
    assert elapsed >= 0.03 and trips % 5 == 0 and trips > 5
    assert not [t for t in __import__("threading").enumerate() if t.name == "pong"]  # pong returned


def test_a_failed_ping_still_stops_the_pong_thread(monkeypatch):
    giltest = load_giltest_module()
    real = giltest.PAIRS["queue"]

    def broken():
        ping, pong, finish = real()

        def failing(rounds):
            ping(rounds)
            raise RuntimeError("ping failed")

        return failing, pong, finish

    monkeypatch.setitem(giltest.PAIRS, "queue", broken)
    with pytest.raises(RuntimeError, match="ping failed"):
        giltest._run_pair("queue", 3, 0, 0.01)
    assert not [t for t in __import__("threading").enumerate() if t.name == "pong"]


def test_joint_file_pairs_each_value_with_its_windows_cpu_progress(tmp_path: Path):
    """--joint-file: one line per call in each worker; after the warmup, line k is value k of the run with that pid."""
    import json

    out, joint = tmp_path / "giltest.json", tmp_path / "joint.jsonl"
    proc = run("--select", "handoff_lock_cpu,handoff_lock_cpu.cpu_thread", "--processes", "2", "--values", "2",
               "--warmups", "1", "--quiet", "--joint-file", str(joint), "-o", str(out), timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [json.loads(line) for line in joint.read_text().splitlines()]
    suite = pyperf.BenchmarkSuite.load(str(out))
    for name in ("handoff_lock_cpu", "handoff_lock_cpu.cpu_thread"):
        runs = [r for r in suite.get_benchmark(name).get_runs() if r.values]
        assert len(runs) == 2
        for run_ in runs:
            pid = run_.get_metadata()["giltest_pid"]
            mine = sorted((x for x in lines if x["pid"] == pid and x["bench"] == name), key=lambda x: x["seq"])
            assert len(mine) == 1 + len(run_.values)  # the warmup first
            for line, value in zip(mine[1:], run_.values):
                assert line["elapsed"] >= 0.2 and line["round_trips"] > 0 and line["cpu_chunks"] >= 0
                assert line["voluntary_ctxt_switches"] >= 0 and line["involuntary_ctxt_switches"] >= 0
                if name == "handoff_lock_cpu":  # the stored value is this window's time per hand-off
                    assert value == pytest.approx(line["elapsed"] / (2 * line["round_trips"]), rel=1e-9)
                else:
                    assert value == pytest.approx(line["elapsed"] / max(1, line["cpu_chunks"]), rel=1e-9)


def _quick_mixed(giltest, monkeypatch, window=0.03, solo=0.01):
    monkeypatch.setattr(giltest, "MIXED_WINDOW", window)
    monkeypatch.setattr(giltest, "MIXED_SOLO", solo)


def test_a_mixed_io_window_measures_every_figure_in_one_process(monkeypatch, tmp_path: Path):
    """One window: the CPU thread alone, beside the IO thread serving paced datagrams, alone again;
    shares within this process, latencies from the datagrams' own send times, a joint line with all of it."""
    import json
    import threading

    giltest = load_giltest_module()
    _quick_mixed(giltest, monkeypatch)
    monkeypatch.setitem(giltest._JOINT, "path", str(tmp_path / "joint.jsonl"))
    try:
        fig = giltest._mixed_window(2_000_000, record="mixed_io_cpu_2ms.p50")
        again = giltest._mixed_window(2_000_000)   # the same sender serves the next window
    finally:
        giltest._Sender.get().close()
        giltest._Sender._instance = None
    assert fig["datagrams"] == 15 and 0 < fig["received"] <= 15 and again["datagrams"] == 15
    assert fig["elapsed"] >= 14 * 0.002                    # the schedule spans 14 gaps at least
    assert fig["solo_elapsed"] >= 2 * 0.01 and fig["solo_chunks"] > 0
    assert fig["cpu_share"] > 0 and 0 < fig["io_busy"] < 1 and fig["io_handling"] >= fig["io_busy"]
    assert fig["gil_use"] == pytest.approx(fig["cpu_share"] / (1 - fig["io_busy"]))
    assert 0 < fig["p50"] <= fig["p99"]
    line = json.loads((tmp_path / "joint.jsonl").read_text())
    assert line["bench"] == "mixed_io_cpu_2ms.p50" and line["cpu_share"] == fig["cpu_share"]
    assert line["voluntary_ctxt_switches"] >= 0
    assert not [t for t in threading.enumerate() if t.name in ("io", "cpu0")]


def test_lost_datagrams_rank_above_every_received_one():
    giltest = load_giltest_module()
    received = [1000, 2000, 3000]                        # ns; 2 of 5 lost
    assert giltest._percentile(received, 5, 50, 9.0) == 3e-6
    assert giltest._percentile(received, 5, 60, 9.0) == 3e-6
    assert giltest._percentile(received, 5, 61, 9.0) == 9.0   # among the lost: the censored value
    assert giltest._percentile([], 4, 50, 0.5) == 0.5


def test_the_sender_paces_by_an_absolute_schedule():
    """Datagram i leaves at t0 + i * gap: a late wake-up is caught up, so lateness does not grow
    along the window (sleeping one gap after each send would add every oversleep)."""
    import statistics

    giltest = load_giltest_module()
    sender = giltest._Sender.get()
    try:
        n, gap = 200, 500_000
        sender.sock.send(b"77 %d %d" % (n, gap))
        sent = {}
        while True:
            req, _, rest = sender.sock.recv(64).partition(b" ")
            assert req == b"77"
            if rest == b"end":
                break
            index, send_ns = rest.split()
            sent[int(index)] = int(send_ns)
    finally:
        sender.close()
        giltest._Sender._instance = None
    assert sorted(sent) == list(range(n))
    lateness = [sent[i] - sent[0] - i * gap for i in range(n)]   # ns behind the schedule, from datagram 0
    first, last = statistics.median(lateness[: n // 4]), statistics.median(lateness[-n // 4:])
    # sleeping one gap after each send would add every oversleep (timer slack, ~50-80 us on
    # Linux): about 150 of them, 8 ms or more, between the two quarters' medians
    assert last - first < 4_000_000


def test_hashing_beside_a_cpu_thread_counts_both_threads_over_one_window(monkeypatch, tmp_path: Path):
    import json

    giltest = load_giltest_module()
    monkeypatch.setitem(giltest._JOINT, "path", str(tmp_path / "joint.jsonl"))
    elapsed, hashed, chunks = giltest._run_hash_beside_cpu(0.02, record="compute_release_cpu")
    assert elapsed >= 0.02 and hashed >= 1 and chunks >= 0
    line = json.loads((tmp_path / "joint.jsonl").read_text())
    assert (line["hashed"], line["cpu_chunks"], line["hash_block"]) == (hashed, chunks, 1 << 20)
    assert giltest.bench_compute_release(2) > 0
    value = giltest._compute_release_func(False)(1)
    assert value > 0   # seconds per hashed MiB
