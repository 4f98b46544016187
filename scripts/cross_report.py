"""One comparison across platforms: finished runs of several machines, merged by ratio.

A run compares its variants with the baseline it ran beside, interleaved, on one
machine; numbers of two machines are never compared directly. So the cross-platform
report merges ratios, not values: for every platform (results/<platform>/...) it takes
the newest finished run that holds each variant, computes that run's ratios to its
own baseline (``report.comparison_table``), and shows them side by side, one column and
one chart panel per platform. What differs between the platforms' measurements (load
generator, what the memory meter reads, cores) is listed above the figures, because
the same benchmark name does not always measure the same quantity.

Reading and rendering are apart: ``read`` gathers from the runs everything the report
shows (a ``CrossRuns``: the platforms, the run picked for each figure, the merged ratios
and the measurement notes) and writes nothing; ``render`` draws the charts and writes
report.md and ratios.json from it alone.

Runs under the harness venv: ``python -m scripts.cross_report RESULTS_ROOT [--out DIR]``.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import charts, report
from . import results_layout as layout
from .config import ROOT, load_pin
from .errors import HarnessError, run_entry_point
from .tables import md_table

# Run metadata that says how a platform measured, shown per platform.
MEASUREMENT_KEYS = {
    "loadgen": "HTTP load generator",
    "dict_memory_rss_meter": "dict_memory's rss meter",
    "cpu_count": "CPUs",
    "platform": "OS",
}


@dataclass(frozen=True)
class RunRef:
    """One finished run folder and the platform folder it came from."""

    platform: str
    path: Path
    variants: tuple[str, ...]


def finished_runs(results: Path, version: str) -> list[RunRef]:
    """Finished runs of ``version`` under ``results``, oldest first."""
    return [RunRef(run_dir.parent.parent.name, run_dir, tuple(layout.read_plan(run_dir)["variants"]))
            for run_dir in layout.finished_runs(results, version=version)]


def pick_runs(refs: list[RunRef]) -> dict[tuple[str, str, str], RunRef]:
    """For every (platform, variant other than baseline, result file): the newest run that has it.

    Keyed by result file (giltest, dict_memory.memory, pyperformance.time.dict, ...), so a
    newer run of one benchmark does not hide an older run of another.
    """
    picked: dict[tuple[str, str, str], RunRef] = {}
    for ref in sorted(refs, key=lambda r: r.path.name):
        for variant in ref.variants:
            if variant == "baseline":
                continue
            for path in layout.pyperf_files(ref.path / variant):
                picked[(ref.platform, variant, path.stem)] = ref
    return picked


def measurement_notes(run_dir: Path) -> dict[str, str]:
    """The MEASUREMENT_KEYS values found in a run's pyperf files (several joined by ', ')."""
    import pyperf

    seen: dict[str, set[str]] = {key: set() for key in MEASUREMENT_KEYS}
    for path in layout.run_pyperf_files(run_dir):
        for benchmark in pyperf.BenchmarkSuite.load(str(path)):
            metadata = benchmark.get_runs()[0].get_metadata()
            for key in MEASUREMENT_KEYS:
                if metadata.get(key) is not None:
                    seen[key].add(str(metadata[key]))
    return {key: ", ".join(sorted(values)) for key, values in seen.items() if values}


def merged_ratios(picked: dict[tuple[str, str, str], RunRef]) -> pd.DataFrame:
    """Every (platform, variant, benchmark): the ratio to baseline from the picked run."""
    frames = []
    tables: dict[Path, pd.DataFrame] = {}
    for (platform, variant, source), ref in sorted(picked.items()):
        if ref.path not in tables:
            df = report.load_values(ref.path)
            names = [d.name for d in layout.variant_dirs(ref.path)]
            tables[ref.path] = report.comparison_table(df, names)
        table = tables[ref.path]
        if "ratio" not in table:
            continue
        part = table[(table.variant == variant) & (table.source == source) & table.ratio.notna()].copy()
        part["platform"] = platform
        part["run"] = ref.path.name
        frames.append(part)
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def ratio_cell(row: pd.Series) -> str:
    mark = {"better": " ▲", "worse": " ▼"}.get(row.verdict, "")
    return f"{row.ratio:.3f} [{row.ci_low:.3f}–{row.ci_high:.3f}]{mark}"


def side_by_side(ratios: pd.DataFrame, platforms: list[str]) -> pd.DataFrame:
    """Rows benchmark × variant, one column per platform: 'ratio [CI] ▲/▼' (▲ better, ▼ worse)."""
    cells = ratios.assign(cell=ratios.apply(ratio_cell, axis=1))
    wide = cells.pivot_table(index=["variant", "benchmark"], columns="platform", values="cell", aggfunc="first")
    wide = wide.reindex(columns=[p for p in platforms if p in wide.columns]).fillna("–")
    wide.index = [f"{v}: {b}" for v, b in wide.index]
    return wide


