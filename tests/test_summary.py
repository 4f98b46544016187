"""results/SUMMARY.md on fixture runs: every variant named, newest run wins, superseded and dirty runs said.

The runs are written with pyperf's API and values chosen so the ratios are known
(io_gil's hand-offs beside a CPU thread twice baseline's rate in the newer run, four
times in the older one); nothing depends on this machine's speed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pyperf_fixtures import jitter, suite
from scripts import provenance, summary
from scripts import results_layout as layout
from scripts.config import Target


class Row:
    """The part of a variants.toml row the summary reads."""

    def __init__(self, targets: tuple = ()) -> None:
        self.targets = targets


VARIANTS = {
    "baseline": Row(),
    "io_gil": Row((Target("handoff_lock_cpu", "better"),)),
    "tight_dict": Row(),
    "plus": Row(),
}


def write_run(results: Path, run_id: str, centers: dict[str, float], commit: str = "abc123") -> Path:
    """A giltest run: handoff_lock_cpu at these per-variant times per hand-off, 8 values each."""
    run = results / "linux-x86_64-2cpu" / "3.13.5" / run_id
    plan = {"variants": list(centers), "benches": ["giltest"], "flavor": "release", "quick": False, "rounds": 1,
            "processes": 8}  # fmt: skip
    run.mkdir(parents=True)
    (run / "plan.json").write_text(json.dumps({"plan": plan}))
    for variant, center in centers.items():
        (run / variant).mkdir()
        meta = {"harness_variant": variant, "harness_patches": "none", "harness_commit": commit,
                "harness_build_commit": commit}  # fmt: skip
        suite({"handoff_lock_cpu": jitter(center), "handoff_lock": jitter(1e-5)}, meta=meta).dump(
            str(run / variant / "giltest.json"))
    return run


@pytest.fixture
def results(tmp_path: Path) -> Path:
    root = tmp_path / "results"
    write_run(root, "20260101T000000Z", {"baseline": 4e-3, "io_gil": 1e-3}, commit="abc123-dirty")
    write_run(root, "20260102T000000Z", {"baseline": 4e-3, "io_gil": 2e-3})
    partial = write_run(root, "20260103T000000Z", {"baseline": 4e-3, "io_gil": 4e-3})
    (partial / ".partial").write_text("")  # unfinished: never read
    dict_run = root / "linux-x86_64-2cpu" / "3.13.5" / "20260104T000000Z"
    (dict_run / "baseline").mkdir(parents=True)
    (dict_run / "tight_dict").mkdir()
    (dict_run / "plan.json").write_text(json.dumps({"plan": {"variants": ["baseline", "tight_dict"], "quick": True}}))
    for variant, scale in (("baseline", 1.0), ("tight_dict", 0.75)):
        rows = [{"n": n, "keys": "str", "built_by": "insertion", "bytes": (64 + 16 * n) * scale} for n in range(101)]
        (dict_run / variant / layout.SIZES_FILE).write_text(json.dumps({"rows": rows}))
    return root


def table_row(text: str, variant: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.startswith(f"| `{variant}` |"))
    return [c.strip() for c in line.strip("|").split("|")][1:]


def test_summary_names_every_variant_and_takes_the_newest_run(results):
    text = summary.render(results, VARIANTS)
    keys = [c.key for c in summary.COLUMNS]
    io_gil = dict(zip(keys, table_row(text, "io_gil")))
    assert io_gil["lock"].startswith("2.000 [") and "**met** (target: better)" in io_gil["lock"]
    assert "20260102T000000Z" in io_gil["lock"] and "20260103T000000Z" not in text  # .partial is not finished
    assert "- `io_gil`, lock: 20260101T000000Z (by 20260102T000000Z)" in text
    assert io_gil["server"] == summary.NOT_MEASURED
    assert table_row(text, "plus") == [summary.NOT_MEASURED] * len(keys)  # never blank
    assert "- `plus`: not measured in any published run yet." in text
    tight = dict(zip(keys, table_row(text, "tight_dict")))
    assert tight["getsizeof"].startswith("0.750 (exact) smaller") and "(quick)" in tight["getsizeof"]
    assert "use it for: dict getsizeof" in text and "0.75×" in text


def test_dirty_runs_are_marked_where_the_summary_uses_them(results):
    old = summary.run_figures(results / "linux-x86_64-2cpu/3.13.5/20260101T000000Z", results, list(VARIANTS), {})
    assert "dirty" in old.figures[("io_gil", "lock")].flags
    new = summary.run_figures(results / "linux-x86_64-2cpu/3.13.5/20260102T000000Z", results, list(VARIANTS), {})
    assert "dirty" not in new.figures[("io_gil", "lock")].flags


def test_summary_regenerates_byte_identically(results):
    first = summary.write(results, VARIANTS).read_bytes()
    second = summary.write(results, VARIANTS).read_bytes()
    assert first == second and first.startswith(b"# Summary")


def test_bench_refuses_a_dirty_tree_or_dirty_builds():
    assert provenance.refusal("abc", {"baseline": {"harness_commit": "abc"}}) is None
    assert "uncommitted changes to tracked files" in provenance.refusal("abc-dirty", {})
    reason = provenance.refusal(
        "abc", {"baseline": {"harness_commit": "abc"}, "io_gil": {"harness_commit": "def-dirty"}}
    )
    assert "io_gil" in reason and "baseline" not in reason.split("builds")[1] and "--allow-dirty" in reason


def test_matrix_bench_refuses_a_dirty_tree_before_any_build(monkeypatch):
    """A dirty tree stops bench() before it resolves or builds anything; --allow-dirty gets past the check."""
    from scripts import matrix
    from scripts.errors import UsageError

    monkeypatch.setattr(matrix.builder, "harness_commit", lambda: "abc123-dirty")
    built = []
    monkeypatch.setattr(matrix.builder, "resolve", lambda name, flavor: built.append(name) or (_ for _ in ()).throw(
        UsageError("stop here")))
    with pytest.raises(UsageError, match="refused: the harness checkout has uncommitted changes"):
        matrix.bench(["baseline"], ["giltest"], results=Path("unused"))
    assert built == []
    with pytest.raises(UsageError, match="stop here"):
        matrix.bench(["baseline"], ["giltest"], allow_dirty=True, results=Path("unused"))
    assert built == ["baseline"]


def test_cli_bench_refuses_a_dirty_tree(monkeypatch):
    """python -m scripts bench: refused (exit 2) before the venv is even installed."""
    from scripts import __main__ as cli

    monkeypatch.setattr(cli.builder, "harness_commit", lambda: "abc123-dirty")
    monkeypatch.setattr(cli, "_in_venv", lambda *a: pytest.fail("reached the venv"))
    assert cli.main(["bench", "--variants", "baseline"]) == 2
    monkeypatch.setattr(cli, "_in_venv", lambda module, argv: 0 if "--allow-dirty" in argv else 1)
    assert cli.main(["bench", "--variants", "baseline", "--allow-dirty"]) == 0


def test_make_test_smoke_run_is_not_refused_for_a_dirty_tree(monkeypatch):
    """The smoke run lands in build/, never published: uncommitted work must not fail make test.

    Before the fix, `make test` on a tree with uncommitted changes (or with builds made
    from one) failed its last step with "make bench refused".
    """
    from scripts import steps
    from scripts.config import ROOT, load_table

    captured = {}

    class Done:
        returncode = 0

    monkeypatch.setattr(steps.subprocess, "run", lambda cmd, cwd: captured.update(cmd=cmd, cwd=cwd) or Done())
    label, smoke = steps.plan(steps.MAKE_TEST, steps.Context(load_table(), ["baseline"], None, python=Path("py")))[-1]
    assert label.startswith("smoke run of the benchmark matrix")
    assert smoke() == 0
    assert captured["cmd"][:3] == ["py", "-m", "scripts.matrix"] and captured["cwd"] == ROOT
    assert "--allow-dirty" in captured["cmd"] and "--quick" in captured["cmd"]
    results = captured["cmd"][captured["cmd"].index("--results") + 1]
    assert Path(results).parts[0] == "build"  # relative to the project (cwd), never results/


def _rev(name: str) -> str:
    """A commit of this repository's history, as a full hash."""
    import subprocess

    done = subprocess.run(["git", "rev-parse", name], cwd=provenance.ROOT, capture_output=True,
                          text=True, check=True)
    return done.stdout.strip()


def test_a_figure_measured_before_its_method_changed_says_so(tmp_path):
    before = _rev("453a7f7^")
    root = tmp_path / "results"
    run = write_run(root, "20260101T000000Z", {"baseline": 4e-3, "io_gil": 2e-3}, commit=before)
    figures = summary.run_figures(run, root, list(VARIANTS), {}).figures
    expected = ("method superseded by 453a7f7", "method superseded by 2b0c478")
    assert figures[("io_gil", "lock")].flags == expected
    text = summary.render(root, VARIANTS)
    assert "(method superseded by 453a7f7, method superseded by 2b0c478)" in text
    centers = {"baseline": 4e-3, "io_gil": 2e-3}
    fresh = write_run(tmp_path / "r2", "20260101T000000Z", centers, commit=_rev("HEAD"))
    now = summary.run_figures(fresh, tmp_path / "r2", list(VARIANTS), {}).figures
    assert now[("io_gil", "lock")].flags == ()
