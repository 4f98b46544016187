"""The Dockerfile is the README's commands: every RUN step and the default command.

There is no Docker engine on the project's machines, so the image is not built here;
this keeps it from drifting away from what the README tells a newcomer to type.
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


def readme_commands() -> set[str]:
    """Every line of the README's sh code blocks, whitespace normalised, comments dropped."""
    text = (REPO / "README.md").read_text()
    lines = set()
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.splitlines():
            line = line.split(" #")[0].strip().removeprefix("sudo ")
            if line:
                lines.add(" ".join(line.split()))
    return lines


def test_every_run_step_is_a_readme_command():
    documented = readme_commands()
    runs = [arg for word, arg in instructions() if word == "RUN"]
    assert runs, "the Dockerfile has no RUN step"
    for run in runs:
        for command in (c.strip() for c in run.split("&&")):
            if command not in IMAGE_ONLY:
                assert command in documented, f"Dockerfile runs {command!r}, which README.md does not show"


def test_default_command_is_the_readme_main_job():
    cmd = [arg for word, arg in instructions() if word == "CMD"]
    assert len(cmd) == 1
    assert " ".join(json.loads(cmd[0])) in readme_commands()


def test_readme_shows_how_to_build_and_run_the_image():
    header = (REPO / "Dockerfile").read_text()
    documented = readme_commands()
    for usage in re.findall(r"^# (?:Build|Run):\s+(.*)$", header, re.M):
        assert " ".join(usage.split()) in documented, f"README.md does not show {usage!r}"


def test_the_image_is_debian_12_like_the_machines():
    assert ("FROM", "debian:bookworm") in instructions()
    ignored = (REPO / ".dockerignore").read_text().split()
    assert "build/" in ignored and ".venv/" in ignored  # never copy a host's builds into the image
