"""``make test``'s steps, declared: what each is called, what it runs, for which variants.

``MAKE_TEST`` is the list ``python -m scripts test`` walks, in order; ``make verify``
walks the check steps alone (``verify_rows``). A step runs once, or once for each chosen
variant it is for: ``plan`` expands the list for the chosen variants (a step none of
whose variants is chosen drops out, so the count in the progress lines is the count
that runs), and ``run_steps`` runs each step to its end whatever the others did, then
prints the summary. What a step runs is one of three kinds:

* ``Venv``: a command under the harness venv's python, as its own process (pytest, ruff,
  the smoke run of the benchmark matrix);
* ``Harness``: a command of the harness's own command line, run in this process, so its
  progress lines keep the harness's clock and its error is the step's (lint-patches,
  regrtest, verify-condvar);
* ``Call``: a function with no command of its own (the dict-sizing defaults check, and
  the verification checks of scripts/checks.py with their known-failure marks).

No step has a time limit of its own: the builds and test runs inside a step have theirs.
``python -m scripts test --list`` prints the table (docs/architecture.md holds a copy,
which a test keeps current).
"""

from __future__ import annotations

import argparse
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from . import checks, dict_defaults, dict_sizing, regrtest, ui, verifications
from .config import ROOT, Table
from .errors import HarnessError, report_error

Outcome = int | tuple[int, str]  # an exit status, or (status counted, verdict word): see checks.judge
Fields = dict[str, str]  # what one instance of a step fills into its label and command

LINT_PATHS = ("scripts", "bench", "tests")  # what ruff checks, with the rules of ruff.toml
SMOKE_RESULTS = "build/smoke-results"  # the smoke run's results root: never results/, so never published
JOBS = "{jobs}"  # in a command: --jobs N when make test was given --jobs, else nothing


@dataclass(frozen=True)
class Context:
    """What steps are planned and run against."""

    table: Table
    names: list[str]  # the chosen variants, in the table's order or as given
    jobs: int | None
    python: Path | None = None  # the harness venv's python (None: plan only, run nothing)
    parser: Callable[[], argparse.ArgumentParser] | None = None  # the harness's command line


def _fill(words: tuple[str, ...], fields: Fields, jobs: int | None) -> list[str]:
    out: list[str] = []
    for word in words:
        if word == JOBS:
            out += ["--jobs", str(jobs)] if jobs is not None else []
        else:
            out.append(word.format(**fields))
    return out


def _shown(words: tuple[str, ...]) -> str:
    return " ".join(word for word in words if word != JOBS)


@dataclass(frozen=True)
class Venv:
    """``python ARGV`` under the harness venv, in the project folder; the step's status is its exit status."""

    argv: tuple[str, ...]

    def shown(self) -> str:
        return "python " + _shown(self.argv)

    def __call__(self, ctx: Context, fields: Fields) -> Outcome:
        return subprocess.run([str(ctx.python), *_fill(self.argv, fields, ctx.jobs)], cwd=ROOT).returncode


@dataclass(frozen=True)
class Harness:
    """``python -m scripts ARGV``, run in this process by the harness's own parser and command."""

    argv: tuple[str, ...]

    def shown(self) -> str:
        return "python -m scripts " + _shown(self.argv)

    def __call__(self, ctx: Context, fields: Fields) -> Outcome:
        assert ctx.parser is not None, "a harness step needs the command line's parser"
        args = ctx.parser().parse_args(_fill(self.argv, fields, ctx.jobs))
        return args.func(args)


@dataclass(frozen=True)
class Call:
    """A function with no command of its own; ``what`` says what it does."""

    func: Callable[[Context, Fields], Outcome]
    what: str

    def shown(self) -> str:
        return self.what

    def __call__(self, ctx: Context, fields: Fields) -> Outcome:
        return self.func(ctx, fields)


@dataclass(frozen=True)
class Variants:
    """Which variants a step is for: a rule (said in words for the docs) that gives one
    set of fields per instance of the step, none when no chosen variant is concerned."""

    says: str
    instances: Callable[[Context], list[Fields]]


