"""The semaphore condvar's checks: pan's output read right, the model verified for real."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scripts import condvar_verify
from scripts.config import load_table

PAN_CLEAN = """
(Spin Version 6.5.2 -- 6 December 2019)
State-vector 72 byte, depth reached 13424, errors: 0
   609771 states, stored
"""

PAN_VIOLATED = """
pan:1: assertion violated (shared_sem==0) (at depth 71)
pan:5: assertion violated ((res!=0)||signalled_since[me]) (at depth 121)
pan:9: assertion violated ((res!=0)||signalled_since[me]) (at depth 96)
State-vector 72 byte, depth reached 2875, errors: 584
"""


def test_parse_pan_clean_run():
    figures = condvar_verify.parse_pan(PAN_CLEAN)
    assert figures["errors"] == 0
    assert figures["states"] == 609771
    assert figures["violated"] == []
    assert not figures["depth_too_small"]


def test_parse_pan_lists_each_violated_assertion_once():
    figures = condvar_verify.parse_pan(PAN_VIOLATED)
    assert figures["errors"] == 584
    assert figures["violated"] == ["((res!=0)||signalled_since[me])", "(shared_sem==0)"]
    assert condvar_verify.NO_STEALING in figures["violated"]


def test_parse_pan_flags_a_truncated_search():
    figures = condvar_verify.parse_pan("error: max search depth too small\nerrors: 0\n")
    assert figures["depth_too_small"]


def test_stress_flags_point_at_the_patched_tree_and_the_build(tmp_path: Path):
    flags = condvar_verify.stress_flags(tmp_path / "src", tmp_path / "build")
    assert f"-I{tmp_path / 'build'}" in flags  # pyconfig.h of the variant
    assert f"-I{tmp_path / 'src' / 'Python'}" in flags  # Python/condvar.h itself
    assert "-D_PY_EMULATED_POSIX_CV=1" in flags
    assert "-Werror" in flags


def test_stress_runs_cover_both_wait_paths_and_both_race_detectors():
    runs = {label: (cflags, wrapper, argv) for label, cflags, wrapper, argv in condvar_verify.stress_runs()}
    assert any("-DSTRESS_NO_CLOCKWAIT" in c for c, _, _ in runs.values())
    assert any("-fsanitize=thread" in c for c, _, _ in runs.values())
    assert any(w[:2] == ["valgrind", "--tool=helgrind"] for _, w, _ in runs.values())
    # fork is skipped only where the tool cannot follow it
    for cflags, wrapper, argv in runs.values():
        assert ("--no-fork" in argv) == bool(wrapper or "-fsanitize=thread" in cflags)


def test_the_variant_row_turns_the_emulation_on():
    variant = load_table().variant(condvar_verify.VARIANT)
    assert condvar_verify.EMULATION_DEFINE in variant.defines
    assert "_PY_EMULATED_WIN_CV=1" in variant.windows_defines
    assert any("get_gil_condvar" in check for check in variant.signature)


@pytest.mark.skipif(shutil.which("spin") is None or shutil.which("gcc") is None, reason="needs spin and gcc")
def test_model_verifies_and_its_counter_example_fails(tmp_path: Path):
    outcomes = condvar_verify.model_outcomes(tmp_path)
    assert [o.ok for o in outcomes] == [True, True], [o.detail for o in outcomes]
    assert "errors: 0" in outcomes[0].detail
