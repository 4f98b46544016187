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

import importlib.util
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from .config import ROOT
from .errors import HarnessError, UsageError


def _load_counts(path: Path) -> ModuleType:
    """Import bench/bm_dict_memory/instruction_counts.py by path (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location("instruction_counts", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The counting itself lives with the benchmark (stdlib only, run by the bench script under
# the interpreter being measured); this module adds the variant-against-baseline view.
_COUNTS = _load_counts(ROOT / "bench" / "bm_dict_memory" / "instruction_counts.py")
WORKLOAD_SCRIPT = Path(_COUNTS.WORKLOAD_SCRIPT)
DEFAULT_REPS = _COUNTS.DEFAULT_REPS
per_operation = _COUNTS.per_operation


@dataclass(frozen=True)
class Interpreter:
    """One interpreter to count: a label (a variant name) and its executable."""

    label: str
    python: Path


def _harness_errors(func, *args):
    """Call the bench module's ``func``; its CountError becomes the harness's HarnessError."""
    try:
        return func(*args)
    except _COUNTS.CountError as exc:
        raise HarnessError(str(exc)) from exc


def workloads() -> dict[str, int]:
    """Workload name -> operations per repetition, in the script's order."""
    return _harness_errors(_COUNTS.workloads)


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
    return _harness_errors(_COUNTS.parse_collected, output)


def geomean(ratios: list[float]) -> float:
    """Geometric mean of positive ratios."""
    if not ratios or any(r <= 0 for r in ratios):
        raise ValueError("geometric mean of an empty list or of non-positive ratios")
    return math.exp(sum(math.log(r) for r in ratios) / len(ratios))


def measure(interpreters: list[Interpreter], names: list[str], reps: int, progress=None) -> dict:
    """Count every workload on every interpreter; the first one is the reference."""
    per_interpreter = {}
    for interp in interpreters:
        def step(what: str, label: str = interp.label) -> None:
            if progress:
                progress(f"{label}: {what}")
        per_interpreter[interp.label] = _harness_errors(_COUNTS.measure, str(interp.python), names, reps, step)
    ops = workloads()
    empty = {label: result["startup"] for label, result in per_interpreter.items()}
    rows = {name: {"ops_per_rep": ops[name],
                   **{label: result["workloads"][name] for label, result in per_interpreter.items()}}
            for name in names}
    reference = interpreters[0].label
    summary = {}
    for interp in interpreters[1:]:
        ratios = [rows[n][interp.label] / rows[n][reference] for n in names]
        summary[interp.label] = {"geomean_ratio": geomean(ratios), "max_ratio": max(ratios),
                                 "max_at": names[ratios.index(max(ratios))]}
    return {
        "meter": _COUNTS.METER,
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
