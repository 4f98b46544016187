"""results/README.md, the index of runs: one line per finished run, newest first.

The index is one of the pages a results root publishes (scripts/publish.py writes it
after a run's report and before the summary). It reads each run's plan.json through
scripts/results_layout.py and nothing of the report, so it is a module of its own.
"""

from __future__ import annotations

from pathlib import Path

from . import results_layout as layout

INDEX_BEGIN, INDEX_END = "<!-- runs:begin -->", "<!-- runs:end -->"


def write_index(results: Path) -> Path:
    """results/README.md: one line per run folder, newest first.

    Only the part between the INDEX_BEGIN and INDEX_END markers is generated; the
    hand-written text around it (what the runs showed) is kept. A file without the
    markers is replaced whole.
    """
    lines = ["Each folder holds one run's pyperf JSON, its report.md and charts/. "
             "Regenerate a report with `make report RUN=<run-id>`.", "",
             "| run | machine | CPython | variants | benchmarks | mode |", "|---|---|---|---|---|---|"]  # fmt: skip
    for run_dir in reversed(layout.finished_runs(results)):
        plan = layout.read_plan(run_dir)
        rel = run_dir.relative_to(results)
        lines.append(
            f"| [{run_dir.name}]({rel}/{layout.REPORT_FILE}) | {run_dir.parent.parent.name} | {run_dir.parent.name} | "
            f"{', '.join(plan['variants'])} | {', '.join(plan['benches'])} | {'quick' if plan['quick'] else 'full'} |"
        )
    block = "\n".join([INDEX_BEGIN, *lines, INDEX_END])
    path = results / "README.md"
    text = path.read_text() if path.exists() else ""
    begin, end = text.find(INDEX_BEGIN), text.find(INDEX_END)
    if 0 <= begin < end:
        text = text[:begin] + block + text[end + len(INDEX_END):]
    else:
        text = "# Published runs\n\n" + block + "\n"
    path.write_text(text)
    return path
