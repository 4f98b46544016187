"""The verification machinery: sanitizer flavors, report signatures, checks, PATCHES_FROM.

Real sanitizer builds are exercised by `make test` (asan) and `make verify` (tsan); these
tests pin the logic around them on synthetic input, so a parser that stops recognising a
report, or a known-failure mark that hides a pass, fails here in seconds.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from scripts import build as builder
from scripts import checks, patches, regrtest, sanitizers
from scripts.__main__ import main
from scripts.config import CHECK_NAMES, load_pin, load_table
from scripts.errors import HarnessError, UsageError

REPO = Path(__file__).resolve().parent.parent
TABLE = load_table(series=[p.name for p in patches.read_series(load_pin())])

ASAN_REPORT = """\
=================================================================
==4242==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000001230 at pc 0x55 bp 0x7f sp 0x7e
READ of size 8 at 0x602000001230 thread T3
    #0 0x5555 in cond_lock_acquire_blocking ../../../src/3.13.5/patched-1/Modules/_threadmodule.c:2211
    #1 0x5556 in cond_wait ../../../src/3.13.5/patched-1/Modules/_threadmodule.c:2300
    #2 0x5557 in _PyEval_EvalFrameDefault Python/generated_cases.c.h:1500

0x602000001230 is located 16 bytes inside of 48-byte region [0x602000001220,0x602000001250)
freed by thread T0 here:
    #0 0x7777 in __interceptor_free ../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:52
    #1 0x5560 in lock_dealloc ../../../src/3.13.5/patched-1/Modules/_threadmodule.c:800

previously allocated by thread T0 here:
    #0 0x7778 in __interceptor_malloc ../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:69
    #1 0x5570 in PyType_GenericAlloc Objects/typeobject.c:2000

SUMMARY: AddressSanitizer: heap-use-after-free ../Modules/_threadmodule.c:2211 in cond_lock_acquire_blocking
"""

TSAN_REPORT = """\
==================
WARNING: ThreadSanitizer: data race (pid=999)
  Write of size 4 at 0x7b0c00000010 by thread T2:
    #0 drop_gil /work/x/src/3.13.5/patched-2/Python/ceval_gil.c:301 (python+0x2a1b)
    #1 _PyEval_ReleaseLock /work/x/src/3.13.5/patched-2/Python/ceval_gil.c:600 (python+0x2a1c)

  Previous read of size 4 at 0x7b0c00000010 by main thread:
    #0 take_gil /work/x/src/3.13.5/patched-2/Python/ceval_gil.c:401 (python+0x2b00)

SUMMARY: ThreadSanitizer: data race /work/x/Python/ceval_gil.c:301 in drop_gil
==================
WARNING: ThreadSanitizer: lock-order-inversion (potential deadlock) (pid=999)
    #0 pthread_mutex_lock <null> (libtsan.so.2+0x1)
    #1 PyMUTEX_LOCK Python/condvar.h:80 (python+0x1)
"""

UBSAN_REPORT = """\
../../../src/3.13.5/pristine/Objects/longobject.c:120:5: runtime error: signed integer overflow: 9223372036854775807 + 1 cannot be represented in type 'long int'
    #0 0x1 in long_add ../../../src/3.13.5/pristine/Objects/longobject.c:120
    #1 0x2 in binary_op1 Objects/abstract.c:900
