"""DICT="knob=value ..." settings: parsing, validation, names that parse back, builds they select."""

from __future__ import annotations

import pytest

from conftest import run_cli
from scripts import build as builder
from scripts import dict_sizing, sweep_grid
from scripts.errors import UsageError
from scripts.patch_hooks import dict_knobs, settings


def test_overrides_parse_and_normalise():
    assert dict_sizing.parse_overrides("log_minsize=02, growth=5/4 decoupled=yes presize=exact load=4") == {
        "log_minsize": "2", "growth": "5/4", "decoupled": "1", "presize": "exact", "load": "4/1"}


@pytest.mark.parametrize("text, message", [
    ("frob=1", "unknown knob 'frob'; knobs: log_minsize"),
    ("growth", "is not knob=value"),
    ("growth=fast", "growth takes a fraction like 5/4"),
    ("presize=maybe", "presize takes exact or upstream"),
    ("   ", "DICT is empty"),
])
def test_bad_overrides_are_refused_with_the_valid_choices(text, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace("/", "/")):
        dict_sizing.parse_overrides(text)


@pytest.mark.parametrize("overrides, problem", [
    ({"load": "1/3"}, "no longer holds 30 entries"),
    ({"load": "3/2"}, "load must be a fraction below 1"),
    ({"growth": "1/1"}, "growth must be above 1"),
    ({"log_minsize": "9"}, "log_minsize must be in 1..7"),
    ({"entries_min": "1"}, "need decoupled=1"),
    ({"growth_min": "4"}, "need decoupled=1"),
    ({"decoupled": "1", "growth_min": "0"}, "growth_min must be in 1..64"),
    ({"decoupled": "1", "growth_min": "65"}, "growth_min must be in 1..64"),
    ({"growth": "17/1"}, "growth must be at most 16"),
    ({"decoupled": "1", "entries_min": "6"}, "entries_min must fit the smallest table (5 entries)"),
    ({"log_minsize": "1", "load": "1/3"}, "must hold at least one entry"),
])
def test_invalid_sizings_fail_before_any_build(overrides, problem):
    with pytest.raises(UsageError, match="cannot be built: .*" + problem.replace("(", r"\(").replace(")", r"\)")):
        dict_sizing.overlay(dict_sizing.upstream(), overrides)


def test_upstream_sizing_has_no_defines_and_tight_round_trips_through_defines():
    assert dict_sizing.upstream().defines == ()
    tight = dict_sizing.overlay(dict_sizing.upstream(), dict_sizing.parse_overrides(
        "decoupled=1 growth=5/4 entries_min=1 presize=exact"))
    assert dict_sizing.from_defines(tight.defines) == tight
    assert dict_sizing.describe(tight) == "growth=5/4 decoupled=1 entries_min=1 presize=exact"


@pytest.mark.parametrize(
    "text",
    [
        "growth=9/8",
        "log_minsize=2 load=4/5 growth=3/2 decoupled=0",
        "presize=upstream entries_min=2",
        "growth=9/8 growth_min=4",
    ],
)
def test_slug_parses_back(text):
    overrides = dict_sizing.parse_overrides(text)
    name = dict_sizing.slug(overrides)
    assert "/" not in name and " " not in name
    assert dict_sizing.parse_slug(name) == overrides


def test_expected_report_matches_what_the_interpreter_answers():
    sizing = dict_sizing.overlay(dict_sizing.upstream(), {"decoupled": "1", "growth": "9/8"})
    report = sizing.expected_report()
    assert report == {"log_minsize": 3, "load": [2, 3], "growth": [9, 8], "decoupled": True,
                      "entries_min": 0, "growth_min": 1, "presize_exact": False}
    # The signature check evaluates against a stand-in module answering as the patch does.
    import sys
    import types

    answer = {
        "log_minsize": 3,
        "load": (2, 3),
        "growth": (9, 8),
        "decoupled": True,
        "entries_min": 0,
        "growth_min": 1,
        "presize_exact": False,
        "keys_header_size": 32,
        "entry_size": 24,
        "unicode_entry_size": 16,
    }
    fake = types.ModuleType("_testinternalcapi")
    fake.get_dict_sizing = lambda: dict(answer)
    sys.modules["_testinternalcapi"] = fake
    try:
        assert eval(sizing.signature_check()) is True
        answer["growth"] = (5, 4)
        assert eval(sizing.signature_check()) is False
    finally:
        del sys.modules["_testinternalcapi"]


def sizing_of(spec: builder.BuildSpec) -> dict_sizing.DictSizing:
    """The effective dict sizing of a build of a variant carrying the patch (the hook's)."""
    return dict_knobs.SETTING.sizing(spec.variant.defines, dict(spec.overrides))


def test_label_selects_a_distinct_build_with_the_overrides_applied():
    spec = builder.resolve("tight_dict", "release", setting_text="log_minsize=2 growth=3/2")
    assert spec.label == "tight_dict+dict-log_minsize2-growth3_2"
    assert spec.name == spec.label and spec.directory.name == spec.label
    again = builder.resolve(spec.label, "release")
    assert again.overrides == spec.overrides and again.key() == spec.key()
    tight = builder.resolve("tight_dict", "release")
    assert tight.key() != spec.key()
    defines = " ".join(spec.configure_args)
    assert (
        "-DPy_DICT_LOG_MINSIZE=2" in defines
        and "-DPy_DICT_GROWTH_NUM=3" in defines
        and "-DPy_DICT_GROWTH_DEN=2" in defines
    )
    assert "-DPy_DICT_DECOUPLED=1" in defines  # the rest of the row stays
    assert any("get_dict_sizing" in check for check in spec.signature)
    assert builder.resolve("tight_dict", "debug", setting_text="growth=3/2").name == "tight_dict+dict-growth3_2-debug"


def test_variants_without_the_patch_refuse_a_dict_setting():
    with pytest.raises(UsageError, match="Variants that have it: tight_dict"):
        builder.resolve("baseline", "release", setting_text="growth=3/2")
    assert settings.carried_by(builder.resolve("baseline", "release").variant.patches) is None
    assert builder.resolve("baseline", "release").overrides == ()
    assert not any("get_dict_sizing" in check for check in builder.resolve("baseline", "release").signature)


def test_cli_refuses_a_bad_dict_setting_with_exit_2():
    proc = run_cli("build", "--variant", "tight_dict", "--dict", "growth=1/2")
    assert proc.returncode == 2
    assert "growth must be above 1" in proc.stderr


def test_sweep_grid_is_valid_and_holds_the_naive_seed_preset_and_tight_dict():
    labels = sweep_grid.grid_labels()
    assert len(labels) == len(set(labels)) == len(sweep_grid.GRID)
    assert "tight_dict" in labels
    seed = sizing_of(builder.resolve(labels[0], "release"))
    assert dict_sizing.describe(seed) == "log_minsize=2 load=4/5 growth=3/2"
    for label in labels:
        builder.resolve(label, "release")


def test_defaults_label_resets_every_knob_the_row_changes():
    from scripts import dict_defaults

    label = dict_defaults.defaults_label()
    spec = builder.resolve(label, "release")
    assert sizing_of(spec) == dict_sizing.upstream()
    assert spec.defines == []  # the patch at upstream's knobs: no -D at all
    assert dict_sizing.PATCH in spec.variant.patches
