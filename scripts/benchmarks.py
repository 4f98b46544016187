"""What the benchmark matrix runs: each benchmark of bench/ and how it is invoked.

bench/ follows pyperformance's layout (MANIFEST + bm_<name>/run_benchmark.py), so
``pyperformance run --manifest bench/MANIFEST`` works too. The harness needs a little
more than pyperformance knows: some scripts have several modes (a pyperf timing run,
a deterministic size table, a memory run in fresh processes). Each mode is a Job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .config import ROOT
from .errors import UsageError

BENCH = ROOT / "bench"


@dataclass(frozen=True)
class Job:
    """One invocation of a benchmark script for one variant.

    ``output`` is "pyperf" (a pyperf suite; the rounds are merged into one) or "json"
    (the script's own JSON, deterministic, so ``once``: one round is enough).
    ``processes``: the harness passes ``--processes N`` (a pyperf.Runner script).
    """

    bench: str
    name: str
    args: tuple[str, ...] = ()
    output_flag: str = "-o"
    output: str = "pyperf"
    processes: bool = True
    once: bool = False

    @property
    def script(self) -> Path:
        return BENCH / f"bm_{self.bench}" / "run_benchmark.py"

    @property
    def label(self) -> str:
        return self.bench if self.name == "main" else f"{self.bench}.{self.name}"


JOBS: dict[str, tuple[Job, ...]] = {
    "giltest": (Job("giltest", "main"),),
    "testserver": (Job("testserver", "main"),),
    "dict_memory": (
        Job("dict_memory", "sizes", output_flag="--sizes-json", output="json", processes=False, once=True),
        Job("dict_memory", "memory", output_flag="--memory-json", processes=False),
        Job("dict_memory", "speed"),
    ),
}


def manifest_names() -> list[str]:
    """Benchmark names listed in bench/MANIFEST (pyperformance's format)."""
    names = []
    in_table = False
    for line in (BENCH / "MANIFEST").read_text().splitlines():
        line = line.strip()
        if line.startswith("["):
            in_table = line == "[benchmarks]"
            continue
        if in_table and line and not line.startswith("#") and not line.startswith("name"):
            names.append(re.split(r"\s+", line)[0])
    return names


def select(names: list[str] | None) -> list[str]:
    """Validate a benchmark selection (None: all, in MANIFEST order)."""
    known = manifest_names()
    missing = [n for n in known if n not in JOBS]
    if missing:
        raise UsageError(f"bench/MANIFEST lists {missing} but the harness has no jobs for them")
    if not names:
        return known
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(f"unknown benchmark(s) {unknown}; valid benchmarks: {', '.join(known)}")
    return names