@dataclass(frozen=True)
class CrossRuns:
    """What the cross-platform report shows, as read from the runs; nothing is drawn or written."""

    version: str
    platforms: list[str]
    picked: dict[tuple[str, str, str], RunRef]  # (platform, variant, result file) -> the run it comes from
    ratios: pd.DataFrame  # merged_ratios: one row per platform, variant and benchmark
    notes: dict[str, dict[str, str]]  # platform -> MEASUREMENT_KEYS' description -> the values seen

    def runs_used(self) -> dict[tuple[str, str, Path], list[str]]:
        """(platform, variant, run folder) -> the result files taken from that run, sorted."""
        grouped: dict[tuple[str, str, Path], list[str]] = {}
        for (platform, variant, source), ref in sorted(self.picked.items()):
            grouped.setdefault((platform, variant, ref.path), []).append(source)
        return grouped


def read(results: Path, version: str) -> CrossRuns:
    """Everything the report needs from the finished runs of ``version`` under ``results``."""
    picked = pick_runs(finished_runs(results, version))
    platforms = sorted({platform for platform, _, _ in picked})
    if len(platforms) == 0:
        raise HarnessError(f"cross-report: no finished run of CPython {version} under {results}")
    seen: dict[str, dict[str, set[str]]] = {platform: {} for platform in platforms}
    for ref in {(platform, ref.path): ref for (platform, _, _), ref in picked.items()}.values():
        for key, value in measurement_notes(ref.path).items():
            seen[ref.platform].setdefault(MEASUREMENT_KEYS[key], set()).add(value)
    notes = {p: {what: ", ".join(sorted(values)) for what, values in n.items()} for p, n in seen.items()}
    return CrossRuns(version, platforms, picked, merged_ratios(picked), notes)


def render(runs: CrossRuns, out: Path, results_shown: str) -> Path:
    """Write out/report.md, out/charts/ and out/ratios.json from ``runs``; return report.md's path.

    ``results_shown`` is the results root as the report's regenerate line names it.
    """
    version, platforms, ratios = runs.version, runs.platforms, runs.ratios
    out.mkdir(parents=True, exist_ok=True)
    chart_files: list[Path] = []
    xlabel = "ratio to baseline (times: rate, >1 faster; bytes: size, <1 smaller)"
    for variant in dict.fromkeys(ratios.variant):
        chart_files += charts.ratio_dots(
            out / "charts",
            f"ratios_{variant}",
            ratios[ratios.variant == variant],
            facet="platform",
            title=f"{variant} against baseline, per platform",
            xlabel=xlabel,
        )

    lines = [f"# Cross-platform comparison, CPython {version}", "",
             f"Platforms: {', '.join(f'`{p}`' for p in platforms)}. Each ratio comes from one run on one machine, "
             "with the variant interleaved beside that run's own baseline; values of two machines are never "
             "compared. Times: rate ratio (above 1 is faster). Bytes: variant/baseline (below 1 is smaller). "
             "95% bootstrap interval; ▲ better and ▼ worse are significant at 5% (Welch's t-test). "
             f"Regenerate with `python -m scripts cross-report --results {results_shown}`.", "",
             "## Runs used", "", "| platform | variant | results | run |", "|---|---|---|---|"]
    for (platform, variant, path), sources in runs.runs_used().items():
        rel = Path(os.path.relpath(path / layout.REPORT_FILE, out)).as_posix()
        lines.append(f"| {platform} | {variant} | {', '.join(sources)} | [{path.name}]({rel}) |")
    lines += ["", "## How each platform measured", "",
              "The same benchmark name can measure a different quantity: Windows' working set is not Linux's "
              "resident set, and the load generator's own speed enters requests/s.", ""]
    note_table = pd.DataFrame(runs.notes).fillna("–")
    lines += [md_table(note_table, "what"), ""]
    lines += ["## Ratios side by side", "", md_table(side_by_side(ratios, platforms), "variant: benchmark"), ""]
    lines += ["## Charts", ""] + [f"![{p.stem}](charts/{p.name})" for p in chart_files if p.suffix == ".png"]
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n")
    (out / "ratios.json").write_text(ratios.to_json(orient="records", indent=1) + "\n")
    return path


def write(results: Path, out: Path, version: str) -> Path:
    """Write out/report.md and out/charts/ from the finished runs under ``results``."""
    return render(read(results, version), out, _shown(results))


def _shown(path: Path) -> str:
    """``path`` relative to the project when it is inside it (reports name no machine's folders)."""
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return path.name


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.cross_report", description=__doc__.split("\n\n")[0])
    parser.add_argument("results", help="results root with <platform>/<version>/<run-id>/ folders")
    parser.add_argument("--out", default="", help="output folder (default: RESULTS/cross-platform/<version>)")
    parser.add_argument("--version", default="", help="CPython version (default: the pinned one)")
    args = parser.parse_args(argv)
    results = Path(args.results).resolve()
    version = args.version or load_pin().version
    out = Path(args.out).resolve() if args.out else results / "cross-platform" / version
    print(f"cross-report: {write(results, out, version)}")
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point(main, sys.argv[1:]))
