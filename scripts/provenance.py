"""Provenance of a run: was it measured from a clean tree, with the current patches and benchmark code?

``make bench`` refuses a harness checkout with uncommitted changes to tracked files,
or builds made from one (variant.json's ``harness_commit`` ending ``-dirty``), unless
``--allow-dirty``; then every value carries ``harness_allow_dirty=1`` and the report
and the summary mark the run dirty. The report and the summary also ask git whether
each benchmark script (``bench/bm_<name>/``, ``bench/pyperformance.toml``) is unchanged
between the commit a run was measured with and HEAD, and whether each patch's sha256
is the current file's: a figure measured with older code is marked so.

A script can change without changing what a row measures (a new row, a Windows meter,
an error made fatal). ``METHOD_CHANGES`` names the commits that did change how rows
are measured, and which rows: a row of a run whose harness commit (or baseline's)
predates such a commit is superseded, in the report and in the summary. A change to a
benchmark that alters what an existing row measures adds a line there.
"""

from __future__ import annotations

import fnmatch
import hashlib
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIRTY = "-dirty"
BENCH_PATHS = {
    "giltest": "bench/bm_giltest",
    "testserver": "bench/bm_testserver",
    "dict_memory": "bench/bm_dict_memory",
    "pyperformance": "bench/pyperformance.toml",
}
PATCH_DIR = "patches/3.13"


def is_dirty(commit: str) -> bool:
    """Whether a harness commit string says the tree had uncommitted changes."""
    return str(commit).endswith(DIRTY)


def dirty_builds(variant_jsons: dict[str, dict]) -> list[str]:
    """Variants whose build was made from a tree with uncommitted changes."""
    return sorted(name for name, doc in variant_jsons.items() if is_dirty(doc.get("harness_commit", "")))


def refusal(tree_commit: str, variant_jsons: dict[str, dict]) -> str | None:
    """Why ``make bench`` must not start (None when it may): a dirty tree or builds made from one."""
    reasons = []
    if is_dirty(tree_commit):
        reasons.append("the harness checkout has uncommitted changes to tracked files (git status)")
    builds = dirty_builds(variant_jsons)
    if builds:
        reasons.append(f"these builds were made from a tree with uncommitted changes: {', '.join(builds)} "
                       "(rebuild them from a clean checkout)")
    if not reasons:
        return None
    return (
        "; ".join(reasons)
        + ". Commit or stash, or pass --allow-dirty to measure anyway (the run is then marked dirty)."
    )


def variant_dirty(m: dict) -> bool:
    """One variant's harness metadata (without the prefix): measured or built dirty, or allowed dirty."""
    return is_dirty(m.get("commit", "")) or is_dirty(m.get("build_commit", "")) or str(m.get("allow_dirty", "0")) == "1"


def run_is_dirty(meta: dict[str, dict], variant: str) -> bool:
    """A variant's values (or baseline's, which its ratios need) were measured dirty or allowed dirty."""
    return any(variant_dirty(meta.get(name, {})) for name in dict.fromkeys([variant, "baseline"]))


def run_flags(meta: dict[str, dict], variant: str, plan: dict) -> tuple[str, ...]:
    """Flags the summary shows beside a run: dirty, quick."""
    flags = []
    if run_is_dirty(meta, variant):
        flags.append("dirty")
    if plan.get("quick"):
        flags.append("quick")
    return tuple(flags)


