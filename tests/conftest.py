"""Shared fixtures: a scratch project root so tests never touch the real build/ or src/."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scripts.config import Pin  # noqa: E402


def make_pin(tarball: Path | None = None, top_dir: str = "Python-9.9.9") -> Pin:
    """A Pin for a fake release; its sha256 is the given tarball's (or zeros)."""
    sha = hashlib.sha256(tarball.read_bytes()).hexdigest() if tarball else "0" * 64
    return Pin(
        version="9.9.9",
        series="9.9",
        tarball="Python-9.9.9.tar.xz",
        sha256=sha,
        size=tarball.stat().st_size if tarball else 0,
        top_dir=top_dir,
        upstream_url="http://127.0.0.1:9/unreachable.tar.xz",
        debian_package="python9.9",
        debian_suite="nowhere",
        debian_orig="python9.9_9.9.9.orig.tar.xz",
    )


@pytest.fixture
def fake_tarball(tmp_path: Path) -> Path:
    """A tiny tar.xz laid out like a CPython release: Python-9.9.9/configure and one source file."""
    top = tmp_path / "content" / "Python-9.9.9"
    (top / "Objects").mkdir(parents=True)
    (top / "configure").write_text("#!/bin/sh\necho configured\n")
    (top / "Objects" / "dictobject.c").write_text("".join(f"line {i}\n" for i in range(1, 21)))
    path = tmp_path / "Python-9.9.9.tar.xz"
    with tarfile.open(path, "w:xz") as tar:
        tar.add(top, arcname="Python-9.9.9")
    return path


@pytest.fixture
def scratch_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every module's folders at a scratch root."""
    from scripts import build, patches, source

    root = tmp_path / "root"
    root.mkdir()
    monkeypatch.setattr(source, "DOWNLOADS", root / "downloads")
    monkeypatch.setattr(source, "SRC", root / "src")
    monkeypatch.setattr(build, "BUILD", root / "build")
    monkeypatch.setattr(build, "ROOT", root)
    monkeypatch.setattr(source, "ROOT", root)
    monkeypatch.setattr(patches, "ROOT", root)
    return root


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """Run ``python -m scripts`` from the repo as a user would."""
    return subprocess.run([sys.executable, "-m", "scripts", *args], cwd=REPO, capture_output=True, text=True)
