"""Small pyperf suites with known values, for report tests that must not depend on speed."""

from __future__ import annotations

import numpy as np
import pyperf

from scripts.results_layout import SIZES_FILE


def suite(
    values_by_name: dict[str, list[float]], unit: str = "second", meta: dict | None = None
) -> pyperf.BenchmarkSuite:
    benchmarks = []
    for name, values in values_by_name.items():
        runs = [
            pyperf.Run([v], metadata={"name": name, "unit": unit, "loops": 1, **(meta or {})}, collect_metadata=False)
            for v in values
        ]
        benchmarks.append(pyperf.Benchmark(runs))
    return pyperf.BenchmarkSuite(benchmarks)


def jitter(center: float, n: int = 8, spread: float = 0.01) -> list[float]:
    return list(center * (1 + spread * np.linspace(-1, 1, n)))


def process_suite(processes_by_name: dict[str, list[list[float]]], unit: str = "second") -> pyperf.BenchmarkSuite:
    """Like ``suite``, but each inner list is one worker process's values (as pyperformance writes)."""
    benchmarks = []
    for name, processes in processes_by_name.items():
        runs = [pyperf.Run(values, metadata={"name": name, "unit": unit, "loops": 1}, collect_metadata=False)
                for values in processes]
        benchmarks.append(pyperf.Benchmark(runs))
    return pyperf.BenchmarkSuite(benchmarks)


def _write_full_extras(run, variant: str, meta: dict) -> None:
    """testserver and pyperformance files: 'fast' serves 25% more requests, runs bm_b 10% slower."""
    fast = variant != "baseline"
    server = {"c1_close": jitter(1e-3 / (1.25 if fast else 1)), "c1_close_cpu": jitter(4e-3)}
    suite(server, meta=meta).dump(str(run / variant / "testserver.json"))
    timing = {"bm_a": [[v] for v in jitter(2e-3)],
              "bm_b": [[v] for v in jitter(1e-3 * (1.1 if fast else 1))]}
    process_suite(timing).dump(str(run / variant / "pyperformance.time.chunk0.json"))
    memory = {"bm_a": [[v] for v in jitter(5e6 * (0.9 if fast else 1))],
              "bm_b": [[v] for v in jitter(4e6)]}
    process_suite(memory, unit="byte").dump(str(run / variant / "pyperformance.memory.chunk0.json"))


MIXED_GAPS = ("2ms", "500us", "100us")


def write_giltest_extras(run, variant: str, meta: dict, fast: bool) -> None:
    """giltest's mixed_io_cpu_* and compute_release* rows, and their joint lines (round 0).

    Every gap: 'fast' serves a datagram in 0.2 ms (p99 0.4 ms) and leaves the CPU thread
    60% of its rate while the IO thread is busy 5% of the time (a GIL idle for 35 points:
    GIL use 0.6 / 0.95); baseline takes 5 ms (p99 20 ms) and keeps the CPU thread at 99%
    with 1% busy. Both hash 500 MiB/s beside the CPU thread; 'fast' keeps the CPU thread
    at 40,000 chunks/s (baseline 38,000). Four processes of two values each, their means
    0.97, 0.99, 1.01 and 1.03 times those figures.
    """
    import json

    import pyperf

    share, busy = (0.60, 0.05) if fast else (0.99, 0.01)
    p50, p99 = (0.2e-3, 0.4e-3) if fast else (5e-3, 20e-3)
    stats = {"cpu_share": (share, "integer"), "io_busy": (busy, "integer"), "p50": (p50, "second"),
             "p99": (p99, "second")}
    benchmarks, lines = [], []
    for gap in MIXED_GAPS:
        for stat, (center, unit) in stats.items():
            name = f"mixed_io_cpu_{gap}.{stat}"
            runs = []
            for process in range(4):
                pid = 1000 * (1 + len(benchmarks)) + process
                values = jitter(center * (1 + 0.02 * (process - 1.5)), 2, 0.01)  # process means 0.97-1.03x
                runs.append(pyperf.Run(values, metadata={"name": name, "unit": unit, "loops": 1, **meta},
                                       collect_metadata=False))
                for seq, _ in enumerate([None, *values], start=1):  # the first line is the warmup
                    lines.append({"round": 0, "pid": pid, "seq": seq, "bench": name, "gap": 0.001,
                                  "elapsed": 0.2, "cpu_chunks": 1000, "cpu_share": share, "io_busy": busy,
                                  "gil_use": share / (1 - busy), "io_handling": busy + 0.01,
                                  "datagrams": 100, "received": 100 if fast else 90, "p50": p50, "p99": p99})
            benchmarks.append(pyperf.Benchmark(runs))
    window = {"compute_release": [2e-3] * 8, "compute_release_cpu": [2e-3] * 8,
              "compute_release_cpu.cpu_thread": [1 / (40_000 if fast else 38_000)] * 8}
    for name, values in window.items():
        values = jitter(values[0], 8, 0.01)
        runs = [pyperf.Run([v], metadata={"name": name, "unit": "second", "loops": 1, **meta},
                           collect_metadata=False) for v in values]
        benchmarks.append(pyperf.Benchmark(runs))
    path = run / variant / "giltest.json"
    suite_ = pyperf.BenchmarkSuite.load(str(path))
    for bench in benchmarks:
        suite_.add_benchmark(bench)
    path.unlink()
    suite_.dump(str(path))
    from scripts import results_layout as layout

    layout.sidecar_path(layout.result_path(run, variant, "giltest")).write_text(
        "".join(json.dumps(x) + "\n" for x in lines))


