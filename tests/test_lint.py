"""make test lints the harness with ruff, pinned like every other tool of the venv."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from conftest import REPO


def test_make_test_has_a_ruff_step_that_runs_ruff_over_the_harness(monkeypatch):
    from scripts import __main__ as cli

    captured: dict = {}
    monkeypatch.setattr(cli.deps, "ensure_all", lambda: Path("venv-python"))
    monkeypatch.setattr(cli, "run_steps", lambda title, steps: captured.update(steps=steps) or 0)
    assert cli.main(["test", "--variants", "baseline"]) == 0
    labels = [label for label, _ in captured["steps"]]
    assert labels[:2] == ["the harness's own tests (pytest)", "lint (ruff)"]

    class Done:
        returncode = 1  # ruff found something: the step fails

    monkeypatch.setattr(cli.subprocess, "run", lambda cmd, cwd: captured.update(cmd=cmd, cwd=cwd) or Done())
    lint = dict(captured["steps"])["lint (ruff)"]
    assert lint() == 1
    assert captured["cmd"] == ["venv-python", "-m", "ruff", "check", "scripts", "bench", "tests"]
    assert captured["cwd"] == cli.ROOT


def test_ruff_is_pinned_exactly_and_configured_at_the_top():
    pins = [line for line in (REPO / "requirements.txt").read_text().splitlines() if line.lower().startswith("ruff")]
    assert len(pins) == 1 and re.fullmatch(r"ruff==\d+\.\d+\.\d+", pins[0]), pins
    config = tomllib.loads((REPO / "ruff.toml").read_text())
    assert config["line-length"] == 120
    assert {"E", "W", "F", "I"} <= set(config["lint"]["select"])