"""  # noqa: E501 (a sanitizer's report, verbatim)


def test_asan_report_signature_names_the_kind_and_the_access_and_free_sites():
    (report,) = sanitizers.parse_text(ASAN_REPORT, "asan.4242")
    assert report.tool == "asan" and report.kind == "heap-use-after-free"
    # interceptor frames are skipped; the access stack and the free stack each give one function
    assert report.functions == ("cond_lock_acquire_blocking", "lock_dealloc")
    assert report.signature == "asan: heap-use-after-free in cond_lock_acquire_blocking / lock_dealloc"


def test_tsan_reports_are_split_and_signed_by_both_accesses():
    race, inversion = sanitizers.parse_text(TSAN_REPORT)
    assert race.signature == "tsan: data race in drop_gil / take_gil"
    assert inversion.kind == "lock-order-inversion (potential deadlock)"
    assert inversion.functions == ("PyMUTEX_LOCK",)  # the <null> and interceptor frames say nothing


def test_ubsan_signature_does_not_depend_on_numbers_or_paths():
    (report,) = sanitizers.parse_text(UBSAN_REPORT)
    other = UBSAN_REPORT.replace("120:5", "133:9").replace("9223372036854775807", "5").replace("pristine", "patched-9")
    (moved,) = sanitizers.parse_text(other)
    assert report.tool == "ubsan" and report.signature == moved.signature
    assert report.kind.startswith("signed integer overflow")


def test_only_signatures_baseline_lacks_are_new():
    base = [r.as_json() for r in sanitizers.parse_text(TSAN_REPORT)]
    variant = base + [r.as_json() for r in sanitizers.parse_text(ASAN_REPORT)] * 2
    news = sanitizers.new_signatures(variant, base)
    assert [n["signature"] for n in news] == ["asan: heap-use-after-free in cond_lock_acquire_blocking / lock_dealloc"]
    assert sanitizers.new_signatures(base, base) == []


# As ASan writes a report with symbolize=0: the process may exit right after any line, so
# every frame is printed at once, unnamed. Real addresses from a baseline-asan report of
# CPython gh-154175 (drop_gil inlines the atomic load: three frames at one address).
RAW_ASAN_REPORT = """\
=================================================================
==3413==ERROR: AddressSanitizer: heap-use-after-free on address 0x613000016a98 at pc 0x5556c33f988b bp 0x7f04 sp 0x7f04
READ of size 8 at 0x613000016a98 thread T1
    #0 0x5556c33f988a  ({binary}+{victim})
    #1 0x5556c33fdbfb  ({binary}+{caller})
    #2 0x7f04384a71f4  (/lib/x86_64-linux-gnu/libc.so.6+0x891f4)

0x613000016a98 is located 24 bytes inside of 336-byte region [0x613000016a80,0x613000016bd0)
freed by thread T0 here:
    #0 0x7f0438eb76a8  (/lib/x86_64-linux-gnu/libasan.so.8+0xb76a8)
    #1 0x5556c351d087  ({binary}+{freer})
"""

VICTIM_PROGRAM = """\
#include <stdlib.h>
__attribute__((noinline)) int victim(int *p) { return p[1] + 1; }
__attribute__((noinline)) int caller(int *p) { return victim(p) * 2; }
__attribute__((noinline)) void freer(int *p) { free(p); }
int main(void) { int *p = calloc(4, sizeof(int)); int r = caller(p); freer(p); return r - 2; }
"""


def _function_offsets(binary: Path, names: list[str]) -> dict[str, str]:
    symbols = subprocess.run(["nm", str(binary)], capture_output=True, text=True, check=True).stdout
    found = {line.split()[2]: int(line.split()[0], 16) for line in symbols.splitlines() if len(line.split()) == 3}
    return {name: hex(found[name] + 4) for name in names}  # an address inside each function


@pytest.mark.skipif(shutil.which("gcc") is None or shutil.which("addr2line") is None, reason="needs gcc and binutils")
def test_raw_frames_are_named_with_addr2line_and_the_file_rewritten(tmp_path: Path):
    """The CI failure of 089c543: an unsymbolized (or cut) report had no signature baseline could share."""
    source = tmp_path / "victim.c"
    source.write_text(VICTIM_PROGRAM)
    binary = tmp_path / "victim"
    subprocess.run(["gcc", "-g", "-O0", "-fPIE", "-pie", "-o", str(binary), str(source)], check=True)
    offsets = _function_offsets(binary, ["victim", "caller", "freer"])
    text = RAW_ASAN_REPORT.format(binary=binary, **offsets)
    # read as printed, the frames name no function (before the fix, the address was taken for one)
    (unread,) = sanitizers.parse_text(text)
    assert not any(f.startswith("0x") for f in unread.functions)
    report_file = tmp_path / "reports" / "asan.3413"
    report_file.parent.mkdir()
    report_file.write_text(text)
    (report,) = sanitizers.collect(report_file.parent)
    assert report.signature == "asan: heap-use-after-free in victim / freer"
    rewritten = report_file.read_text()
    assert rewritten.startswith(sanitizers.SYMBOLIZED_MARK) and " in caller " in rewritten and "victim.c:2" in rewritten
    assert sanitizers.collect(report_file.parent)[0].signature == report.signature  # read twice, same answer


def test_the_innermost_function_is_the_one_the_inlined_helpers_sit_in():
    text = """\
