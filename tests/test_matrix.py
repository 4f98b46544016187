"""The matrix plan: interleaving, one-round jobs, resuming the right run."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from scripts import matrix
from scripts import results_layout as layout
from scripts.benchmarks import JOBS, select
from scripts.errors import UsageError


def test_rounds_interleave_and_rotate_variants():
    plan = matrix.Plan(("baseline", "a", "b"), ("giltest",), "release", False, 3, 2)
    order = [(r, v) for r, job, v in matrix.steps_of(plan)]
    assert order == [
        (0, "baseline"),
        (0, "a"),
        (0, "b"),
        (1, "a"),
        (1, "b"),
        (1, "baseline"),
        (2, "b"),
        (2, "baseline"),
        (2, "a"),
    ]


def test_deterministic_jobs_run_in_the_first_round_only():
    plan = matrix.Plan(("baseline", "a"), ("dict_memory",), "release", False, 3, 2)
    labels = [job.label for _, job, _ in matrix.steps_of(plan)]
    assert labels.count("dict_memory.sizes") == 2
    assert labels.count("dict_memory.speed") == 6


def test_manifest_and_jobs_agree():
    assert select(None) == ["giltest", "testserver", "dict_memory"]
    assert set(select(None)) == set(JOBS)
    with pytest.raises(UsageError, match="valid benchmarks: giltest, testserver, dict_memory"):
        select(["nope"])


def test_resume_picks_the_unfinished_run_with_the_same_plan(tmp_path):
    def find_resumable(p, builds=None):
        return layout.find_resumable(tmp_path, matrix.asdict(p), builds)

    plan = matrix.Plan.make(["baseline"], ["giltest"], "release", True)
    other = matrix.Plan.make(["baseline"], ["giltest"], "release", False)
    for name, p, partial in (
        ("20260101T000000Z", plan, True),
        ("20260102T000000Z", other, True),
        ("20260103T000000Z", plan, False),
    ):
        (tmp_path / name).mkdir()
        (tmp_path / name / "plan.json").write_text(json.dumps({"plan": matrix.asdict(p)}))
        if partial:
            (tmp_path / name / ".partial").mkdir()
    assert find_resumable(plan) == tmp_path / "20260101T000000Z"
    doc = json.loads((tmp_path / "20260101T000000Z" / "plan.json").read_text())
    doc["builds"] = {"baseline": "key1"}
    (tmp_path / "20260101T000000Z" / "plan.json").write_text(json.dumps(doc))
    assert find_resumable(plan, {"baseline": "key1"}) == tmp_path / "20260101T000000Z"
    assert find_resumable(plan, {"baseline": "rebuilt"}) is None  # never mix builds in one run
    assert find_resumable(matrix.Plan.make(["baseline", "x"], ["giltest"], "release", True)) is None


def test_a_failing_step_leaves_no_output_and_says_why(tmp_path, monkeypatch):
    import sys

    from scripts.benchmarks import Job
    from scripts.errors import HarnessError

    script = tmp_path / "bm_boom" / "run_benchmark.py"
    script.parent.mkdir()
    script.write_text("import sys; print('warming up'); print('error: no load generator'); sys.exit(3)\n")
    monkeypatch.setattr(Job, "script", property(lambda self: script))
    plan = matrix.Plan.make(["baseline"], ["giltest"], "release", True)
    out = tmp_path / "round0.json"
    with pytest.raises(HarnessError, match="no load generator"):
        job = Job("boom", "main")
        cmd, cwd = matrix.step_command(None, Path(sys.executable), job, plan, out.with_suffix(".tmp"))
        matrix.run_step(cmd, cwd, job, out, tmp_path / "log")
    assert not out.exists() and not out.with_suffix(".tmp").exists()


def test_pyperformance_steps_run_the_pinned_suite_against_the_variants_interpreter():
    import sys

    from scripts import build as builder
    from scripts.benchmarks import pyperformance_groups, pyperformance_jobs

    spec = builder.resolve("io_gil", "release")
    jobs = {job.label: job for job in pyperformance_jobs("subset")}
    groups = pyperformance_groups()
    assert set(jobs) == {f"pyperformance.{kind}.{g}" for kind in ("time", "memory") for g in groups}
    tmp = Path("/tmp/chunk.tmp")
    for quick in (False, True):
        plan = matrix.Plan.make(["baseline", "io_gil"], ["pyperformance"], "release", quick)
        cmd, cwd = matrix.step_command(spec, Path("unused"), jobs["pyperformance.time.dict"], plan, tmp)
        assert cmd[:4] == [sys.executable, "-m", "pyperformance", "run"]
        assert cmd[cmd.index("--python") + 1] == str(spec.python)  # the variant itself, not a venv of it
        assert cmd[cmd.index("--benchmarks") + 1].split(",") == list(groups["dict"][1])
        assert cmd[cmd.index("--output") + 1] == str(tmp)
        assert ("--fast" in cmd) == quick and "--track-memory" not in cmd
        assert cwd == spec.directory / "pyperformance"  # its venv is kept with the build
        memory, _ = matrix.step_command(spec, Path("unused"), jobs["pyperformance.memory.numeric"], plan, tmp)
        assert "--track-memory" in memory and "--fast" in memory


def test_pyperformance_chunks_interleave_variants_and_run_once():
    plan = matrix.Plan.make(["baseline", "a", "b"], ["pyperformance"], "release", False)
    steps = matrix.steps_of(plan)
    assert {r for r, _, _ in steps} == {0}  # pyperformance spreads its own processes; one round
    labels = [job.label for _, job, _ in steps]
    first = labels[0]
    assert labels[:3] == [first] * 3 and [v for _, _, v in steps[:3]] == ["baseline", "a", "b"]
    assert labels.index("pyperformance.memory.dict") > labels.index("pyperformance.time.numeric")  # time pass first


def test_unknown_pyperformance_selection_lists_the_valid_ones():
    from scripts.benchmarks import pyperformance_jobs
    from scripts.errors import UsageError

    with pytest.raises(UsageError, match="valid: subset, all"):
        pyperformance_jobs("most")


def test_subset_names_exist_in_the_pinned_pyperformance():
    from scripts.benchmarks import pyperformance_all, pyperformance_groups

    every = set(pyperformance_all())
    for group, (why, names) in pyperformance_groups().items():
        assert why and names, group
        assert not set(names) - every, f"{group}: not in pyperformance's MANIFEST: {set(names) - every}"


def test_worker_errors_pick_the_benchmark_exception_not_pyperfs_wrapper():
    log = [
        "Traceback (most recent call last):",
        '  File "run_benchmark.py", line 570, in latency',
        "RuntimeError: io_latency: no datagram within 30 s",
        "Traceback (most recent call last):",
        '  File ".../pyperf/_manager.py", line 118, in spawn_worker',
        "RuntimeError: /x/bin/python failed with exit code 1",
    ]
    assert matrix.worker_errors(log) == ["RuntimeError: io_latency: no datagram within 30 s"]


def test_kill_tree_takes_the_steps_grandchildren_too(tmp_path):
    """pyperformance starts benchmark runners that start workers: a stop must not orphan them."""
    import os
    import subprocess
    import sys
    import time

    marker = tmp_path / "grandchild.pid"
    child = (
        f"import subprocess, sys, time; p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
        f"open({str(marker)!r}, 'w').write(str(p.pid)); time.sleep(60)"
    )
    proc = subprocess.Popen([sys.executable, "-c", child], start_new_session=True)
    for _ in range(100):
        if marker.exists() and marker.read_text():
            break
        time.sleep(0.05)
    grandchild = int(marker.read_text())
    matrix.kill_tree(proc)
    proc.wait(timeout=10)
    for _ in range(100):
        try:
            os.kill(grandchild, 0)
        except ProcessLookupError:
            break
        try:  # reaped by init in the end; a zombie counts as gone
            if open(f"/proc/{grandchild}/stat").read().split()[2] == "Z":
                break
        except FileNotFoundError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the grandchild outlived kill_tree")


def test_a_run_of_another_pyperformance_subset_is_not_resumed(monkeypatch, tmp_path):
    """The plan records the chunks' benchmarks: editing bench/pyperformance.toml starts a new run."""
    from scripts import benchmarks

    before = matrix.Plan.make(["baseline", "a"], ["pyperformance"], "release", False)
    edited = tmp_path / "subset.toml"
    edited.write_text('[groups.dict]\nwhy = "x"\nbenchmarks = ["json_loads"]\n')
    monkeypatch.setattr(benchmarks, "PYPERFORMANCE_SUBSET_FILE", edited)
    after = matrix.Plan.make(["baseline", "a"], ["pyperformance"], "release", False)
    assert before != after
    assert after.pyperformance_chunks == (
        ("pyperformance.time.dict", ("json_loads",)),
        ("pyperformance.memory.dict", ("json_loads",)),
    )
    assert matrix.Plan.make(["baseline"], ["giltest"], "release", False).pyperformance_chunks == ()


