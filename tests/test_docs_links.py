"""Every relative link in README.md, docs/ and results/README.md leads somewhere.

The README links out to docs/ and results/ pages, and those pages link back into the
tree (patches, scripts, run folders); a page moved or a heading renamed breaks them
silently. A link's file (or folder) must exist, and its #anchor must be a heading of
the page it names, spelled as GitHub spells heading anchors.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import REPO

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), REPO / "results" / "README.md"]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def without_code(text: str) -> str:
    """The page with fenced blocks dropped and inline code spans blanked."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "x", text)


def anchors(page: Path) -> set[str]:
    """GitHub's anchors for the page's headings: lower case, punctuation dropped, spaces to hyphens."""
    seen: dict[str, int] = {}
    out = set()
    for heading in re.findall(
        r"^#{1,6} +(.+?) *$", re.sub(r"^```.*?^```", "", page.read_text(), flags=re.S | re.M), re.M
    ):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def relative_links(page: Path) -> list[str]:
    return [t for t in LINK.findall(without_code(page.read_text())) if not re.match(r"[a-z]+:", t)]


def test_the_readme_links_every_docs_page_and_the_results_index():
    linked = {(REPO / t.partition("#")[0]).resolve() for t in relative_links(REPO / "README.md")}
    for page in PAGES[1:]:
        assert page in linked, f"README.md does not link {page.relative_to(REPO)}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_resolves(page):
    broken = []
    for target in relative_links(page):
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{target}: no heading #{anchor} in {dest.relative_to(REPO)}")
    assert not broken, f"{page.relative_to(REPO)}: " + "; ".join(broken)
