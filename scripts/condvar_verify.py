"""Prove the semaphore condition variable of patch 0003 beyond CPython's own tests.

Two independent checks, both run by ``make verify-condvar`` and ``make test``:

* the model check: spin explores every interleaving of verify/condvar/sem_condvar.pml
  (two waiters and a producer, signal, broadcast, timeouts, EINTR) and must report no
  assertion violation and no invalid end state; the same model with
  ``-DSHARED_SEMAPHORE`` (CPython's Windows emulation) must violate the no-stealing
  property, which shows that the model can fail;
* the stress test: verify/condvar/stress.c is compiled against the patched source and
  the variant's pyconfig.h, so it runs the very inline functions the GIL runs, plain
  (sem_clockwait), on the sem_timedwait fallback, under ThreadSanitizer and under
  valgrind's helgrind.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import build as builder
from . import ui
from .config import DEFAULT_FLAVOR, ROOT
from .errors import HarnessError

VERIFY = ROOT / "verify" / "condvar"
MODEL = VERIFY / "sem_condvar.pml"
STRESS = VERIFY / "stress.c"
VARIANT = "sem_condvar"
EMULATION_DEFINE = "_PY_EMULATED_POSIX_CV=1"
NO_STEALING = "((res!=0)||signalled_since[me])"  # P1 as spin prints it
PAN_DEPTH = 200_000


@dataclass(frozen=True)
class Outcome:
    """One check: what ran, whether it held, and the lines that say so."""

    label: str
    ok: bool
    detail: str
    seconds: float


def _run(
    cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 1800
) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, timeout=timeout)


def _require(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise HarnessError(f"{tool} is not installed (Debian package {package}); run `make deps`")
    return path


# --- the model check ----------------------------------------------------------------------


def parse_pan(output: str) -> dict:
    """The figures of a pan run: errors, states stored, whether the depth limit was hit,
    and the assertions it reported violated."""
    errors = re.search(r"errors:\s*(\d+)", output)
    states = re.search(r"([\d.e+]+)\s+states, stored", output)
    return {
        "errors": int(errors.group(1)) if errors else None,
        "states": float(states.group(1)) if states else None,
        "depth_too_small": "max search depth too small" in output,
        "violated": sorted(set(re.findall(r"assertion violated (.+?) \(at depth", output))),
    }


def run_pan(defines: list[str], workdir: Path) -> dict:
    """Generate, compile and run the verifier for one configuration of the model."""
    spin = _require("spin", "spin")
    gcc = _require("gcc", "build-essential")
    workdir.mkdir(parents=True, exist_ok=True)
    gen = _run([spin, "-a", *[f"-D{d}" for d in defines], str(MODEL)], workdir)
    if gen.returncode != 0:
        raise HarnessError(f"spin could not read {MODEL.relative_to(ROOT)}:\n{gen.stdout}{gen.stderr}")
    cc = _run([gcc, "-O2", "-DSAFETY", "-o", "pan", "pan.c"], workdir)
    if cc.returncode != 0:
        raise HarnessError(f"compiling spin's verifier failed:\n{cc.stderr[-2000:]}")
    # -c0: do not stop at the first error, so that every violated assertion is listed
    pan = _run(["./pan", f"-m{PAN_DEPTH}", "-c0"], workdir)
    figures = parse_pan(pan.stdout + pan.stderr)
    figures["output"] = pan.stdout[-3000:]
    return figures


def model_outcomes(workdir: Path) -> list[Outcome]:
    """The emulation must verify clean; the Windows-style shared semaphore must not."""
    outcomes = []
    t0 = time.monotonic()
    ours = run_pan(["WAITERS=2"], workdir / "emulation")
    clean = ours["errors"] == 0 and not ours["depth_too_small"]
    outcomes.append(Outcome(
        "model: per-waiter semaphores, 2 waiters + producer, signal/broadcast/timeouts/EINTR",
        clean,
        f"{ours['states']:.0f} states, errors: {ours['errors']}"
        + (", search depth too small" if ours["depth_too_small"] else "")
        + (f", violated: {'; '.join(ours['violated'])}" if ours["violated"] else ""),
        time.monotonic() - t0,
    ))
    t0 = time.monotonic()
    shared = run_pan(["WAITERS=2", "SHARED_SEMAPHORE"], workdir / "shared-semaphore")
    caught = NO_STEALING in shared["violated"]
    outcomes.append(Outcome(
        "model: one shared semaphore (the Windows emulation) must break no-stealing",
        caught,
        f"errors: {shared['errors']}; violated: {'; '.join(shared['violated']) or 'none'}",
        time.monotonic() - t0,
    ))
    return outcomes


# --- the stress test ----------------------------------------------------------------------


def stress_flags(source_tree: Path, build_dir: Path) -> list[str]:
    """gcc flags that compile stress.c against the patched headers and the build's pyconfig.h."""
    return [
        "-O2", "-g", "-pthread", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Werror",
        f"-D{EMULATION_DEFINE}",
        f"-I{build_dir}", f"-I{source_tree / 'Include'}", f"-I{source_tree / 'Include' / 'internal'}",
        f"-I{source_tree / 'Python'}",
    ]


