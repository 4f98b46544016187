"""Reading regrtest's output and judging a variant against baseline."""

from __future__ import annotations

from scripts.regrtest import RegrtestResult, new_failures, parse_junit, parse_summary

SUMMARY = """
0:01:02 load avg: 1.9 [5/5] test_sys passed

== Tests result: FAILURE then FAILURE ==

1 test skipped:
    test_winreg

2 tests altered the execution environment (env changed):
    test_threading test_thread

1 re-run test:
    test_socket

3 tests failed:
    test_socket test_os
    test_zzz_a_very_long_name

1 test OK.

Total duration: 1 min 2 sec
"""


def result(failed, cases=None, exit_code=2) -> RegrtestResult:
    return RegrtestResult(
        build="x", tests=[], refleak=False, exit_code=exit_code, failed=failed, failed_cases=cases or {}
    )


def test_parse_summary_finds_failed_and_other_lists():
    failed, other = parse_summary(SUMMARY)
    assert failed == ["test_os", "test_socket", "test_zzz_a_very_long_name"]
    assert other["skipped"] == ["test_winreg"]
    assert other["altered the execution environment (env changed)"] == ["test_thread", "test_threading"]
    assert other["re-run"] == ["test_socket"]


def test_parse_summary_of_a_clean_run():
    assert parse_summary("== Tests result: SUCCESS ==\n\nAll 2 tests OK.\n") == ([], {})


def test_parse_junit(tmp_path):
    xml = tmp_path / "j.xml"
    xml.write_text(
        '<testsuites><testsuite name="t" tests="3">'
        '<testcase name="test.test_os.PosixTester.test_chown"><failure message="x">tb</failure></testcase>'
        '<testcase name="test.test_os.PosixTester.test_ok"/>'
        '<testcase name="test.test_socket.T.test_net"><error message="y">tb</error></testcase>'
        "</testsuite></testsuites>"
    )
    assert parse_junit(xml) == {
        "test_os": ["test.test_os.PosixTester.test_chown"],
        "test_socket": ["test.test_socket.T.test_net"],
    }
    assert parse_junit(tmp_path / "missing.xml") == {}


def test_only_failures_baseline_lacks_are_new():
    base = result(["test_os"], {"test_os": ["test.test_os.A.test_root"]})
    same = result(["test_os"], {"test_os": ["test.test_os.A.test_root"]})
    assert new_failures(same, base) == []
    worse = result(["test_os", "test_dict"], {"test_os": ["test.test_os.A.test_root", "test.test_os.A.test_new"]})
    assert new_failures(worse, base) == ["test_dict", "test_os: test.test_os.A.test_new"]
    better = result([], exit_code=0)
    assert new_failures(better, base) == []


def test_interrupted_run_is_broken_not_passing():
    assert result([], exit_code=130).broken
    assert not result(["test_os"]).broken
    assert not result([], exit_code=0).broken


def test_test_processes_get_sigint_back_even_when_started_in_the_background():
    import signal
    import subprocess
    import sys

    from scripts import regrtest

    probe = [sys.executable, "-c", "import signal; print(repr(signal.getsignal(signal.SIGINT)))"]
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # what a shell's `cmd &` hands down
    try:
        ignored = subprocess.run(probe, capture_output=True, text=True).stdout
        restored = subprocess.run(probe, capture_output=True, text=True, preexec_fn=regrtest.default_sigint).stdout
    finally:
        signal.signal(signal.SIGINT, previous)
    assert "SIG_IGN" in ignored
    assert "default_int_handler" in restored