@dataclass(frozen=True)
class Step:
    """One row of make test: its progress label, what it runs, for which variants."""

    name: str
    label: str  # {fields} of each instance filled in
    runs: Venv | Harness | Call
    variants: Variants


class Planned(NamedTuple):
    """One step as it will run: its label, and what runs it."""

    label: str
    run: Callable[[], Outcome]


def plan(rows: tuple[Step, ...] | list[Step], ctx: Context) -> list[Planned]:
    """The rows expanded for ``ctx``'s variants, in order."""
    out = []
    for step in rows:
        for fields in step.variants.instances(ctx):
            out.append(Planned(step.label.format(**fields),
                               lambda step=step, fields=fields: step.runs(ctx, fields)))
    return out


# ---------------------------------------------------------------- which variants


ONCE = Variants("once", lambda ctx: [{}])


def _built(ctx: Context) -> list[Fields]:
    return [{"variant": name, "tests": " ".join(ctx.table.variants[name].regrtest)}
            for name in ctx.names if not ctx.table.variants[name].build_of]


def _carrying(patch: str) -> Variants:
    return Variants(f"once, when a chosen variant carries {patch}",
                    lambda ctx: [{}] if any(patch in ctx.table.variants[n].patches for n in ctx.names) else [])


def _named(variant: str) -> Variants:
    return Variants(f"once, when {variant} is chosen", lambda ctx: [{}] if variant in ctx.names else [])


def _smoke(ctx: Context) -> list[Fields]:
    smoke = ["baseline", "freethreaded"] if "freethreaded" in ctx.names else ctx.names[:1]
    return [{"smoke": " ".join(smoke), "smoke_and": " and ".join(smoke)}]


# ---------------------------------------------------------------- the verification checks


def _planned_checks(ctx: Context, check: checks.Check) -> list[checks.Planned]:
    return checks.plan(ctx.table, ctx.names, [check.name], make_test_only=False)


def _reference(ctx: Context, fields: Fields) -> Outcome:
    return regrtest.regrtest("baseline", fields["flavor"], fields["tests"].split(), False, ctx.jobs, reuse=True)


def _check(ctx: Context, check: checks.Check, variant: str) -> Outcome:
    planned = next(p for p in _planned_checks(ctx, check) if p.variant == variant)
    status = planned.check.run(planned.variant, list(ctx.table.variants[planned.variant].regrtest), ctx.jobs)
    counted, verdict = checks.judge(planned, status)
    if verdict == "known":
        print(f"{planned.label}: fails, as variants.toml marks it known-failing: {planned.known_failure}")
    return counted, verdict


def check_rows(check: checks.Check) -> tuple[Step, Step]:
    """A check's two rows: baseline first, once, on the union of every variant's tests
    (when the check runs tests), then each variant whose row in variants.toml asks for it."""

    def reference(ctx: Context) -> list[Fields]:
        union = checks.baseline_selection(_planned_checks(ctx, check), check.name)
        return [{"flavor": check.flavor, "tests": " ".join(union)}] if union else []

    def variants(ctx: Context) -> list[Fields]:
        return [{"variant": p.variant, "shown_tests": f": {' '.join(p.tests)}" if p.tests else ""}
                for p in _planned_checks(ctx, check)]

    return (
        Step(f"{check.name}-reference", check.name + " baseline (the reference): {tests}",
             Call(_reference, f"python -m scripts regrtest --variant baseline --flavor {check.flavor} on those "
                              "tests; a saved result of the same build is reused"),
             Variants(f"once, before the variants whose `checks` name {check.name}, when they run tests", reference)),
        Step(check.name, check.name + " {variant}{shown_tests}",
             Call(lambda ctx, fields: _check(ctx, check, fields["variant"]),
                  f"{check.summary}; a known failure marked in variants.toml is not counted"),
             Variants(f"each chosen variant whose `checks` name {check.name}", variants)),
    )


