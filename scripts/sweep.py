"""``make sweep-dict``: a small grid of dict sizings, measured side by side.

Each point of the grid (scripts/sweep_grid.py) is a build of ``tight_dict`` with some
knobs changed (a label such as ``tight_dict+dict-growth9_8``, see scripts/dict_sizing.py). The points and
baseline run the dict_memory benchmark in one interleaved, resumable matrix run; the
run's report then holds the size tables and the memory-vs-speed chart with the Pareto
front (charts/dict_memory_vs_speed.*), regenerable from the JSON like any run.

Runs under the harness venv (it needs pyperf, pandas and matplotlib).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import options, ui
from .errors import run_entry_point
from .sweep_grid import GRID, grid_labels


def main(argv: list[str]) -> int:
    args = options.add(argparse.ArgumentParser(prog="python -m scripts sweep-dict"), options.SWEEP).parse_args(argv)
    from . import matrix, publish
    from . import results_layout as layout

    results = Path(args.results).resolve() if args.results else layout.DEFAULT_ROOT
    labels = ["baseline", *grid_labels()]
    ui.step(f"sweep-dict: {len(labels) - 1} dict sizings + baseline, dict_memory only")
    for label, point in zip(labels[1:], GRID):
        ui.step(f"  {label} ({point.alias}): {point.why}")
    run_dir = matrix.bench(labels, ["dict_memory"], args.flavor, args.quick, args.jobs, allow_dirty=args.allow_dirty,
                           results=results)
    publish.run(run_dir, results)
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point(main, sys.argv[1:], "the sweep"))
