"""Each benchmark family reads through its own view; report.py and charts.py name no benchmark row.

A new benchmark family adds its folder, its MANIFEST line, its jobs and a view
(scripts/views/), registered in ``views.VIEWS``: these tests fail when one of them is
missing, or when family knowledge creeps back into the generic modules.
"""

from __future__ import annotations

import ast
import re

from conftest import REPO
from scripts import benchmarks, verifications, views
from scripts.patch_hooks import settings


def test_every_benchmark_of_the_manifest_and_the_external_suite_has_a_view():
    benches = {view.bench for view in views.VIEWS}
    for name in [*benchmarks.manifest_names(), benchmarks.PYPERFORMANCE]:
        assert name in benches, f"bench {name} has no view in scripts/views/ (register it in views.VIEWS)"
    assert benches <= {*benchmarks.manifest_names(), benchmarks.PYPERFORMANCE}


def test_views_have_unique_names_and_both_callables():
    names = [view.name for view in views.VIEWS]
    assert len(names) == len(set(names))
    assert {"giltest", "testserver", "dict_memory", "pyperformance", "instructions"} <= set(names)
    for view in views.VIEWS:
        assert callable(view.sections) and callable(view.charts)


def test_charts_follow_the_manifest_and_the_external_suite_comes_last():
    order = [view.bench for view in views.in_chart_order()]
    manifest = benchmarks.manifest_names()
    assert order[-1] == benchmarks.PYPERFORMANCE
    assert [b for b in dict.fromkeys(order) if b in manifest] == manifest


def _string_constants(path) -> list[str]:
    """Every string literal of a module but its docstrings."""
    tree = ast.parse(path.read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body
                  and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


# Rows and row families of each benchmark family, and their charts, as the views name them.
FAMILY_ROWS = re.compile(
    r"handoff_|mixed_io|io_latency|cpu_1thread|compute_release|gil_switch|lock_with_pass|queue_put_get|"
    r"c1_close|c10_|keepalive|mem_json_corpus|tracemalloc|getsizeof|dict_memory|giltest|testserver|"
    r"pyperformance_(time|memory)|dict_sizes|server_rps"
)


def test_report_and_charts_name_no_benchmark_row():
    """The generic modules' code (docstrings aside) holds no string naming a family's rows or charts."""
    for module in ("report.py", "charts.py", "tables.py"):
        found = [s for s in _string_constants(REPO / "scripts" / module) if FAMILY_ROWS.search(s)]
        assert not found, f"scripts/{module} names benchmark rows (move them to the family's view): {found}"


def test_family_constants_are_defined_once():
    """HANDOFF_PRIMITIVES, MIXED_GAPS and SERVER_SCENARIOS live in their family's view alone."""
    for name in ("HANDOFF_PRIMITIVES", "MIXED_GAPS", "SERVER_SCENARIOS", "GILTEST_OTHERS"):
        defined = [path.relative_to(REPO).as_posix() for path in sorted((REPO / "scripts").rglob("*.py"))
                   if re.search(rf"^{name}\b.*=", path.read_text(), re.M)]
        assert len(defined) == 1, (name, defined)


def _names(path) -> set[str]:
    """The identifiers a module's code uses: names, attributes and imported modules."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found |= {alias.name.split(".")[-1] for alias in node.names} | {(getattr(node, "module", "") or "")}
    return found


PATCH_WORDS = re.compile(r"\+dict-|0001-dict-sizing|0003-sem-condvar|verify-condvar")


def test_build_charts_and_main_ask_the_patch_hooks():
    """build, charts, __main__ and the report name neither the dict knobs' module and grammar nor the
    condvar proof in their code: they ask scripts/patch_hooks/."""
    for module in ("build.py", "charts.py", "__main__.py", "report.py"):
        path = REPO / "scripts" / module
        names = _names(path) & {"dict_sizing", "parse_slug", "KNOBS", "condvar_verify"}
        strings = [s for s in _string_constants(path) if PATCH_WORDS.search(s)]
        assert not names and not strings, f"scripts/{module}: {sorted(names)} {strings}; ask scripts/patch_hooks/"


def test_the_dict_setting_round_trips_through_its_hook():
    label = "tight_dict+dict-growth9_8-entries_min2"
    name, slug = settings.split_label(label)
    assert (name, settings.base_variant(label)) == ("tight_dict", "tight_dict")
    requested = settings.requested(slug, "")
    overrides = settings.overrides_of(name, ("0001-dict-sizing.patch",), [], requested)
    assert settings.label_suffix(("0001-dict-sizing.patch",), overrides) == "+" + slug
    assert settings.legend(label) == "tight_dict growth 9/8, entries_min 2"
    assert settings.legend("native_condition@536a938a12") == "native_condition@536a938a12"
    assert settings.requested("", "growth=5/4") == {"growth": "5/4"}


def test_each_verification_is_a_command_and_a_step():
    from scripts import __main__ as cli
    from scripts import steps

    commands = cli.parser()._subparsers._group_actions[0].choices
    step_names = {step.name for step in steps.MAKE_TEST}
    for check in verifications.VERIFICATIONS:
        assert check.command in commands and check.command in step_names
        assert commands[check.command].parse_args([]).variant == check.variant
