"""The variants table and the pin: the real files load, and bad rows are refused clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPO, run_cli
from scripts.config import build_name, load_pin, load_table
from scripts.errors import UsageError

GOOD_ROW = """
[variants.baseline]
description = "upstream"
patches = []
configure_args = []
windows_args = []
defines = []
windows_defines = []
signature = ["sys._is_gil_enabled()"]
regrtest = ["test_dict"]

[flavors.release]
description = "default"
configure_args = []
windows_args = []
signature = ["True"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "variants.toml"
    path.write_text(text)
    return path


def test_real_tables_load():
    pin = load_pin()
    assert pin.version == "3.13.5"
    assert pin.sha256 == "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"
    from scripts.patches import read_series

    table = load_table(series=[p.name for p in read_series(pin)])
    assert {"baseline", "freethreaded", "tight_dict", "plus"} <= set(table.variants)
    plus = table.variants["plus"]
    # plus carries every patch of the series, or names it in left_out with the reason
    assert {p.name for p in read_series(pin)} == set(plus.patches) | {p for p, _ in plus.left_out}
    assert all(set(v.patches) <= set(plus.patches) | {p for p, _ in plus.left_out} for v in table.variants.values())
    assert {"release", "pgo", "debug"} <= set(table.flavors)
    assert "--disable-gil" in table.variants["freethreaded"].configure_args
    assert table.variants["baseline"].patches == ()


def test_minimal_table(tmp_path):
    table = load_table(write(tmp_path, GOOD_ROW), series=[])
    assert table.variant("baseline").regrtest == ("test_dict",)


def test_unknown_variant_lists_valid_names(tmp_path):
    table = load_table(write(tmp_path, GOOD_ROW), series=[])
    with pytest.raises(UsageError, match="valid variants: baseline"):
        table.variant("nope")
    with pytest.raises(UsageError, match="valid flavors: release"):
        table.flavor("fast")


@pytest.mark.parametrize(
    "mutation, message",
    [
        (lambda t: t.replace('regrtest = ["test_dict"]', 'regrtest = ["test_dict"]\ncolour = "red"'), "unknown key"),
        (lambda t: t.replace('signature = ["sys._is_gil_enabled()"]\n', ""), "missing key"),
        (lambda t: t.replace('signature = ["sys._is_gil_enabled()"]', "signature = []"), "at least one check"),
        (lambda t: t.replace("variants.baseline", "variants.Base-Line"), "lowercase"),
        (lambda t: t.replace("variants.baseline", "variants.other"), "'baseline' variant must exist"),
        (lambda t: t.replace("patches = []", 'patches = ["0001-x.patch"]'), "not in patches"),
        (lambda t: t.replace("defines = []", 'defines = ["1BAD"]'), "not NAME or NAME=VALUE"),
        (lambda t: t.replace("flavors.release", "flavors.quick"), "default flavor"),
        (lambda t: t + "[oops", "not valid TOML"),
        (
            lambda t: t.replace(
                'regrtest = ["test_dict"]', 'regrtest = ["test_dict"]\nleft_out = { "0009-x.patch" = "slow" }'
            ),
            "not in patches",
        ),
        (
            lambda t: t.replace(
                'regrtest = ["test_dict"]', 'regrtest = ["test_dict"]\nleft_out = { "0009-x.patch" = "" }'
            ),
            "reason each is left out",
        ),
    ],
)
def test_bad_rows_are_refused(tmp_path, mutation, message):
    with pytest.raises(UsageError, match=message):
        load_table(write(tmp_path, mutation(GOOD_ROW)), series=[])


def test_left_out_patch_cannot_also_be_carried(tmp_path):
    text = GOOD_ROW.replace("patches = []", 'patches = ["0001-a.patch"]').replace(
        'regrtest = ["test_dict"]', 'regrtest = ["test_dict"]\nleft_out = { "0001-a.patch" = "slower" }'
    )
    with pytest.raises(UsageError, match="both carried and left out"):
        load_table(write(tmp_path, text), series=["0001-a.patch"])


def test_patch_order_must_follow_series(tmp_path):
    text = GOOD_ROW + GOOD_ROW.split("[flavors.release]")[0].replace("variants.baseline", "variants.both").replace(
        "patches = []", 'patches = ["0002-b.patch", "0001-a.patch"]'
    )
    with pytest.raises(UsageError, match="series order"):
        load_table(write(tmp_path, text), series=["0001-a.patch", "0002-b.patch"])


def test_build_name():
    assert build_name("baseline", "release") == "baseline"
    assert build_name("baseline", "debug") == "baseline-debug"


@pytest.mark.parametrize(
    "args, expected",
    [
        (["build", "--variant", "nope"], "valid variants: baseline, baseline_aa, freethreaded"),
        (["build", "--flavor", "nope"], "valid flavors: release, pgo, debug"),
        (["regrtest", "--variant", "nope", "--tests", "test_dict"], "valid variants"),
        (["regrtest", "--refleak", "--tests", "test_dict"], "needs a debug build"),
        (["test", "--variants", "nope"], "valid variants"),
    ],
)
def test_cli_bad_input_exits_2(args, expected):
    proc = run_cli(*args)
    assert proc.returncode == 2, proc.stderr
    assert expected in proc.stderr


def test_make_unknown_variant_exits_2():
    import subprocess

    proc = subprocess.run(["make", "-s", "build", "VARIANT=nope"], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "valid variants: baseline" in proc.stderr


@pytest.mark.parametrize(
    "target, expected",
    [
        (["build", "VARIANT=freethreaded", "FLAVOR=debug"], "-m scripts build --variant freethreaded --flavor debug"),
        (
            ["regrtest", "TESTS=test_dict test_sys", "REFLEAK=1"],
            '-m scripts regrtest --variant baseline --flavor release --tests "test_dict test_sys" --refleak',
        ),
        (["bench", "QUICK=1", "BENCH=giltest"], '--bench "giltest" --flavor release --quick'),
        (["report", "RUN=x"], '-m scripts report --run "x"'),
        (["test"], "-m scripts test"),
        (["lint-patches"], "-m scripts lint-patches"),
        (["deps"], "-m scripts deps"),
    ],
)
def test_make_targets_are_thin_calls_of_the_cli(target, expected):
    import subprocess

    proc = subprocess.run(["make", "-n", *target], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr  # no overridden recipes
    assert expected in proc.stdout


def _with_other(targets: str) -> str:
    """GOOD_ROW plus a variant 'other' carrying the given targets line."""
    other = GOOD_ROW.split("[flavors.release]")[0].replace("variants.baseline", "variants.other")
    return GOOD_ROW + other.replace('regrtest = ["test_dict"]', f'regrtest = ["test_dict"]\ntargets = {targets}')


def test_targets_are_read_with_their_margin(tmp_path):
    text = _with_other('[{ metric = "handoff_lock_cpu", goal = "better" }, '
                       '{ metric = "io_latency_cpu1.p50", goal = "no_worse", delta = 0.1 }, '
                       '{ metric = "mixed_io_cpu_500us.p50", goal = "at_most", bound = 0.0005 }]')
    other = load_table(write(tmp_path, text), series=[]).variant("other")
    assert [(t.metric, t.goal, t.delta, t.bound) for t in other.targets] == [
        ("handoff_lock_cpu", "better", 0.05, None), ("io_latency_cpu1.p50", "no_worse", 0.1, None),
        ("mixed_io_cpu_500us.p50", "at_most", 0.05, 0.0005)]


@pytest.mark.parametrize(
    "targets, message",
    [
        ('"handoff_lock_cpu"', "must be a list"),
        ('["handoff_lock_cpu"]', "must be a table"),
        ('[{ metric = "x", goal = "faster" }]', "goal must be one of"),
        ('[{ metric = "x" }]', "missing key"),
        ('[{ metric = "x y", goal = "better" }]', "not a benchmark name"),
        ('[{ metric = "x", goal = "no_worse", delta = 1.5 }]', "between 0 and 1"),
        ('[{ metric = "x", goal = "better", delta = 0.1 }]', "margin of a no_worse goal only"),
        ('[{ metric = "x", goal = "better" }, { metric = "x", goal = "no_worse" }]', "listed twice"),
        ('[{ metric = "x.p50", goal = "at_most" }]', "bound is required by"),
        ('[{ metric = "x", goal = "better", bound = 1.0 }]', "only allowed with"),
        ('[{ metric = "x", goal = "at_least", bound = -1 }]', "positive number"),
        ('[{ metric = "x", goal = "at_least", bound = true }]', "positive number"),
    ],
)
def test_bad_targets_are_refused(tmp_path, targets, message):
    with pytest.raises(UsageError, match=message):
        load_table(write(tmp_path, _with_other(targets)), series=[])


def test_every_declared_target_names_a_benchmark_the_harness_measures():
    """A typo in a target's metric would silently read 'not measured' in every report."""
    import re
    import subprocess
    import sys

    names = set()
    for script in ("bm_giltest", "bm_testserver", "bm_dict_memory"):
        names |= set(
            re.findall(r'"([a-z0-9_]+(?:\.[a-z0-9_]+)?)"', (REPO / "bench" / script / "run_benchmark.py").read_text())
        )
    names |= {"mem_json_corpus.tracemalloc", "mem_records_100k.tracemalloc", "mem_kwargs.tracemalloc"}
    derived = {f"{n}{s}" for n in names if n.startswith("io_latency_cpu") for s in (".p50", ".p99", ".over_1ms")}
    # giltest builds its mixed_io_cpu_<gap>.<stat> names; <gap>.gil_use comes from its joint lines
    giltest = subprocess.run([sys.executable, str(REPO / "bench" / "bm_giltest" / "run_benchmark.py"), "--list"],
                             capture_output=True, text=True, check=True).stdout.split()
    names |= set(giltest)
    derived |= {n.split(".")[0] + ".gil_use" for n in giltest if n.startswith("mixed_io_cpu_")}
    servers = {f"{s}{c}" for s in ("c1_close", "c1_keepalive", "c10_close", "c10_keepalive") for c in ("", "_cpu")}
    for variant in load_table().variants.values():
        for target in variant.targets:
            assert target.metric in names | derived | servers, (variant.name, target.metric)


@pytest.mark.parametrize(
    "row, message",
    [
        ('build_of = "nope"\nenviron = { A = "1" }', "build_of names no variant"),
        ('build_of = "baseline"\nenviron = {}', "at least one variable"),
        ('build_of = "baseline"\nenviron = { lower = "1" }', "uppercase"),
        ('build_of = "baseline"\nenviron = { A = 1 }', "values strings"),
        ('build_of = "baseline"\nenviron = { A = "1" }\npatches = []', "unknown key"),
        ('build_of = "twin"\nenviron = { A = "1" }', "not another runtime one"),
    ],
)
def test_bad_runtime_variants_are_refused(tmp_path, row, message):
    twin = '[variants.twin]\ndescription = "t"\nbuild_of = "baseline"\nenviron = { B = "0" }\n\n'
    text = GOOD_ROW + twin + f'[variants.other]\ndescription = "x"\n{row}\n'
    with pytest.raises(UsageError, match=message):
        load_table(write(tmp_path, text), series=[])


def test_a_runtime_variant_copies_its_builds_fields(tmp_path):
    text = GOOD_ROW + '[variants.twin]\ndescription = "t"\nbuild_of = "baseline"\nenviron = { B = "0" }\n'
    twin = load_table(write(tmp_path, text), series=[]).variant("twin")
    base = load_table(write(tmp_path, text), series=[]).variant("baseline")
    assert (twin.signature, twin.patches, twin.regrtest, twin.environ) == (
        base.signature,
        base.patches,
        (),
        (("B", "0"),),
    )