def verify_rows(wanted: list[str]) -> list[Step]:
    """make verify's rows: the two rows of each wanted check, in scripts/checks.py's order."""
    return [row for check in checks.CHECKS.values() if check.name in wanted for row in check_rows(check)]


# ---------------------------------------------------------------- make test


MAKE_TEST: tuple[Step, ...] = (
    Step("pytest", "the harness's own tests (pytest)", Venv(("-m", "pytest", "-q", "tests")), ONCE),
    Step("ruff", "lint (ruff)", Venv(("-m", "ruff", "check", *LINT_PATHS)), ONCE),
    Step("lint-patches", "lint the patch series", Harness(("lint-patches",)), ONCE),
    Step("regrtest", "regrtest {variant} (release): {tests}",
         Harness(("regrtest", "--variant", "{variant}", "--variant-tests", JOBS)),
         Variants("each chosen variant with a build of its own (not `build_of`)", _built)),
    Step("dict-defaults", "the dict-sizing patch at upstream's knobs gives upstream's sizes",
         Call(lambda ctx, fields: dict_defaults.check(ctx.jobs),
              "scripts/dict_defaults.py: a build of the patch at upstream's knobs, whose sys.getsizeof "
              "table must equal baseline's"),
         _carrying(dict_sizing.PATCH)),
    *(Step(check.command, check.step_label, Harness((check.command, "--variant", check.variant, JOBS)),
           _named(check.variant)) for check in verifications.VERIFICATIONS),
    *(row for check in checks.CHECKS.values() if check.in_make_test for row in check_rows(check)),
    Step("smoke", "smoke run of the benchmark matrix, QUICK, on {smoke_and} (into build/smoke-results)",
         # The smoke run is never published (it lands in build/), so a working tree with
         # uncommitted changes, the usual state while developing, must not fail make test.
         Venv(("-m", "scripts.matrix", "--variants", "{smoke}", "--quick", "--allow-dirty", "--results",
               SMOKE_RESULTS)),
         Variants("once: baseline and freethreaded when freethreaded is chosen, else the first chosen", _smoke)),
)


def markdown(rows: tuple[Step, ...], ctx: Context) -> str:
    """The rows as a Markdown table, with how many steps each makes for ``ctx``'s variants."""
    lines = ["| step | label | what it runs | for | steps |", "|---|---|---|---|---|"]
    total = 0
    for step in rows:
        count = len(step.variants.instances(ctx))
        total += count
        runs = step.runs.shown() if isinstance(step.runs, Call) else f"`{step.runs.shown()}`"
        lines.append(f"| `{step.name}` | {step.label} | {runs} | {step.variants.says} | {count} |")
    lines.append(f"| | | | in all, for {', '.join(ctx.names)} | {total} |")
    return "\n".join(lines)


# ---------------------------------------------------------------- running


def run_steps(title: str, steps: list[Planned]) -> int:
    """Run labelled steps in order, each to its end whatever the others did; print a summary; 1 if any failed."""
    started = time.monotonic()
    done: list[tuple[str, str, float]] = []
    for number, (label, func) in enumerate(steps, 1):
        ui.step(f"{title} {number}/{len(steps)}: {label}")
        t0 = time.monotonic()
        try:
            outcome = func()
        except HarnessError as exc:
            outcome = report_error(exc)
        status, verdict = outcome if isinstance(outcome, tuple) else (outcome, "ok" if outcome == 0 else "FAIL")
        done.append((label, verdict if status == 0 or verdict.startswith("FAIL") else "FAIL", time.monotonic() - t0))
    print(f"\n{title} summary:")
    for label, verdict, seconds in done:
        print(f"  {verdict:5} {label} ({ui.format_duration(seconds)})")
    failed = sum(1 for _, verdict, _ in done if verdict.startswith("FAIL"))
    known = sum(1 for _, verdict, _ in done if verdict == "known")
    print(f"  total time: {ui.format_duration(time.monotonic() - started)}")
    print(
        f"{title.replace(' ', '-')}: {len(done) - failed} passed ({known} known failure(s) among them), {failed} failed"
    )
    return 1 if failed else 0
