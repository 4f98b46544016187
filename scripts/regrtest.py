"""Run CPython's own test suite with a build, and judge it against baseline.

A variant fails only on failures that the unpatched baseline of the same flavor does
not have on this machine: baseline's own failures (tests that cannot pass as root or
without network, say) are listed, never hidden, and never blamed on a patch. Results
are kept as JSON beside the build so the baseline run is reused while its build and
the test selection are unchanged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import build as builder
from . import patches, sanitizers, source, ui
from .config import DEFAULT_FLAVOR
from .errors import HarnessError, UsageError

# Summary headers of regrtest whose listed tests count as failed.
FAILED_HEADER = re.compile(r"^(\d+) tests? (failed|failed again|crashed|timed out)( \(.*\))?:$")
OTHER_HEADER = re.compile(r"^(\d+) (?:tests? (.+?)|(re-run) tests?):$")
PER_TEST_TIMEOUT = 1200  # seconds; regrtest kills a hung test after this
# How sanitizer reports are read; a saved result read another way is not reused.
# 2: ASan/UBSan frames symbolized by the harness (sanitizers.symbolize), flavor ignore_tests.
REPORT_FORMAT = 2


@dataclass
class RegrtestResult:
    """What one run of ``python -m test`` produced."""

    build: str
    tests: list[str]
    refleak: bool
    exit_code: int
    failed: list[str]
    failed_cases: dict[str, list[str]]
    other: dict[str, list[str]] = field(default_factory=dict)
    duration_seconds: float = 0.0
    build_key: str = ""
    host: str = ""
    finished_at: str = ""
    log: str = ""
    # sanitizer flavors: every report the run wrote (sanitizers.Report.as_json())
    sanitizer_reports: list[dict] = field(default_factory=list)
    # test ids skipped with --ignore (the flavor's ignore_tests)
    ignored: list[str] = field(default_factory=list)
    report_format: int = 1

    @property
    def broken(self) -> bool:
        """regrtest itself did not complete normally (interrupted, usage error) with no failure listed."""
        return self.exit_code not in (0, 2) and not self.failed


def parse_summary(output: str) -> tuple[list[str], dict[str, list[str]]]:
    """Return (failed test modules, other summary lists) from regrtest's final summary."""
    failed: list[str] = []
    other: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in output.splitlines():
        line = raw.rstrip()
        match = FAILED_HEADER.match(line)
        if match:
            current = failed
            continue
        match = OTHER_HEADER.match(line)
        if match and not line.startswith(" "):
            current = other.setdefault(match.group(2) or match.group(3), [])
            continue
        if current is not None and line.startswith("    ") and line.strip():
            current.extend(word for word in line.split() if word.startswith("test"))
            continue
        current = None
    return sorted(set(failed)), {k: sorted(set(v)) for k, v in other.items()}


def parse_junit(path: Path) -> dict[str, list[str]]:
    """Failed test cases per module from regrtest's --junit-xml output ({} if absent)."""
    if not path.is_file():
        return {}
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        return {}
    cases: dict[str, list[str]] = {}
    for suite in root.iter("testsuite"):
        for case in suite.iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                name = case.get("name", "?")
                module = _module_of(name) or suite.get("name", "?")
                cases.setdefault(module, []).append(name)
    return {k: sorted(set(v)) for k, v in cases.items()}


def _module_of(case_name: str) -> str | None:
    match = re.search(r"\b(test_[A-Za-z0-9_]+)\.", case_name)
    return match.group(1) if match else None


def selection_id(tests: list[str], refleak: bool) -> str:
    """A short id of a test selection, used to find a comparable baseline run."""
    payload = json.dumps({"tests": sorted(tests), "refleak": refleak})
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def results_path(spec: builder.BuildSpec, tests: list[str], refleak: bool) -> Path:
    return spec.directory / "regrtest" / f"{selection_id(tests, refleak)}.json"


