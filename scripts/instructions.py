"""Instruction counts of dict workloads under callgrind: a variant beside baseline.

Timings on a shared 2-core machine are noise; the instructions an interpreter executes
for the same deterministic work are not. For every workload of
``bench/bm_dict_memory/instructions_workload.py`` this runs each interpreter under
``valgrind --tool=callgrind`` twice, with REPS repetitions and with none, and divides the
difference by the operations done: instructions per operation, start-up and setup
subtracted. It prints a table with each interpreter's count and its ratio to baseline,
and the geometric mean of the ratios; ``--out PATH`` also writes it as JSON.

Not measured: time, cache misses, branch mispredictions, memory.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .config import ROOT
from .errors import HarnessError, UsageError

WORKLOAD_SCRIPT = ROOT / "bench" / "bm_dict_memory" / "instructions_workload.py"
DEFAULT_REPS = 200
COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")
# The workload names and their operations per repetition, read from the script's table
# without importing it (it is written for the interpreters under test, not the harness).
_ENTRY = re.compile(r'^\s+"(\w+)": \((\w+), (\d+)\),$', re.M)


@dataclass(frozen=True)
class Interpreter:
    """One interpreter to count: a label (a variant name) and its executable."""

    label: str
    python: Path


def workloads() -> dict[str, int]:
    """Workload name -> operations per repetition, in the script's order."""
    text = WORKLOAD_SCRIPT.read_text()
    found = {name: int(ops) for name, _, ops in _ENTRY.findall(text)}
    if not found:
        raise HarnessError(f"no WORKLOADS table found in {WORKLOAD_SCRIPT}")
    return found


def select_workloads(text: str) -> list[str]:
    """The workloads named in a comma- or space-separated list (all when empty)."""
    known = workloads()
    names = [n for n in re.split(r"[,\s]+", text) if n] or list(known)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(f"unknown workload(s) {', '.join(unknown)}; valid: {', '.join(known)}")
    return names


def parse_collected(output: str) -> int:
    """The instruction count of callgrind's "Collected : N" line."""
    match = COLLECTED.search(output)
    if not match:
        raise HarnessError(f"callgrind printed no 'Collected' line:\n{output[-2000:]}")
    return int(match.group(1))


def count(python: Path, workload: str, reps: int) -> int:
    """Instructions of one run of the workload script under callgrind."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise HarnessError("valgrind is not installed (apt-get install valgrind)")
    cmd = [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null",
           str(python), "-S", str(WORKLOAD_SCRIPT), workload, str(reps)]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    for key in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONDEVMODE", "PYTHONMALLOC"):
        env.pop(key, None)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise HarnessError(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    return parse_collected(proc.stderr)


def per_operation(with_reps: int, without: int, reps: int, ops: int) -> float:
    """Instructions per operation from the two counts."""
    if reps <= 0 or ops <= 0:
        raise ValueError("reps and ops must be positive")
    return (with_reps - without) / (reps * ops)


def geomean(ratios: list[float]) -> float:
    """Geometric mean of positive ratios."""
    if not ratios or any(r <= 0 for r in ratios):
        raise ValueError("geometric mean of an empty list or of non-positive ratios")
    return math.exp(sum(math.log(r) for r in ratios) / len(ratios))


def measure(interpreters: list[Interpreter], names: list[str], reps: int, progress=None) -> dict:
    """Count every workload on every interpreter; the first one is the reference."""
    ops = workloads()
    # With no repetitions the script only starts and sets up every workload, whichever
    # is named: one such run per interpreter is the start-up to subtract.
    empty = {}
    for interp in interpreters:
        if progress:
            progress(f"{interp.label}: start-up (0 repetitions)")
        empty[interp.label] = count(interp.python, names[0], 0)
    rows = {}
    for name in names:
        row = {"ops_per_rep": ops[name]}
        for interp in interpreters:
            if progress:
                progress(f"{interp.label}: {name}")
            full = count(interp.python, name, reps)
            row[interp.label] = per_operation(full, empty[interp.label], reps, ops[name])
        rows[name] = row
    reference = interpreters[0].label
    summary = {}
    for interp in interpreters[1:]:
        ratios = [rows[n][interp.label] / rows[n][reference] for n in names]
        summary[interp.label] = {"geomean_ratio": geomean(ratios), "max_ratio": max(ratios),
                                 "max_at": names[ratios.index(max(ratios))]}
    return {
        "meter": "callgrind instructions (Ir) per operation, start-up subtracted",
        "reps": reps,
        "reference": reference,
        "interpreters": {i.label: str(i.python) for i in interpreters},
        "startup": empty,
        "workloads": rows,
        "summary": summary,
    }


def format_table(result: dict) -> str:
    """The result as a fixed-width text table."""
    labels = list(result["interpreters"])
    reference = result["reference"]
    head = ["workload", *labels, *(f"{lab}/{reference}" for lab in labels[1:])]
    lines = []
    for name, row in result["workloads"].items():
        cells = [name, *(f"{row[lab]:,.0f}" for lab in labels)]
        cells += [f"{row[lab] / row[reference]:.3f}" for lab in labels[1:]]
        lines.append(cells)
    geo = ["geometric mean", *([""] * len(labels)),
           *(f"{result['summary'][lab]['geomean_ratio']:.3f}" for lab in labels[1:])]
    lines.append(geo)
    widths = [max(len(str(c)) for c in col) for col in zip(head, *lines)]
    out = [f"instructions per operation (callgrind Ir, {result['reps']} repetitions, start-up subtracted)"]
    for cells in [head, *lines]:
        out.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))))
    return "\n".join(out)


def parse_extra(items: list[str]) -> list[Interpreter]:
    """``LABEL=PATH`` arguments: further interpreters to count beside the variant."""
    out = []
    for item in items:
        label, sep, path = item.partition("=")
        if not sep or not label or not path:
            raise UsageError(f"--interpreter wants LABEL=PATH, not {item!r}")
        if not Path(path).exists():
            raise UsageError(f"--interpreter {label}: {path} does not exist")
        out.append(Interpreter(label, Path(path)))
    return out


def write(result: dict, path: Path) -> None:
    """Write the result as JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1) + "\n")
