"""Building: no-op when nothing changed, resume after an interrupt, signature enforced, metadata written.

make and configure are replaced by stand-ins that 'build' a link to the interpreter
running the tests, so these tests exercise the harness's logic in seconds; the real
builds run in `make test`'s third step.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from conftest import make_pin
from scripts import build as builder
from scripts import deps
from scripts.config import load_table
from scripts.errors import HarnessError


@pytest.fixture
def fake_make(scratch_root, fake_tarball, monkeypatch):
    """Replace configure/make with stand-ins; return the list of commands they were asked to run."""
    monkeypatch.setenv("CPYTHON_TARBALL", str(fake_tarball))
    monkeypatch.setattr(deps, "ensure_system_packages", lambda: None)
    calls: list[str] = []

    def run_logged(cmd, cwd, log, label, heartbeat=20.0, env=None):
        calls.append(label)
        with log.open("a") as fh:
            fh.write(f"$ {' '.join(cmd)}\n")
        if label == "make":
            python = Path(cwd) / "python"
            if not python.exists():
                python.symlink_to(sys.executable)

    monkeypatch.setattr(builder, "run_logged", run_logged)
    return calls


def spec_for(variant: str, flavor: str = "release") -> builder.BuildSpec:
    pin = make_pin()
    table = load_table()  # patch membership is checked in test_config
    return builder.BuildSpec(pin, table.variant(variant), table.flavor(flavor), ())


@pytest.fixture
def pin_of_fake(fake_tarball):
    return make_pin(fake_tarball)


def host_spec(pin) -> builder.BuildSpec:
    """baseline, with a signature the interpreter running the tests satisfies."""
    table = load_table()  # patch membership is checked in test_config
    variant = table.variant("baseline")
    variant = type(variant)(**{**variant.__dict__, "signature": ("sys.version_info >= (3, 11)",)})
    return builder.BuildSpec(pin, variant, table.flavor("release"), ())


def test_build_writes_metadata_and_second_build_is_a_no_op(fake_make, pin_of_fake):
    spec = host_spec(pin_of_fake)
    path = builder.build(spec, jobs=2)
    meta = json.loads(path.read_text())
    assert meta["variant"] == "baseline" and meta["flavor"] == "release"
    assert meta["source_sha256"] == pin_of_fake.sha256
    assert meta["patches"] == [] and meta["configure_args"] == []
    assert meta["cores"] == os.cpu_count() and meta["machine"]
    assert all(check["ok"] for check in meta["signature"])
    assert meta["build_key"] == spec.key()
    assert fake_make == ["configure", "make"]
    builder.build(spec, jobs=2)
    assert fake_make == ["configure", "make"]  # nothing changed: nothing ran


def test_interrupted_build_resumes_without_configure(fake_make, pin_of_fake):
    spec = host_spec(pin_of_fake)
    spec.directory.mkdir(parents=True)
    (spec.directory / ".harness-configured").write_text(spec.key() + "\n")  # configure finished, make did not
    builder.build(spec, jobs=2)
    assert fake_make == ["make"]


def test_changed_inputs_start_afresh(fake_make, pin_of_fake):
    spec = host_spec(pin_of_fake)
    spec.directory.mkdir(parents=True)
    (spec.directory / ".harness-configured").write_text("an older key\n")
    (spec.directory / "leftover.o").write_text("")
    builder.build(spec, jobs=2)
    assert fake_make == ["configure", "make"]
    assert not (spec.directory / "leftover.o").exists()


def test_signature_mismatch_is_refused(fake_make, pin_of_fake):
    table = load_table()  # patch membership is checked in test_config
    # The test interpreter has a GIL, so it is not the free-threaded build the name promises.
    spec = builder.BuildSpec(pin_of_fake, table.variant("freethreaded"), table.flavor("release"), ())
    with pytest.raises(HarnessError, match="signature checks failed") as info:
        builder.build(spec, jobs=2)
    assert "not sys._is_gil_enabled()" in str(info.value)
    assert not (spec.directory / "variant.json").exists()


def test_build_failure_shows_log_tail(tmp_path):
    log = tmp_path / "build.log"
    with pytest.raises(HarnessError) as info:
        builder.run_logged(
            [sys.executable, "-c", "print('compiling x'); print('error: boom'); raise SystemExit(2)"],
            tmp_path,
            log,
            "make",
        )
    assert "error: boom" in str(info.value) and str(log) in str(info.value)


def test_key_and_paths_follow_the_inputs():
    base = spec_for("baseline")
    debug = spec_for("baseline", "debug")
    free = spec_for("freethreaded")
    assert base.directory.name == "baseline" and debug.directory.name == "baseline-debug"
    assert base.directory.parent.name == "9.9.9"
    assert len({base.key(), debug.key(), free.key()}) == 3
    assert "--with-pydebug" in debug.configure_args
    assert base.signature[-1] == "not hasattr(sys, 'gettotalrefcount')"


def test_defines_go_to_cflags_nodist():
    spec = spec_for("baseline")
    variant = type(spec.variant)(**{**spec.variant.__dict__, "name": "x", "defines": ("PyDict_LOG_MINSIZE=2", "FOO")})
    spec = builder.BuildSpec(spec.pin, variant, spec.flavor, ())
    assert spec.configure_args[-1] == "CFLAGS_NODIST=-DPyDict_LOG_MINSIZE=2 -DFOO"


def test_missing_tool_names_its_package(monkeypatch):
    monkeypatch.setattr(deps, "missing_packages", lambda packages=deps.APT_PACKAGES: [])
    monkeypatch.setattr(deps.shutil, "which", lambda tool: None if tool == "gcc" else "/usr/bin/" + tool)
    with pytest.raises(HarnessError, match=r"gcc \(package build-essential\)"):
        deps.ensure_system_packages()


def test_missing_package_without_apt_says_how_to_install(monkeypatch):
    monkeypatch.setattr(deps, "missing_packages", lambda packages=deps.APT_PACKAGES: ["wrk", "ccache"])
    monkeypatch.setattr(deps, "_apt_command", list)
    with pytest.raises(HarnessError, match="sudo apt-get install wrk ccache"):
        deps.ensure_system_packages()


def test_every_tree_is_configured_through_the_same_relative_path(tmp_path: Path):
    """Two trees give identical compile command lines, so ccache compiles a file a patch leaves alone once."""
    trees = [tmp_path / "src" / "3.13.5" / name for name in ("pristine", "patched-0001-0004")]
    runs = []
    for tree, build_dir in zip(trees, ("baseline", "plus")):
        tree.mkdir(parents=True)
        (tree / "configure").write_text("#!/bin/sh\n")
        directory = tmp_path / "build" / "3.13.5" / build_dir
        directory.mkdir(parents=True)
        configure = builder.link_source(directory, tree)
        link = directory / builder.SOURCE_LINK
        assert not os.path.isabs(os.readlink(link)) and link.resolve() == tree.resolve()
        assert (directory / configure).resolve() == (tree / "configure").resolve()
        runs.append(configure)
    assert runs[0] == runs[1] == Path("./source/configure")
    # a folder whose tree changed is pointed at the new one
    builder.link_source(tmp_path / "build" / "3.13.5" / "plus", trees[0])
    assert (tmp_path / "build" / "3.13.5" / "plus" / builder.SOURCE_LINK).resolve() == trees[0].resolve()
