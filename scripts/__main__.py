"""The harness's command line: ``python -m scripts <command> [options]``.

Every Makefile target is one of these commands, so the same works where there is no
make (Windows). Bad input exits 2 with the valid choices; other failures exit 1 with a
message saying what to do.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from . import build as builder
from . import deps, options, patches, provenance, regrtest, source, ui, verifications
from . import results_layout as layout
from .config import CHECK_NAMES, DEFAULT_FLAVOR, ROOT, load_pin, load_table
from .errors import UsageError, run_entry_point
from .patch_hooks import settings


def _table():
    pin = load_pin()
    series = patches.read_series(pin)
    return pin, load_table(series=[p.name for p in series])


def cmd_deps(args: argparse.Namespace) -> int:
    """Install build dependencies (apt-get) and the harness venv."""
    python = deps.ensure_all()
    ui.step(f"dependencies are in place; harness venv: {python}")
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    """Fetch, verify and extract the pinned CPython source."""
    tree = source.pristine_tree(load_pin())
    ui.step(f"pristine source: {tree}")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    """Build one variant in one flavor (or, with --dry-run, print how it would be built)."""
    spec = builder.resolve(args.variant, args.flavor, setting_text=settings.text_of(args))
    if args.dry_run:
        print(dry_run_text(spec, args.platform, args.jobs))
        return 0
    builder.build(spec, args.jobs)
    return 0


def dry_run_text(spec: builder.BuildSpec, platform_name: str, jobs: int | None) -> str:
    """The commands a build would run on ``platform_name`` ("windows" or "posix"), nothing run."""
    if platform_name == "windows":
        plan = spec.windows
        return (f"# {spec.name} on Windows: the patched tree copied to {plan.tree}\n{plan.describe()}\n"
                f"# interpreter: {plan.interpreter}\n# signature: {'; '.join(spec.signature)}")
    configure = " ".join(["configure", *spec.configure_args])
    return (f"# {spec.name} on Linux, in {spec.directory}\n{configure}\nmake -j{jobs or os.cpu_count() or 2}\n"
            f"# interpreter: {spec.directory / 'python'}\n# signature: {'; '.join(spec.signature)}")


def cmd_regrtest(args: argparse.Namespace) -> int:
    """Run CPython's tests on a build, failing only on failures baseline does not have."""
    spec = builder.resolve(args.variant, args.flavor, setting_text=settings.text_of(args))
    if args.variant_tests and args.tests:
        raise UsageError("give either --tests or --variant-tests, not both")
    tests = list(spec.variant.regrtest) if args.variant_tests else args.tests.split()
    return regrtest.regrtest(spec.label, args.flavor, tests, args.refleak, args.jobs, patches_from=args.patches_from)


def cmd_clean(args: argparse.Namespace) -> int:
    """Remove builds and extracted sources; keep downloads/ (the verified tarball) and results/."""
    import shutil

    for folder in (ROOT / "build", ROOT / "src"):
        if folder.exists():
            ui.step(f"removing {folder.relative_to(ROOT)}/")
            shutil.rmtree(folder)
    return 0


def cmd_cross_report(args: argparse.Namespace) -> int:
    """Merge finished runs of several platforms into one report with charts faceted by platform."""
    root = Path(args.results) if args.results else layout.DEFAULT_ROOT
    argv = [str(root.resolve())] + (["--out", str(Path(args.out).resolve())] if args.out else [])
    return _in_venv("cross_report", argv)


def cmd_sweep_dict(args: argparse.Namespace) -> int:
    """Build a grid of dict sizings and run dict_memory on each beside baseline."""
    from .sweep_grid import grid_labels

    for label in grid_labels():
        builder.resolve(label, args.flavor)  # a bad grid fails before any work
    return _in_venv("sweep", options.forward(args, options.SWEEP))


def cmd_lint_patches(args: argparse.Namespace) -> int:
    """Check the patch series: headers, numbering, and that every set applies."""
    pin, table = _table()
    pristine = source.pristine_tree(pin)
    problems = patches.lint(pin, pristine, {name: list(v.patches) for name, v in table.variants.items()})
    count = len(patches.read_series(pin))
    if problems:
        print(f"lint-patches: {len(problems)} problem(s):")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    ui.step(f"lint-patches: {count} patch(es) in the series; headers complete; every set applies")
    return 0