def test_a_runtime_variant_runs_its_twins_build_with_its_environment(tmp_path, monkeypatch):
    """io_gil_off: io_gil's build; the step's process gets the variable and pyperf is told to pass it on."""
    import sys

    from scripts import build as builder
    from scripts.benchmarks import Job
    from scripts.config import load_table

    table = load_table()
    off = table.variant("io_gil_off")
    assert off.build_of == "io_gil" and off.environ == (("PYTHONGILIOPRIORITY", "0"),)
    assert builder.resolve("io_gil_off", "release").directory == builder.resolve("io_gil", "release").directory
    assert matrix.runtime_environs(["baseline", "io_gil_off"]) == {"io_gil_off": off.environ}

    script = tmp_path / "bm_env" / "run_benchmark.py"
    script.parent.mkdir()
    script.write_text(
        "import os, sys\nopen(sys.argv[-1], 'w').write(os.environ.get('PYTHONGILIOPRIORITY', 'unset') + ' '"
        " + ' '.join(sys.argv[1:-2]))\n"
    )
    monkeypatch.setattr(Job, "script", property(lambda self: script))
    plan = matrix.Plan.make(["baseline"], ["giltest"], "release", True)
    out = tmp_path / "round0.json"
    job = Job("env", "main")
    cmd, cwd = matrix.step_command(None, Path(sys.executable), job, plan, out.with_suffix(".tmp"), off.environ)
    matrix.run_step(cmd, cwd, job, out, tmp_path / "log", off.environ)
    assert out.read_text() == "0 --processes 1 --inherit-environ PYTHONGILIOPRIORITY"
    # without an environment nothing is added
    cmd, _ = matrix.step_command(None, Path(sys.executable), job, plan, out.with_suffix(".tmp"))
    assert "--inherit-environ" not in cmd