def stress_runs() -> list[tuple[str, list[str], list[str], list[str]]]:
    """(label, extra compile flags, wrapper command, stress arguments) of every stress run."""
    helgrind = ["valgrind", "--tool=helgrind", "--error-exitcode=3", "-q"]
    return [
        ("stress: plain build, sem_clockwait", [], [], []),
        ("stress: sem_timedwait fallback", ["-DSTRESS_NO_CLOCKWAIT"], [], []),
        ("stress: ThreadSanitizer", ["-fsanitize=thread"], [], ["--no-fork"]),
        # helgrind reports each sem_wait() that returns EINTR as a failed call, though the
        # emulation retries it by design: the storm of signals runs in the other three
        ("stress: helgrind, fallback build", ["-DSTRESS_NO_CLOCKWAIT"], helgrind, ["--no-fork", "--no-signals"]),
    ]


def stress_outcomes(source_tree: Path, build_dir: Path, workdir: Path, helgrind: bool = True) -> list[Outcome]:
    gcc = _require("gcc", "build-essential")
    if helgrind:
        _require("valgrind", "valgrind")
    workdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TSAN_OPTIONS": "halt_on_error=1 exitcode=66"}
    outcomes = []
    binaries: dict[tuple[str, ...], Path] = {}  # one compile per set of flags (helgrind reuses the fallback's)
    for label, cflags, wrapper, argv in stress_runs():
        if wrapper and not helgrind:
            continue
        t0 = time.monotonic()
        binary = binaries.get(tuple(cflags))
        if binary is None:
            binary = workdir / f"stress-{len(binaries)}"
            cc = _run([gcc, *stress_flags(source_tree, build_dir), *cflags, str(STRESS), "-o", str(binary)], workdir)
            if cc.returncode != 0:
                outcomes.append(Outcome(label, False, f"compile failed:\n{cc.stderr[-2000:]}", time.monotonic() - t0))
                continue
            binaries[tuple(cflags)] = binary
        ui.step(f"verify-condvar: {label}")
        try:
            proc = _run([*wrapper, str(binary), *argv], workdir, env=env, timeout=1200)
            output = proc.stdout + proc.stderr
            ok = (
                proc.returncode == 0
                and "all scenarios passed" in proc.stdout
                and "WARNING: ThreadSanitizer" not in output
            )
            lines = [
                ln
                for ln in output.splitlines()
                if ln.startswith("stress: ") or "ThreadSanitizer" in ln or "==" in ln[:3]
            ]
            detail = "\n".join(lines[-12:]) + ("" if ok else f"\n(exit status {proc.returncode})")
        except subprocess.TimeoutExpired:
            ok, detail = False, "timed out after 20 minutes: a lost wake-up hangs the test"
        outcomes.append(Outcome(label, ok, detail, time.monotonic() - t0))
    return outcomes


# --- the command --------------------------------------------------------------------------


def built_variant(variant: str = VARIANT, flavor: str = DEFAULT_FLAVOR, jobs: int | None = None) -> tuple[Path, Path]:
    """(patched source tree, build folder) of the variant, building it if needed."""
    spec = builder.resolve(variant, flavor)
    if EMULATION_DEFINE not in spec.defines:
        raise HarnessError(f"variant {variant} does not define {EMULATION_DEFINE}; the stress test needs the emulation")
    metadata = json.loads(builder.build(spec, jobs).read_text())
    return ROOT / metadata["source_tree"], spec.directory


def verify(variant: str = VARIANT, jobs: int | None = None, helgrind: bool = True) -> int:
    """Run every check, print one line per check; 0 when all hold."""
    source_tree, build_dir = built_variant(variant, jobs=jobs)
    with tempfile.TemporaryDirectory(prefix="verify-condvar-") as tmp:
        ui.step("verify-condvar: spin model check (emulation, then the shared-semaphore counter-example)")
        outcomes = model_outcomes(Path(tmp) / "model")
        outcomes += stress_outcomes(source_tree, build_dir, Path(tmp) / "stress", helgrind)
    for outcome in outcomes:
        print(f"  {'ok  ' if outcome.ok else 'FAIL'} {outcome.label} ({ui.format_duration(outcome.seconds)})")
        for line in outcome.detail.splitlines():
            print(f"       {line}")
    failed = [o for o in outcomes if not o.ok]
    print(f"verify-condvar: {len(outcomes) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0