def cmd_variants(args: argparse.Namespace) -> int:
    """Print the variants table (Markdown with --markdown, as README.md shows it)."""
    _, table = _table()
    if args.matrix_json is not None:
        print(f"variants={json.dumps(matrix_variants(table, args.matrix_json))}")
        return 0
    if args.markdown:
        print(variants_markdown(table))
    else:
        for name, variant in table.variants.items():
            print(f"{name:14} {variant.description}")
        print("flavors: " + ", ".join(f"{f.name} ({f.description})" for f in table.flavors.values()))
    return 0


def matrix_variants(table, names_text: str) -> list[str]:
    """The variants a CI matrix fans out over: the given names (all but baseline when empty),
    checked, without baseline (every job benchmarks its variant beside baseline anyway)."""
    names = names_text.split() or list(table.variants)
    for name in names:
        table.variant(name)  # an unknown name fails the workflow's first job, listing the valid ones
    chosen = [n for n in dict.fromkeys(names) if n != "baseline"]
    if not chosen:
        raise UsageError("no variant to compare with baseline; name at least one besides baseline")
    return chosen


def variants_markdown(table) -> str:
    """The README's variants table, generated from variants.toml."""
    rows = [
        "| variant | what it is | patches | configure and defines | signature | checks |",
        "|---|---|---|---|---|---|",
    ]
    for name, v in table.variants.items():
        build = " ".join([*v.configure_args, *(f"-D{d}" for d in v.defines)]) or "(default)"
        if v.build_of:
            build = f"`{v.build_of}`'s build, run with " + " ".join(f"{k}={val}" for k, val in v.environ)
        signature = [f"`{s}`" for s in v.signature]
        signature += settings.signature_notes(v.patches)
        patches = ", ".join(v.patches) or "(none)"
        if v.left_out:
            patches += "; left out: " + ", ".join(f"{p} ({why})" for p, why in v.left_out)
        known = dict(v.known_failures)
        checks = (
            ", ".join(c + (f" (known failure: {known[c]})" if c in known else "") for c in v.checks)
            or "(regrtest only)"
        )
        rows.append(f"| `{name}` | {v.description} | {patches} | {build} | {'; '.join(signature)} | {checks} |")
    rows += ["", "| flavor | what it is | configure |", "|---|---|---|"]
    for name, f in table.flavors.items():
        rows.append(f"| `{name}` | {f.description} | {' '.join(f.configure_args) or '(default)'} |")
    return "\n".join(rows)


def cmd_test(args: argparse.Namespace) -> int:
    """The one test command: the steps of scripts/steps.py's MAKE_TEST, for the chosen variants."""
    from . import steps

    _, table = _table()
    names = args.variants.split() if args.variants else list(table.variants)
    for name in names:
        table.variant(name)  # unknown names fail before any work
    if args.list:
        print(steps.markdown(steps.MAKE_TEST, steps.Context(table, names, args.jobs)))
        return 0
    ctx = steps.Context(table, names, args.jobs, python=deps.ensure_all(), parser=parser)
    return steps.run_steps("make test", steps.plan(steps.MAKE_TEST, ctx))


def cmd_verify(args: argparse.Namespace) -> int:
    """Every verification check (asan, tsan, green threads) on the variants whose rows ask for it."""
    _, table = _table()
    names = args.variants.split() if args.variants else list(table.variants)
    for name in names:
        table.variant(name)
    wanted = args.checks.split() if args.checks else list(CHECK_NAMES)
    unknown = [c for c in wanted if c not in CHECK_NAMES]
    if unknown:
        raise UsageError(f"unknown check(s) {unknown}; valid checks: {', '.join(CHECK_NAMES)}")
    from . import steps

    planned = steps.plan(steps.verify_rows(wanted), steps.Context(table, names, args.jobs))
    if not planned:
        raise UsageError(f"none of {', '.join(names)} asks for {', '.join(wanted)} (see checks in variants.toml)")
    return steps.run_steps("make verify", planned)


def cmd_green_threads(args: argparse.Namespace) -> int:
    """gevent and eventlet on one variant, against baseline."""
    from . import greenthreads

    builder.resolve(args.variant, args.flavor)  # an unknown name lists the valid ones
    return greenthreads.check(args.variant, args.flavor, args.jobs)


def _in_venv(module: str, argv: list[str]) -> int:
    """Run ``python -m scripts.<module>`` under the harness venv (pyperf, pandas, matplotlib)."""
    python = deps.ensure_all()
    return subprocess.run([str(python), "-m", f"scripts.{module}", *argv], cwd=ROOT).returncode


