"""The patch series: read it, check each patch's DEP-3 header, apply patch sets.

``patches/<series>/series`` lists patch files in the order they apply; a variant names
a subset of them. Each patch set gets one patched copy of the pristine source,
``src/<version>/patched-<numbers>`` (e.g. ``patched-0001-0002-0004``), made in a temporary
folder and swapped into place only when every patch applied: a patch that fails names
itself and the files that failed, and leaves no half-patched tree. The folder is named
by the patches' numbers, not their contents, so a new revision of a patch set compiles
in the same paths as the last one and ccache reuses every object the change does not
touch (a new revision rebuilds in about a minute instead of five); the stamp inside says
which contents the tree holds, and a tree whose stamp differs is made afresh. Patches are
applied with ``git apply`` so the same works on Windows, where GNU patch is usually absent.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import folder_lock, ui
from .config import ROOT, Pin
from .errors import HarnessError, UsageError

# DEP-3 lets git's own fields stand in: Subject for Description, From for Author.
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "Description": ("Description", "Subject"),
    "Author": ("Author", "From"),
    "Origin": ("Origin",),
    "Forwarded": ("Forwarded",),
    "Last-Update": ("Last-Update",),
}
PATCH_NAME_RE = re.compile(r"^\d{4}-[a-z0-9][a-z0-9-]*\.patch$")


class PatchFailed(HarnessError):
    """A patch did not apply to the tree it was meant for."""


@dataclass(frozen=True)
class Patch:
    """One file of the series."""

    name: str
    path: Path

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def series_dir(pin: Pin) -> Path:
    return ROOT / "patches" / pin.series


def read_series(pin: Pin) -> list[Patch]:
    """Return the patches listed in series, in order; comments and blank lines are skipped."""
    directory = series_dir(pin)
    series_file = directory / "series"
    if not series_file.is_file():
        raise HarnessError(f"{series_file} is missing")
    patches = []
    for number, line in enumerate(series_file.read_text().splitlines(), 1):
        name = line.split("#", 1)[0].strip()
        if not name:
            continue
        if not PATCH_NAME_RE.match(name):
            raise HarnessError(f"{series_file}:{number}: {name!r} is not named NNNN-short-name.patch")
        path = directory / name
        if not path.is_file():
            raise HarnessError(f"{series_file}:{number}: {name} is listed but {path} does not exist")
        patches.append(Patch(name, path))
    return patches


def header_problems(path: Path) -> list[str]:
    """Return what is wrong with a patch's DEP-3 header (empty when it is complete)."""
    lines = path.read_text(errors="replace").splitlines()
    header_lines = []
    for line in lines:
        if line.startswith(("diff --git ", "--- ", "Index: ")):
            break
        header_lines.append(line)
    fields: dict[str, str] = {}
    for line in header_lines:
        match = re.match(r"^([A-Za-z][A-Za-z-]*):\s*(.*)$", line)
        if match:
            fields.setdefault(match.group(1), match.group(2).strip())
    problems = []
    for field, alternatives in REQUIRED_FIELDS.items():
        present = [alt for alt in alternatives if fields.get(alt)]
        if not present:
            problems.append(f"missing {' or '.join(alternatives)}")
    updated = fields.get("Last-Update", "")
    if updated and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", updated):
        problems.append(f"Last-Update {updated!r} is not YYYY-MM-DD")
    if not any(line.startswith(("diff --git ", "--- ")) for line in lines):
        problems.append("no diff in the file")
    return problems


def set_id(patches: list[Patch]) -> str:
    """A short stable id of a patch set: names and contents, in order."""
    digest = hashlib.sha256()
    for patch in patches:
        digest.update(patch.name.encode() + b"\0" + patch.sha256.encode() + b"\0")
    return digest.hexdigest()[:12]


def _git_apply(patch: Patch, tree: Path, check_only: bool = False) -> None:
    if not shutil.which("git"):
        raise HarnessError("git is needed to apply patches (git apply); install it: apt-get install git")
    env = dict(os.environ, GIT_CEILING_DIRECTORIES=str(tree.parent))  # never treat our repo as the target
    cmd = ["git", "apply", "-p1", "--whitespace=nowarn"] + (["--check"] if check_only else []) + [str(patch.path)]
    proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        files = sorted(
            set(re.findall(r"patch failed: ([^:\n]+):\d+", proc.stderr))
            | set(
                re.findall(
                    r"error: ([^:\n]+): (?:No such file|does not exist|patch does not apply|already exists)",
                    proc.stderr,
                )
            )
        )
        raise PatchFailed(
            f"patch {patch.name} does not apply to {tree.name}"
            + (f" (failing file(s): {', '.join(files)})" if files else "")
            + ":\n    " + "\n    ".join(proc.stderr.strip().splitlines()[-6:])
        )


