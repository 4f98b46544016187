"""The dict-sizing patch's build setting: its knobs as a label slug, a ``--dict`` option,
defines and a signature check (the ``settings.BuildSetting`` of patch 0001).

The knobs themselves, their grammar and the patch's compile-time rules are
scripts/dict_sizing.py's; this hook is what the rest of the harness sees of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import dict_sizing


@dataclass(frozen=True)
class DictKnobs:
    """The dict sizing knobs laid over a variant's row of ``Py_DICT_*`` defines."""

    key: str = "dict"
    patch: str = dict_sizing.PATCH
    metavar: str = "'KNOB=VALUE ...'"
    help: str = ("dict sizing laid over the variant's (needs the dict-sizing patch), e.g. "
                 "'log_minsize=2 growth=5/4'; knobs: log_minsize, load, growth, decoupled, entries_min, presize")
    record_key: str = "dict_sizing"

    def parse_slug(self, slug: str) -> dict[str, str]:
        """``dict-log_minsize2-growth5_4`` -> {knob: value}."""
        return dict_sizing.parse_slug(slug)

    def parse_text(self, text: str) -> dict[str, str]:
        """``log_minsize=2 growth=5/4`` (DICT=, --dict) -> {knob: value}."""
        return dict_sizing.parse_overrides(text)

    def slug(self, overrides: dict[str, str]) -> str:
        return dict_sizing.slug(overrides)

    def ordered(self, overrides: dict[str, str]) -> tuple[tuple[str, str], ...]:
        """The knobs in their fixed order, so one sizing has one label."""
        return tuple((k, overrides[k]) for k in dict_sizing.KNOBS if k in overrides)

    def sizing(self, row_defines: tuple[str, ...], overrides: dict[str, str]) -> dict_sizing.DictSizing:
        """The effective sizing: the row's knobs with ``overrides`` over them, validated."""
        return dict_sizing.overlay(dict_sizing.from_defines(row_defines), overrides)

    def defines(self, row_defines: tuple[str, ...], overrides: dict[str, str]) -> list[str]:
        """The row's defines, with the dict knobs replaced by the effective sizing's."""
        sizing = self.sizing(row_defines, overrides)
        dict_macros = {m for spec in dict_sizing.KNOBS.values() for m in spec[0]}
        kept = [d for d in row_defines if d.split("=", 1)[0] not in dict_macros]
        return kept + list(sizing.defines)

    def signature(self, row_defines: tuple[str, ...], overrides: dict[str, str]) -> list[str]:
        """``_testinternalcapi.get_dict_sizing()`` must report the effective sizing."""
        return [self.sizing(row_defines, overrides).signature_check()]

    def record(self, row_defines: tuple[str, ...], overrides: dict[str, str]) -> dict[str, str]:
        return self.sizing(row_defines, overrides).values

    def legend(self, overrides: dict[str, str]) -> str:
        """``growth 9/8, entries_min 2``."""
        return ", ".join(f"{knob} {value}" for knob, value in overrides.items())

    def signature_note(self) -> str:
        return "`_testinternalcapi.get_dict_sizing()` reports the defines"


SETTING = DictKnobs()
