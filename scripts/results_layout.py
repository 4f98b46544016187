"""Where runs live under a results root, and what each file of a run is.

One module owns the layout so that the matrix that writes runs and the report,
summary, cross-report and sweep that read them agree on it by construction::

    <root>/<os>-<arch>-<ncpu>cpu/<cpython-version>/<run-id>/
        plan.json                      what the run measures (and the builds it used)
        .partial/                      present while the run is unfinished (resumable)
            <job label>/<variant>/round<N>.json    one finished step
            logs/<job label>.<variant>.log
        <variant>/<job label>.json     merged result: a pyperf suite, or the script's own
                                       format for the jobs whose output is "json"
        <variant>/<job label>.joint.jsonl          a job's sidecar lines, rounds concatenated
        report.md, charts/             regenerated from the JSON by ``make report``

A run is *finished* when it has plan.json and no .partial. The root is always passed
in (results/ by default, build/smoke-results for make test's smoke run): nothing here
holds a mutable root. Stdlib only: ``python -m scripts`` reads it outside the venv.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
from pathlib import Path

from .benchmarks import JOBS
from .config import ROOT

DEFAULT_ROOT = ROOT / "results"
PLAN_FILE = "plan.json"
PARTIAL = ".partial"
REPORT_FILE = "report.md"
CHARTS_DIR = "charts"


def result_name(label: str) -> str:
    """The file name of a job's merged result in a variant folder (``giltest.json``)."""
    return f"{label}.json"


# A variant folder's JSON files that are the scripts' own format, not pyperf suites:
# the results of the jobs that declare output "json" (scripts/benchmarks.py).
OWN_FORMAT_FILES = frozenset(result_name(job.label) for jobs in JOBS.values() for job in jobs if job.output != "pyperf")
SIZES_FILE = result_name("dict_memory.sizes")  # sys.getsizeof tables
INSTRUCTIONS_FILE = result_name("dict_memory.instructions")  # callgrind counts


def platform_folder() -> str:
    """The results/ sub-folder naming this machine class, e.g. linux-x86_64-2cpu."""
    return f"{platform.system().lower()}-{platform.machine().lower()}-{os.cpu_count()}cpu"


def runs_folder(root: Path, version: str) -> Path:
    """The folder holding this machine class's runs of CPython ``version`` under ``root``."""
    return root / platform_folder() / version


# ---------------------------------------------------------------- one run


def read_plan_doc(run_dir: Path) -> dict:
    """plan.json of a run: {"plan": ..., "builds": ..., "started_at": ...} (keys as written)."""
    return json.loads((run_dir / PLAN_FILE).read_text())


def read_plan(run_dir: Path) -> dict:
    """The plan of a run (variants, benches, flavor, quick, rounds, ...)."""
    return read_plan_doc(run_dir)["plan"]


def is_run(run_dir: Path) -> bool:
    """Is this folder a run (it has plan.json), finished or not?"""
    return (run_dir / PLAN_FILE).is_file()


def is_finished(run_dir: Path) -> bool:
    """A run is finished once its .partial folder is gone; only finished runs are read."""
    return is_run(run_dir) and not (run_dir / PARTIAL).exists()


def variant_dirs(run_dir: Path) -> list[Path]:
    """The variant folders of a run that exist, in the plan's order (baseline first)."""
    return [run_dir / v for v in read_plan(run_dir)["variants"] if (run_dir / v).is_dir()]


def result_path(run_dir: Path, variant: str, label: str) -> Path:
    """Where the merged result of one job for one variant goes."""
    return run_dir / variant / result_name(label)


def bench_results(run_dir: Path, bench: str) -> list[tuple[str, Path]]:
    """(variant, merged result) of every job of the bench/ benchmark ``bench`` that the run
    holds: variants in the plan's order, each variant's results sorted by name."""
    found = []
    for vdir in variant_dirs(run_dir):
        paths = sorted(result_path(run_dir, vdir.name, job.label) for job in JOBS[bench])
        found += [(vdir.name, path) for path in paths if path.is_file()]
    return found


def sidecar_path(path: Path) -> Path:
    """The JSON-lines file beside a chunk or a merged result (roundN.joint.jsonl, giltest.joint.jsonl)."""
    return path.with_suffix(".joint.jsonl")


def is_pyperf_file(path: Path) -> bool:
    """Is this JSON file of a variant folder a pyperf suite (not a script's own table)?"""
    return path.suffix == ".json" and path.name not in OWN_FORMAT_FILES


