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


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The scripts/ modules that the file at ``path`` imports, anywhere in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            relative = node.level == 1
            absolute = node.level == 0 and node.module is not None and node.module.split(".")[0] == "scripts"
            if not (relative or absolute):
                continue
            parts = (node.module or "").split(".")[0 if relative else 1:]
            if parts and parts[0]:
                found.add(parts[0])  # from .x import y / from scripts.x import y
            else:
                found |= {alias.name for alias in node.names}  # from . import x / from scripts import x
        elif isinstance(node, ast.Import):
            found |= {alias.name.split(".")[1] for alias in node.names if alias.name.startswith("scripts.")}
    return (found & modules) - {path.stem}


def import_graph() -> dict[str, set[str]]:
    modules = {path.stem for path in SCRIPTS.glob("*.py")}
    return {path.stem: imports_of(path, modules) for path in sorted(SCRIPTS.glob("*.py"))}


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
    graph = {p.stem: imports_of(p, modules) for p in tmp_path.glob("*.py")}
    assert graph == {"a": {"b"}, "b": {"c"}, "c": {"a", "b"}}
    assert circles(graph) == [["a", "b", "c"]]


def test_the_publishing_modules_stay_apart():
    """report and charts read the sweep's grid, never the sweep; only publish reaches summary and report together."""
    graph = import_graph()
    assert "sweep" not in graph["report"] | graph["charts"]
    assert "summary" not in graph["report"] and "publish" not in graph["report"] | graph["summary"]
    assert {"report", "summary"} <= graph["publish"]
