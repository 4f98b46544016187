"""make test lints the harness with ruff, pinned like every other tool of the venv."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from conftest import REPO


def test_make_test_has_a_ruff_step_that_runs_ruff_over_the_harness(monkeypatch):
    from scripts import steps
    from scripts.config import ROOT, load_table

    table = load_table()
    ctx = steps.Context(table, ["baseline"], None, python=Path("venv-python"))
    planned = steps.plan(steps.MAKE_TEST, ctx)
    assert [label for label, _ in planned][:2] == ["the harness's own tests (pytest)", "lint (ruff)"]
    captured: dict = {}

    class Done:
        returncode = 1  # ruff found something: the step fails

    monkeypatch.setattr(steps.subprocess, "run", lambda cmd, cwd: captured.update(cmd=cmd, cwd=cwd) or Done())
    lint = dict(planned)["lint (ruff)"]
    assert lint() == 1
    assert captured["cmd"] == ["venv-python", "-m", "ruff", "check", "scripts", "bench", "tests"]
    assert captured["cwd"] == ROOT


def test_ruff_is_pinned_exactly_and_configured_at_the_top():
    pins = [line for line in (REPO / "requirements.txt").read_text().splitlines() if line.lower().startswith("ruff")]
    assert len(pins) == 1 and re.fullmatch(r"ruff==\d+\.\d+\.\d+", pins[0]), pins
    config = tomllib.loads((REPO / "ruff.toml").read_text())
    assert config["line-length"] == 120
    assert {"E", "W", "F", "I"} <= set(config["lint"]["select"])
