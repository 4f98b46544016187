"""Build one variant in one flavor, out of tree, and prove it is what its name says.

``build/<version>/<variant>[-<flavor>]/`` is configured from the source tree of the
variant's patch set (the pristine tree when it has no patches). A key made of the
source, the patch set and the configure command is kept beside the build: a second
build with nothing changed is a no-op, an interrupted build resumes with ``make``, a
changed key starts the folder afresh. After building, the variant's and the flavor's
runtime signature are checked by the new interpreter and ``variant.json`` records
what was built.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from . import deps, folder_lock, patches, pcbuild, source, ui
from .config import ROOT, Flavor, Pin, Table, Variant, build_name, load_pin, load_table
from .errors import HarnessError, UsageError
from .patch_hooks import settings

BUILD = ROOT / "build"
SIGNATURE_SCRIPT = r"""
import json, sys, sysconfig, threading
results = []
for expr in json.loads(sys.argv[1]):
    try:
        ok, error = bool(eval(expr)), None
    except Exception as exc:
        ok, error = False, repr(exc)
    results.append({"check": expr, "ok": ok, "error": error})
print(json.dumps({"results": results, "version": sys.version}))
"""
# Variables that would change what a signature check sees (e.g. PYTHON_GIL=1 re-enables the GIL).
ENV_TO_CLEAR = ("PYTHON_GIL", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONDEVMODE", "PYTHONOPTIMIZE")


def clean_env() -> dict[str, str]:
    """The environment for running a built interpreter: ours, less what would change what it is."""
    return {k: v for k, v in os.environ.items() if k not in ENV_TO_CLEAR}


def flavor_env(spec: "BuildSpec", tree: Path) -> dict[str, str]:
    """The flavor's runtime_env with its placeholders filled in for this build.

    ``{source}`` is the build's source tree; ``{tsan_suppressions}`` CPython's own
    ThreadSanitizer suppressions for the build (the free-threaded file with --disable-gil).
    """
    free_threaded = "--disable-gil" in spec.configure_args
    suppressions = (
        tree / "Tools" / "tsan" / ("suppressions_free_threading.txt" if free_threaded else "suppressions.txt")
    )
    fields = {"source": str(tree), "tsan_suppressions": str(suppressions)}
    return {name: value.format(**fields) for name, value in spec.flavor.runtime_env}


def run_env(spec: "BuildSpec") -> dict[str, str]:
    """The environment for running a built interpreter: clean_env() plus the flavor's variables.

    Every run of a sanitizer build (signature check, regrtest, verification) goes through
    here, so ASAN_OPTIONS and TSAN_OPTIONS are the same wherever the interpreter runs.
    """
    env = clean_env()
    if spec.flavor.runtime_env:
        env.update(flavor_env(spec, ROOT / source_tree_of(spec)))
    return env


def source_tree_of(spec: "BuildSpec") -> str:
    """The source tree a finished build was made from (variant.json), relative to ROOT."""
    try:
        return json.loads((spec.directory / "variant.json").read_text())["source_tree"]
    except (OSError, KeyError, json.JSONDecodeError):
        raise HarnessError(
            f"{spec.name} is not built yet (no {spec.directory / 'variant.json'}); run make build first"
        ) from None


PROBE_SOURCE = "int main(void) { volatile int x = 1; return x - 1; }\n"


def probe_compiler(flavor: Flavor, cc: str = "gcc") -> None:
    """Fail before configure when ``cc`` cannot build and run a program with the flavor's flags.

    A sanitizer needs its runtime library (libasan, libubsan, libtsan); without it configure
    would fail deep in its log, or the build would fail at link time.
    """
    if not flavor.requires_cflags:
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="harness-probe-") as tmp:
        src, exe = Path(tmp) / "probe.c", Path(tmp) / "probe"
        src.write_text(PROBE_SOURCE)
        for flag in flavor.requires_cflags:
            try:
                built = subprocess.run([cc, flag, str(src), "-o", str(exe)], capture_output=True, text=True)
            except OSError as exc:
                raise HarnessError(f"flavor {flavor.name} needs a C compiler ({cc}): {exc}") from None
            ran = subprocess.run([str(exe)], capture_output=True, text=True) if built.returncode == 0 else None
            if built.returncode != 0 or ran is None or ran.returncode != 0:
                detail = (
                    (built.stderr if built.returncode != 0 else (ran.stderr if ran else "")).strip().splitlines()[-3:]
                )
                raise HarnessError(
                    f"flavor {flavor.name} needs {cc} {flag}, which does not work on this machine "
                    f"({'compile/link' if built.returncode != 0 else 'run'} failed: "
                    f"{' | '.join(detail) or 'no output'}). "
                    f"The runtime library is missing: on Debian it comes with the compiler's package (gcc-12 ships "
                    f"libasan8, libubsan1, libtsan2); install it, or pick another flavor."
                )


def ccache_env() -> dict[str, str]:
    """The environment for configure and make: ccache keys relative to the checkout.

    With CCACHE_BASEDIR the absolute paths of src/ and build/ become relative, and with
    CCACHE_NOHASHDIR the build folder is left out of the key, so another clone of the
    project (CI's) reuses the objects compiled here. Debug info may then name another
    folder; nothing reads it but a debugger.

    configure is run through ``SOURCE_LINK`` (see ``_build_posix``), so every source tree is
    compiled with the same command lines: a file a patch leaves alone is compiled once for
    all variants of a flavor, not once per tree.
    """
    return {**os.environ, "CCACHE_BASEDIR": str(ROOT), "CCACHE_NOHASHDIR": "1"}


# The link, inside a build folder, to the source tree it builds; configure is run as
# ./source/configure, so srcdir is "./source" in every build.
SOURCE_LINK = "source"


def link_source(directory: Path, tree: Path) -> Path:
    """Point ``directory/SOURCE_LINK`` at ``tree`` (relative link); return the configure to run."""
    link = directory / SOURCE_LINK
    target = os.path.relpath(tree, directory)
    if link.is_symlink() and os.readlink(link) != target:
        link.unlink()
    if not link.is_symlink():
        link.symlink_to(target, target_is_directory=True)
    return Path(".") / SOURCE_LINK / "configure"


@dataclass(frozen=True)
class BuildSpec:
    """Everything that decides what one build produces."""

    pin: Pin
    variant: Variant
    flavor: Flavor
    patches: tuple[patches.Patch, ...]
    overrides: settings.Overrides = ()  # a build setting's values laid over the row (DICT="knob=value ...")
    revision: str = ""  # PATCHES_FROM: the git commit the patches were taken from ("" = the work tree)

    @property
    def label(self) -> str:
        """The variant as the matrix and results name it: ``tight_dict``, ``tight_dict+dict-growth5_4``,
        or ``native_condition@536a938a12`` for a build of the patches as they were in that commit."""
        label = self.variant.name + settings.label_suffix(self.variant.patches, self.overrides)
        return label + (f"@{self.revision}" if self.revision else "")

    @property
    def name(self) -> str:
        return build_name(self.label, self.flavor.name)

    @property
    def defines(self) -> list[str]:
        """The variant's defines, with a build setting's (the dict knobs) replaced by the effective ones."""
        return self._with_sizing(self.variant.defines)

    @property
    def windows_defines(self) -> list[str]:
        """The same for the Windows build (the row's ``windows_defines``)."""
        return self._with_sizing(self.variant.windows_defines)

    def _with_sizing(self, defines: tuple[str, ...]) -> list[str]:
        return settings.defines(self.variant.patches, defines, self.overrides)

    @property
    def windows(self) -> pcbuild.WindowsBuild:
        """The PCbuild invocation of this build (decided on any platform: a dry run shows it)."""
        if "windows" not in self.flavor.platforms:
            raise UsageError(f"flavor {self.flavor.name} has no Windows build (PCbuild offers no such switch in "
                             f"{self.pin.version}); it builds on: {', '.join(self.flavor.platforms)}")
        return pcbuild.plan(self.directory, self.pin.version, self.flavor.windows_args,
                            self.variant.windows_args, self.windows_defines)

    @property
    def directory(self) -> Path:
        return BUILD / self.pin.version / self.name

    @property
    def python(self) -> Path:
        if os.name == "nt":
            return self.windows.interpreter
        return self.directory / ("python.exe" if sys.platform == "darwin" else "python")

    @property
    def configure_args(self) -> list[str]:
        args = [*self.flavor.configure_args, *self.variant.configure_args]
        if self.defines:
            # CFLAGS_NODIST: our defines shape the interpreter, not extension modules built later.
            args.append("CFLAGS_NODIST=" + " ".join(f"-D{d}" for d in self.defines))
        return args

    @property
    def signature(self) -> list[str]:
        extra = settings.signature(self.variant.patches, self.variant.defines, self.overrides)
        return [*self.variant.signature, *extra, *self.flavor.signature]

    def key(self) -> str:
        """Digest of the inputs: pinned source, patch set, configure command."""
        payload = json.dumps(
            {
                "source": self.pin.sha256,
                "patches": [[p.name, p.sha256] for p in self.patches],
                "configure": self.configure_args,
                **({"pcbuild": [*self.windows.command, self.windows.cl]} if os.name == "nt" else {}),
            },
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()


def resolve(variant_name: str, flavor_name: str, table: Table | None = None, pin: Pin | None = None,
            setting_text: str = "", patches_from: str = "") -> BuildSpec:
    """Validate the names (UsageError listing valid ones) and gather the build's inputs.

    ``variant_name`` may be a label such as ``tight_dict+dict-growth5_4`` (as results
    name a build with a setting laid over its row); ``setting_text`` is the setting's
    option of the command line (DICT="knob=value ..."). Either needs a variant carrying
    the setting's patch (scripts/patch_hooks/settings.py).
    """
    pin = pin or load_pin()
    series = patches.read_series(pin)
    table = table or load_table(series=[p.name for p in series])
    variant_name, slug_text = settings.split_label(variant_name)
    requested = settings.requested(slug_text, setting_text)
    variant = table.variant(variant_name)
    if variant.build_of:  # a runtime variant benchmarks another variant's build
        variant = table.variant(variant.build_of)
    flavor = table.flavor(flavor_name)
    overrides = settings.overrides_of(variant_name, variant.patches, settings.carriers(table.variants), requested)
    by_name = {p.name: p for p in series}
    chosen = [by_name[name] for name in variant.patches]
    revision = ""
    if patches_from:
        if not variant.patches:
            raise UsageError(f"PATCHES_FROM needs a variant with patches; {variant.name!r} has none")
        revision, chosen = patches.at_revision(pin, patches_from, list(variant.patches))
    spec = BuildSpec(pin, variant, flavor, tuple(chosen), overrides, revision)
    _ = spec.defines  # validates the effective setting before anything is built
    return spec


def harness_commit() -> str:
    """The harness's git commit, with '-dirty' when the work tree has uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        return head + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def compiler_version(cc: str = "gcc") -> str:
    """First line of the compiler's --version, or 'unknown'."""
    try:
        return subprocess.run([cc, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        return "unknown"


def run_logged(
    cmd: list[str], cwd: Path, log: Path, label: str, heartbeat: float = 20.0, env: dict[str, str] | None = None
) -> None:
    """Run a command with its output appended to ``log``; print a progress line now and then.

    On failure raise HarnessError with the log's last lines and its path.
    """
    start = time.monotonic()
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            while True:
                try:
                    proc.wait(timeout=heartbeat)
                    break
                except subprocess.TimeoutExpired:
                    ui.step(f"  {label}: {ui.format_duration(time.monotonic() - start)} so far; {_progress_hint(log)}")
        except KeyboardInterrupt:
            proc.terminate()
            proc.wait()
            raise
    if proc.returncode != 0:
        tail = "\n    ".join(log.read_text(errors="replace").splitlines()[-25:])
        raise HarnessError(
            f"{label} failed (exit {proc.returncode}). Last lines of {log}:\n    {tail}\nFull log: {log}"
        )
    ui.step(f"  {label} done in {ui.format_duration(time.monotonic() - start)}")


def _progress_hint(log: Path) -> str:
    """A short description of what the log shows last: the file being compiled, or its last line."""
    with log.open("rb") as fh:
        fh.seek(max(0, log.stat().st_size - 4000))
        tail = fh.read().decode(errors="replace")
    outputs = re.findall(r" -o (\S+)", tail)
    if outputs:
        return f"at {outputs[-1]}"
    lines = tail.strip().splitlines()
    return f"log: {lines[-1].strip()[:80]}" if lines else "no output yet"


def check_signature(python: Path, checks: list[str], env: dict[str, str] | None = None) -> dict:
    """Run the signature checks with the built interpreter; return its answer."""
    env = env if env is not None else clean_env()
    proc = subprocess.run(
        [str(python), "-c", SIGNATURE_SCRIPT, json.dumps(checks)], capture_output=True, text=True, env=env
    )
    if proc.returncode != 0:
        raise HarnessError(f"{python} could not run the signature check:\n{proc.stderr.strip()}")
    return json.loads(proc.stdout)


def _build_posix(spec: BuildSpec, jobs: int) -> Path:
    """configure (once per key) and make in the build folder; return the source tree used."""
    directory = spec.directory
    key = spec.key()
    deps.ensure_system_packages()
    pristine = source.pristine_tree(spec.pin)
    tree = patches.apply_set(pristine, list(spec.patches), tag=spec.revision)
    probe_compiler(spec.flavor)
    env = {**ccache_env(), **flavor_env(spec, tree)}  # make runs ./python: the sanitizer options apply there too
    config_stamp = directory / ".harness-configured"
    log = directory / "build.log"
    if not (config_stamp.is_file() and config_stamp.read_text().strip() == key):
        if directory.exists():
            ui.step(
                f"{spec.name}: inputs changed or configure was interrupted; "
                f"starting {directory.relative_to(ROOT)} afresh"
            )
            shutil.rmtree(directory)
        directory.mkdir(parents=True)
        cc = ["CC=ccache gcc"] if shutil.which("ccache") and shutil.which("gcc") else []
        configure = link_source(directory, tree)
        ui.step(f"{spec.name}: configuring {tree.relative_to(ROOT)} through {directory.name}/{SOURCE_LINK} "
                f"({' '.join(spec.configure_args) or 'no extra arguments'})")
        run_logged([str(configure), *spec.configure_args, *cc], directory, log, "configure", env=env)
        config_stamp.write_text(key + "\n")
    else:
        ui.step(f"{spec.name}: resuming an unfinished build in {directory.relative_to(ROOT)}")
    (directory / "variant.json").unlink(missing_ok=True)
    ui.step(f"{spec.name}: make -j{jobs} (log: {log.relative_to(ROOT)})")
    run_logged(["make", f"-j{jobs}"], directory, log, "make", env=env)
    return tree


def _build_windows(spec: BuildSpec) -> Path:
    """PCbuild\\build.bat in the build's own copy of its source tree; return the tree it came from."""
    pristine = source.pristine_tree(spec.pin)
    tree = patches.apply_set(pristine, list(spec.patches), tag=spec.revision)
    directory = spec.directory
    key = spec.key()
    stamp = directory / ".harness-key"
    if directory.exists() and not (stamp.is_file() and stamp.read_text().strip() == key):
        ui.step(f"{spec.name}: inputs changed; starting {directory.relative_to(ROOT)} afresh")
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stamp.write_text(key + "\n")
    plan = spec.windows
    ui.step(
        f"{spec.name}: copying {tree.relative_to(ROOT)} to {plan.tree.relative_to(ROOT)} (PCbuild builds in its tree)"
    )
    pcbuild.copy_tree(tree, plan.tree)
    (directory / "variant.json").unlink(missing_ok=True)
    log = directory / "build.log"
    ui.step(
        f"{spec.name}: {' '.join(plan.command)}"
        + (f" with CL={plan.cl}" if plan.cl else "")
        + f" (log: {log.relative_to(ROOT)})"
    )
    pcbuild.run(plan, log, run_logged)
    return tree


def build_lock(spec: BuildSpec) -> AbstractContextManager[None]:
    """An exclusive lock on one build folder: a second build of the same name waits, not tramples."""
    return folder_lock.exclusive(
        spec.directory.parent / f".{spec.name}.lock",
        lambda: ui.step(f"{spec.name}: another harness command is building it; waiting for it to finish"),
    )


def build(spec: BuildSpec, jobs: int | None = None) -> Path:
    """Build ``spec`` if needed (one build per folder at a time); return the path of its variant.json."""
    with build_lock(spec):
        return _build_locked(spec, jobs)


def _build_locked(spec: BuildSpec, jobs: int | None = None) -> Path:
    """Build ``spec`` if needed; return the path of its variant.json."""
    jobs = jobs or os.cpu_count() or 2
    directory = spec.directory
    metadata_path = directory / "variant.json"
    key = spec.key()
    if metadata_path.is_file() and spec.python.exists():
        try:
            recorded = json.loads(metadata_path.read_text()).get("build_key")
        except json.JSONDecodeError:
            recorded = None
        if recorded == key:
            ui.step(f"{spec.name}: up to date ({directory.relative_to(ROOT)}); nothing to do")
            return metadata_path
    started = time.monotonic()
    platform_name = "windows" if os.name == "nt" else "posix"
    if platform_name not in spec.flavor.platforms:
        raise UsageError(
            f"flavor {spec.flavor.name} cannot be built on {platform_name}; "
            f"it builds on: {', '.join(spec.flavor.platforms)}"
        )
    if os.name == "nt":
        tree = _build_windows(spec)
    else:
        tree = _build_posix(spec, jobs)

    answer = check_signature(spec.python, spec.signature, {**clean_env(), **flavor_env(spec, tree)})
    failed = [r for r in answer["results"] if not r["ok"]]
    if failed:
        lines = "\n  ".join(f"{r['check']}" + (f" ({r['error']})" if r["error"] else "") for r in failed)
        raise HarnessError(
            f"{spec.name}: the built interpreter is not what the variant says; "
            f"these signature checks failed:\n  {lines}\n"
            f"(build folder kept for inspection: {directory})"
        )
    ui.step(f"{spec.name}: signature holds ({len(answer['results'])} checks)")
    metadata = {
        "variant": spec.label,
        "patches_from": spec.revision or None,
        "base_variant": spec.variant.name,
        "flavor": spec.flavor.name,
        "description": spec.variant.description,
        "cpython_version": spec.pin.version,
        "source_sha256": spec.pin.sha256,
        "patches": [{"name": p.name, "sha256": p.sha256} for p in spec.patches],
        "patch_set": patches.set_id(list(spec.patches)) if spec.patches else None,
        "source_tree": str(tree.relative_to(ROOT)),
        "configure_args": spec.configure_args if os.name != "nt" else list(spec.windows.command),
        "defines": spec.defines if os.name != "nt" else spec.windows_defines,
        "compiler_env": {"CL": spec.windows.cl} if os.name == "nt" else {},
        "runtime_env": flavor_env(spec, tree),
        **settings.record(spec.variant.patches, spec.variant.defines, spec.overrides),
        "compiler": compiler_version() if os.name != "nt" else "msvc (PCbuild)",
        "ccache": shutil.which("ccache") is not None,
        "sys_version": answer["version"],
        "signature": answer["results"],
        "python": str(spec.python.relative_to(ROOT)),
        "machine": platform.machine(),
        "system": platform.system(),
        "cores": os.cpu_count(),
        "harness_commit": harness_commit(),
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "build_seconds": round(time.monotonic() - started, 1),
        "build_key": key,
    }
    tmp = metadata_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(metadata, indent=2) + "\n")
    os.replace(tmp, metadata_path)
    ui.step(f"{spec.name}: built in {ui.format_duration(metadata['build_seconds'])}: {spec.python.relative_to(ROOT)}")
    return metadata_path
