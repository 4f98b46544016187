"""Real green-thread clients on a build: gevent and eventlet, monkey-patched.

A patch that changes threading (a C Condition, a new GIL hand-off) can pass CPython's
whole suite and still break programs that replace threading's primitives with green
ones: a waiter parked on a C mutex blocks the OS thread, and with it the hub that would
have run the notifier. This check installs the pinned libraries
(verify/greenthreads/requirements.txt, wheels only) into a venv of the variant's own
interpreter and runs, with a timeout each:

* verify/greenthreads/handoff.py under gevent and under eventlet: green threads hand work
  to each other through Condition, Queue, Event, Semaphore and Barrier;
* gevent's own tests of threading and monkey-patching (they ship in its wheel).

A variant passes when each finishes as it does on baseline (same flavor), which is run
first. A wheel that cannot be installed for a variant fails the check, naming it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import build as builder
from . import folder_lock, ui
from .config import DEFAULT_FLAVOR, ROOT
from .errors import HarnessError

FOLDER = ROOT / "verify" / "greenthreads"
REQUIREMENTS = FOLDER / "requirements.txt"
HANDOFF = FOLDER / "handoff.py"
LIBRARIES = ("gevent", "eventlet")
HANDOFF_TIMEOUT = 60  # seconds; the program takes about one second when nothing blocks
GEVENT_TESTS_TIMEOUT = 300  # about 25 s on baseline here; a deadlocked variant pays this once
# gevent's tests of threading, locks, queues and monkey-patching (gevent/tests/, in its wheel)
GEVENT_TESTS = (
    "test__threading.py", "test__threading_2.py", "test__threading_vs_settrace.py",
    "test__threading_patched_local.py", "test__threading_holding_lock_while_monkey.py",
    "test__threading_monkey_in_thread.py", "test__threading_before_monkey.py",
    "test__threading_native_before_monkey.py", "test__threading_no_monkey.py",
    "test__monkey.py", "test__monkey_queue.py", "test__monkey_hub_in_thread.py",
    "test__thread.py", "test__lock.py", "test__semaphore.py", "test__event.py", "test__queue.py",
    "test__threadpool_executor_patched.py",
)
FAILED_MODULE = re.compile(r"\b(test__\w+)")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class Outcome:
    """One program or test run on one build."""

    label: str
    ok: bool
    detail: str
    failing: frozenset[str] = frozenset()


def requirements() -> list[str]:
    """The pinned requirement lines (comments dropped)."""
    lines = [line.split("#", 1)[0].strip() for line in REQUIREMENTS.read_text().splitlines()]
    return [line for line in lines if line]


def venv_python(spec: builder.BuildSpec) -> Path:
    """A venv of the build's interpreter with the pinned green-thread libraries; return its python.

    One command at a time makes it: two green-thread checks of one variant at once would
    remove each other's half-made venv (both then failed in ensurepip).
    """
    with folder_lock.exclusive(
        spec.directory / ".greenthreads-venv.lock",
        lambda: ui.step(f"{spec.name}: another harness command is making its green-thread venv; waiting"),
    ):
        return _venv_python_locked(spec)


def _venv_python_locked(spec: builder.BuildSpec) -> Path:
    """venv_python() under the lock."""
    venv = spec.directory / "greenthreads-venv"
    python = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    wanted = "\n".join(requirements())
    stamp = venv / ".harness-requirements"
    if python.exists() and stamp.is_file() and stamp.read_text().strip() == wanted:
        return python
    shutil.rmtree(venv, ignore_errors=True)
    ui.step(f"{spec.name}: installing {', '.join(requirements())} (wheels only) into {venv.relative_to(ROOT)}")
    env = builder.run_env(spec)
    steps = (
        [str(spec.python), "-m", "venv", str(venv)],
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--only-binary=:all:",
         "-r", str(REQUIREMENTS)],
    )
    for cmd in steps:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            raise HarnessError(
                f"{spec.name}: the green-thread libraries cannot be installed for this build "
                f"({' '.join(cmd[1:4])} failed); the check fails rather than skipping them:\n"
                f"{(proc.stdout + proc.stderr).strip()[-1500:]}"
            )
    stamp.write_text(wanted + "\n")
    return python


def _run(cmd: list[str], env: dict[str, str], timeout: float, cwd: Path) -> tuple[int | None, str]:
    """Exit status (None on timeout, the process group killed) and combined output."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=cwd,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        return proc.returncode, out
    except subprocess.TimeoutExpired:
        import os
        import signal

        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        return None, out


