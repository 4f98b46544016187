"""The instructions view: the report's table of callgrind instruction counts (dict_memory's
instructions job; no chart).

Each variant folder of a run may hold ``dict_memory.instructions.json``, written by
``bench/bm_dict_memory/run_benchmark.py --instructions-json``: instructions per operation
of every dict workload, start-up subtracted. Counts are deterministic, so there is no
interval and no test: the table gives each variant's count beside baseline's as a ratio,
and the geometric mean of the ratios over the workloads every variant has.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..instructions import geomean
from ..results_layout import INSTRUCTIONS_FILE
from .base import Run, View


def read(run_dir: Path, variants: list[str]) -> dict[str, dict]:
    """Each variant's counts file (those that have one), read once."""
    found = {}
    for variant in variants:
        path = run_dir / variant / INSTRUCTIONS_FILE
        if path.is_file():
            found[variant] = json.loads(path.read_text())
    return found


def load(run_dir: Path, variants: list[str]) -> pd.DataFrame:
    """Workloads as rows, variants as columns: instructions per operation (absent: missing)."""
    return _counts(read(run_dir, variants))


def _counts(files: dict[str, dict]) -> pd.DataFrame:
    return pd.DataFrame({variant: data["workloads"] for variant, data in files.items()})


def table(counts: pd.DataFrame, reference: str = "baseline") -> pd.DataFrame:
    """Per workload: the reference's count, and each other variant's count and ratio;
    a last row with the geometric mean of the ratios. Empty without the reference."""
    if counts.empty or reference not in counts:
        return pd.DataFrame()
    counts = counts.dropna()
    others = [v for v in counts.columns if v != reference]
    out = pd.DataFrame(index=counts.index)
    out[reference] = counts[reference].map(lambda x: f"{x:,.0f}")
    for variant in others:
        ratio = counts[variant] / counts[reference]
        out[variant] = [f"{c:,.0f} ({r:.3f}×)" for c, r in zip(counts[variant], ratio)]
    summary = {reference: ""}
    for variant in others:
        summary[variant] = f"{geomean(list(counts[variant] / counts[reference])):.3f}×"
    out.loc["geometric mean of the ratios"] = pd.Series(summary)
    return out


def section(run_dir: Path, variants: list[str]) -> list[str]:
    """The report's Markdown lines for the counts, or none when the run has none."""
    files = read(run_dir, variants)
    frame = table(_counts(files))
    if frame.empty:
        return []
    counted = ", ".join(str(r) for r in sorted({int(data["reps"]) for data in files.values()}))
    return ["## dict_memory: instructions per operation (callgrind)", "",
            "Instructions the interpreter executes per operation of each workload of "
            "[`instructions_workload.py`](../../../../bench/bm_dict_memory/instructions_workload.py), "
            f"start-up subtracted ({counted} repetitions). Deterministic, so no interval: machine noise "
            "does not move them; ratio to baseline in brackets, below 1 is fewer instructions.", "",
            _markdown(frame), ""]


def _markdown(frame: pd.DataFrame) -> str:
    head = ["workload", *frame.columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, row in frame.iterrows():
        lines.append("| " + " | ".join([str(name), *(str(c) for c in row)]) + " |")
    return "\n".join(lines) + "\n"


def sections(run: Run) -> list[str]:
    """The counts table of the run's variants (none without counts files)."""
    return section(run.path, run.variants)


VIEW = View("instructions", "dict_memory", sections)
