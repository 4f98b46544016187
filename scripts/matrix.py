"""The benchmark matrix: every benchmark on every variant, interleaved, resumable.

A run lives in ``results/<os>-<arch>-<ncpu>cpu/<cpython-version>/<run-id>/`` (the
folders and files of a run are scripts/results_layout.py's). It is
planned as steps (round, job, variant); in every round each job runs once per variant,
with the variant order rotated from round to round (A B C, B C A, ...) so that drift
of the machine hits every variant alike. Each finished step leaves one file under
``.partial/``; an interrupted run is resumed by running the same command again (the
newest unfinished run with the same plan is picked up), and a finished run is never
written to again. At the end the rounds are merged into one pyperf JSON per variant
and job, with the build's metadata added to every run, and the report is made.

Runs under the harness venv (it needs pyperf to merge suites).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from . import build as builder
from . import provenance, ui
from . import results_layout as layout
from .benchmarks import PYPERFORMANCE, Job, jobs_of, select
from .config import DEFAULT_FLAVOR, ROOT, load_pin
from .errors import HarnessError, UsageError, run_entry_point

STEP_TIMEOUT = 45 * 60  # seconds; a benchmark step that runs longer than this is stuck
FULL_ROUNDS, FULL_PROCESSES, FULL_VALUES = 5, 2, 2  # a full run: 10 processes per variant, 2 values each


@dataclass(frozen=True)
class Plan:
    """What a run measures; two runs with the same plan can resume each other."""

    variants: tuple[str, ...]
    benches: tuple[str, ...]
    flavor: str
    quick: bool
    rounds: int
    processes: int  # pyperf worker processes per variant and round
    pyperformance: str = "subset"  # which pyperformance benchmarks, when "pyperformance" is in benches
    # the chunks and their benchmarks: a run is only resumed with the same ones (the subset file may change)
    pyperformance_chunks: tuple[tuple[str, tuple[str, ...]], ...] = ()
    values: int = 0  # pyperf values per process passed to bench/ scripts (0: the script's own default)

    @staticmethod
    def make(
        variants: list[str], benches: list[str], flavor: str, quick: bool, pyperformance: str = "subset",
        rounds: int | None = None,
    ) -> "Plan":
        # QUICK: one round, one pyperf process per variant (under 10 minutes for two variants).
        # Full: FULL_ROUNDS interleaved rounds of FULL_PROCESSES processes, FULL_VALUES values
        # each: the samples are processes (scripts/processes.py), and a comparison needs about
        # ten a side to tell a few per cent, so processes rather than values per process.
        # pyperformance chunks run once per variant (pyperformance spreads its own
        # processes), --fast under QUICK.
        # ``rounds`` overrides FULL_ROUNDS for a full run (a session too short for five); a
        # QUICK run has one round whatever it says.
        if rounds is not None and rounds < 1:
            raise UsageError(f"--rounds must be at least 1, not {rounds}")
        default_rounds = FULL_ROUNDS if rounds is None else rounds
        rounds, processes, values = (1, 1, 0) if quick else (default_rounds, FULL_PROCESSES, FULL_VALUES)
        chunks = (
            tuple((job.label, job.suite_benchmarks) for job in jobs_of(PYPERFORMANCE, pyperformance))
            if PYPERFORMANCE in benches
            else ()
        )
        return Plan(tuple(variants), tuple(benches), flavor, quick, rounds, processes, pyperformance, chunks,
                    values)

    @property
    def processes_per_variant(self) -> int:
        """pyperf worker processes each variant gets for each bench/ benchmark over the run."""
        return self.rounds * self.processes


def steps_of(plan: Plan) -> list[tuple[int, Job, str]]:
    """All steps in execution order: rounds, then jobs, then variants (rotated per round)."""
    steps = []
    for round_no in range(plan.rounds):
        shift = round_no % len(plan.variants)
        order = plan.variants[shift:] + plan.variants[:shift]
        for bench in plan.benches:
            for job in jobs_of(bench, plan.pyperformance):
                if job.once and round_no > 0:
                    continue
                steps += [(round_no, job, variant) for variant in order]
    return steps


def pyperf_requirement() -> str:
    """The exact pyperf pin of requirements.txt, installed into every variant's venv too."""
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line.lower().startswith("pyperf=="):
            return line.strip()
    raise HarnessError("requirements.txt does not pin pyperf")


