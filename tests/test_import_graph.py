"""No circle of imports among the modules of scripts/.

Five modules once imported each other in a circle (charts and report -> sweep -> matrix
-> report and summary -> report): none could be read, tested or changed alone. The
graph here counts every import of a scripts/ module, at the top of a file or inside a
function, since an import deferred into a function to dodge the circle is the circle
still.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

SCRIPTS = REPO / "scripts"


def module_name(path: Path, root: Path = SCRIPTS) -> str:
    """The dotted name of a module below ``root``: ``report``, ``views.giltest``; a package is its folder."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, modules: set[str], root: Path = SCRIPTS) -> set[str]:
    """The scripts/ modules that the file at ``path`` imports, anywhere in it.

    Names are dotted below scripts/ (``views.giltest``); an import of a package's
    module (``from .views import giltest``) counts as importing that module. A
    package's ``__init__`` that registers its own modules is not an edge back from
    them: they import what they share from a module of the package (``views.base``),
    never from the package itself, which this graph would show.
    """
    name = module_name(path, root)
    package = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".") if name else []
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else list(package)
            elif node.module is not None and node.module.split(".")[0] == "scripts":
                base = []
            else:
                continue
            words = (node.module or "").split(".")
            target = base + (words[1:] if node.level == 0 else [w for w in words if w])
            dotted = ".".join(target)
            candidates = [f"{dotted}.{alias.name}" if dotted else alias.name for alias in node.names]
            found |= {c for c in candidates if c in modules} or ({dotted} if dotted else set())
        elif isinstance(node, ast.Import):
            found |= {alias.name.split(".", 1)[1] for alias in node.names if alias.name.startswith("scripts.")}
    return (found & modules) - {name}


def import_graph() -> dict[str, set[str]]:
    files = sorted(path for path in SCRIPTS.rglob("*.py") if module_name(path))
    modules = {module_name(path) for path in files}
    return {module_name(path): imports_of(path, modules) for path in files}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in sorted(graph[module]):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while True:
                other = stack.pop()
                component.append(other)
                if other == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_no_module_of_scripts_imports_one_that_imports_it_back():
    graph = import_graph()
    found = circles(graph)
    described = ["; ".join(f"{m} -> {', '.join(sorted(graph[m] & set(c)))}" for m in c) for c in found]
    assert not found, "import circles among scripts/ modules: " + " | ".join(described)


def test_the_graph_sees_deferred_and_package_imports(tmp_path: Path):
    """The check would pass vacuously if the parser missed an import form."""
    (tmp_path / "a.py").write_text("from . import b\n")
    (tmp_path / "b.py").write_text("def f():\n    from .c import g\n")
    (tmp_path / "c.py").write_text("import scripts.a\nfrom scripts import b as bee\n")
    modules = {"a", "b", "c"}
    graph = {p.stem: imports_of(p, modules, tmp_path) for p in tmp_path.glob("*.py")}
    assert graph == {"a": {"b"}, "b": {"c"}, "c": {"a", "b"}}
    assert circles(graph) == [["a", "b", "c"]]


def test_the_graph_sees_into_packages(tmp_path: Path):
    """A subpackage (scripts/views/) is in the graph, so a circle through it is found too."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("from . import leaf\n")
    (tmp_path / "pkg" / "leaf.py").write_text("from .. import top\nfrom ..other import f\n")
    (tmp_path / "top.py").write_text("from .pkg import leaf\n")
    (tmp_path / "other.py").write_text("import scripts.pkg.leaf\n")
    files = sorted(tmp_path.rglob("*.py"))
    modules = {module_name(p, tmp_path) for p in files}
    graph = {module_name(p, tmp_path): imports_of(p, modules, tmp_path) for p in files}
    assert graph == {"pkg": {"pkg.leaf"}, "pkg.leaf": {"top", "other"}, "top": {"pkg.leaf"},
                     "other": {"pkg.leaf"}}
    assert circles(graph) == [["other", "pkg.leaf", "top"]]


def test_the_publishing_modules_stay_apart():
    """report and charts read the sweep's grid, never the sweep; only publish reaches summary and report together."""
    graph = import_graph()
    assert "sweep" not in graph["report"] | graph["charts"]
    assert "summary" not in graph["report"] and "publish" not in graph["report"] | graph["summary"]
    assert {"report", "summary", "runs_index"} <= graph["publish"]
    assert "report" not in graph["runs_index"]  # the index reads plans, nothing of a report


def test_views_use_the_generic_machinery_and_nothing_above_it():
    """A view reads the charts' and tables' machinery; report, summary and publish read the views, never the
    other way round, and charts.py knows no view."""
    graph = import_graph()
    view_modules = {m for m in graph if m.startswith("views.")}
    assert {"views.giltest", "views.testserver", "views.dict_memory", "views.pyperformance",
            "views.instructions"} <= view_modules
    for module in view_modules:
        assert not graph[module] & {"report", "summary", "publish", "runs_index", "views"}, module
    assert not {m for m in graph["charts"] | graph["tables"] if m.startswith("views")}
    assert "views" in graph["report"]
