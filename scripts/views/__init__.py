"""The registered views: each benchmark family's report sections and charts (``base.View``).

Adding a benchmark family touches its folder under bench/, bench/MANIFEST, the jobs of
scripts/benchmarks.py and a view module here, registered in ``VIEWS``; the report and
the charts' generic machinery (scripts/report.py, scripts/charts.py) stay as they are.

``VIEWS`` is the order of the report's sections: the thread families and the general
cost first, the dict detail after. Charts are drawn, and listed in the report, in
bench/MANIFEST's order, the external suite (pyperformance) last (``in_chart_order``).
"""

from __future__ import annotations

from ..benchmarks import manifest_names
from . import dict_memory, giltest, instructions, pyperformance, testserver
from .base import Run, View

VIEWS: tuple[View, ...] = (
    giltest.VIEW,
    testserver.VIEW,
    pyperformance.VIEW,
    dict_memory.VIEW,
    instructions.VIEW,
)

__all__ = ["VIEWS", "Run", "View", "in_chart_order"]


def in_chart_order(views: tuple[View, ...] = VIEWS) -> list[View]:
    """The views in the order their charts are drawn: bench/MANIFEST's, then the rest as registered."""
    order = manifest_names()
    return sorted(views, key=lambda view: order.index(view.bench) if view.bench in order else len(order))
