"""bench and sweep-dict are parsed twice (front end, then venv side) from one table of options."""

from __future__ import annotations

import argparse

import pytest

from scripts import options


def _venv_side(table: tuple[options.Option, ...], argv: list[str]) -> argparse.Namespace:
    return options.add(argparse.ArgumentParser(), table).parse_args(argv)


@pytest.mark.parametrize("command, module, table, argv", [
    ("bench", "matrix", options.BENCH,
     ["--variants", "io_gil plus", "--bench", "giltest", "--quick", "--jobs", "3", "--results", "/tmp/r",
      "--pyperformance", "all", "--allow-dirty"]),
    ("bench", "matrix", options.BENCH, ["--allow-dirty"]),
    ("sweep-dict", "sweep", options.SWEEP, ["--quick", "--flavor", "pgo", "--jobs", "2", "--allow-dirty"]),
])
def test_the_venv_side_gets_every_option_the_front_end_was_given(monkeypatch, command, module, table, argv):
    from scripts import __main__ as cli

    captured: dict = {}
    monkeypatch.setattr(cli.builder, "resolve", lambda name, flavor, **kw: None)  # no build or table check here
    monkeypatch.setattr(cli, "_in_venv", lambda mod, forwarded: captured.update(module=mod, argv=forwarded) or 0)
    assert cli.main([command, *argv]) == 0
    assert captured["module"] == module
    front = cli.parser().parse_args([command, *argv])
    venv = _venv_side(table, captured["argv"])
    assert {o.dest: getattr(venv, o.dest) for o in table} == {o.dest: getattr(front, o.dest) for o in table}


def test_defaults_are_not_forwarded_and_switches_carry_no_value():
    args = _venv_side(options.BENCH, ["--quick"])
    assert options.forward(args, options.BENCH) == ["--quick"]
    assert options.forward(_venv_side(options.SWEEP, []), options.SWEEP) == []