def run(
    spec: builder.BuildSpec, tests: list[str], refleak: bool, jobs: int, testdir: Path | None = None
) -> RegrtestResult:
    """Run the selection on a built interpreter and save the result beside the build.

    ``testdir``: run the test modules found there (regrtest --testdir) instead of the
    build's own Lib/test.
    """
    metadata = json.loads((spec.directory / "variant.json").read_text())
    out_dir = spec.directory / "regrtest"
    out_dir.mkdir(exist_ok=True)
    sel = selection_id(tests, refleak)
    junit = out_dir / f"{sel}.junit.xml"
    log = out_dir / f"{sel}.log"
    junit.unlink(missing_ok=True)
    cmd = [
        str(spec.python),
        "-m",
        "test",
        f"-j{jobs}",
        "--rerun",
        f"--timeout={PER_TEST_TIMEOUT}",
        "--junit-xml",
        str(junit),
    ]
    if refleak:
        cmd += ["-R", "3:3"]
    if testdir is not None:
        cmd += ["--testdir", str(testdir)]
    for test_id, reason in spec.flavor.ignore_tests:
        ui.step(f"{spec.name}: skipping {test_id} in the {spec.flavor.name} flavor: {reason}")
        cmd += ["--ignore", test_id]
    cmd += tests
    ui.step(f"{spec.name}: python -m test {' '.join(cmd[3:])}")
    reports_dir = out_dir / f"{sel}.sanitizer"
    if reports_dir.exists():
        shutil.rmtree(reports_dir)
    env = builder.run_env(spec)
    if spec.flavor.sanitizer:
        reports_dir.mkdir()
        env = sanitizers.with_log_path(env, reports_dir)
    start = time.monotonic()
    lines: list[str] = []
    with log.open("w") as out:
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=spec.directory,
            preexec_fn=default_sigint if os.name == "posix" else None,
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(f"  {spec.name} | {line}")
            out.write(line)
            lines.append(line)
        proc.wait()
    failed, other = parse_summary("".join(lines))
    result = RegrtestResult(
        build=spec.name,
        tests=tests,
        refleak=refleak,
        exit_code=proc.returncode,
        failed=failed,
        failed_cases=parse_junit(junit),
        other=other,
        duration_seconds=round(time.monotonic() - start, 1),
        build_key=metadata["build_key"],
        host=platform.node(),
        finished_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        log=str(log),
        sanitizer_reports=[r.as_json() for r in sanitizers.collect(reports_dir)],
        ignored=spec.flavor.ignored_test_ids,
        report_format=REPORT_FORMAT,
    )
    path = results_path(spec, tests, refleak)
    path.write_text(json.dumps(asdict(result), indent=2) + "\n")
    return result


def load(path: Path) -> RegrtestResult | None:
    """A saved result, or None if there is none or it is unreadable."""
    try:
        return RegrtestResult(**json.loads(path.read_text()))
    except (OSError, json.JSONDecodeError, TypeError):
        return None


def new_failures(variant: RegrtestResult, baseline: RegrtestResult) -> list[str]:
    """Failures of ``variant`` that ``baseline`` does not have.

    A module that fails only in the variant is new. A module failing in both is new
    when the variant fails test cases that baseline passes (junit detail permitting).
    """
    news = []
    for module in variant.failed:
        if module not in baseline.failed:
            news.append(module)
            continue
        extra = sorted(set(variant.failed_cases.get(module, [])) - set(baseline.failed_cases.get(module, [])))
        news += [f"{module}: {case}" for case in extra]
    return sorted(news)


def default_sigint() -> None:
    """In the test process, SIGINT back to its default before exec.

    A command started in the background by a shell (``make regrtest &``, CI runners)
    inherits SIGINT ignored; then ``_thread.interrupt_main()`` does nothing and
    test_asyncio.test_runners spins while a mock's call history eats all memory
    (CPython gh-154167: 24 GB here before the OOM killer). Upstream's fix is in
    regrtest after 3.13.5, so the harness does it for the pinned release.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _module(name: str) -> str:
    """The test module a selected name or a failure belongs to ("test_a.test_b" -> "test_a")."""
    return name.split(".", 1)[0].split(":", 1)[0]


def restricted(result: RegrtestResult, tests: list[str]) -> RegrtestResult:
    """A result of a larger selection narrowed to ``tests``' modules (sanitizer reports kept whole)."""
    wanted = {_module(t) for t in tests}
    failed = [m for m in result.failed if _module(m) in wanted]
    cases = {m: c for m, c in result.failed_cases.items() if _module(m) in wanted}
    return RegrtestResult(**{**asdict(result), "tests": tests, "failed": failed, "failed_cases": cases})