def cmd_bench(args: argparse.Namespace) -> int:
    """Run the benchmark matrix (interleaved, resumable) and write the report."""
    from .benchmarks import PYPERFORMANCE_SELECTIONS, pyperformance_markdown, select

    if args.list_pyperformance:
        print(pyperformance_markdown())
        return 0
    _, table = _table()
    for name in args.variants.split():
        table.variant(name)
    if not table.flavor(args.flavor).benchmarks:
        benchable = [f.name for f in table.flavors.values() if f.benchmarks]
        raise UsageError(f"flavor {args.flavor} is for finding bugs: its sanitizer distorts every timing, so the "
                         f"benchmarks refuse it; benchmark flavors: {', '.join(benchable)}")
    select(args.bench.split() or None)  # bad names fail here, before any install or build
    if args.rounds is not None and args.rounds < 1:
        raise UsageError(f"--rounds must be at least 1, not {args.rounds}")
    if args.pyperformance not in PYPERFORMANCE_SELECTIONS:
        raise UsageError(
            f"unknown --pyperformance {args.pyperformance!r}; valid: {', '.join(PYPERFORMANCE_SELECTIONS)}"
        )
    if not args.allow_dirty and (reason := provenance.refusal(builder.harness_commit(), {})):
        raise UsageError(f"make bench refused: {reason}")  # before any install; builds are checked once built
    return _in_venv("matrix", options.forward(args, options.BENCH))


def cmd_report(args: argparse.Namespace) -> int:
    """Regenerate report.md and charts of a run (default: the newest finished one)."""
    root = layout.DEFAULT_ROOT
    if args.run:
        run_dir = layout.find_run(root, args.run)
        if run_dir is None:
            raise UsageError(f"no run {args.run!r} under {root}; runs: {', '.join(layout.run_ids(root)) or 'none yet'}")
    else:
        version = load_pin().version
        run_dir = layout.newest_finished(root, layout.platform_folder(), version)
        if run_dir is None:
            raise UsageError(f"no finished run under {layout.runs_folder(root, version)}; run make bench first")
    return _in_venv("publish", [str(root.resolve()), str(run_dir.resolve())])


def cmd_summary(args: argparse.Namespace) -> int:
    """Regenerate results/SUMMARY.md from every finished run's JSON."""
    results = Path(args.results) if args.results else layout.DEFAULT_ROOT
    return _in_venv("publish", [str(results.resolve())])


