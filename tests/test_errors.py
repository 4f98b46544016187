"""Every command ends through one wrapper: an error is one line and a status, Ctrl-C is 130."""

from __future__ import annotations

import signal

import pytest

from scripts.errors import HarnessError, UsageError, run_entry_point


def _raises(exc: BaseException):
    def main(argv: list[str]) -> int:
        raise exc
    return main


def test_an_error_is_its_message_and_exit_status(capsys):
    assert run_entry_point(_raises(UsageError("no variant 'x'; valid: a, b")), [], sigterm=False) == 2
    assert run_entry_point(_raises(HarnessError("build failed")), [], sigterm=False) == 1
    assert capsys.readouterr().err == "error: no variant 'x'; valid: a, b\nerror: build failed\n"
    assert run_entry_point(lambda argv: len(argv), ["a", "b"], sigterm=False) == 2


@pytest.mark.parametrize("resumes, hint", [
    (None, "interrupted\n"),
    ("", "interrupted; run the same command again to resume\n"),
    ("this run", "interrupted; run the same command again to resume this run\n"),
])
def test_an_interruption_is_130_and_says_whether_a_rerun_resumes(capsys, resumes, hint):
    assert run_entry_point(_raises(KeyboardInterrupt()), [], resumes, sigterm=False) == 130
    assert capsys.readouterr().err == "\n" + hint


def test_sigterm_is_handled_like_ctrl_c_only_when_asked(capsys):
    before = signal.getsignal(signal.SIGTERM)
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        assert run_entry_point(lambda argv: 0, [], sigterm=False) == 0
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # the front end leaves it alone

        def stopped(argv: list[str]) -> int:
            signal.raise_signal(signal.SIGTERM)  # handled: the call below installs the handler first
            return 0

        assert run_entry_point(stopped, [], "the sweep") == 130
        assert "resume the sweep" in capsys.readouterr().err
    finally:
        signal.signal(signal.SIGTERM, before)


def test_front_end_errors_go_through_the_same_wrapper(capsys):
    from scripts import __main__ as cli

    assert cli.main(["build", "--variant", "nope", "--dry-run"]) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_every_venv_side_module_ends_through_the_wrapper():
    """Every module the front end starts in the venv (``_in_venv("<module>", ...)``)."""
    import importlib
    import inspect
    import re

    from scripts import __main__ as cli

    started = sorted(set(re.findall(r'_in_venv\("(\w+)"', inspect.getsource(cli))))
    assert started == ["cross_report", "matrix", "publish", "sweep"]
    for name in started:
        module = importlib.import_module(f"scripts.{name}")
        tail = inspect.getsource(module).split('if __name__ == "__main__":')[1]
        assert "run_entry_point(main, sys.argv[1:]" in tail, module.__name__
