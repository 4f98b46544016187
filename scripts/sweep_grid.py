"""The dict-sizing sweep's grid: which sizings ``make sweep-dict`` builds, and what each is called.

Each point is ``tight_dict`` with some knobs laid over its row (scripts/dict_sizing.py's
grammar), a short alias that reports and chart legends use, and why the point is in the
grid. The sweep (scripts/sweep.py) builds and runs the grid; the report and the charts
read the aliases from here, so they need nothing of the sweep itself. Stdlib only.
"""

from __future__ import annotations

from typing import NamedTuple

from . import dict_sizing

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
