"""Windows builds as a dry run: the PCbuild command, CL and interpreter of every variant and flavor.

No Windows machine is available here, so these tests pin down what the harness would
run there, from variants.toml itself: a row whose Windows settings drift (a define
lost, a flag for the wrong flavor) fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts import build as builder
from scripts import pcbuild
from scripts.__main__ import dry_run_text, main
from scripts.config import load_pin
from scripts.errors import UsageError

VERSION = load_pin().version
MAJOR_MINOR = ".".join(VERSION.split(".")[:2])
VARIANTS = ("baseline", "freethreaded", "tight_dict", "native_condition", "sem_condvar", "io_gil", "plus")
FLAVORS = ("release", "pgo", "debug")


def spec(variant: str, flavor: str = "release", setting_text: str = "") -> builder.BuildSpec:
    return builder.resolve(variant, flavor, setting_text=setting_text)


@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_and_flavor_has_a_windows_build(variant: str, flavor: str):
    s = spec(variant, flavor)
    plan = s.windows
    assert plan.command == (r"PCbuild\build.bat", "-p", "x64", "-e", *s.flavor.windows_args, *s.variant.windows_args)
    assert plan.tree == s.directory / "cpython"  # its own copy: PCbuild writes into the tree
    assert plan.interpreter.parent == plan.tree / "PCbuild" / "amd64"
    freethreaded = "--disable-gil" in plan.command
    assert freethreaded == (variant == "freethreaded")
    assert ("--pgo" in plan.command) == (flavor == "pgo")
    assert ("-d" in plan.command) == (flavor == "debug")
    expected = ("python" + (f"{MAJOR_MINOR}t" if freethreaded else "") + ("_d" if flavor == "debug" else "") + ".exe")
    assert plan.interpreter.name == expected
    # every Windows define of the row reaches cl.exe, in CL's spelling
    for define in s.windows_defines:
        name, _, value = define.partition("=")
        assert f"/D{name}#{value}" in plan.cl.split()
    assert len(plan.cl.split()) == len(s.windows_defines)


def test_variant_specific_settings():
    assert spec("sem_condvar").windows.cl == "/D_PY_EMULATED_WIN_CV#1"  # CPython's own emulation
    assert spec("io_gil").windows.cl == "/DPy_GIL_IO_PRIORITY_DEFAULT#1"
    assert spec("baseline").windows.cl == "" and spec("native_condition").windows.cl == ""
    plus = spec("plus").windows.cl.split()
    assert "/DPy_GIL_IO_PRIORITY_DEFAULT#1" in plus and "/DPy_DICT_DECOUPLED#1" in plus
    assert spec("freethreaded", "debug").windows.interpreter.name == f"python{MAJOR_MINOR}t_d.exe"


def test_dict_setting_replaces_the_rows_windows_knobs():
    cl = spec("tight_dict", setting_text="growth=3/2").windows.cl.split()
    assert "/DPy_DICT_GROWTH_NUM#3" in cl and "/DPy_DICT_GROWTH_DEN#2" in cl
    assert "/DPy_DICT_GROWTH_NUM#5" not in cl


def test_env_keeps_the_users_cl_and_appends_ours():
    plan = spec("io_gil").windows
    assert plan.env({"PATH": "x"})["CL"] == "/DPy_GIL_IO_PRIORITY_DEFAULT#1"
    assert plan.env({"CL": "/MP"})["CL"] == "/MP /DPy_GIL_IO_PRIORITY_DEFAULT#1"
    assert "CL" not in spec("baseline").windows.env({"PATH": "x"})


def test_cl_refuses_what_it_cannot_carry():
    assert pcbuild.cl_defines(["A=1", "FLAG"]) == "/DA#1 /DFLAG"
    for bad in ("A=1 2", 'A="x"', "A=b=c", "1A=2", "A=#"):
        with pytest.raises(UsageError):
            pcbuild.cl_defines([bad])


def test_pgo_and_debug_together_are_refused():
    with pytest.raises(UsageError, match="--pgo"):
        pcbuild.build_flags(("--pgo",), ("-d",))


def test_running_pcbuild_off_windows_says_so(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(pcbuild.os, "name", "posix")
    with pytest.raises(Exception, match="only on Windows"):
        pcbuild.run(spec("baseline").windows, tmp_path / "log", run_logged=None)


def test_copy_tree_is_complete_or_absent(tmp_path: Path):
    source = tmp_path / "src"
    (source / "PCbuild").mkdir(parents=True)
    (source / "PCbuild" / "build.bat").write_text("@echo off\n")
    target = tmp_path / "build" / "cpython"
    target.parent.mkdir()
    pcbuild.copy_tree(source, target)
    assert (target / "PCbuild" / "build.bat").read_text() == "@echo off\n"
    (target / "PCbuild" / "amd64").mkdir()  # build output survives a second call
    pcbuild.copy_tree(source, target)
    assert (target / "PCbuild" / "amd64").is_dir()
    assert not (tmp_path / "build" / "cpython.partial").exists()


def test_cli_dry_run_prints_the_windows_build_and_runs_nothing(capsys, monkeypatch):
    def no_build(*args, **kwargs):
        raise AssertionError("a dry run must not build")

    monkeypatch.setattr(builder, "build", no_build)
    assert main(["build", "--variant", "sem_condvar", "--flavor", "debug", "--dry-run", "--platform", "windows"]) == 0
    out = capsys.readouterr().out
    assert "set CL=/D_PY_EMULATED_WIN_CV#1" in out
    assert r"PCbuild\build.bat -p x64 -e -d" in out
    assert "python_d.exe" in out and "get_gil_condvar" in out


def test_cli_dry_run_on_linux_shows_configure(capsys):
    assert main(["build", "--variant", "io_gil", "--dry-run", "--platform", "posix", "--jobs", "3"]) == 0
    out = capsys.readouterr().out
    assert "configure CFLAGS_NODIST=-DPy_GIL_IO_PRIORITY_DEFAULT=1" in out and "make -j3" in out


def test_unknown_variant_in_dry_run_lists_the_valid_ones(capsys):
    assert main(["build", "--variant", "nope", "--dry-run", "--platform", "windows"]) == 2
    assert "valid variants: baseline" in capsys.readouterr().err


def test_dry_run_text_names_the_interpreter_for_both_platforms():
    s = spec("freethreaded")
    assert f"python{MAJOR_MINOR}t.exe" in dry_run_text(s, "windows", None)
    assert str(s.directory / "python") in dry_run_text(s, "posix", 2)
