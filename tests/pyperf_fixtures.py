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


def write_two_variant_run(tmp_path, commit: str = "abc123", full: bool = False,
                          other: str = "fast"):
    """A two-variant run: ``other`` halves hand-off time, the CPU thread keeps 50%, sizes shrink.

    ``commit`` is the harness commit in every value's metadata; ``full`` adds testserver
    and pyperformance files, so that every chart of the report is drawn.
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
    return run