def at_revision(pin: Pin, revision: str, names: list[str], root: Path = ROOT) -> tuple[str, list[Patch]]:
    """The named patches as they were in git revision ``revision``: (short commit, patches).

    They are written to build/patches-at/<commit>/ so a build can be made from them, e.g.
    to show a new regression test failing on the patch before its fix.
    """
    found = subprocess.run(["git", "rev-parse", "--verify", "--quiet", "--short=10", f"{revision}^{{commit}}"],
                           cwd=root, capture_output=True, text=True)
    if found.returncode != 0:
        raise UsageError(f"PATCHES_FROM={revision!r}: not a git revision of {root}")
    commit = found.stdout.strip()
    folder = root / "build" / "patches-at" / commit
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name in names:
        shown = subprocess.run(["git", "show", f"{commit}:patches/{pin.series}/{name}"], cwd=root, capture_output=True)
        if shown.returncode != 0:
            raise UsageError(f"PATCHES_FROM={revision}: {name} does not exist in commit {commit}")
        path = folder / name
        path.write_bytes(shown.stdout)
        out.append(Patch(name, path))
    return commit, out


def tree_name(patches: list[Patch], tag: str = "") -> str:
    """The folder of a patch set's tree: its patch numbers, and ``@tag`` for an older revision."""
    numbers = "-".join(p.name.split("-", 1)[0] for p in patches)
    return f"patched-{numbers}" + (f"@{tag}" if tag else "")


def stamp_text(patches: list[Patch]) -> str:
    """What a tree's .harness-patches says: each patch's name and sha256."""
    return "".join(f"{p.name} {p.sha256}\n" for p in patches)


def apply_set(pristine: Path, patches: list[Patch], tag: str = "") -> Path:
    """Return the source tree for a patch set, creating it atomically if needed.

    ``tag`` keeps an older revision of the same patches (PATCHES_FROM) in its own folder.
    """
    if not patches:
        return pristine
    # Two harness commands applying patch sets at once (a build beside a PATCHES_FROM
    # run) would otherwise remove each other's half-made trees as stale.
    with folder_lock.exclusive(pristine.parent / ".apply.lock"):
        return _apply_set_locked(pristine, patches, tag)


def _apply_set_locked(pristine: Path, patches: list[Patch], tag: str) -> Path:
    """apply_set() under the src/ lock."""
    final = pristine.parent / tree_name(patches, tag)
    stamp = final / ".harness-patches"
    if (final / "configure").is_file() and stamp.is_file() and stamp.read_text() == stamp_text(patches):
        return final
    for stale in [*pristine.parent.glob(".patched-*"), *pristine.parent.glob(".stale-*")]:
        shutil.rmtree(stale, ignore_errors=True)  # left by an interrupted run
    tmp_parent = Path(tempfile.mkdtemp(prefix=".patched-", dir=pristine.parent))
    tree = tmp_parent / "tree"
    try:
        ui.step(
            f"applying {len(patches)} patch(es) to a copy of the pristine source: {', '.join(p.name for p in patches)}"
        )
        shutil.copytree(pristine, tree, symlinks=True)
        for patch in patches:
            _git_apply(patch, tree)
        (tree / ".harness-patches").write_text(stamp_text(patches))
        if final.exists():  # another revision of the same patches: swap it out
            stale = pristine.parent / f".stale-{final.name}-{os.getpid()}"
            os.replace(final, stale)
            shutil.rmtree(stale, ignore_errors=True)
        os.replace(tree, final)
    finally:
        shutil.rmtree(tmp_parent, ignore_errors=True)
    return final


def check_applies(pristine: Path, patches: list[Patch]) -> None:
    """Apply a patch set to a throw-away copy and discard it; raise PatchFailed on failure."""
    if not patches:
        return
    with tempfile.TemporaryDirectory(prefix=".lint-", dir=pristine.parent) as tmp:
        tree = Path(tmp) / "tree"
        shutil.copytree(pristine, tree, symlinks=True)
        for patch in patches:
            _git_apply(patch, tree)


def lint(pin: Pin, pristine: Path, variant_sets: dict[str, list[str]]) -> list[str]:
    """Check the series: names, numbers, headers, and that every set applies.

    ``variant_sets`` maps each variant to its patch names. Each patch must apply to
    pristine source alone, all of them together, and each variant's own subset.
    Returns the problems found (empty when all is well).
    """
    problems: list[str] = []
    directory = series_dir(pin)
    series = read_series(pin)
    listed = {p.name for p in series}
    for path in sorted(directory.glob("*.patch")):
        if path.name not in listed:
            problems.append(f"{path.name}: in {directory} but not listed in series")
    numbers = [p.name[:4] for p in series]
    for number in sorted({n for n in numbers if numbers.count(n) > 1}):
        problems.append(f"patch number {number} is used twice (numbers are permanent and unique)")
    for patch in series:
        problems += [f"{patch.name}: header: {problem}" for problem in header_problems(patch.path)]
    by_name = {p.name: p for p in series}
    sets: dict[tuple[str, ...], str] = {}
    for patch in series:
        sets.setdefault((patch.name,), f"{patch.name} alone")
    if len(series) > 1:
        sets.setdefault(tuple(p.name for p in series), "the whole series together")
    for variant, names in variant_sets.items():
        if names:
            sets.setdefault(tuple(names), f"variant {variant}")
    for names, label in sets.items():
        ui.step(f"lint-patches: applying {label}")
        try:
            check_applies(pristine, [by_name[n] for n in names])
        except PatchFailed as exc:
            problems.append(f"{label}: {exc}")
    return problems
