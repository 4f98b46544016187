"""bench/bm_testserver/open_loop.py and joint_window.py: known answers.

The open-loop generator must charge a request the time from its *scheduled* send, so a
stall shows in every request scheduled during it (a closed-loop tool would show it
once), and must count a request unanswered at the cap as slower than the cap, not drop
it. Checked with a scripted server on 127.0.0.1 whose stalls are known.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench" / "bm_testserver"))
import joint_window  # noqa: E402
import open_loop  # noqa: E402

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nhello"


def test_schedule_is_a_fixed_rate_from_t0():
    assert open_loop.schedule(10.0, 4, 100.0) == pytest.approx([10.0, 10.01, 10.02, 10.03])
    with pytest.raises(ValueError):
        open_loop.schedule(0.0, 3, 0.0)


def test_summarize_counts_censored_requests_as_slower_than_the_cap():
    # 98 fast requests, one slow but answered, one never answered (None): n stays 100.
    latencies = [0.001] * 98 + [0.5, None]
    out = open_loop.summarize(latencies, cap=1.0, threshold=0.005)
    assert out["requests"] == 100 and out["completed"] == 99 and out["censored"] == 1
    assert out["exceeded"] == 2            # the slow one and the censored one
    assert out["p50"] == 0.001
    assert out["p99"] == 0.5               # rank 99 of 100; rank 100 is the censored one
    assert out["mean"] == pytest.approx((98 * 0.001 + 0.5 + 1.0) / 100)
    # with two censored the p99 is the cap itself: ">= cap", not a dropped tail
    assert open_loop.summarize([0.001] * 98 + [None, None], 1.0, 0.005)["p99"] == 1.0
    # an answer later than the cap is censored too
    assert open_loop.summarize([0.001, 2.0], 1.0, 0.005)["censored"] == 1


class ScriptedServer:
    """Answers GET / on 127.0.0.1; the k-th request (0-based, over all connections) waits
    ``stalls[k]`` seconds first, or is never answered when that is None."""

    def __init__(self, stalls: dict[int, float | None]):
        self.stalls = stalls
        self.count = 0
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.closing = False
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while not self.closing:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn):
        buf = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    buf += chunk
                buf = buf[buf.index(b"\r\n\r\n") + 4:]
                with self.lock:
                    k, self.count = self.count, self.count + 1
                stall = self.stalls.get(k, 0.0)
                if stall is None:
                    time.sleep(3.0)   # never answered within any cap used here
                    return
                time.sleep(stall)
                conn.sendall(RESPONSE)

    def close(self):
        self.closing = True
        self.listener.close()


def test_latency_runs_from_the_scheduled_time_so_a_stall_hits_every_request_behind_it():
    # One connection, 100 req/s: request 5 stalls 0.3 s. Requests 6..30 were due during the
    # stall; a closed-loop tool would time each from its (late) send and see ~0 s.
    server = ScriptedServer({5: 0.3})
    try:
        out = open_loop.run("127.0.0.1", server.port, 40, 100.0, 1, cap=1.0, threshold=0.05)
    finally:
        server.close()
    lat = out["latencies"]
    assert out["nerrors"] == 0 and out["censored"] == 0
    assert lat[5] >= 0.3
    # request 6 was due 10 ms after 5, so it waited about 0.29 s of the stall
    assert 0.25 < lat[6] < 0.5
    assert 0.1 < lat[20] < 0.3     # due 150 ms after request 5: about 0.15 s of waiting
    assert lat[39] < 0.05          # due 0.34 s after request 5: the backlog has drained
    assert out["exceeded"] >= 20   # every request due during the stall exceeds 50 ms


def test_a_request_unanswered_at_the_cap_is_censored_not_dropped():
    server = ScriptedServer({3: None})
    try:
        out = open_loop.run("127.0.0.1", server.port, 20, 50.0, 2, cap=0.3, threshold=0.1)
    finally:
        server.close()
    assert out["requests"] == 20 and out["nerrors"] == 0
    assert out["latencies"][3] is None
    assert out["censored"] >= 1 and out["completed"] == 20 - out["censored"]
    assert out["exceeded"] >= out["censored"]
    assert out["p99"] == 0.3 and out["mean"] >= 0.3 / 20
    # the connection was reopened: requests after the censored one were answered
    assert all(x is not None for x in out["latencies"][10:])


def test_cpu_ticks_reads_steal_and_total_from_proc_stat(tmp_path):
    stat = tmp_path / "stat"
    stat.write_text("cpu  100 5 50 1000 20 1 2 7 3 0\ncpu0 50 2 25 500 10 0 1 3 0 0\n")
    assert joint_window.cpu_ticks(str(stat)) == (7, 100 + 5 + 50 + 1000 + 20 + 1 + 2 + 7)
    assert joint_window.cpu_ticks(str(tmp_path / "missing")) is None


def test_window_is_the_difference_of_two_snapshots(monkeypatch):
    monkeypatch.setattr(joint_window, "clock_ticks_per_second", lambda: 100.0)
    before = joint_window.Snapshot(1.0, 10, (1.0, 0.5, 100, 10), (2.0, 1.0, 50, 5), (30, 1000))
    after = joint_window.Snapshot(3.5, 410, (2.5, 0.75, 160, 14), (2.25, 1.5, 80, 9), (45, 1400))
    rec = joint_window.window(before, after, completed=250, cpu_thread=True)
    assert rec == {
        "elapsed": 2.5, "completed": 250, "cpu_chunks": 400,
        "user_seconds": 1.5, "sys_seconds": 0.25,
        "voluntary_ctxt_switches": 60, "involuntary_ctxt_switches": 4,
        "loadgen_user_seconds": 0.25, "loadgen_sys_seconds": 0.5,
        "loadgen_voluntary_ctxt_switches": 30, "loadgen_involuntary_ctxt_switches": 4,
        "steal_seconds": 0.15, "machine_cpu_seconds": 4.0,
    }
    assert joint_window.window(before, after, 250, cpu_thread=False)["cpu_chunks"] is None
