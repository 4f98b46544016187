"""The GitHub Actions workflow and the Makefile only call commands the harness has.

Neither can run here (no GitHub runner, and make test is itself a make target), so the
files are read: every ``python -m scripts ...`` line in the workflow is parsed by the
harness's own argument parser with the matrix and input values filled in, every make
target is one harness command, and the steps that hand files to each other agree on
the folder.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from scripts.__main__ import matrix_variants, parser
from scripts.config import load_table

REPO = Path(__file__).resolve().parent.parent
WORKFLOW = REPO / ".github" / "workflows" / "benchmark-matrix.yml"
TABLE = load_table()

# What ${{ ... }} expressions stand for in a sample run: a real variant, flavor and flag.
SAMPLES = {
    "matrix.variant": "io_gil",
    "matrix.os": "windows-2022",
    "inputs.flavor": "release",
    "inputs.variants": "io_gil plus",
    "inputs.quick && '--quick' || ''": "--quick",
}


def workflow() -> dict:
    doc = yaml.safe_load(WORKFLOW.read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as true
    return doc


def expand(text: str, env: dict[str, str]) -> str:
    """Fill ${{ expr }} from SAMPLES, then $NAME / "$NAME" from the step's environment."""
    def expression(match: re.Match) -> str:
        expr = match.group(1).strip()
        if expr not in SAMPLES:
            raise AssertionError(f"the test has no sample for ${{{{ {expr} }}}}; add one to SAMPLES")
        return SAMPLES[expr]

    text = re.sub(r"\$\{\{(.*?)\}\}", expression, text)
    return re.sub(r"\$([A-Z_]+)", lambda m: env.get(m.group(1), m.group(0)), text)


def harness_calls() -> list[tuple[str, str, list[str]]]:
    """(job, step name, argv after 'python -m scripts') for every harness call in the workflow."""
    calls = []
    doc = workflow()
    for job_name, job in doc["jobs"].items():
        for step in job["steps"]:
            if "run" not in step:
                continue
            env = {
                k: expand(str(v), {})
                for k, v in {**doc.get("env", {}), **job.get("env", {}), **step.get("env", {})}.items()
            }
            for line in step["run"].splitlines():
                if "python -m scripts" in line:
                    command = expand(line, env).split(">>")[0]
                    argv = shlex.split(command)
                    at = argv.index("scripts")
                    calls.append((job_name, step.get("name", step.get("id", "?")), argv[at + 1:]))
    return calls


def test_the_workflow_calls_the_harness_for_every_stage():
    commands = [argv[0] for _, _, argv in harness_calls()]
    for needed in ("variants", "deps", "fetch", "build", "regrtest", "bench", "cross-report"):
        assert needed in commands, f"the workflow never runs {needed}"


@pytest.mark.parametrize("call", harness_calls(), ids=lambda c: f"{c[0]}:{' '.join(c[2][:1])}")
def test_every_harness_call_parses(call):
    job, step, argv = call
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:
        raise AssertionError(f"job {job}, step {step!r}: python -m scripts {' '.join(argv)} does not parse") from exc
    if getattr(args, "variant", None):
        TABLE.variant(args.variant)
    if getattr(args, "flavor", None):
        TABLE.flavor(args.flavor)


def test_matrix_covers_linux_and_windows_and_inputs_match_the_table():
    doc = workflow()
    matrix = doc["jobs"]["variant"]["strategy"]["matrix"]
    assert any(os.startswith("ubuntu") for os in matrix["os"]) and any(os.startswith("windows") for os in matrix["os"])
    assert "needs.plan.outputs.variants" in matrix["variant"]
    inputs = doc["on"]["workflow_dispatch"]["inputs"]
    assert set(inputs) == {"variants", "flavor", "quick"}
    # a benchmark workflow offers the flavors benchmarks accept (the sanitizer flavors are refused)
    assert inputs["flavor"]["options"] == [f.name for f in TABLE.flavors.values() if f.benchmarks]
    assert inputs["quick"]["type"] == "boolean"
    assert matrix_variants(TABLE, inputs["variants"]["default"])  # the default is a valid selection


def test_runs_flow_from_bench_to_the_artifacts_to_the_cross_report():
    doc = workflow()
    bench = next(argv for job, _, argv in harness_calls() if argv[0] == "bench")
    results = bench[bench.index("--results") + 1]
    uploads = [s for s in doc["jobs"]["variant"]["steps"] if "upload-artifact" in s.get("uses", "")]
    assert uploads and uploads[0]["with"]["path"].rstrip("/") == results
    download = next(s for s in doc["jobs"]["cross-platform"]["steps"] if "download-artifact" in s.get("uses", ""))
    assert download["with"]["merge-multiple"] is True and download["with"]["path"] == results
    assert download["with"]["pattern"].rstrip("*") in uploads[0]["with"]["name"]
    cross = next(argv for job, _, argv in harness_calls() if argv[0] == "cross-report")
    assert cross[cross.index("--results") + 1] == results
    assert doc["jobs"]["cross-platform"]["needs"] == "variant" and doc["jobs"]["cross-platform"]["if"] == "always()"


def test_actions_are_pinned_to_a_commit_with_the_version_named():
    uses = re.findall(r"uses:\s*(\S+)(.*)", WORKFLOW.read_text())
    assert uses
    for ref, rest in uses:
        assert re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", ref), f"{ref} is not pinned to a full commit"
        assert re.search(r"#\s*v\d+\.\d+\.\d+", rest), f"{ref}: say which release the commit is (# vX.Y.Z)"


def test_every_make_target_is_one_harness_command():
    """Make is a thin layer: each target's recipe is $(HARNESS) <command> (Windows users type the same)."""
    text = (REPO / "Makefile").read_text()
    phony = re.search(r"^\.PHONY:(.*)$", text, re.M).group(1).split()
    commands = set(parser()._subparsers._group_actions[0].choices)
    for target in phony:
        recipe = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n?)+)", text, re.M)
        assert recipe, f"make {target} has no recipe"
        lines = [line.strip().lstrip("@") for line in recipe.group(1).splitlines()]
        assert len(lines) == 1 and lines[0].startswith("$(HARNESS) "), f"make {target}: {lines}"
        word = lines[0].split()[1]
        assert word == "--help" or word in commands, f"make {target} calls {word!r}, not a harness command"