==1==ERROR: AddressSanitizer: heap-use-after-free on address 0x6130 at pc 0x55 bp 0x7f sp 0x7f
READ of size 8 at 0x6130 thread T1
    #0 0x5556c33f988a in _Py_atomic_load_uintptr_relaxed Include/cpython/pyatomic_gcc.h:347 (python+0x266588a)
    #1 0x5556c33f988a in _Py_eval_breaker_bit_is_set Include/internal/pycore_ceval.h:290 (python+0x266588a)
    #2 0x5556c33f988a in drop_gil Python/ceval_gil.c:265 (python+0x266588a)
    #3 0x5556c33fdbfb in PyEval_SaveThread Python/ceval_gil.c:639 (python+0x2669bfb)

freed by thread T0 here:
    #0 0x7f0438eb76a8 in free (/lib/x86_64-linux-gnu/libasan.so.8+0xb76a8)
    #1 0x5556c351d087 in free_threadstate Python/pystate.c:1474 (python+0x2789087)
    #2 0x5556c351d087 in _PyThreadState_DeleteList Python/pystate.c:1930 (python+0x2789087)
    #3 0x5556c350807e in _Py_Finalize Python/pylifecycle.c:2090 (python+0x277407e)
"""
    (report,) = sanitizers.parse_text(text)
    assert report.signature == "asan: heap-use-after-free in drop_gil / _PyThreadState_DeleteList"
    # which is the flavor's known report of unpatched CPython: counted as baseline's
    assert report.signature in {s for s, _ in TABLE.flavor("asan").known_reports}
    assert (
        sanitizers.new_signatures([report.as_json()], [], builder.resolve("plus", "asan").flavor.known_signatures) == []
    )
    assert sanitizers.new_signatures([report.as_json()], []) != []


def test_flavor_skips_and_known_reports_need_a_reason_and_a_real_name(tmp_path: Path):
    text = (REPO / "variants.toml").read_text()
    no_reason = text.replace(
        '"CPython gh-154175: a daemon thread in drop_gil reads its thread state freed at finalization '
        '(3.13.5 has no fix)"',
        '" "',
        1,
    )
    assert no_reason != text
    for broken, message in (
        (no_reason, "needs a reason"),
        (
            text.replace("ignore_tests = { \"test.test_threading.", "ignore_tests = { \"test_threading.", 1),
            "does not look like",
        ),
        (text.replace('known_reports = { "asan: heap', 'known_reports = { "heap', 1), "does not look like"),
    ):
        path = tmp_path / "variants.toml"
        path.write_text(broken)
        with pytest.raises(UsageError, match=message):
            load_table(path)


def test_log_path_is_added_to_each_sanitizer_option_present(tmp_path: Path):
    env = sanitizers.with_log_path({"ASAN_OPTIONS": "detect_leaks=0", "TSAN_OPTIONS": "", "PATH": "/bin"}, tmp_path)
    # ASan prints raw frames (symbolize=0), for the harness to symbolize: see test_raw_frames_*
    assert env["ASAN_OPTIONS"] == f"detect_leaks=0:symbolize=0:log_path={tmp_path / 'asan'}"
    assert env["TSAN_OPTIONS"] == f"log_path={tmp_path / 'tsan'}"
    assert "UBSAN_OPTIONS" not in env and env["PATH"] == "/bin"


def test_collect_reads_every_report_file(tmp_path: Path):
    (tmp_path / "asan.1").write_text(ASAN_REPORT)
    (tmp_path / "tsan.2").write_text(TSAN_REPORT)
    assert [r.tool for r in sanitizers.collect(tmp_path)] == ["asan", "tsan", "tsan"]
    assert sanitizers.collect(tmp_path / "missing") == []


def test_sanitizer_flavors_are_posix_only_and_refused_by_benchmarks():
    for name in ("asan", "tsan"):
        flavor = TABLE.flavor(name)
        assert flavor.sanitizer and not flavor.benchmarks and flavor.platforms == ("posix",)
    assert TABLE.flavor("release").benchmarks and not TABLE.flavor("release").sanitizer
    asan = dict(TABLE.flavor("asan").runtime_env)
    assert "detect_leaks=0" in asan["ASAN_OPTIONS"] and "halt_on_error=1" in asan["UBSAN_OPTIONS"]


def test_tsan_suppressions_are_cpythons_own_file_for_the_build(tmp_path: Path):
    gil = builder.resolve("io_gil", "tsan")
    ft = builder.resolve("freethreaded", "tsan")
    assert builder.flavor_env(gil, tmp_path)["TSAN_OPTIONS"].startswith(
        f"suppressions={tmp_path}/Tools/tsan/suppressions.txt"
    )
    assert "suppressions_free_threading.txt" in builder.flavor_env(ft, tmp_path)["TSAN_OPTIONS"]
    assert builder.flavor_env(builder.resolve("io_gil", "release"), tmp_path) == {}


def test_bench_refuses_a_sanitizer_flavor(capsys):
    assert main(["bench", "--flavor", "asan", "--variants", "baseline"]) == 2
    assert "benchmark flavors: release, pgo, debug" in capsys.readouterr().err


def test_windows_dry_run_refuses_a_posix_only_flavor(capsys):
    assert main(["build", "--variant", "plus", "--flavor", "tsan", "--dry-run", "--platform", "windows"]) == 2
    assert "flavor tsan has no Windows build" in capsys.readouterr().err


def test_unknown_flavor_lists_the_sanitizers(capsys):
    assert main(["build", "--variant", "plus", "--flavor", "msan"]) == 2
    assert "valid flavors: release, pgo, debug, asan, tsan" in capsys.readouterr().err


def test_probe_names_the_flag_a_compiler_lacks(tmp_path: Path):
    fake_cc = tmp_path / "cc"
    fake_cc.write_text("#!/bin/sh\necho 'cannot find -ltsan' >&2\nexit 1\n")
    fake_cc.chmod(0o755)
    with pytest.raises(HarnessError, match=r"needs .*cc -fsanitize=thread, which does not work.*cannot find -ltsan"):
        builder.probe_compiler(TABLE.flavor("tsan"), cc=str(fake_cc))
    builder.probe_compiler(TABLE.flavor("release"), cc=str(fake_cc))  # nothing to probe: no call


def test_every_check_is_defined_and_rows_name_only_known_checks():
    assert tuple(checks.CHECKS) == CHECK_NAMES
    for variant in TABLE.variants.values():
        assert set(variant.checks) <= set(CHECK_NAMES)
        assert set(dict(variant.known_failures)) <= set(variant.checks)


def test_make_test_plans_asan_and_green_threads_and_verify_adds_tsan():
    names = list(TABLE.variants)
    in_test = {(p.check.name, p.variant) for p in checks.plan(TABLE, names, list(CHECK_NAMES), make_test_only=True)}
    assert {("asan", "plus"), ("asan", "sem_condvar"), ("green_threads", "native_condition"),
            ("green_threads", "io_gil"), ("green_threads", "plus")} <= in_test
    assert not any(name == "tsan" for name, _ in in_test)
    in_verify = {(p.check.name, p.variant) for p in checks.plan(TABLE, names, list(CHECK_NAMES), make_test_only=False)}
    assert {("tsan", "io_gil"), ("tsan", "sem_condvar")} <= in_verify


def test_baseline_runs_the_union_of_the_asan_selections_once():
    planned = checks.plan(TABLE, list(TABLE.variants), ["asan"], make_test_only=True)
    union = checks.baseline_selection(planned, "asan")
    for p in planned:
        assert set(p.tests) <= set(union)
    assert len(union) == len(set(union))


def test_a_known_failure_is_not_counted_but_a_pass_under_the_mark_is():
    check = checks.CHECKS["green_threads"]
    marked = checks.Planned(check, "native_condition", (), "issue 18: deadlock")
    plain = checks.Planned(check, "io_gil", (), None)
    assert checks.judge(marked, 1) == (0, "known")
    assert checks.judge(marked, 0)[0] == 1 and "remove the mark" in checks.judge(marked, 0)[1]
    assert checks.judge(plain, 1) == (1, "FAIL") and checks.judge(plain, 0) == (0, "ok")


def _result(tests: list[str], failed: list[str], key: str = "k") -> regrtest.RegrtestResult:
    ignored = TABLE.flavor("asan").ignored_test_ids
    return regrtest.RegrtestResult(build="baseline-asan", tests=tests, refleak=False, exit_code=2 if failed else 0,
                                   failed=failed, failed_cases={m: ["case"] for m in failed}, build_key=key,
                                   ignored=ignored, report_format=regrtest.REPORT_FORMAT)


def test_a_saved_larger_baseline_run_is_narrowed_to_the_selection(tmp_path: Path, monkeypatch):
    spec = builder.resolve("baseline", "asan")
    monkeypatch.setattr(builder.BuildSpec, "directory", property(lambda self: tmp_path))
    (tmp_path / "regrtest").mkdir()
    big = _result(["test_sys", "test_os", "test_threading"], ["test_os", "test_threading"])
    import dataclasses
    import json

    (tmp_path / "regrtest" / "big.json").write_text(json.dumps(dataclasses.asdict(big)))
    got = regrtest.saved_superset(spec, ["test_threading", "test_sys"], False, "k")
    assert got is not None and got.failed == ["test_threading"] and set(got.failed_cases) == {"test_threading"}
    assert regrtest.saved_superset(spec, ["test_dict"], False, "k") is None  # not covered
    assert regrtest.saved_superset(spec, ["test_sys"], False, "other-key") is None  # another build


def test_a_saved_baseline_run_read_another_way_is_not_reused(tmp_path: Path, monkeypatch):
    """Reports read before offline symbolization, or a run without the flavor's skips, cannot be compared."""
    spec = builder.resolve("baseline", "asan")
    monkeypatch.setattr(builder.BuildSpec, "directory", property(lambda self: tmp_path))
    (tmp_path / "regrtest").mkdir()
    import dataclasses
    import json

    old_format = dataclasses.replace(_result(["test_sys"], []), report_format=1)
    (tmp_path / "regrtest" / "old.json").write_text(json.dumps(dataclasses.asdict(old_format)))
    assert regrtest.saved_superset(spec, ["test_sys"], False, "k") is None
    unskipped = dataclasses.replace(_result(["test_sys"], []), ignored=[])
    (tmp_path / "regrtest" / "old.json").write_text(json.dumps(dataclasses.asdict(unskipped)))
    assert regrtest.saved_superset(spec, ["test_sys"], False, "k") is None


