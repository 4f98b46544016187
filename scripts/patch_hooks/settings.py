"""Build settings: a patch's compile-time setting carried by a build's label and set on
the command line, behind one interface (``BuildSetting``) and one registry (``SETTINGS``).

A build label is ``<variant>[+<setting slug>][@<revision>]``; the slug names the
setting's values (``dict-growth5_4``) and parses back. scripts/build.py resolves labels
and makes a build's defines and signature through ``overrides_of``, ``defines``,
``signature`` and ``record``; scripts/charts.py and the report shorten labels with
``legend`` and find a swept build's variant with ``base_variant``; ``__main__`` adds
each setting's option (``options``). None of them names a patch.
"""

from __future__ import annotations

import argparse
from typing import Protocol

from ..errors import UsageError
from . import dict_knobs

Overrides = tuple[tuple[str, str], ...]  # a setting's (knob, value) pairs in the setting's own order


class BuildSetting(Protocol):
    """One patch's compile-time setting: its label grammar, command-line option and build inputs."""

    key: str  # the slug's prefix and the option's name: "dict" -> tight_dict+dict-..., --dict
    patch: str  # the patch a variant must carry to take the setting
    metavar: str
    help: str
    record_key: str  # variant.json's key for the effective values

    def parse_slug(self, slug: str) -> dict[str, str]: ...
    def parse_text(self, text: str) -> dict[str, str]: ...
    def slug(self, overrides: dict[str, str]) -> str: ...
    def ordered(self, overrides: dict[str, str]) -> Overrides: ...
    def defines(self, row_defines: tuple[str, ...], overrides: dict[str, str]) -> list[str]: ...
    def signature(self, row_defines: tuple[str, ...], overrides: dict[str, str]) -> list[str]: ...
    def record(self, row_defines: tuple[str, ...], overrides: dict[str, str]) -> object: ...
    def legend(self, overrides: dict[str, str]) -> str: ...
    def signature_note(self) -> str: ...


SETTINGS: tuple[BuildSetting, ...] = (dict_knobs.SETTING,)


def split_label(label: str) -> tuple[str, str]:
    """``tight_dict+dict-growth5_4`` -> (``tight_dict``, ``dict-growth5_4``); no setting: (label, '')."""
    name, _, slug = label.partition("+")
    return name, slug


def base_variant(label: str) -> str:
    """The variant of variants.toml a label builds (a swept label takes its variant's targets)."""
    return split_label(label)[0]


def _setting_of_slug(slug: str) -> BuildSetting | None:
    return next((s for s in SETTINGS if slug.startswith(f"{s.key}-")), None)


def carried_by(patches: tuple[str, ...] | list[str]) -> BuildSetting | None:
    """The setting of the first registered patch among ``patches`` (None: no setting applies)."""
    return next((s for s in SETTINGS if s.patch in patches), None)


def requested(slug: str, text: str) -> dict[str, str]:
    """The values a label's slug and the command line's setting text ask for, the text laid over the slug.

    The text is the first (today the only) setting's option. Bad values fail here, before
    the variant is looked up (the setting's own UsageError).
    """
    found: dict[str, str] = {}
    if slug:
        setting = _setting_of_slug(slug) or SETTINGS[0]  # an unknown prefix: the setting's own error names it
        found.update(setting.parse_slug(slug))
    if text:
        found.update(SETTINGS[0].parse_text(text))
    return found


def overrides_of(name: str, patches: tuple[str, ...], carriers: list[str], requested_values: dict[str, str]
                 ) -> Overrides:
    """The requested values in their setting's order, refused when the variant carries no setting's patch.

    ``carriers`` are the variants that do carry one (named in the refusal).
    """
    if not requested_values:
        return ()
    setting = carried_by(patches)
    if setting is None:
        wanted = SETTINGS[0]  # the only one registered; with more, the slug's prefix would name it
        raise UsageError(
            f"a {wanted.key} setting ({wanted.key.upper()}=...) needs a variant with the {wanted.patch} patch; "
            f"{name!r} has none. Variants that have it: {', '.join(carriers) or 'none'}"
        )
    return setting.ordered(requested_values)


def carriers(variants: dict) -> list[str]:
    """The variants of a table that carry a registered setting's patch."""
    return [n for n, v in variants.items() if carried_by(v.patches) is not None]


def label_suffix(patches: tuple[str, ...], overrides: Overrides) -> str:
    """``+<slug>`` of a build with these values laid over its row ('' with none)."""
    setting = carried_by(patches)
    return f"+{setting.slug(dict(overrides))}" if overrides and setting is not None else ""


def defines(patches: tuple[str, ...], row_defines: tuple[str, ...], overrides: Overrides) -> list[str]:
    """The row's defines with the effective setting's (validated) in place of its own."""
    setting = carried_by(patches)
    return list(row_defines) if setting is None else setting.defines(row_defines, dict(overrides))


def signature(patches: tuple[str, ...], row_defines: tuple[str, ...], overrides: Overrides) -> list[str]:
    """Checks, true only on an interpreter built with the effective setting (none without one)."""
    setting = carried_by(patches)
    return [] if setting is None else setting.signature(row_defines, dict(overrides))


def record(patches: tuple[str, ...], row_defines: tuple[str, ...], overrides: Overrides) -> dict[str, object]:
    """What variant.json records of each registered setting (None for one the build does not carry)."""
    return {s.record_key: s.record(row_defines, dict(overrides)) if s.patch in patches else None for s in SETTINGS}


def legend(label: str) -> str:
    """A legend-sized name of a label with a setting: ``tight_dict growth 9/8, entries_min 2`` (else the label)."""
    name, slug = split_label(label)
    setting = _setting_of_slug(slug)
    if setting is None:
        return label
    return f"{name} {setting.legend(setting.parse_slug(slug))}"


def signature_notes(patches: tuple[str, ...]) -> list[str]:
    """What the variants table says a carried setting adds to the signature."""
    setting = carried_by(patches)
    return [] if setting is None else [setting.signature_note()]


def add_options(parser: argparse.ArgumentParser) -> None:
    """Each registered setting's command-line option (``--dict``)."""
    for setting in SETTINGS:
        parser.add_argument(f"--{setting.key}", default="", metavar=setting.metavar, help=setting.help)


def text_of(args: argparse.Namespace) -> str:
    """The setting text the command line gave (``--dict``), '' when none."""
    return next((getattr(args, s.key) for s in SETTINGS if getattr(args, s.key, "")), "")
