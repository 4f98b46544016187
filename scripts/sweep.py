"""``make sweep-dict``: a small grid of dict sizings, measured side by side.

Each point of the grid is a build of ``tight_dict`` with some knobs changed (a label
such as ``tight_dict+dict-growth9_8``, see scripts/dict_sizing.py). The points and
baseline run the dict_memory benchmark in one interleaved, resumable matrix run; the
run's report then holds the size tables and the memory-vs-speed chart with the Pareto
front (charts/dict_memory_vs_speed.*), regenerable from the JSON like any run.

Runs under the harness venv (it needs pyperf, pandas and matplotlib).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NamedTuple

from . import dict_sizing, options, ui
from .errors import run_entry_point

BASE = "tight_dict"


class GridPoint(NamedTuple):
    """One sizing of the sweep: knobs laid over tight_dict's row, a short alias, why it is there."""

    overrides: str
    alias: str  # what reports and legends call it; the report's alias table gives the full label
    why: str


GRID: tuple[GridPoint, ...] = (
    GridPoint("log_minsize=2 load=4/5 growth=3/2 decoupled=0 entries_min=0 growth_min=1 "
              "presize=upstream",
              "2.7-era preset",
              "the 2.7-era PythonPlus preset copied naively: minimum size 4, load 4/5, growth 1.5"),
    GridPoint("growth=3/2", "growth 3/2", "decoupled entries, coarser growth: fewer resizes"),
    GridPoint("growth=5/4", "growth 5/4",
              "growth 5/4 instead of 9/8: fewer growth steps past 32 items, more free slots"),
    GridPoint("", BASE, "tight_dict as shipped: decoupled entries, growth 9/8 by at least 4 "
              "slots, upstream's first table, displays presized exactly"),
    GridPoint("entries_min=1", "entries_min 1",
              "a first allocation of one slot (the first version's): smaller 1-4 item dicts, "
              "each grown at its second key"),
    GridPoint("presize=upstream", "no exact presizing",
              "no exact presizing: what presizing alone is worth"),
)


def label_of(overrides: str) -> str:
    """The variant label of one grid point (tight_dict itself for the empty override)."""
    if not overrides:
        return BASE
    return f"{BASE}+{dict_sizing.slug(dict_sizing.parse_overrides(overrides))}"


def grid_labels() -> list[str]:
    """The grid's variant labels, in GRID order."""
    return [label_of(point.overrides) for point in GRID]


# Points of the first version's grid (tight_dict was then growth 5/4 from one slot), kept so
# that the published sweep run (20261130T111143Z) still reads with its aliases.
FIRST_GRID: tuple[GridPoint, ...] = (
    GridPoint("log_minsize=2 load=4/5 growth=3/2 decoupled=0 entries_min=0 presize=upstream",
              "2.7-era preset",
              "the 2.7-era PythonPlus preset copied naively: minimum size 4, load 4/5, growth 1.5"),
    GridPoint("growth=9/8", "growth 9/8",
              "first version's grid: decoupled entries, finer growth: less slack, more resizes"),
    GridPoint("entries_min=2", "entries_min 2",
              "first version's grid: first allocation of 2 slots instead of 1"),
)


def grid_aliases() -> dict[str, GridPoint]:
    """Each grid label and its point (alias and why), in GRID order, then the first
    version's points that today's grid no longer has."""
    found = {label_of(point.overrides): point for point in GRID}
    for point in FIRST_GRID:
        found.setdefault(label_of(point.overrides), point)
    return found


def main(argv: list[str]) -> int:
    args = options.add(argparse.ArgumentParser(prog="python -m scripts sweep-dict"), options.SWEEP).parse_args(argv)
    from . import matrix, report
    from . import results_layout as layout

    results = Path(args.results).resolve() if args.results else layout.DEFAULT_ROOT
    labels = ["baseline", *grid_labels()]
    ui.step(f"sweep-dict: {len(labels) - 1} dict sizings + baseline, dict_memory only")
    for label, point in zip(labels[1:], GRID):
        ui.step(f"  {label} ({point.alias}): {point.why}")
    run_dir = matrix.bench(labels, ["dict_memory"], args.flavor, args.quick, args.jobs, allow_dirty=args.allow_dirty,
                           results=results)
    ui.step(f"report: {ui.shown(report.write_report(run_dir))}")
    report.write_index(results)
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point(main, sys.argv[1:], "the sweep"))