def test_sidecar_files_are_passed_to_the_script_and_concatenated_by_round(tmp_path):
    import json
    import sys

    from scripts.benchmarks import Job

    job = Job("giltest", "main", sidecar="--joint-file")
    assert matrix.jobs_of("giltest", "subset")[0].sidecar == "--joint-file"
    plan = matrix.Plan.make(["baseline"], ["giltest"], "release", True)
    tmp = tmp_path / "round0.tmp"
    layout.sidecar_path(tmp).write_text("stale\n")
    cmd, _ = matrix.step_command(None, Path(sys.executable), job, plan, tmp)
    assert cmd[cmd.index("--joint-file") + 1] == str(tmp_path / "round0.joint.jsonl")
    assert not layout.sidecar_path(tmp).exists()  # a failed attempt's lines are dropped
    for n in (0, 1):
        (tmp_path / f"round{n}.json").write_text("{}")
        (tmp_path / f"round{n}.joint.jsonl").write_text(json.dumps({"pid": 10 + n, "seq": 1}) + "\n")
    dest = matrix.merge_sidecars([tmp_path / "round0.json", tmp_path / "round1.json"], tmp_path / "giltest.joint.jsonl")
    assert [json.loads(x) for x in dest.read_text().splitlines()] == [{"round": 0, "pid": 10, "seq": 1},
                                                                     {"round": 1, "pid": 11, "seq": 1}]