def bench_python(spec: builder.BuildSpec) -> Path:
    """A venv made from the variant's interpreter, holding the pinned pyperf; return its python."""
    venv = spec.directory / "bench-venv"
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    requirement = pyperf_requirement()
    stamp = venv / ".harness-requirement"
    if python.exists() and stamp.is_file() and stamp.read_text().strip() == requirement:
        return python
    shutil.rmtree(venv, ignore_errors=True)
    ui.step(f"{spec.name}: creating its benchmark venv with {requirement}")
    for cmd in ([str(spec.python), "-m", "venv", str(venv)],
                [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", requirement]):
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            raise HarnessError(f"{' '.join(cmd[:4])} failed:\n{proc.stdout[-1500:]}{proc.stderr[-1500:]}")
    stamp.write_text(requirement + "\n")
    return python


def run_metadata(variant_json: dict, run_id: str, plan: Plan) -> dict[str, str | int | float]:
    """Metadata added to every pyperf run: what was built, where, by which harness commit."""
    patches = variant_json["patches"]
    return {
        "harness_variant": variant_json["variant"],
        "harness_flavor": variant_json["flavor"],
        "harness_patches": ",".join(f"{p['name']}:{p['sha256']}" for p in patches) or "none",
        "harness_configure_args": " ".join(variant_json["configure_args"]) or "none",
        "harness_defines": " ".join(variant_json["defines"]) or "none",
        "harness_cpython_version": variant_json["cpython_version"],
        "harness_source_sha256": variant_json["source_sha256"],
        "harness_compiler": variant_json["compiler"],
        "harness_machine": variant_json["machine"],
        "harness_cores": variant_json["cores"],
        "harness_commit": builder.harness_commit(),
        "harness_build_commit": variant_json["harness_commit"],
        "harness_run_id": run_id,
        "harness_quick": int(plan.quick),
    }


def worker_errors(lines: list[str]) -> list[str]:
    """The exception lines a benchmark worker printed, without pyperf's own "worker failed" wrapper.

    pyperf prints the worker's traceback first and then raises its own RuntimeError
    ("... failed with exit code 1") in the manager; only the first says what broke.
    """
    pattern = re.compile(r"^\s*(?:[A-Za-z_][\w.]*(?:Error|Exception|Interrupt|Exit)|AssertionError)\b.*")
    found = [line.strip() for line in lines if pattern.match(line) and "failed with exit code" not in line]
    return list(dict.fromkeys(found))[-5:]


def runtime_environs(variants: list[str]) -> dict[str, tuple[tuple[str, str], ...]]:
    """The environment of each runtime variant (``build_of`` rows) among ``variants``."""
    from .config import load_table

    table = load_table()
    return {name: table.variants[name].environ for name in variants
            if name in table.variants and table.variants[name].build_of}


def step_command(spec: builder.BuildSpec, venv_python: Path, job: Job, plan: Plan, tmp: Path,
                 environ: tuple[tuple[str, str], ...] = ()) -> tuple[list[str], Path]:
    """The command of one step and the folder it runs in.

    A bench/ script runs under the variant's benchmark venv. A pyperformance chunk runs
    the pinned pyperformance of the harness venv against the variant's interpreter;
    pyperformance makes its own venv for it, kept in the build folder so that every
    chunk and every later run reuses it. Its time pass uses pyperformance's default
    processes (--fast under QUICK); the memory pass always uses --fast, as peak memory
    varies far less between processes than time does. ``environ`` (a runtime variant's
    variables) is set by ``run_step``; pyperf and pyperformance drop the environment of
    their workers, so they are told to pass these names on (``--inherit-environ``).
    """
    inherit = ["--inherit-environ", ",".join(k for k, _ in environ)] if environ else []
    if job.external:
        cmd = [sys.executable, "-m", "pyperformance", "run", "--python", str(spec.python),
               "--benchmarks", ",".join(job.suite_benchmarks), "--output", str(tmp)]
        if plan.quick or job.track_memory:
            cmd.append("--fast")
        if job.track_memory:
            cmd.append("--track-memory")
        return cmd + inherit, spec.directory / "pyperformance"
    cmd = [str(venv_python), str(job.script), *job.args]
    if job.sidecar:
        side = layout.sidecar_path(tmp)
        side.unlink(missing_ok=True)  # a failed attempt's lines must not stay
        cmd += [job.sidecar, str(side)]
    if job.processes:
        cmd += ["--processes", str(plan.processes), *inherit]
        if plan.values:
            cmd += ["--values", str(plan.values)]
    return cmd + [job.output_flag, str(tmp)], tmp.parent


def run_step(cmd: list[str], cwd: Path, job: Job, out: Path, log: Path,
             environ: tuple[tuple[str, str], ...] = ()) -> list[str]:
    """Run one job for one variant (with ``environ`` added); the output appears at ``out`` only if it succeeded."""
    tmp = out.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    env = {**builder.clean_env(), **dict(environ)}
    summaries = []
    log.parent.mkdir(parents=True, exist_ok=True)
    cwd.mkdir(parents=True, exist_ok=True)
    with log.open("a") as fh:
        fh.write(f"$ {' '.join(cmd)}\n")
        # Its own process group: pyperformance and pyperf start workers of their own, and
        # a stop must take them all, not leave them running.
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=cwd,
                                start_new_session=os.name != "nt")
        assert proc.stdout is not None
        watchdog = threading.Timer(STEP_TIMEOUT, kill_tree, (proc,))  # a hung benchmark is killed, not waited for
        watchdog.start()
        try:
            for line in proc.stdout:
                fh.write(line)
                if ": Mean +- std dev:" in line:
                    summaries.append(line.strip())
                    print(f"      {line.rstrip()}", flush=True)
            proc.wait()
        except KeyboardInterrupt:
            kill_tree(proc)
            proc.wait()
            raise
        finally:
            watchdog.cancel()
    if proc.returncode != 0 or not tmp.is_file():
        lines = log.read_text(errors="replace").splitlines()
        tail = "\n    ".join(lines[-15:])
        causes = "".join(f"\n    {line}" for line in worker_errors(lines))
        tmp.unlink(missing_ok=True)
        raise HarnessError(
            f"{job.label} failed (exit {proc.returncode}); the benchmark's own errors:{causes or ' none found'}\n"
            f"  last lines of {log}:\n    {tail}")
    os.replace(tmp, out)
    return summaries


def kill_tree(proc: subprocess.Popen) -> None:
    """Kill a step's process and every process it started (its process group on POSIX)."""
    if os.name == "nt":
        proc.kill()
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def merge(run_dir: Path, plan: Plan, metadata: dict[str, dict]) -> list[Path]:
    """Merge each (job, variant)'s rounds into <variant>/<job label>.json; add metadata."""
    import pyperf  # the harness venv has it

    written = []
    for bench in plan.benches:
        for job in jobs_of(bench, plan.pyperformance):
            for variant in plan.variants:
                chunks = layout.chunks(run_dir, job.label, variant)
                dest = layout.result_path(run_dir, variant, job.label)
                dest.parent.mkdir(exist_ok=True)
                if job.output == "pyperf":
                    suite = pyperf.BenchmarkSuite.load(str(chunks[0]))
                    for chunk in chunks[1:]:
                        suite.add_runs(pyperf.BenchmarkSuite.load(str(chunk)))
                    for benchmark in suite:
                        benchmark.update_metadata(metadata[variant])
                    suite.dump(str(dest), replace=True)
                else:
                    data = json.loads(chunks[0].read_text())
                    data["harness_metadata"] = metadata[variant]
                    dest.write_text(json.dumps(data, indent=1) + "\n")
                written.append(dest)
                if job.sidecar:
                    written.append(merge_sidecars(chunks, layout.sidecar_path(dest)))
    return written


def merge_sidecars(chunks: list[Path], dest: Path) -> Path:
    """Concatenate the rounds' sidecar lines into ``dest``, each line tagged with its round."""
    lines = []
    for chunk in chunks:
        side = layout.sidecar_path(chunk)
        if side.is_file():
            round_no = layout.round_of(chunk)
            lines += [
                json.dumps({"round": round_no, **json.loads(line)}) for line in side.read_text().splitlines() if line
            ]
    dest.write_text("".join(line + "\n" for line in lines))
    return dest


def bench(variants: list[str], benches: list[str] | None, flavor: str = DEFAULT_FLAVOR, quick: bool = False,
          jobs: int | None = None, pyperformance: str = "subset", allow_dirty: bool = False, *,
          results: Path, rounds: int | None = None) -> Path:
    """Build what is missing, run the matrix (or resume it) under the results root
    ``results``, merge; return the run folder.

    Refuses (UsageError) a harness tree with uncommitted changes to tracked files, or
    builds made from one, unless ``allow_dirty``; then every value is marked
    ``harness_allow_dirty=1`` and the report and summary call the run dirty.
    """
    tree_commit = builder.harness_commit()
    if not allow_dirty and (reason := provenance.refusal(tree_commit, {})):
        raise UsageError(f"make bench refused: {reason}")
    specs = {name: builder.resolve(name, flavor) for name in variants}  # bad names fail first
    environs = runtime_environs(variants)
    chosen = select(benches)
    plan = Plan.make(variants, chosen, flavor, quick, pyperformance, rounds)
    steps = steps_of(plan)  # an unknown pyperformance selection fails here, before any build
    for spec in specs.values():
        builder.build(spec, jobs)
    pythons = {name: bench_python(spec) for name, spec in specs.items()}
    variant_json = {name: json.loads((spec.directory / "variant.json").read_text()) for name, spec in specs.items()}
    reason = provenance.refusal(tree_commit, variant_json)
    if reason and not allow_dirty:
        raise UsageError(f"make bench refused: {reason}")

    builds = {name: variant_json[name]["build_key"] for name in variants}
    folder = layout.runs_folder(results, load_pin().version)
    run_dir = layout.find_resumable(folder, asdict(plan), builds)
    if run_dir:
        ui.step(f"resuming the unfinished run {ui.shown(run_dir)}")
    else:
        started_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        run_dir = layout.start_run(folder, {"plan": asdict(plan), "builds": builds, "started_at": started_at})
        ui.step(f"new run {ui.shown(run_dir)}")
    metadata = {name: run_metadata(variant_json[name], run_dir.name, plan) for name in variants}
    for name in variants:
        metadata[name]["harness_allow_dirty"] = int(reason is not None)
    for name, environ in environs.items():  # a runtime variant: the JSON says which build, run how
        metadata[name].update(harness_variant=name, harness_build_of=variant_json[name]["variant"],
                              harness_environ=" ".join(f"{k}={v}" for k, v in environ))

    durations: dict[str, list[float]] = {}
    for index, (round_no, job, variant) in enumerate(steps, 1):
        out = layout.chunk_path(run_dir, round_no, job.label, variant)
        if out.is_file():
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        remaining = [s for s in steps[index - 1:] if not layout.chunk_path(run_dir, s[0], s[1].label, s[2]).is_file()]
        eta = _eta(remaining, durations)
        ui.step(
            f"[{index}/{len(steps)}] round {round_no + 1}/{plan.rounds}: {job.label} on {variant}"
            + (f" (about {eta} left)" if eta else "")
        )
        started = time.monotonic()
        cmd, cwd = step_command(specs[variant], pythons[variant], job, plan, out.with_suffix(".tmp"),
                                environs.get(variant, ()))
        run_step(cmd, cwd, job, out, layout.log_path(run_dir, job.label, variant),
                 environs.get(variant, ()))
        durations.setdefault(job.label, []).append(time.monotonic() - started)

    written = merge(run_dir, plan, metadata)
    layout.finish_run(run_dir)
    ui.step(f"run complete: {len(written)} JSON files in {ui.shown(run_dir)}")
    return run_dir


def _eta(remaining: list[tuple[int, Job, str]], durations: dict[str, list[float]]) -> str:
    """Time left from the mean duration of each job so far ('' until every job ran once)."""
    total = 0.0
    for _, job, _ in remaining:
        seen = durations.get(job.label)
        if not seen:
            return ""
        total += sum(seen) / len(seen)
    return ui.format_duration(total)


def main(argv: list[str]) -> int:
    """Entry point used by ``python -m scripts bench`` once it runs in the harness venv."""
    import argparse

    from . import options

    args = options.add(argparse.ArgumentParser(prog="python -m scripts bench"), options.BENCH).parse_args(argv)
    results = Path(args.results).resolve() if args.results else layout.DEFAULT_ROOT
    from .config import load_table
    from .patches import read_series

    table = load_table(series=[p.name for p in read_series(load_pin())])
    variants = args.variants.split() or list(table.variants)
    if "baseline" not in variants:
        variants.insert(0, "baseline")  # every ratio is against it
    run_dir = bench(variants, args.bench.split() or None, args.flavor, args.quick, args.jobs, args.pyperformance,
                    allow_dirty=args.allow_dirty, results=results, rounds=args.rounds)
    from . import publish

    publish.run(run_dir, results)
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point(main, sys.argv[1:], "this run"))
