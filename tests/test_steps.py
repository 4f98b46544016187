"""make test's steps as data (scripts/steps.py): what the runner walks is what docs and tests read.

Nothing here builds or runs a step's real work: the steps are planned, their commands
parsed, and the runner fed steps whose outcome is known.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from conftest import REPO
from scripts import __main__ as cli
from scripts import steps, verifications
from scripts.config import load_table
from scripts.errors import HarnessError

TABLE = load_table()
ALL = list(TABLE.variants)


def labels(names: list[str]) -> list[str]:
    return [label for label, _ in steps.plan(steps.MAKE_TEST, steps.Context(TABLE, names, None))]


def test_the_declared_steps_run_in_the_order_the_docs_give():
    names = [step.name for step in steps.MAKE_TEST]
    assert names[:3] == ["pytest", "ruff", "lint-patches"] and names[-1] == "smoke"
    assert names.index("regrtest") < names.index("dict-defaults") < names.index("verify-condvar") < names.index("asan")
    assert len(set(names)) == len(names)
    built = [n for n in ALL if not TABLE.variants[n].build_of]
    assert [label.split()[1] for label in labels(ALL) if label.startswith("regrtest ")] == built


def test_a_step_for_no_chosen_variant_drops_out_and_the_count_is_what_runs():
    """io_gil_off has no build of its own, carries no dict patch, asks for no check."""
    assert labels(["io_gil_off"]) == [
        "the harness's own tests (pytest)", "lint (ruff)", "lint the patch series",
        "smoke run of the benchmark matrix, QUICK, on io_gil_off (into build/smoke-results)",
    ]
    with_dict = labels(["tight_dict"])
    assert "the dict-sizing patch at upstream's knobs gives upstream's sizes" in with_dict
    assert not any(label.startswith("verify-condvar") for label in with_dict)
    assert any(label.startswith("verify-condvar") for label in labels(["sem_condvar"]))


def test_the_check_steps_put_baseline_first_once_for_every_variant_that_asks():
    asan = [label for label in labels(ALL) if label.startswith("asan ")]
    askers = [n for n in ALL if "asan" in TABLE.variants[n].checks]
    assert asan[0].startswith("asan baseline (the reference): ")
    assert [label.split()[1].rstrip(":") for label in asan[1:]] == askers
    union = {t for n in askers for t in TABLE.variants[n].regrtest}
    assert set(asan[0].split(": ", 1)[1].split()) == union
    green = [label for label in labels(ALL) if label.startswith("green_threads")]
    assert green == [f"green_threads {n}" for n in ALL if "green_threads" in TABLE.variants[n].checks]
    assert not any(label.startswith("tsan") for label in labels(ALL))  # make verify's alone


def test_every_harness_step_is_a_command_of_the_harness(monkeypatch):
    """Harness steps run through the command line's own parser: each must parse, to the
    command its first word names, and get make test's --jobs when the command takes one."""
    ran = {}
    monkeypatch.setattr(cli, "cmd_lint_patches", lambda args: ran.setdefault("lint-patches", args) and 0)
    monkeypatch.setattr(cli, "cmd_regrtest", lambda args: ran.setdefault(f"regrtest {args.variant}", args) and 0)
    condvar = dataclasses.replace(verifications.CONDVAR, run=lambda args: ran.setdefault("verify-condvar", args) and 0)
    monkeypatch.setattr(verifications, "VERIFICATIONS", (condvar,))
    ctx = steps.Context(TABLE, ALL, 3, python=Path("py"), parser=cli.parser)
    harness = [s.name for s in steps.MAKE_TEST if isinstance(s.runs, steps.Harness)]
    assert harness == ["lint-patches", "regrtest", "verify-condvar"]
    for step in steps.MAKE_TEST:
        if isinstance(step.runs, steps.Harness):
            for fields in step.variants.instances(ctx):
                assert step.runs(ctx, fields) == 0
    assert ran["regrtest plus"].variant_tests and ran["regrtest plus"].jobs == 3
    assert ran["verify-condvar"].variant == "sem_condvar" and ran["verify-condvar"].jobs == 3
    assert len([k for k in ran if k.startswith("regrtest ")]) == len([n for n in ALL if not TABLE.variants[n].build_of])


