"""What a benchmark family's view is, and what it is given: the one interface between the
report and the knowledge of each benchmark.

A ``View`` belongs to one benchmark (a name of bench/MANIFEST, or ``pyperformance``)
and turns a run that the report has read (``Run``) into its Markdown sections and its
charts; it may also add rows of its own to the run's per-process values (``values``),
made from files the generic loader does not read (giltest's joint lines). The report
asks every registered view (scripts/views/__init__.py) in turn and knows no benchmark
row itself. Views read only the run's JSON, so a regenerated report is the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd


@dataclass(frozen=True, eq=False)
class Run:
    """One finished run as the report has read it: what every view is given.

    ``values`` has one row per variant, source, metric and worker process
    (``report.load_values``), ``raw`` one row per stored value (``report.load_raw``),
    ``table`` the comparison with baseline (``report.comparison_table``, rows measured
    before a method change marked); ``footer`` names the machine, run and mode under
    every chart.
    """

    path: Path
    variants: list[str]
    values: pd.DataFrame
    raw: pd.DataFrame
    table: pd.DataFrame
    footer: str = ""


def no_sections(run: Run) -> list[str]:
    """A view without report sections of its own."""
    return []


def no_charts(run: Run, folder: Path) -> list[Path]:
    """A view without charts of its own."""
    return []


@dataclass(frozen=True)
class View:
    """How one benchmark's results read: its report sections and its charts.

    ``sections(run)`` returns Markdown lines (none when the run did not measure the
    family); ``charts(run, folder)`` writes PNG and SVG files into ``folder`` and
    returns them (none likewise); ``values(run_dir)``, when given, returns further
    per-process rows in ``report.load_values``'s columns; ``declares`` names the
    metadata keys with which the benchmark weighs its values (``report.load_raw``).
    """

    name: str  # unique among the views
    bench: str  # the benchmark whose results it reads: a bench/MANIFEST name or "pyperformance"
    sections: Callable[[Run], list[str]] = no_sections
    charts: Callable[[Run, Path], list[Path]] = no_charts
    values: Callable[[Path], pd.DataFrame] | None = None
    # what the benchmark's pyperf metadata declares about a value's work, by the column of
    # processes.RAW_COLUMNS it fills ("batch", "window", "cap") -> the metadata key
    declares: tuple[tuple[str, str], ...] = ()
