"""Small pyperf suites with known values, for report tests that must not depend on speed."""

from __future__ import annotations

import numpy as np
import pyperf


def suite(values_by_name: dict[str, list[float]], unit: str = "second", meta: dict | None = None) -> pyperf.BenchmarkSuite:
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