def test_a_full_plan_gives_every_variant_at_least_ten_processes_and_quick_stays_short():
    import sys

    full = matrix.Plan.make(["baseline", "a"], ["giltest", "testserver"], "release", False)
    assert full.processes_per_variant >= 10
    steps = matrix.steps_of(full)
    for variant in ("baseline", "a"):
        rounds = [r for r, job, v in steps if v == variant and job.label == "testserver"]
        assert len(rounds) * full.processes >= 10 and len(set(rounds)) == full.rounds
    job = JOBS["testserver"][0]
    cmd, _ = matrix.step_command(None, Path(sys.executable), job, full, Path("round0.tmp"))
    assert cmd[cmd.index("--processes") + 1] == str(full.processes)
    assert cmd[cmd.index("--values") + 1] == str(full.values) and 1 <= full.values < 3
    # the open-loop generator runs on the harness's Python, the same for every variant
    assert cmd[cmd.index("--loadgen-python") + 1] == sys.executable
    quick = matrix.Plan.make(["baseline", "a"], ["testserver"], "release", True)
    assert (quick.rounds, quick.processes, quick.processes_per_variant) == (1, 1, 1)
    quick_cmd, _ = matrix.step_command(None, Path(sys.executable), job, quick, Path("r.tmp"))
    assert "--values" not in quick_cmd


def test_instruction_counts_run_once_with_the_scripts_repetitions_quick_or_not():
    job = next(j for j in JOBS["dict_memory"] if j.name == "instructions")
    full = matrix.Plan.make(["baseline", "a"], ["dict_memory"], "release", False)
    labels = [j.label for _, j, _ in matrix.steps_of(full)]
    assert labels.count("dict_memory.instructions") == 2  # one per variant, first round only
    tmp = Path("out.tmp")
    cmd, _ = matrix.step_command(None, Path(sys.executable), job, full, tmp)
    assert "--instructions-reps" not in cmd and cmd[-2:] == ["--instructions-json", str(tmp)]
    quick = matrix.Plan.make(["baseline"], ["dict_memory"], "release", True)
    cmd, _ = matrix.step_command(None, Path(sys.executable), job, quick, tmp)
    assert "--instructions-reps" not in cmd  # 20 repetitions measured a few per cent of noise
    assert "--processes" not in cmd


def test_rounds_override_the_full_default_but_not_quick():
    from scripts import options

    assert options.FULL_ROUNDS_DEFAULT == matrix.FULL_ROUNDS  # the help text tells the truth
    assert matrix.Plan.make(["baseline"], ["giltest"], "release", False).rounds == matrix.FULL_ROUNDS
    three = matrix.Plan.make(["baseline"], ["giltest"], "release", False, rounds=3)
    assert (three.rounds, three.processes_per_variant) == (3, 3 * matrix.FULL_PROCESSES)
    assert matrix.Plan.make(["baseline"], ["giltest"], "release", True, rounds=3).rounds == 1
    # a different number of rounds is a different plan: it never resumes a run of another
    assert three != matrix.Plan.make(["baseline"], ["giltest"], "release", False)


def test_rounds_below_one_are_refused():
    with pytest.raises(UsageError, match="at least 1"):
        matrix.Plan.make(["baseline"], ["giltest"], "release", False, rounds=0)


def test_rounds_reach_the_venv_side():
    import argparse

    from scripts import options

    args = options.add(argparse.ArgumentParser(), options.BENCH).parse_args(["--rounds", "3"])
    assert options.forward(args, options.BENCH) == ["--rounds", "3"]
    assert options.forward(options.add(argparse.ArgumentParser(), options.BENCH).parse_args([]),
                           options.BENCH) == []