def pyperf_files(variant_dir: Path) -> list[Path]:
    """The pyperf suites of one variant folder, sorted by name."""
    return [path for path in sorted(variant_dir.glob("*.json")) if is_pyperf_file(path)]


def run_pyperf_files(run_dir: Path) -> list[Path]:
    """The pyperf suites of every variant folder of a run, sorted by path."""
    return [path for path in sorted(run_dir.glob("*/*.json")) if is_pyperf_file(path)]


# ---------------------------------------------------------------- an unfinished run


def chunk_dir(run_dir: Path, label: str, variant: str) -> Path:
    """The folder of one job's finished steps for one variant, one file per round."""
    return run_dir / PARTIAL / label / variant


def chunk_path(run_dir: Path, round_no: int, label: str, variant: str) -> Path:
    """The file one finished step (round, job, variant) leaves; its presence means done."""
    return chunk_dir(run_dir, label, variant) / f"round{round_no}.json"


def chunks(run_dir: Path, label: str, variant: str) -> list[Path]:
    """The finished steps of one job for one variant, in round order."""
    return sorted(chunk_dir(run_dir, label, variant).glob("round*.json"))


def round_of(chunk: Path) -> int:
    """The round number a chunk file names (round3.json -> 3)."""
    return int(chunk.stem.removeprefix("round"))


def log_path(run_dir: Path, label: str, variant: str) -> Path:
    """The log of one job's steps for one variant (kept while the run is unfinished)."""
    return run_dir / PARTIAL / "logs" / f"{label}.{variant}.log"


def start_run(folder: Path, doc: dict) -> Path:
    """Create a new, unique run folder under ``folder`` named by UTC time, with .partial
    and plan.json holding ``doc``; return it. A new run never overwrites an old one."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    run_dir = folder / stamp
    suffix = 1
    while run_dir.exists():
        suffix += 1
        run_dir = folder / f"{stamp}-{suffix}"
    run_dir.mkdir(parents=True)
    (run_dir / PARTIAL).mkdir()
    (run_dir / PLAN_FILE).write_text(json.dumps(doc, indent=2) + "\n")
    return run_dir


def finish_run(run_dir: Path) -> None:
    """Mark a run finished: remove .partial (its chunks and logs)."""
    shutil.rmtree(run_dir / PARTIAL)


def find_resumable(folder: Path, plan: dict, builds: dict[str, str] | None = None) -> Path | None:
    """The newest unfinished run under ``folder`` with the same plan and the same builds, if any.

    ``plan`` is compared as JSON (tuples and lists alike). ``builds`` maps each variant
    to its build key: a run is never continued with a rebuilt interpreter, whose numbers
    would not belong with the earlier rounds.
    """
    if not folder.is_dir():
        return None
    wanted = json.loads(json.dumps(plan))
    for run_dir in sorted(folder.iterdir(), reverse=True):
        if (run_dir / PARTIAL).is_dir() and is_run(run_dir):
            try:
                doc = read_plan_doc(run_dir)
            except json.JSONDecodeError:
                continue
            if doc.get("plan") == wanted and (builds is None or doc.get("builds") == builds):
                return run_dir
    return None


# ---------------------------------------------------------------- the runs of a root


def finished_runs(root: Path, platform_name: str = "*", version: str = "*") -> list[Path]:
    """Finished run folders under ``root`` (of one platform or version when named), oldest first.

    Sorted by path: platform, then version, then run id.
    """
    return [plan.parent for plan in sorted(root.glob(f"{platform_name}/{version}/*/{PLAN_FILE}"))
            if is_finished(plan.parent)]


def newest_finished(root: Path, platform_name: str, version: str) -> Path | None:
    """The newest finished run of one platform and version, if any."""
    runs = finished_runs(root, platform_name, version)
    return runs[-1] if runs else None


def find_run(root: Path, run: str) -> Path | None:
    """A run named by its folder or by its id (searched under every platform and version of ``root``)."""
    candidates = [Path(run), *sorted(root.glob(f"*/*/{run}"))]
    return next((c for c in candidates if is_run(c)), None)


def run_ids(root: Path) -> list[str]:
    """The ids of every run under ``root``, finished or not, sorted by path."""
    return [plan.parent.name for plan in sorted(root.glob(f"*/*/*/{PLAN_FILE}"))]