def run_all(spec: builder.BuildSpec) -> list[Outcome]:
    """Every green-thread program and gevent's tests on one build."""
    python = venv_python(spec)
    env = {**builder.run_env(spec), "PYTHONWARNINGS": "ignore::DeprecationWarning"}
    outcomes = []
    for library in LIBRARIES:
        ui.step(f"{spec.name}: handoff.py under {library} (timeout {HANDOFF_TIMEOUT}s)")
        t0 = time.monotonic()
        status, out = _run([str(python), str(HANDOFF), library], env, HANDOFF_TIMEOUT, FOLDER)
        seconds = time.monotonic() - t0
        if status is None:
            detail = f"did not finish in {HANDOFF_TIMEOUT}s (a green thread blocked the OS thread: deadlock)"
        elif status != 0:
            detail = f"exit {status}: {out.strip()[-600:]}"
        else:
            detail = f"{seconds:.1f}s: {out.strip().splitlines()[-1]}"
        outcomes.append(Outcome(f"handoff.py under {library}", status == 0, detail))
    scratch = spec.directory / "greenthreads-tests"
    scratch.mkdir(exist_ok=True)
    ui.step(f"{spec.name}: gevent's own tests, {len(GEVENT_TESTS)} files (each under gevent's own timeout; "
            f"all under {GEVENT_TESTS_TIMEOUT}s); log: {(scratch / 'gevent-tests.log').relative_to(ROOT)}")
    t0 = time.monotonic()
    status, out = _run([str(python), "-m", "gevent.tests", "-j2", *GEVENT_TESTS], env, GEVENT_TESTS_TIMEOUT, scratch)
    (scratch / "gevent-tests.log").write_text(out)
    failing = frozenset(FAILED_MODULE.findall("\n".join(
        line for line in out.splitlines() if re.search(r"fail|timed out|error", line, re.IGNORECASE))))
    if status is None:
        detail = f"did not finish in {GEVENT_TESTS_TIMEOUT}s"
    else:
        plain = ANSI.sub("", out)
        summary = [line.strip() for line in plain.splitlines() if line.strip().startswith("Ran ") or "failed" in line]
        detail = f"exit {status} in {time.monotonic() - t0:.0f}s: {' | '.join(summary[-3:])}"
    outcomes.append(Outcome(f"gevent's own tests ({len(GEVENT_TESTS)} files)", status == 0, detail,
                            failing | ({"timeout"} if status is None else frozenset())))
    return outcomes


_BASELINE_RUNS: dict[str, list[Outcome]] = {}  # baseline's outcomes, once per build per process


def baseline_outcomes(spec: builder.BuildSpec) -> list[Outcome]:
    """Baseline's outcomes, run once per process: make test compares three variants with them."""
    key = f"{spec.name}:{spec.key()}"
    if key not in _BASELINE_RUNS:
        _BASELINE_RUNS[key] = run_all(spec)
    return _BASELINE_RUNS[key]


def check(variant: str, flavor: str = DEFAULT_FLAVOR, jobs: int | None = None) -> int:
    """Run the green-thread check on baseline and on ``variant``; 0 when the variant does as baseline does."""
    base_spec = builder.resolve("baseline", flavor)
    spec = builder.resolve(variant, flavor)
    builder.build(base_spec, jobs)
    builder.build(spec, jobs)
    base = baseline_outcomes(base_spec) if variant != "baseline" else None
    mine = run_all(spec)
    ui.step(f"green threads on {spec.name}" + (" (against baseline)" if base else "") + ":")
    failed = 0
    for index, outcome in enumerate(mine):
        reference = base[index] if base else None
        if outcome.ok:
            verdict = "ok  "
        elif reference is not None and not reference.ok and outcome.failing <= reference.failing:
            verdict = "ok* "  # fails only where baseline fails too
        else:
            verdict = "FAIL"
            failed += 1
        print(f"  {verdict} {outcome.label}: {outcome.detail}")
        if reference is not None and not reference.ok:
            print(f"       baseline: {reference.detail}")
    if failed:
        print(f"  {spec.name}: {failed} green-thread check(s) fail where baseline passes; "
              f"logs in {spec.directory.relative_to(ROOT)}/greenthreads-tests/")
    return 1 if failed else 0