def cmd_instructions(args: argparse.Namespace) -> int:
    """Count instructions per operation of the dict workloads on a variant and on baseline."""
    from . import instructions

    names = instructions.select_workloads(args.workloads)  # a typo fails before any build
    extra = instructions.parse_extra(args.interpreter)
    if args.reps < 1:
        raise UsageError("--reps must be at least 1")
    specs = [builder.resolve("baseline", args.flavor)]
    if args.variant != "baseline":
        specs.append(builder.resolve(args.variant, args.flavor, setting_text=settings.text_of(args)))
    for spec in specs:
        builder.build(spec, args.jobs)
    interpreters = [instructions.Interpreter(spec.label, spec.python) for spec in specs] + extra
    result = instructions.measure(interpreters, names, args.reps, progress=ui.step)
    result["flavor"] = args.flavor
    result["harness_commit"] = builder.harness_commit()
    print(instructions.format_table(result))
    if args.out:
        instructions.write(result, Path(args.out))
        ui.step(f"wrote {args.out}")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m scripts", description=__doc__.split("\n\n")[0], allow_abbrev=False)
    sub = top.add_subparsers(dest="command", required=True, metavar="command")

    def add(name: str, func, help_text: str) -> argparse.ArgumentParser:
        # allow_abbrev=False: a typo is an error, not a guess
        p = sub.add_parser(name, help=help_text, description=help_text, allow_abbrev=False)
        p.set_defaults(func=func)
        return p

    def variant_opts(p: argparse.ArgumentParser) -> None:
        p.add_argument("--variant", default="baseline", help="a variant from variants.toml (default: baseline)")
        p.add_argument("--flavor", default=DEFAULT_FLAVOR, help="release (default), pgo or debug")
        p.add_argument("--jobs", type=int, default=None, help="parallel jobs (default: number of cores)")
        settings.add_options(p)  # --dict: the dict-sizing patch's knobs (scripts/patch_hooks/)

    add("deps", cmd_deps, "install build dependencies and the harness venv")
    add("fetch", cmd_fetch, "fetch, verify and extract the pinned CPython source")
    p = add("build", cmd_build, "build one variant in one flavor")
    variant_opts(p)
    p.add_argument(
        "--dry-run", action="store_true", help="print the build's commands, environment and interpreter; run nothing"
    )
    p.add_argument("--platform", choices=("posix", "windows"), default="windows" if os.name == "nt" else "posix",
                   help="with --dry-run: whose build to print (default: this machine's)")
    p = add("regrtest", cmd_regrtest, "run CPython's test suite on a build, compared with baseline")
    variant_opts(p)
    p.add_argument("--tests", default="", help="space-separated test modules (default: the whole suite)")
    p.add_argument("--variant-tests", action="store_true",
                   help="the variant's own list from variants.toml (what make test runs): the areas its patches touch")
    p.add_argument("--refleak", action="store_true", help="run with -R 3:3 (needs --flavor debug)")
    p.add_argument("--patches-from", default="", metavar="REV",
                   help="build the variant from its patches as they were in git commit REV and run the named "
                        "tests as the current patches have them: shows a new regression test failing before its fix")
    add("lint-patches", cmd_lint_patches, "check patch headers and that every patch set applies")
    p = add("variants", cmd_variants, "list the variants and flavors")
    p.add_argument("--markdown", action="store_true", help="print README's Markdown table")
    p.add_argument("--matrix-json", metavar="'NAMES'", default=None,
                   help="print variants=<JSON list> of these names (all when empty), checked, for a CI matrix")
    p = add("bench", cmd_bench, "run the benchmark matrix, interleaved and resumable, then the report")
    options.add(p, options.BENCH)  # scripts.matrix parses the same table in the venv
    p.add_argument("--list-pyperformance", action="store_true",
                   help="print the default pyperformance subset with the reasons (docs/benchmarks.md's table) and exit")
    p = add("sweep-dict", cmd_sweep_dict, "build a grid of dict sizings and chart memory against speed")
    options.add(p, options.SWEEP)  # scripts.sweep parses the same table in the venv
    for check in verifications.VERIFICATIONS:  # verify-condvar: patch 0003's proof (scripts/verifications.py)
        check.add_arguments(add(check.command, check.run, check.help))
    p = add("report", cmd_report, "regenerate report.md and charts of a run")
    p.add_argument("--run", default="", help="run id or folder (default: the newest finished run)")
    p = add(
        "summary", cmd_summary, "regenerate results/SUMMARY.md: one row per variant, from the newest run of each figure"
    )
    p.add_argument("--results", default="", help="results root (default: results/)")
    p = add(
        "cross-report",
        cmd_cross_report,
        "one report over finished runs of several platforms (charts faceted by platform)",
    )
    p.add_argument(
        "--results",
        default="",
        help="a results root holding <platform>/<version>/<run-id>/ folders (default: results/)",
    )
    p.add_argument(
        "--out", default="", help="where report.md and charts/ go (default: <results>/cross-platform/<version>)"
    )
    p = add("instructions", cmd_instructions,
            "callgrind instructions per operation of the dict workloads, a variant beside baseline")
    variant_opts(p)
    p.add_argument(
        "--workloads", default="", help="comma-separated workloads of instructions_workload.py (default: all)"
    )
    p.add_argument("--reps", type=int, default=200, help="repetitions of each workload (default: 200)")
    p.add_argument("--interpreter", action="append", default=[], metavar="LABEL=PATH",
                   help="a further interpreter to count (repeatable), e.g. an older build")
    p.add_argument("--out", default="", help="also write the table as JSON here")
    add("clean", cmd_clean, "remove build/ and src/ (keeps downloads/ and results/)")
    p = add("verify", cmd_verify, "sanitizer (asan, tsan) and green-thread checks of the variants that ask for them")
    p.add_argument("--variants", default="", help="limit to these variants (default: all)")
    p.add_argument("--checks", default="", help=f"limit to these checks (default: all of {', '.join(CHECK_NAMES)})")
    p.add_argument("--jobs", type=int, default=None)
    p = add("green-threads", cmd_green_threads, "gevent and eventlet, monkey-patched, on one variant against baseline")
    p.add_argument("--variant", default="native_condition", help="a variant from variants.toml")
    p.add_argument("--flavor", default=DEFAULT_FLAVOR)
    p.add_argument("--jobs", type=int, default=None)
    p = add(
        "test", cmd_test, "harness tests + patch lint + build and regrtest every variant + asan and green-thread checks"
    )
    p.add_argument("--variants", default="", help="limit to these variants (default: all)")
    p.add_argument("--jobs", type=int, default=None)
    p.add_argument("--list", action="store_true",
                   help="print the steps (what each runs, for which variants, how many) and run nothing")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return run_entry_point(lambda _: args.func(args), [], resumes="", sigterm=False)


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