def saved_superset(base_spec: builder.BuildSpec, tests: list[str], refleak: bool, key: str) -> RegrtestResult | None:
    """A saved baseline result of this build whose selection holds every module of ``tests``.

    The whole-suite run (no tests named) holds everything. Reports of the larger run's other
    tests count as baseline's too, which can only make the comparison more lenient.
    """
    exact = load(results_path(base_spec, tests, refleak))
    candidates = [exact] if exact else []
    folder = base_spec.directory / "regrtest"
    if folder.is_dir():
        candidates += [r for p in sorted(folder.glob("*.json")) if (r := load(p)) is not None]
    wanted = {_module(t) for t in tests}
    for saved in candidates:
        if saved.build_key != key or saved.broken or saved.refleak != refleak:
            continue
        if saved.report_format != REPORT_FORMAT or saved.ignored != base_spec.flavor.ignored_test_ids:
            continue
        if saved.tests and not wanted <= {_module(t) for t in saved.tests}:
            continue
        if not tests and saved.tests:
            continue
        return saved if sorted(saved.tests) == sorted(tests) else restricted(saved, tests)
    return None


def baseline_result(spec: builder.BuildSpec, tests: list[str], refleak: bool, jobs: int) -> RegrtestResult:
    """Baseline's result for the same flavor and selection (or a saved run of a larger one),
    reused while its build is unchanged."""
    base_spec = builder.resolve("baseline", spec.flavor.name)
    builder.build(base_spec, jobs)
    base_key = json.loads((base_spec.directory / "variant.json").read_text())["build_key"]
    saved = saved_superset(base_spec, tests, refleak, base_key)
    if saved:
        ui.step(
            f"reusing baseline's result of {' '.join(saved.tests) or 'the whole suite'} "
            f"from {saved.finished_at} ({saved.log})"
        )
        return saved
    ui.step("running the same tests on baseline first, to know which failures are not the patches'")
    return run(base_spec, tests, refleak, jobs)


def current_tests(variant: str, tests: list[str], into: Path) -> Path:
    """Copy the named test modules, as the variant's current patch set has them, into ``into``."""
    spec = builder.resolve(variant, DEFAULT_FLAVOR)
    tree = patches.apply_set(source.pristine_tree(spec.pin), list(spec.patches))
    if into.exists():
        shutil.rmtree(into)
    into.mkdir(parents=True)
    for module in dict.fromkeys(_module(t) for t in tests):
        found = [p for p in (tree / "Lib" / "test" / module, tree / "Lib" / "test" / f"{module}.py") if p.exists()]
        if not found:
            raise UsageError(f"{module}: no such test module in the current patch set's Lib/test ({tree})")
        if found[0].is_dir():
            shutil.copytree(found[0], into / module)
        else:
            shutil.copy2(found[0], into / found[0].name)
    return into


def regrtest_before(variant: str, flavor: str, tests: list[str], refleak: bool, jobs: int, patches_from: str) -> int:
    """Run the current patch set's version of ``tests`` on a build of the patches as they were at ``patches_from``.

    This is how a regression test is shown to fail on the patch before its fix: the
    test modules are copied from the current patch set into a --testdir, so the old
    build runs the new tests. No baseline comparison: the answer is pass or fail.
    """
    if not tests:
        raise UsageError("PATCHES_FROM needs TESTS: the test modules to run on the old patches")
    spec = builder.resolve(variant, flavor, patches_from=patches_from)
    builder.build(spec, jobs)
    testdir = current_tests(variant, tests, spec.directory / "tests-from-current")
    result = run(spec, tests, refleak, jobs, testdir=testdir)
    print()
    ui.step(f"{spec.name}: the current {' '.join(tests)} on the patches of commit {spec.revision}:")
    for report in result.sanitizer_reports:
        print(f"  sanitizer report: {report['signature']} ({report['file']})")
        print("    " + report["excerpt"].replace("\n", "\n    "))
    if result.broken:
        raise HarnessError(f"regrtest did not complete (exit {result.exit_code}); log: {result.log}")
    reports = sanitizers.new_signatures(result.sanitizer_reports, [], spec.flavor.known_signatures)
    if result.failed or reports:
        print(f"  FAILS before: {' '.join(result.failed) or 'sanitizer reports'}")
        for module, cases in result.failed_cases.items():
            for case in cases:
                print(f"    {module}: {case}")
        return 1
    print("  passes on these patches too")
    return 0


