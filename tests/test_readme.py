"""README.md and the docs/ pages it links stay true to the tables and commands they document."""

from __future__ import annotations

import re

from conftest import REPO
from scripts import patches
from scripts.__main__ import variants_markdown
from scripts.config import load_pin, load_table


def test_readme_variants_table_matches_variants_toml():
    readme = (REPO / "README.md").read_text()
    match = re.search(r"<!-- variants:begin -->\n(.*?)\n<!-- variants:end -->", readme, re.S)
    assert match, "README.md lost its variants markers"
    table = load_table(series=[p.name for p in patches.read_series(load_pin())])
    assert match.group(1) == variants_markdown(table), "regenerate with: python -m scripts variants --markdown"


def test_readme_and_ci_name_the_test_command():
    assert "make test" in (REPO / "README.md").read_text()
    assert "make test" in (REPO / ".ci" / "run").read_text()


def test_readme_pyperformance_table_matches_the_subset_file():
    from scripts.benchmarks import pyperformance_markdown

    benchmarks_doc = (REPO / "docs" / "benchmarks.md").read_text()
    match = re.search(r"<!-- pyperformance:begin -->\n(.*?)\n<!-- pyperformance:end -->", benchmarks_doc, re.S)
    assert match, "docs/benchmarks.md lost its pyperformance markers"
    assert match.group(1) == pyperformance_markdown(), "regenerate with: python -m scripts bench --list-pyperformance"
