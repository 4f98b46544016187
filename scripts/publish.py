"""What a results root publishes, regenerated in one place: a run's report.md and charts/,
the index of runs (``<results>/README.md``) and ``<results>/SUMMARY.md``.

A new run (``make bench``, ``make sweep-dict``) and a regenerated one (``make report``)
end here, so every route writes the same pages the same way; ``make summary`` rewrites
the summary alone. Each page is derived from the runs' JSON only: scripts/report.py
makes a run's report (with each benchmark family's view, scripts/views/),
scripts/runs_index.py the index, scripts/summary.py the summary.

Runs under the harness venv (pandas, numpy, scipy, matplotlib, pyperf):
``python -m scripts.publish RESULTS_DIR [RUN_DIR]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import report, runs_index, ui
from . import summary as summary_page
from .errors import run_entry_point


def run(run_dir: Path, results: Path) -> None:
    """A finished run's report.md and charts/, then the pages of ``results`` that list runs."""
    ui.step(f"report: {ui.shown(report.write_report(run_dir))}")
    ui.step(f"index: {ui.shown(runs_index.write_index(results))}")
    summary(results)


def summary(results: Path) -> None:
    """``results``/SUMMARY.md, from every finished run under it."""
    ui.step(f"summary: {ui.shown(summary_page.write(results))}")


def main(argv: list[str]) -> int:
    """python -m scripts.publish RESULTS_DIR [RUN_DIR]: with a run, its report, the index and the
    summary; without, the summary alone."""
    results = Path(argv[0]).resolve()
    if len(argv) > 1:
        run(Path(argv[1]).resolve(), results)
    else:
        summary(results)
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point(main, sys.argv[1:]))
