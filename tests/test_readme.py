"""README.md stays true to the tables and commands it documents."""

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


def test_dockerfile_runs_readme_commands():
    """Every make command the Dockerfile runs is one the README documents."""
    import json

    readme = (REPO / "README.md").read_text()
    commands = []
    for line in (REPO / "Dockerfile").read_text().splitlines():
        if line.startswith("RUN "):
            commands += re.findall(r"\bmake [a-z-]+(?: [A-Z]+=\S+)*", line)
        elif line.startswith("CMD "):
            commands.append(" ".join(json.loads(line[4:])))
    assert commands, "the Dockerfile should use the README's make commands"
    for command in commands:
        assert command in readme, f"{command!r} is not in README.md"
