"""The results layout: one module says where a run's files are and which runs are finished."""

from __future__ import annotations

import json
from pathlib import Path

from scripts import matrix, sweep
from scripts import results_layout as layout
from scripts.benchmarks import JOBS


def _run(root: Path, platform: str, version: str, run_id: str, variants=("baseline",), partial=False) -> Path:
    run = root / platform / version / run_id
    run.mkdir(parents=True)
    (run / layout.PLAN_FILE).write_text(json.dumps({"plan": {"variants": list(variants)}}))
    if partial:
        (run / layout.PARTIAL).mkdir()
    return run


def test_own_format_files_are_the_results_of_the_json_jobs():
    json_jobs = {f"{job.label}.json" for jobs in JOBS.values() for job in jobs if job.output == "json"}
    assert layout.OWN_FORMAT_FILES == json_jobs
    assert {layout.SIZES_FILE, layout.INSTRUCTIONS_FILE} == json_jobs
    assert not layout.is_pyperf_file(Path("v") / layout.SIZES_FILE)
    assert layout.is_pyperf_file(Path("v") / "dict_memory.speed.json")
    assert not layout.is_pyperf_file(Path("v") / "giltest.joint.jsonl")


def test_finished_runs_newest_and_lookup_by_id(tmp_path):
    old = _run(tmp_path, "linux-x", "3.13.5", "20260101T000000Z")
    new = _run(tmp_path, "linux-x", "3.13.5", "20260102T000000Z")
    _run(tmp_path, "linux-x", "3.13.5", "20260103T000000Z", partial=True)  # unfinished: never read
    other = _run(tmp_path, "win-x", "3.13.5", "20260104T000000Z")
    _run(tmp_path, "linux-x", "3.12.0", "20260105T000000Z")
    assert layout.finished_runs(tmp_path, version="3.13.5") == [old, new, other]
    assert layout.newest_finished(tmp_path, "linux-x", "3.13.5") == new
    assert layout.newest_finished(tmp_path, "linux-x", "3.14.0") is None
    assert layout.find_run(tmp_path, "20260104T000000Z") == other
    assert layout.find_run(tmp_path, str(old)) == old
    assert layout.find_run(tmp_path, "nope") is None
    assert "20260103T000000Z" in layout.run_ids(tmp_path)


def test_a_started_run_is_unfinished_until_finish_and_never_reuses_a_folder(tmp_path):
    first = layout.start_run(tmp_path, {"plan": {"variants": ["baseline"]}})
    second = layout.start_run(tmp_path, {"plan": {"variants": ["baseline"]}})
    assert first != second and first.parent == second.parent == tmp_path
    assert layout.read_plan(first) == {"variants": ["baseline"]}
    assert layout.is_run(first) and not layout.is_finished(first)
    chunk = layout.chunk_path(first, 2, "giltest", "baseline")
    chunk.parent.mkdir(parents=True)
    chunk.write_text("{}")
    assert layout.chunks(first, "giltest", "baseline") == [chunk] and layout.round_of(chunk) == 2
    assert layout.sidecar_path(chunk).name == "round2.joint.jsonl"
    assert layout.log_path(first, "giltest", "baseline").is_relative_to(first / layout.PARTIAL)
    layout.finish_run(first)
    assert layout.is_finished(first)


def test_variant_folders_follow_the_plan_and_pyperf_files_skip_own_formats(tmp_path):
    run = _run(tmp_path, "p", "v", "r", variants=("baseline", "missing", "a"))
    for variant in ("a", "baseline"):
        (run / variant).mkdir()
        layout.result_path(run, variant, "giltest").write_text("{}")
        (run / variant / layout.SIZES_FILE).write_text("{}")
    assert [d.name for d in layout.variant_dirs(run)] == ["baseline", "a"]
    assert [p.name for p in layout.pyperf_files(run / "a")] == ["giltest.json"]
    assert [p.parent.name for p in layout.run_pyperf_files(run)] == ["a", "baseline"]



def test_bench_results_are_one_benchmarks_merged_files_in_plan_order(tmp_path):
    run = _run(tmp_path, "p", "v", "r", variants=("baseline", "missing", "a", "empty"))
    for variant in ("a", "baseline", "empty"):
        (run / variant).mkdir()
    for variant in ("a", "baseline"):
        for label in ("testserver", "giltest", "dict_memory.speed", "dict_memory.memory"):
            layout.result_path(run, variant, label).write_text("{}")
    (run / "a" / "testserver.tmp.json").write_text("{}")  # not a job's result
    assert layout.bench_results(run, "testserver") == [("baseline", run / "baseline" / "testserver.json"),
                                                       ("a", run / "a" / "testserver.json")]
    assert [(v, p.name) for v, p in layout.bench_results(run, "dict_memory")] == [
        ("baseline", "dict_memory.memory.json"), ("baseline", "dict_memory.speed.json"),
        ("a", "dict_memory.memory.json"), ("a", "dict_memory.speed.json")]

def test_no_module_holds_a_mutable_results_root():
    for module in (matrix, sweep, layout):
        assert not hasattr(module, "set_results_root") and not hasattr(module, "RESULTS")
    assert layout.DEFAULT_ROOT.name == "results"