@lru_cache(maxsize=None)
def _unchanged(commit: str, path: str) -> bool | None:
    """Whether ``path`` is the same at ``commit`` and HEAD (None when git cannot say)."""
    try:
        known = subprocess.run(["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=ROOT, capture_output=True)
        if known.returncode != 0:
            return None
        diff = subprocess.run(["git", "diff", "--quiet", commit, "HEAD", "--", path], cwd=ROOT, capture_output=True)
    except OSError:
        return None
    return {0: True, 1: False}.get(diff.returncode)


def bench_current(meta: dict[str, dict], variant: str, bench: str) -> bool | None:
    """Whether the benchmark script measured with is HEAD's (None: unknown commit or no such script)."""
    path = BENCH_PATHS.get(bench)
    commit = str(meta.get(variant, {}).get("commit", "")).removesuffix(DIRTY)
    if not path or not commit or commit == "?":
        return None
    return _unchanged(commit, path)


def current_patch_sha256(name: str) -> str | None:
    """sha256 of patches/3.13/<name> as it is now (None when the file is gone)."""
    path = ROOT / PATCH_DIR / name
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def provenance_rows(meta: dict[str, dict], benches: list[str]) -> list[dict[str, str]]:
    """Per variant, per patch and per benchmark script: the version measured and whether it is current."""
    rows = []
    for variant, m in meta.items():
        commit = str(m.get("commit", "?"))
        for item in str(m.get("patches", "none")).split(","):
            if not item or item == "none" or ":" not in item:
                continue
            name, sha = item.split(":", 1)
            now = current_patch_sha256(name)
            state = "gone from the series" if now is None else ("current" if now == sha else "**older revision**")
            rows.append({"variant": variant, "item": f"patch {name}", "measured": sha[:12], "current?": state})
        for bench in benches:
            same = bench_current(meta, variant, bench)
            state = "unknown (commit not in this history)" if same is None else (
                "current" if same else "**older code** (changed since)")
            rows.append({"variant": variant, "item": f"benchmark {BENCH_PATHS.get(bench, bench)}",
                         "measured": commit[:12] + (DIRTY if is_dirty(commit) else ""), "current?": state})
    return rows


@dataclass(frozen=True)
class MethodChange:
    """A commit that changed how some rows of one benchmark are measured."""

    commit: str  # as git names it (an abbreviated hash is fine)
    bench: str  # a BENCH_PATHS key
    rows: tuple[str, ...]  # fnmatch patterns of the metrics it changed
    what: str


METHOD_CHANGES = (
    MethodChange("6e59d01", "giltest", ("io_latency_*",),
                 "io_latency counts from max(send, recv entry) instead of retrying until the "
                 "receiver was blocked first"),
    MethodChange("453a7f7", "giltest", ("handoff_*_cpu", "handoff_*_cpu.*"),
                 "handoff_*_cpu values span at least 0.2 s of ping-pong (a value of 100 hand-offs "
                 "fell between two of the CPU thread's turns)"),
    MethodChange("2b0c478", "giltest", ("handoff_*",),
                 "one hand-off pair runs a whole value without tear-down, the clock read after "
                 "every batch of 100 hand-offs"),
)


@lru_cache(maxsize=None)
def _contains(commit: str, change: str) -> bool | None:
    """Whether ``commit`` has ``change`` in its history (None when git cannot say)."""
    try:
        done = subprocess.run(["git", "merge-base", "--is-ancestor", change, commit], cwd=ROOT,
                              capture_output=True)
    except OSError:
        return None
    return {0: True, 1: False}.get(done.returncode)


def _commit_of(meta: dict[str, dict], variant: str) -> str:
    """The harness commit a variant was measured with, without -dirty ('' when unknown)."""
    commit = str(meta.get(variant, {}).get("commit", "")).removesuffix(DIRTY)
    return "" if commit == "?" else commit


def superseding(meta: dict[str, dict], variant: str, metric: str) -> list[MethodChange]:
    """The method changes a row of ``variant`` (a ratio to baseline) was measured before.

    A row counts as measured before a change when the variant's or baseline's harness
    commit lacks it; a commit git does not know supersedes nothing (it cannot say).
    """
    found = []
    for change in METHOD_CHANGES:
        if not any(fnmatch.fnmatchcase(metric, pattern) for pattern in change.rows):
            continue
        both = dict.fromkeys([_commit_of(meta, variant), _commit_of(meta, "baseline")])
        commits = [c for c in both if c]
        if any(_contains(c, change.commit) is False for c in commits):
            found.append(change)
    return found


def superseded_mark(meta: dict[str, dict], variant: str, metric: str) -> str:
    """'superseded (453a7f7, 2b0c478)' for a row measured before those changes, else ''."""
    changes = superseding(meta, variant, metric)
    return f"superseded ({', '.join(c.commit for c in changes)})" if changes else ""
