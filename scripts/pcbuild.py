"""Windows builds with CPython's own PCbuild: the command line, environment and paths.

Everything that decides a Windows build is a pure function of the build spec here, so
it is checked on Linux by unit tests (a dry run) and run for real by ``build()`` on
Windows. The choices:

* ``PCbuild\\build.bat -p x64 -e`` in a private copy of the variant's source tree
  (build/<version>/<build>/cpython/). PCbuild writes its output into the tree it builds
  (PCbuild\\amd64\\), and several builds share one patched tree (baseline and
  freethreaded share the pristine one), so each build gets its own copy.
* The flavor's and the variant's ``windows_args`` are build.bat flags: ``--pgo``,
  ``-d`` (Debug), ``--disable-gil``.
* The variant's ``windows_defines`` reach the compiler through the ``CL`` environment
  variable, which cl.exe reads on every invocation, MSBuild's included. cl.exe does not
  accept ``=`` inside ``CL``; its documented spelling for ``/DNAME=VALUE`` there is
  ``/DNAME#VALUE``.
* The interpreter is PCbuild\\amd64\\python[3.13t][_d].exe: ``3.13t`` for a
  free-threaded build (python.props' PyExeName), ``_d`` for Debug.

Not verified on a Windows machine yet (none is available to the project's own
machines); README says so. The GitHub Actions workflow runs it on windows runners.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import HarnessError, UsageError

PLATFORM = "x64"
OUTPUT_DIR = ("PCbuild", "amd64")  # where build.bat -p x64 puts python.exe
TREE_DIR = "cpython"  # the build's private copy of its source tree, inside the build folder
VSWHERE = (
    Path(os.environ.get("ProgramFiles(x86)", r"C:\Program Files (x86)"))
    / "Microsoft Visual Studio"
    / "Installer"
    / "vswhere.exe"
)


@dataclass(frozen=True)
class WindowsBuild:
    """One PCbuild invocation, fully decided: what a dry run prints and a real run executes."""

    tree: Path  # the source tree build.bat runs in (the build's own copy)
    command: tuple[str, ...]  # relative to ``tree``
    cl: str  # the value of the CL environment variable ("" when no defines)
    interpreter: Path

    def env(self, base: Mapping[str, str]) -> dict[str, str]:
        """``base`` with our defines in CL, after any the user already set there."""
        env = dict(base)
        if self.cl:
            env["CL"] = f"{base['CL']} {self.cl}" if base.get("CL") else self.cl
        return env

    def describe(self) -> str:
        """The build as a user would type it in cmd.exe."""
        prefix = f"set CL={self.cl}\n" if self.cl else ""
        return f"{prefix}cd {self.tree}\n{' '.join(self.command)}"


def cl_defines(defines: list[str] | tuple[str, ...]) -> str:
    """The CL value for ``NAME=VALUE`` defines: ``/DNAME#VALUE`` (cl.exe's spelling in CL)."""
    parts = []
    for define in defines:
        name, eq, value = define.partition("=")
        if not name.isidentifier():
            raise UsageError(f"windows define {define!r}: {name!r} is not a C identifier")
        if any(c in value for c in ' \t"#='):
            raise UsageError(
                f"windows define {define!r}: CL cannot carry spaces, quotes, '#' or a second '=' in a value"
            )
        parts.append(f"/D{name}#{value}" if eq else f"/D{name}")
    return " ".join(parts)


def build_flags(flavor_args: tuple[str, ...], variant_args: tuple[str, ...]) -> list[str]:
    """build.bat's flags: platform, externals, then the flavor's and the variant's own."""
    flags = ["-p", PLATFORM, "-e", *flavor_args, *variant_args]
    if "--pgo" in flags and "-d" in flags:
        raise UsageError("build.bat --pgo overrides -d: a PGO debug build does not exist; pick one flavor")
    return flags


def interpreter_name(flags: list[str] | tuple[str, ...], version: str) -> str:
    """python.exe, python_d.exe, python3.13t.exe or python3.13t_d.exe."""
    major_minor = ".".join(version.split(".")[:2])
    stem = f"python{major_minor}t" if "--disable-gil" in flags else "python"
    debug = "-d" in flags and "--pgo" not in flags
    return f"{stem}{'_d' if debug else ''}.exe"


def plan(build_dir: Path, version: str, flavor_args: tuple[str, ...], variant_args: tuple[str, ...],
         defines: list[str] | tuple[str, ...]) -> WindowsBuild:
    """Decide the whole Windows build of one variant in one flavor (no side effects)."""
    flags = build_flags(flavor_args, variant_args)
    tree = build_dir / TREE_DIR
    return WindowsBuild(
        tree=tree,
        command=(r"PCbuild\build.bat", *flags),
        cl=cl_defines(defines),
        interpreter=tree.joinpath(*OUTPUT_DIR, interpreter_name(flags, version)),
    )


def missing_tools() -> list[str]:
    """What a Windows build needs and this machine lacks, each with where to get it."""
    missing = []
    if not shutil.which("git"):
        missing.append("git (Git for Windows: the patch series is applied with git apply)")
    if not VSWHERE.is_file():
        missing.append("Visual Studio 2022 or its Build Tools with the 'Desktop development with C++' workload")
    return missing


def copy_tree(source_tree: Path, tree: Path) -> None:
    """Give the build its own copy of ``source_tree`` (skipped when the copy is complete)."""
    stamp = tree / ".harness-copied-from"
    if stamp.is_file() and stamp.read_text().strip() == str(source_tree):
        return
    if tree.exists():
        shutil.rmtree(tree)
    staging = tree.with_name(tree.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(source_tree, staging)
    os.replace(staging, tree)
    stamp.write_text(f"{source_tree}\n")


def run(build: WindowsBuild, log: Path, run_logged) -> None:
    """Run build.bat (through ``run_logged``, which shows progress and keeps the log)."""
    if os.name != "nt":
        raise HarnessError("PCbuild runs only on Windows; on Linux this module only plans (see --dry-run)")
    missing = missing_tools()
    if missing:
        raise HarnessError("cannot build on Windows, missing: " + "; ".join(missing))
    run_logged(["cmd", "/c", *build.command], build.tree, log, "PCbuild\\build.bat", env=build.env(os.environ))
    if not build.interpreter.is_file():
        raise HarnessError(f"build.bat finished but {build.interpreter} does not exist; see {log}")

