"""Install what the project needs: CPython's build dependencies and the harness venv.

Build dependencies come from the system's package manager (apt-get on Debian and
Ubuntu, with sudo when not root); the harness venv (``.venv``) gets the exact pins of
``requirements.txt``. Both steps are skipped when nothing is missing, so every command
can call ``ensure_*`` cheaply before it starts.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from . import ui
from .config import ROOT
from .errors import HarnessError

# What CPython 3.13 needs to build with all its optional modules, plus the harness's tools:
# ccache (cheap rebuilds), apache2-utils and wrk (HTTP load generators), git (git apply),
# python3-venv (the harness venv on Debian's python3).
APT_PACKAGES = (
    "build-essential", "pkg-config", "ccache", "git", "xz-utils", "python3-venv",
    "libbz2-dev", "libffi-dev", "libgdbm-dev", "libgdbm-compat-dev", "liblzma-dev",
    "libncurses-dev", "libreadline-dev", "libsqlite3-dev", "libssl-dev", "tk-dev",
    "uuid-dev", "zlib1g-dev", "apache2-utils", "wrk",
    # the semaphore condvar's model check and stress test (make verify-condvar)
    "spin", "valgrind",
)  # fmt: skip

# Tools a build cannot do without, and the Debian package that provides each.
BUILD_TOOLS = {
    "gcc": "build-essential",
    "make": "make",
    "pkg-config": "pkg-config",
    "tar": "tar",
    "xz": "xz-utils",
    "git": "git",
}

VENV = ROOT / ".venv"
REQUIREMENTS = ROOT / "requirements.txt"


def venv_python() -> Path:
    """The harness venv's interpreter (Scripts\\python.exe on Windows)."""
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def missing_packages(packages: tuple[str, ...] = APT_PACKAGES) -> list[str]:
    """Packages from ``packages`` that dpkg does not report installed ([] without dpkg)."""
    if not shutil.which("dpkg-query"):
        return []
    proc = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package} ${db:Status-Status}\n", *packages],
        capture_output=True, text=True,
    )  # fmt: skip
    installed = {line.split()[0] for line in proc.stdout.splitlines() if line.endswith(" installed")}
    return [p for p in packages if p not in installed]


def missing_tools() -> dict[str, str]:
    """Build tools not on PATH, mapped to the package that provides them."""
    return {tool: pkg for tool, pkg in BUILD_TOOLS.items() if not shutil.which(tool)}


def _apt_command() -> list[str]:
    if os.name == "nt" or not shutil.which("apt-get"):
        return []
    if os.geteuid() == 0:
        return ["apt-get"]
    return ["sudo", "-n", "apt-get"] if shutil.which("sudo") else []


def ensure_system_packages() -> None:
    """Install missing build dependencies with apt-get; fail naming them if that cannot be done.

    On Windows nothing is installed: PCbuild fetches its own externals, and what it
    cannot fetch (Visual Studio, git) is named.
    """
    if os.name == "nt":
        from . import pcbuild

        lacking = pcbuild.missing_tools()
        if lacking:
            raise HarnessError("missing for Windows builds: " + "; ".join(lacking))
        return
    missing = missing_packages()
    if not missing:
        tools = missing_tools()
        if tools:  # no dpkg (not Debian): we cannot install, only name what is needed
            raise HarnessError(
                "missing build tool(s): "
                + ", ".join(f"{tool} (package {pkg})" for tool, pkg in tools.items())
                + "; install them with your system's package manager"
            )
        return
    apt = _apt_command()
    if not apt:
        raise HarnessError(
            f"missing packages: {' '.join(missing)}; install them with: sudo apt-get install {' '.join(missing)}"
        )
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    ui.step(f"installing build dependencies with apt-get: {' '.join(missing)}")
    log = ROOT / "build" / "deps-apt.log"
    log.parent.mkdir(exist_ok=True)
    with log.open("w") as out:
        for args in (["update"], ["install", "-y", "--no-install-recommends", *missing]):
            proc = subprocess.run([*apt, *args], stdout=out, stderr=subprocess.STDOUT, env=env)
            if proc.returncode != 0:
                raise HarnessError(
                    f"'apt-get {args[0]}' failed (exit {proc.returncode}); see {log}. "
                    f"Packages needed: {' '.join(missing)}"
                )
    still = missing_packages()
    if still:
        raise HarnessError(f"apt-get ran but these packages are still missing: {' '.join(still)}")


def _requirements_digest() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def ensure_venv() -> Path:
    """Create or refresh .venv with the pinned requirements; return its python."""
    stamp = VENV / ".requirements-sha256"
    python = venv_python()
    if python.exists() and stamp.is_file() and stamp.read_text().strip() == _requirements_digest():
        return python
    if VENV.exists() and not python.exists():
        shutil.rmtree(VENV)  # a venv whose creation was interrupted
    ui.step(f"creating the harness venv {VENV.relative_to(ROOT)} with {REQUIREMENTS.name}")
    if not python.exists():
        proc = subprocess.run([sys.executable, "-m", "venv", str(VENV)], capture_output=True, text=True)
        if proc.returncode != 0:
            shutil.rmtree(VENV, ignore_errors=True)
            raise HarnessError(
                f"creating the venv failed: {proc.stderr.strip() or proc.stdout.strip()}\n"
                "on Debian/Ubuntu install python3-venv (make deps does this)"
            )
    log = ROOT / "build" / "deps-pip.log"
    log.parent.mkdir(exist_ok=True)
    with log.open("w") as out:
        proc = subprocess.run(
            [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-r", str(REQUIREMENTS)],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    if proc.returncode != 0:
        tail = "\n    ".join(log.read_text(errors="replace").strip().splitlines()[-5:])
        raise HarnessError(f"pip install -r requirements.txt failed; see {log}:\n    {tail}")
    stamp.write_text(_requirements_digest() + "\n")
    return python


def ensure_all() -> Path:
    """Everything: system packages, then the venv. Returns the venv's python."""
    ensure_system_packages()
    return ensure_venv()
