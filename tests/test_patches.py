"""The patch machinery: headers checked, sets applied atomically, failures named."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import make_pin
from scripts import patches, source

HEADER = """Description: Make the dict's minimum size tunable
 Longer text: why, and the measured effect.
Author: The project <project@example.invalid>
Origin: other
Forwarded: no
Last-Update: 2026-11-23
---
"""

GOOD_DIFF = """diff --git a/Objects/dictobject.c b/Objects/dictobject.c
--- a/Objects/dictobject.c
+++ b/Objects/dictobject.c
@@ -2,3 +2,3 @@
 line 2
-line 3
+line three
 line 4
"""

BAD_DIFF = """diff --git a/Objects/dictobject.c b/Objects/dictobject.c
--- a/Objects/dictobject.c
+++ b/Objects/dictobject.c
@@ -10,3 +10,3 @@
 line 10
-no such line
+replacement
 line 12
"""


@pytest.fixture
def series_root(scratch_root, fake_tarball, monkeypatch):
    """A scratch root with a pristine fake tree and an empty series for version 9.9."""
    pin = make_pin(fake_tarball)
    monkeypatch.setenv("CPYTHON_TARBALL", str(fake_tarball))
    pristine = source.pristine_tree(pin)
    directory = scratch_root / "patches" / pin.series
    directory.mkdir(parents=True)
    (directory / "series").write_text("# comment\n")
    return pin, pristine, directory


def add_patch(directory: Path, name: str, text: str) -> None:
    (directory / name).write_text(text)
    with (directory / "series").open("a") as fh:
        fh.write(name + "\n")


def test_header_complete_and_incomplete(tmp_path):
    good = tmp_path / "good.patch"
    good.write_text(HEADER + GOOD_DIFF)
    assert patches.header_problems(good) == []
    bad = tmp_path / "bad.patch"
    bad.write_text("Description: x\nLast-Update: yesterday\n" + GOOD_DIFF)
    problems = patches.header_problems(bad)
    assert "missing Author or From" in problems and "missing Forwarded" in problems
    assert any("not YYYY-MM-DD" in p for p in problems)


def test_git_format_patch_fields_count(tmp_path):
    path = tmp_path / "fp.patch"
    path.write_text("From 123 Mon Sep 17 00:00:00 2001\nFrom: A <a@b>\nSubject: [PATCH] x\n\n"
                    "Origin: other\nForwarded: no\nLast-Update: 2026-01-01\n---\n" + GOOD_DIFF)
    assert patches.header_problems(path) == []


def test_series_rejects_bad_names_and_missing_files(series_root):
    pin, _, directory = series_root
    (directory / "series").write_text("dict.patch\n")
    with pytest.raises(patches.HarnessError, match="NNNN-short-name.patch"):
        patches.read_series(pin)
    (directory / "series").write_text("0001-gone.patch\n")
    with pytest.raises(patches.HarnessError, match="does not exist"):
        patches.read_series(pin)


def test_apply_set_makes_one_patched_copy(series_root):
    pin, pristine, directory = series_root
    add_patch(directory, "0001-good.patch", HEADER + GOOD_DIFF)
    tree = patches.apply_set(pristine, patches.read_series(pin))
    assert tree.name.startswith("patched-") and tree != pristine
    assert "line three" in (tree / "Objects" / "dictobject.c").read_text()
    assert "line three" not in (pristine / "Objects" / "dictobject.c").read_text()
    assert patches.apply_set(pristine, patches.read_series(pin)) == tree  # reused
    assert patches.apply_set(pristine, []) == pristine


def test_failing_patch_names_itself_and_leaves_no_tree(series_root):
    pin, pristine, directory = series_root
    add_patch(directory, "0001-good.patch", HEADER + GOOD_DIFF)
    add_patch(directory, "0002-stale.patch", HEADER + BAD_DIFF)
    with pytest.raises(patches.PatchFailed) as info:
        patches.apply_set(pristine, patches.read_series(pin))
    assert "0002-stale.patch" in str(info.value)
    assert "Objects/dictobject.c" in str(info.value)
    leftovers = [p.name for p in pristine.parent.iterdir() if p.name not in ("pristine", ".apply.lock")]
    assert leftovers == []
    assert "line three" not in (pristine / "Objects" / "dictobject.c").read_text()


def test_lint_reports_every_problem(series_root):
    pin, pristine, directory = series_root
    add_patch(directory, "0001-good.patch", HEADER + GOOD_DIFF)
    add_patch(directory, "0002-stale.patch", HEADER + BAD_DIFF)
    add_patch(directory, "0002-again.patch", "Description: no other fields\n" + GOOD_DIFF)
    (directory / "0003-unlisted.patch").write_text(HEADER + GOOD_DIFF)
    problems = patches.lint(pin, pristine, {"baseline": [], "tight": ["0001-good.patch"]})
    text = "\n".join(problems)
    assert "0003-unlisted.patch: in" in text and "not listed in series" in text
    assert "patch number 0002 is used twice" in text
    assert "0002-again.patch: header: missing Author or From" in text
    assert "0002-stale.patch alone: patch 0002-stale.patch does not apply" in text
    assert "the whole series together" in text
    assert not any("variant tight" in p for p in problems)  # its set applies


def test_lint_passes_on_a_clean_series(series_root):
    pin, pristine, directory = series_root
    add_patch(directory, "0001-good.patch", HEADER + GOOD_DIFF)
    assert patches.lint(pin, pristine, {"tight": ["0001-good.patch"]}) == []


def test_real_series_headers_are_complete():
    """Every patch the project ships has a complete DEP-3 header (the apply check is make lint-patches)."""
    from scripts.config import load_pin

    for patch in patches.read_series(load_pin()):
        assert patches.header_problems(patch.path) == [], patch.name


def test_a_new_revision_of_a_patch_set_reuses_its_folder_and_an_old_one_keeps_its_tree(series_root):
    """The tree is named by patch numbers, so ccache sees the same paths across revisions."""
    pin, pristine, directory = series_root
    add_patch(directory, "0001-good.patch", HEADER + GOOD_DIFF)
    first = patches.apply_set(pristine, patches.read_series(pin))
    assert first.name == "patched-0001"
    (directory / "0001-good.patch").write_text(HEADER + GOOD_DIFF.replace("+line three", "+line THREE"))
    second = patches.apply_set(pristine, patches.read_series(pin))
    assert second == first and "line THREE" in (second / "Objects" / "dictobject.c").read_text()
    (directory / "0001-good.patch").write_text(HEADER + BAD_DIFF)
    with pytest.raises(patches.PatchFailed):
        patches.apply_set(pristine, patches.read_series(pin))
    assert "line THREE" in (first / "Objects" / "dictobject.c").read_text()  # a failed revision leaves the last tree
    old = patches.Patch("0001-good.patch", directory / "old.patch")
    old.path.write_text(HEADER + GOOD_DIFF)
    tagged = patches.apply_set(pristine, [old], tag="abc123")
    assert tagged.name == "patched-0001@abc123" and "line three" in (tagged / "Objects" / "dictobject.c").read_text()
    assert sorted(p.name for p in pristine.parent.iterdir() if p.name != ".apply.lock") == [
        "patched-0001",
        "patched-0001@abc123",
        "pristine",
    ]