def regrtest(variant: str, flavor: str, tests: list[str], refleak: bool, jobs: int | None = None,
             patches_from: str = "", reuse: bool = False) -> int:
    """Build if needed, run the tests, compare with baseline; return the exit status.

    ``reuse``: for baseline, take a saved result of this build covering the selection
    instead of running again (the reference step of make test and make verify).
    """
    if patches_from:
        return regrtest_before(variant, flavor, tests, refleak, jobs or os.cpu_count() or 2, patches_from)
    spec = builder.resolve(variant, flavor)
    if reuse and spec.variant.name == "baseline":
        result = baseline_result(spec, tests, refleak, jobs or os.cpu_count() or 2)
        print(f"  baseline ({spec.name}) on {' '.join(tests)}: {' '.join(result.failed) or 'no failures'}; "
              f"{len(result.sanitizer_reports)} sanitizer report(s): "
              f"{'; '.join(sorted({r['signature'] for r in result.sanitizer_reports})) or 'none'}")
        return 0 if not result.broken else 1
    if refleak and "--with-pydebug" not in spec.flavor.configure_args:
        raise UsageError("REFLEAK=1 (-R 3:3) needs a debug build: add FLAVOR=debug")
    jobs = jobs or os.cpu_count() or 2
    builder.build(spec, jobs)
    base = None if spec.variant.name == "baseline" else baseline_result(spec, tests, refleak, jobs)
    result = run(spec, tests, refleak, jobs)
    selection = " ".join(tests) or "the whole suite"
    print()
    ui.step(f"regrtest summary for {spec.name} ({selection}), {ui.format_duration(result.duration_seconds)}:")
    if result.broken:
        # a sanitizer can stop regrtest's own process (it uses threads and queues too): say what it found
        known = base.sanitizer_reports if base else []
        for report in sanitizers.new_signatures(result.sanitizer_reports, known, spec.flavor.known_signatures):
            print(f"  sanitizer report that baseline does not have: {report['signature']}   ({report['file']})")
            print("      " + report["excerpt"].replace("\n", "\n      "))
        raise HarnessError(f"regrtest did not complete (exit {result.exit_code}); log: {result.log}")
    reference = base or result
    if reference.failed:
        print(
            f"  baseline's own failures on this machine (not counted against any patch): {' '.join(reference.failed)}"
        )
        for module, cases in reference.failed_cases.items():
            print(f"    {module}: {len(cases)} failing case(s), e.g. {cases[0]}")
    else:
        print("  baseline has no failures in this selection on this machine")
    if reference.sanitizer_reports:
        known = sorted({r["signature"] for r in reference.sanitizer_reports})
        print(
            f"  baseline's own sanitizer reports ({len(reference.sanitizer_reports)}, {len(known)} kinds; "
            "not counted against any patch):"
        )
        for signature in known:
            print(f"    {signature}")
    if base is None:
        print(
            f"  {spec.name} is the baseline: nothing to compare against; "
            f"results in {results_path(spec, tests, refleak)}"
        )
        return 0
    news = new_failures(result, base)
    for signature, reason in spec.flavor.known_reports:
        seen = sum(r["signature"] == signature for r in result.sanitizer_reports)
        if seen:
            print(
                f"  {spec.name}: {seen} report(s) of a known bug of unpatched CPython, "
                f"counted as baseline's: {signature} ({reason})"
            )
    new_reports = sanitizers.new_signatures(
        result.sanitizer_reports, base.sanitizer_reports, spec.flavor.known_signatures
    )
    if new_reports:
        print(f"  FAIL: {spec.name} has {len(new_reports)} sanitizer report(s) that baseline does not have:")
        for report in new_reports:
            print(f"    {report['signature']}   ({report['file']})")
            print("      " + report["excerpt"].replace("\n", "\n      "))
    if news:
        print(f"  FAIL: {spec.name} has {len(news)} failure(s) that baseline does not have:")
        for item in news:
            print(f"    {item}")
        return 1
    if new_reports:
        return 1
    fixed = sorted(set(base.failed) - set(result.failed))
    print(
        f"  OK: {spec.name} has no failure that baseline does not have"
        + (f" (and passes {' '.join(fixed)})" if fixed else "")
    )
    return 0
