"""The options of the commands that run in two processes, declared once.

``python -m scripts bench`` (and ``sweep-dict``) checks its input outside the venv, then
starts ``python -m scripts.matrix`` (``scripts.sweep``) under the harness venv with the
same options. Both processes build their parser from the tables here, and ``forward``
turns the parsed options back into arguments for the second process, so an option
added here reaches the venv side with no second list to keep in step.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from .config import DEFAULT_FLAVOR

# scripts.matrix.FULL_ROUNDS, repeated here for the help text: options is imported outside
# the harness venv, where scripts.matrix (pyperf) cannot be; tests/test_matrix.py checks that
# the two agree.
FULL_ROUNDS_DEFAULT = 5


@dataclass(frozen=True)
class Option:
    """One command-line option: a flag taking a value, or a switch (``switch=True``)."""

    flag: str
    help: str | None = None
    default: str | int | None = ""
    value_type: type = str
    switch: bool = False
    metavar: str | None = None

    @property
    def dest(self) -> str:
        return self.flag.removeprefix("--").replace("-", "_")


FLAVOR = Option("--flavor", default=DEFAULT_FLAVOR)
QUICK = Option("--quick", "one round, fewer processes: rough numbers in minutes", switch=True)
JOBS = Option("--jobs", default=None, value_type=int)
RESULTS = Option("--results", "results root (default: results/)")
ALLOW_DIRTY = Option("--allow-dirty", "measure although the harness tree or a build has uncommitted changes "
                                      "(the run is marked dirty)", switch=True)

BENCH: tuple[Option, ...] = (
    Option("--variants", "space-separated variants (default: all; baseline is always added)"),
    Option("--bench", "space-separated benchmarks from bench/MANIFEST (default: all of them), "
                      "or pyperformance (the general-cost suite, not in the default)"),
    Option("--pyperformance", "with --bench pyperformance: the subset of bench/pyperformance.toml (default) "
                              "or the whole suite", default="subset", metavar="subset|all"),
    Option("--rounds", f"interleaved rounds of a full run (default {FULL_ROUNDS_DEFAULT}; each gives every "
                       "variant 2 processes per benchmark): fewer to fit a session, more for a tighter interval",
           default=None, value_type=int),
    FLAVOR, QUICK, RESULTS, ALLOW_DIRTY, JOBS,
)
SWEEP: tuple[Option, ...] = (FLAVOR, QUICK, RESULTS, ALLOW_DIRTY, JOBS)


def add(parser: argparse.ArgumentParser, options: tuple[Option, ...]) -> argparse.ArgumentParser:
    """Declare ``options`` on ``parser``; return it."""
    for option in options:
        if option.switch:
            parser.add_argument(option.flag, action="store_true", help=option.help)
        else:
            parser.add_argument(option.flag, default=option.default, type=option.value_type, help=option.help,
                                metavar=option.metavar)
    return parser


def forward(args: argparse.Namespace, options: tuple[Option, ...]) -> list[str]:
    """The arguments that give a parser of ``options`` the same values as ``args``
    (options at their default are left out)."""
    argv: list[str] = []
    for option in options:
        value = getattr(args, option.dest)
        if option.switch:
            argv += [option.flag] if value else []
        elif value != option.default:
            argv += [option.flag, str(value)]
    return argv
