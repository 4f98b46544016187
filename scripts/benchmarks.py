"""What the benchmark matrix runs: each benchmark of bench/ and how it is invoked.

bench/ follows pyperformance's layout (MANIFEST + bm_<name>/run_benchmark.py), so
``pyperformance run --manifest bench/MANIFEST`` works too. The harness needs a little
more than pyperformance knows: some scripts have several modes (a pyperf timing run,
a deterministic size table, a memory run in fresh processes). Each mode is a Job.

``pyperformance`` itself (the general-cost suite) is one more benchmark name: its jobs
are chunks of pyperformance benchmarks, a time pass and a --track-memory pass, run by
the pinned pyperformance package against the variant's interpreter.
"""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .config import ROOT
from .errors import UsageError

BENCH = ROOT / "bench"
PYPERFORMANCE = "pyperformance"  # the external suite, run by the pinned pyperformance package
PYPERFORMANCE_SUBSET_FILE = BENCH / "pyperformance.toml"
PYPERFORMANCE_SELECTIONS = ("subset", "all")
ALL_CHUNK = 12  # benchmarks per interleaving chunk with PYPERFORMANCE=all


@dataclass(frozen=True)
class Job:
    """One invocation of a benchmark script for one variant.

    ``output`` is "pyperf" (a pyperf suite; the rounds are merged into one) or "json"
    (the script's own JSON, deterministic, so ``once``: one round is enough).
    ``processes``: the harness passes ``--processes N`` (a pyperf.Runner script).
    ``sidecar``: an option of the script naming a JSON-lines file it appends to beside its
    output (giltest's joint measurements); the rounds' files are concatenated.
    """

    bench: str
    name: str
    args: tuple[str, ...] = ()
    output_flag: str = "-o"
    output: str = "pyperf"
    processes: bool = True
    once: bool = False
    # pyperformance jobs: the benchmarks of one chunk, and whether this is the memory pass
    suite_benchmarks: tuple[str, ...] = ()
    track_memory: bool = False
    sidecar: str = ""

    @property
    def script(self) -> Path:
        return BENCH / f"bm_{self.bench}" / "run_benchmark.py"

    @property
    def external(self) -> bool:
        """Run by the pyperformance package, not by a script of bench/."""
        return self.bench == PYPERFORMANCE

    @property
    def label(self) -> str:
        return self.bench if self.name == "main" else f"{self.bench}.{self.name}"


JOBS: dict[str, tuple[Job, ...]] = {
    "giltest": (Job("giltest", "main", sidecar="--joint-file"),),
    # The open-loop load generator runs on the harness's own Python: the same for every variant.
    "testserver": (Job("testserver", "main", args=("--loadgen-python", sys.executable)),),
    "dict_memory": (
        Job("dict_memory", "sizes", output_flag="--sizes-json", output="json", processes=False, once=True),
        Job("dict_memory", "memory", output_flag="--memory-json", processes=False),
        Job("dict_memory", "speed"),
        # callgrind counts are deterministic: one round, 200 repetitions under QUICK too (20 left
        # the start-up subtraction a few per cent of noise: 1.05x and 1.02x for the same dict code)
        Job("dict_memory", "instructions", output_flag="--instructions-json", output="json",
            processes=False, once=True),
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
    """Validate a benchmark selection (None: the bench/ ones, in MANIFEST order).

    ``pyperformance`` is valid too but never part of the default: it takes far longer.
    """
    known = manifest_names()
    missing = [n for n in known if n not in JOBS]
    if missing:
        raise UsageError(f"bench/MANIFEST lists {missing} but the harness has no jobs for them")
    if not names:
        return known
    unknown = [n for n in names if n not in known and n != PYPERFORMANCE]
    if unknown:
        raise UsageError(f"unknown benchmark(s) {unknown}; valid benchmarks: {', '.join(known + [PYPERFORMANCE])}")
    return names


def pyperformance_groups() -> dict[str, tuple[str, tuple[str, ...]]]:
    """The default subset: group -> (why it is in, its pyperformance benchmark names)."""
    with PYPERFORMANCE_SUBSET_FILE.open("rb") as fh:
        doc = tomllib.load(fh)
    return {name: (group["why"], tuple(group["benchmarks"])) for name, group in doc["groups"].items()}


def pyperformance_all() -> list[str]:
    """Every benchmark of the installed pyperformance's default group (its MANIFEST, comments skipped)."""
    from importlib import resources

    names = []
    in_table = False
    text = (resources.files("pyperformance") / "data-files" / "benchmarks" / "MANIFEST").read_text()
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            in_table = line == "[benchmarks]"
        elif in_table and line and not line.startswith("#") and not line.startswith("name"):
            names.append(re.split(r"\s+", line)[0])
    return names


def pyperformance_jobs(selection: str) -> tuple[Job, ...]:
    """Time pass, then memory pass (--track-memory), each split into chunks that interleave."""
    if selection not in PYPERFORMANCE_SELECTIONS:
        raise UsageError(f"unknown pyperformance selection {selection!r}; valid: {', '.join(PYPERFORMANCE_SELECTIONS)}")
    if selection == "subset":
        chunks = {name: names for name, (_, names) in pyperformance_groups().items()}
    else:
        every = pyperformance_all()
        chunks = {f"all{i // ALL_CHUNK + 1}": tuple(every[i:i + ALL_CHUNK]) for i in range(0, len(every), ALL_CHUNK)}
    return tuple(
        Job(
            PYPERFORMANCE,
            f"{kind}.{chunk}",
            processes=False,
            once=True,
            suite_benchmarks=names,
            track_memory=kind == "memory",
        )
        for kind in ("time", "memory")
        for chunk, names in chunks.items()
    )


def jobs_of(bench: str, pyperformance_selection: str = "subset") -> tuple[Job, ...]:
    """The jobs of one benchmark of a plan."""
    return pyperformance_jobs(pyperformance_selection) if bench == PYPERFORMANCE else JOBS[bench]


def pyperformance_markdown() -> str:
    """docs/benchmarks.md's table of the default pyperformance subset, generated from bench/pyperformance.toml."""
    rows = ["| group | benchmarks | why they are in |", "|---|---|---|"]
    for name, (why, names) in pyperformance_groups().items():
        rows.append(f"| `{name}` | {', '.join(f'`{n}`' for n in names)} | {why} |")
    return "\n".join(rows)