def test_patches_from_an_unknown_revision_or_a_missing_patch_is_refused(tmp_path: Path):
    pin = load_pin()
    with pytest.raises(UsageError, match="not a git revision"):
        patches.at_revision(pin, "no-such-rev-xyz", ["0002-native-condition.patch"])
    repo = tmp_path / "repo"
    (repo / "patches" / pin.series).mkdir(parents=True)
    (repo / "patches" / pin.series / "0002-native-condition.patch").write_text("old\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "old"], check=True)
    commit, got = patches.at_revision(pin, "HEAD", ["0002-native-condition.patch"], root=repo)
    assert got[0].path.read_text() == "old\n" and got[0].path.is_relative_to(repo / "build" / "patches-at" / commit)
    with pytest.raises(UsageError, match="0004-io-priority-gil.patch does not exist in commit"):
        patches.at_revision(pin, "HEAD", ["0004-io-priority-gil.patch"], root=repo)


def test_patches_from_builds_under_its_own_name():
    spec = builder.resolve("native_condition", "release", patches_from="HEAD")
    assert spec.revision and spec.name == f"native_condition@{spec.revision}"
    with pytest.raises(UsageError, match="needs a variant with patches"):
        builder.resolve("baseline", "release", patches_from="HEAD")


def _outcomes(*oks: bool, failing: frozenset[str] = frozenset()) -> list:
    from scripts import greenthreads

    return [
        greenthreads.Outcome(f"step {i}", ok, "detail", failing if not ok else frozenset()) for i, ok in enumerate(oks)
    ]


@pytest.mark.parametrize("base, mine, status", [
    ((True, True, True), (True, True, True), 0),
    ((True, True, True), (False, True, True), 1),       # a hang or wrong result baseline does not have
    ((True, True, False), (True, True, False), 0),      # gevent's tests fail the same way on baseline
])
def test_green_threads_judge_each_run_against_baseline(monkeypatch, base, mine, status):
    from scripts import greenthreads

    monkeypatch.setattr(builder, "build", lambda spec, jobs=None: None)
    answers = {"baseline": _outcomes(*base, failing=frozenset({"test__x"})),
               "native_condition": _outcomes(*mine, failing=frozenset({"test__x"}))}
    monkeypatch.setattr(greenthreads, "run_all", lambda spec: answers[spec.variant.name])
    monkeypatch.setattr(greenthreads, "_BASELINE_RUNS", {})
    assert greenthreads.check("native_condition") == status


def test_green_thread_pins_are_exact():
    from scripts import greenthreads

    lines = greenthreads.requirements()
    assert {line.split("==")[0] for line in lines} >= {"gevent", "eventlet", "greenlet"}
    assert all(re.fullmatch(r"[A-Za-z0-9_.]+==[0-9][0-9A-Za-z.]*", line) for line in lines)


def test_a_second_build_of_the_same_folder_waits_for_the_first(tmp_path: Path, monkeypatch):
    import threading

    monkeypatch.setattr(builder, "BUILD", tmp_path)
    spec = builder.resolve("baseline", "asan")
    order: list[str] = []
    first = builder.build_lock(spec)
    first.__enter__()
    second = builder.build_lock(spec)
    waiter = threading.Thread(target=lambda: (second.__enter__(), order.append("second")))
    waiter.start()
    waiter.join(0.3)
    order.append("first done")
    first.__exit__(None, None, None)
    waiter.join(5)
    second.__exit__(None, None, None)
    assert order == ["first done", "second"]


def test_two_green_thread_checks_make_one_venv_after_the_other(tmp_path: Path, monkeypatch):
    """Two `make green-threads` of one variant at once both failed: each removed the other's half-made venv."""
    import subprocess
    import threading
    import time

    from scripts import greenthreads

    monkeypatch.setattr(builder.BuildSpec, "directory", property(lambda self: tmp_path))
    spec = builder.resolve("native_condition", "release")
    active: list[int] = []
    overlapped: list[bool] = []

    def fake_run(cmd, **kwargs):
        active.append(1)
        overlapped.append(len(active) > 1)
        if cmd[1:3] == ["-m", "venv"]:
            python = Path(cmd[3]) / "bin" / "python"
            python.parent.mkdir(parents=True, exist_ok=True)
            python.write_text("")
        time.sleep(0.05)
        active.pop()
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(greenthreads.subprocess, "run", fake_run)
    monkeypatch.setattr(greenthreads.builder, "run_env", lambda spec: {})
    monkeypatch.setattr(greenthreads, "ROOT", tmp_path)
    results: list[Path] = []
    threads = [threading.Thread(target=lambda: results.append(greenthreads.venv_python(spec))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(results) == 2 and results[0] == results[1]
    # The first made the venv (two commands); the second found it made and ran none.
    assert overlapped == [False, False]


def test_the_reference_step_builds_baseline_once(tmp_path: Path, monkeypatch):
    """make test's reference step (reuse=True) used to build baseline, then build it again inside baseline_result."""
    import json

    monkeypatch.setattr(builder.BuildSpec, "directory", property(lambda self: tmp_path))
    (tmp_path / "variant.json").write_text(json.dumps({"build_key": "k"}))
    built = []
    monkeypatch.setattr(regrtest.builder, "build", lambda spec, jobs=None: built.append(spec.name))
    monkeypatch.setattr(regrtest, "saved_superset", lambda *a: _result(["test_sys"], []))
    assert regrtest.regrtest("baseline", "asan", ["test_sys"], False, 2, reuse=True) == 0
    assert built == ["baseline-asan"]