def test_the_docs_hold_the_table_of_steps_and_the_readme_their_number():
    table = steps.markdown(steps.MAKE_TEST, steps.Context(TABLE, ALL, None))
    text = (REPO / "docs" / "architecture.md").read_text()
    block = text.split("<!-- make-test:begin -->\n", 1)[1].split("\n<!-- make-test:end -->", 1)[0]
    assert block == table, "regenerate docs/architecture.md's table with `python -m scripts test --list`"
    count = len(steps.plan(steps.MAKE_TEST, steps.Context(TABLE, ALL, None)))
    assert table.endswith(f"| {count} |")
    said = re.search(r"QUICK bench smoke run: (\d+) steps", (REPO / "README.md").read_text())
    assert said and int(said.group(1)) == count, "README.md gives make test's number of steps"


def test_list_prints_the_table_and_runs_nothing(monkeypatch, capsys):
    monkeypatch.setattr(cli.deps, "ensure_all", lambda: pytest.fail("--list installed the venv"))
    monkeypatch.setattr(steps, "run_steps", lambda *a: pytest.fail("--list ran the steps"))
    assert cli.main(["test", "--list", "--variants", "io_gil"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| step | label | what it runs | for | steps |")
    assert out.rstrip().endswith("| in all, for io_gil | 6 |")


def test_make_test_walks_the_declared_steps(monkeypatch):
    captured = {}
    monkeypatch.setattr(cli.deps, "ensure_all", lambda: Path("venv-python"))
    monkeypatch.setattr(steps, "run_steps", lambda title, planned: captured.update(title=title, planned=planned) or 0)
    assert cli.main(["test", "--variants", "baseline io_gil"]) == 0
    assert captured["title"] == "make test"
    assert [label for label, _ in captured["planned"]] == labels(["baseline", "io_gil"])


def test_the_runner_runs_every_step_and_sums_up(capsys):
    def broken():
        raise HarnessError("it broke")

    planned = [steps.Planned("fine", lambda: 0), steps.Planned("fails", lambda: 3),
               steps.Planned("raises", broken), steps.Planned("marked", lambda: (0, "known"))]
    assert steps.run_steps("make test", planned) == 1
    captured = capsys.readouterr()
    assert [line.split("] ", 1)[1] for line in captured.out.splitlines() if line.startswith("[harness")] == [
        "make test 1/4: fine", "make test 2/4: fails", "make test 3/4: raises", "make test 4/4: marked"]
    assert "error: it broke" in captured.err
    summary = captured.out.split("make test summary:\n", 1)[1].splitlines()
    assert [line.split(" (")[0] for line in summary[:4]] == [
        "  ok    fine", "  FAIL  fails", "  FAIL  raises", "  known marked"]
    assert summary[-1] == "make-test: 2 passed (1 known failure(s) among them), 2 failed"
    assert steps.run_steps("make test", planned[:1]) == 0


def test_a_check_step_marked_known_failing_counts_as_known(monkeypatch, capsys):
    import dataclasses

    from scripts import checks

    marked = dataclasses.replace(TABLE.variants["native_condition"],
                                 known_failures=(("green_threads", "issue 18: deadlock"),))
    table = dataclasses.replace(TABLE, variants={**TABLE.variants, "native_condition": marked})
    monkeypatch.setattr(checks.greenthreads, "check", lambda variant, flavor, jobs: 1)
    planned = dict(steps.plan(steps.MAKE_TEST, steps.Context(table, ["native_condition"], None)))
    assert planned["green_threads native_condition"]() == (0, "known")
    assert "known-failing: issue 18: deadlock" in capsys.readouterr().out
