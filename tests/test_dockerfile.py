"""The Dockerfile is the documented commands: every RUN step and the docker build/run
lines are in docs/platforms.md, the default command is README.md's main job.

There is no Docker engine on the project's machines, so the image is not built here;
this keeps it from drifting away from what the docs tell a newcomer to type.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Commands that only make the image smaller: not something a user types.
IMAGE_ONLY = {"rm -rf /var/lib/apt/lists/*"}


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, argument) pairs of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (REPO / "Dockerfile").read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            pairs.append((word.upper(), " ".join(rest.split())))
    return pairs


README = REPO / "README.md"
PLATFORMS = REPO / "docs" / "platforms.md"


def sh_commands(page: Path) -> set[str]:
    """Every line of the page's sh code blocks, whitespace normalised, comments dropped."""
    text = page.read_text()
    lines = set()
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.splitlines():
            line = line.split(" #")[0].strip().removeprefix("sudo ")
            if line:
                lines.add(" ".join(line.split()))
    return lines


def test_every_run_step_is_a_platforms_page_command():
    documented = sh_commands(PLATFORMS)
    runs = [arg for word, arg in instructions() if word == "RUN"]
    assert runs, "the Dockerfile has no RUN step"
    for run in runs:
        for command in (c.strip() for c in run.split("&&")):
            if command not in IMAGE_ONLY:
                assert command in documented, f"Dockerfile runs {command!r}, which docs/platforms.md does not show"


def test_default_command_is_the_readme_main_job():
    cmd = [arg for word, arg in instructions() if word == "CMD"]
    assert len(cmd) == 1
    assert " ".join(json.loads(cmd[0])) in sh_commands(README)


def test_platforms_page_shows_how_to_build_and_run_the_image():
    header = (REPO / "Dockerfile").read_text()
    documented = sh_commands(PLATFORMS)
    for usage in re.findall(r"^# (?:Build|Run):\s+(.*)$", header, re.M):
        assert " ".join(usage.split()) in documented, f"docs/platforms.md does not show {usage!r}"


def test_the_image_is_debian_12_like_the_machines():
    assert ("FROM", "debian:bookworm") in instructions()
    ignored = (REPO / ".dockerignore").read_text().split()
    assert "build/" in ignored and ".venv/" in ignored  # never copy a host's builds into the image