def write_two_variant_run(tmp_path, commit: str = "abc123", full: bool = False,
                          other: str = "fast"):
    """A two-variant run: ``other`` halves hand-off time, the CPU thread keeps 50%, sizes shrink.

    ``commit`` is the harness commit in every value's metadata; ``full`` adds testserver
    and pyperformance files and giltest's paced-IO and hashing rows
    (``write_giltest_extras``), so that every chart of the report is drawn.
    """
    import json

    run = tmp_path / "results" / "linux-x86_64-2cpu" / "3.13.5" / "20260101T000000Z"
    benches = ["giltest", "dict_memory"] + (["testserver", "pyperformance"] if full else [])
    plan = {"variants": ["baseline", other], "benches": benches, "flavor": "release",
            "quick": True, "rounds": 1, "processes": 2}  # fmt: skip
    run.mkdir(parents=True)
    started = "2026-01-01T00:00:00+00:00"
    (run / "plan.json").write_text(json.dumps({"plan": plan, "started_at": started}))
    for variant in ("baseline", other):
        fast = variant == other
        values = {"handoff_lock": jitter(10e-6), "handoff_lock_cpu": jitter(2e-3 if fast else 4e-3),
                  "handoff_lock_cpu.cpu_thread": jitter(50e-6), "cpu_1thread": jitter(25e-6),
                  "cpu_2threads": jitter(25e-6),
                  "io_latency_cpu1": jitter(0.2e-3 if fast else 5e-3, 40, 0.2)}
        (run / variant).mkdir()
        meta = {"harness_variant": variant, "harness_patches": "none",
                "harness_configure_args": "none", "harness_defines": "none",
                "harness_commit": commit}
        suite(values, meta=meta).dump(str(run / variant / "giltest.json"))
        mem = {"mem_json_corpus.tracemalloc": [800.0 if fast else 1000.0] * 3}
        suite(mem, unit="byte", meta=meta).dump(str(run / variant / "dict_memory.memory.json"))
        speed = {"dict_insert_100": jitter(3.3e-6 if fast else 3e-6)}
        suite(speed, meta=meta).dump(str(run / variant / "dict_memory.speed.json"))
        rows = [{"n": n, "keys": k, "built_by": "insertion",
                 "bytes": (64 + 16 * n) * (0.75 if fast else 1)}
                for n in range(101) for k in ("int", "str")]
        sizes = json.dumps({"meter": "sys.getsizeof", "rows": rows})
        (run / variant / SIZES_FILE).write_text(sizes)
        if full:
            _write_full_extras(run, variant, meta)
            write_giltest_extras(run, variant, meta, fast)
    return run
