"""Dict sizing settings: parse ``DICT="log_minsize=2 growth=5/4"``, name the build, make defines.

The dict-sizing patch turns CPython's dict sizing into ``Py_DICT_*`` macros (see the
patch's header). A setting given on the command line is laid over the defines of the
variant's row, validated with the same rules as the patch's compile-time assertions
(so a bad setting fails in a second, not after a build), and named by a slug that
parses back: ``tight_dict+dict-log_minsize2-growth5_4`` is the build of ``tight_dict``
with those two knobs changed. The built interpreter reports its sizing through
``_testinternalcapi.get_dict_sizing()``; the build's signature checks it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import UsageError

PATCH = "0001-dict-sizing.patch"

# knob -> (macro(s), kind, upstream value, what it does)
KNOBS: dict[str, tuple[tuple[str, ...], str, str, str]] = {
    "log_minsize": (("Py_DICT_LOG_MINSIZE",), "int", "3", "log2 of the smallest index table"),
    "load": (("Py_DICT_LOAD_NUM", "Py_DICT_LOAD_DEN"), "fraction", "2/3", "maximum load of the index table"),
    "growth": (
        ("Py_DICT_GROWTH_NUM", "Py_DICT_GROWTH_DEN"),
        "fraction",
        "3/1",
        "growth of a full dict: of the index (coupled) or of the entries (decoupled)",
    ),
    "decoupled": (("Py_DICT_DECOUPLED",), "bool", "0", "size the entries array apart from the index table"),
    "entries_min": (
        ("Py_DICT_ENTRIES_MIN",),
        "int",
        "0",
        "entries of a dict's first allocation (0: full table; decoupled only)",
    ),
    "growth_min": (("Py_DICT_GROWTH_MIN",), "int", "1", "the fewest entries a growth adds (decoupled only)"),
    "presize": (
        ("Py_DICT_PRESIZE_EXACT",),
        "presize",
        "upstream",
        "exact: allocate exactly the known size (decoupled only)",
    ),
}
SHARED_KEYS_MAX_SIZE = 30  # Include/internal/pycore_dict.h: a shared-keys table of 64 slots must hold these
SHARED_KEYS_LOG2 = 6


@dataclass(frozen=True)
class DictSizing:
    """A full dict sizing: one value (as text) per knob."""

    values: dict[str, str]

    @property
    def defines(self) -> tuple[str, ...]:
        """The -D defines of every knob that differs from upstream."""
        out: list[str] = []
        for knob, value in self.values.items():
            macros, kind, upstream, _ = KNOBS[knob]
            if value == upstream:
                continue
            if kind == "fraction":
                num, den = value.split("/")
                out += [f"{macros[0]}={num}", f"{macros[1]}={den}"]
            elif kind == "presize":
                out.append(f"{macros[0]}={1 if value == 'exact' else 0}")
            else:
                out.append(f"{macros[0]}={value}")
        return tuple(out)

    def expected_report(self) -> dict:
        """What ``_testinternalcapi.get_dict_sizing()`` must answer for this setting."""
        def frac(v: str) -> list[int]:
            return [int(x) for x in v.split("/")]

        v = self.values
        return {
            "log_minsize": int(v["log_minsize"]),
            "load": frac(v["load"]),
            "growth": frac(v["growth"]),
            "decoupled": v["decoupled"] == "1",
            "entries_min": int(v["entries_min"]),
            "growth_min": int(v["growth_min"]),
            "presize_exact": v["presize"] == "exact",
        }

    def signature_check(self) -> str:
        """A Python expression, true only on an interpreter built with this sizing."""
        report = self.expected_report()
        return (
            "{k: (list(v) if isinstance(v, tuple) else v) for k, v in "
            "__import__('_testinternalcapi').get_dict_sizing().items() if k in %r} == %r"
            % (sorted(report), report)
        )


def upstream() -> DictSizing:
    return DictSizing({knob: spec[2] for knob, spec in KNOBS.items()})


def from_defines(defines: tuple[str, ...] | list[str]) -> DictSizing:
    """The sizing a list of -D defines (a variant's row) selects; other defines are ignored."""
    by_macro = dict(d.split("=", 1) if "=" in d else (d, "1") for d in defines)
    values = {}
    for knob, (macros, kind, default, _) in KNOBS.items():
        if kind == "fraction":
            dnum, dden = default.split("/")
            values[knob] = f"{by_macro.get(macros[0], dnum)}/{by_macro.get(macros[1], dden)}"
        elif kind == "presize":
            values[knob] = "exact" if by_macro.get(macros[0], "0") not in ("0", "") else "upstream"
        else:
            values[knob] = by_macro.get(macros[0], default)
    return DictSizing(values)


def _normalise(knob: str, value: str) -> str:
    kind = KNOBS[knob][1]
    value = value.strip()
    if kind == "int" and re.fullmatch(r"\d+", value):
        return str(int(value))
    if kind == "bool" and value in ("0", "1", "yes", "no", "true", "false", "on", "off"):
        return "1" if value in ("1", "yes", "true", "on") else "0"
    if kind == "fraction":
        m = re.fullmatch(r"(\d+)(?:/(\d+))?", value)
        if m:
            return f"{int(m.group(1))}/{int(m.group(2) or 1)}"
    if kind == "presize" and value in ("exact", "upstream"):
        return value
    hint = {
        "int": "a whole number",
        "bool": "0 or 1",
        "fraction": "a fraction like 5/4",
        "presize": "exact or upstream",
    }[kind]
    raise UsageError(f"DICT: {knob}={value!r} is not valid; {knob} takes {hint}")


def parse_overrides(text: str) -> dict[str, str]:
    """``"log_minsize=2 growth=5/4"`` (spaces or commas) -> {knob: normalised value}."""
    out: dict[str, str] = {}
    for item in re.split(r"[\s,]+", text.strip()):
        if not item:
            continue
        if "=" not in item:
            raise UsageError(f"DICT: {item!r} is not knob=value; knobs: {', '.join(KNOBS)}")
        knob, value = item.split("=", 1)
        if knob not in KNOBS:
            raise UsageError(
                f"DICT: unknown knob {knob!r}; knobs: {', '.join(f'{k} ({s[3]})' for k, s in KNOBS.items())}"
            )
        out[knob] = _normalise(knob, value)
    if not out:
        raise UsageError(f"DICT is empty; give knob=value pairs, knobs: {', '.join(KNOBS)}")
    return out


def validate(sizing: DictSizing) -> None:
    """The patch's compile-time assertions, checked before any build."""
    v = sizing.values
    log_minsize = int(v["log_minsize"])
    lnum, lden = (int(x) for x in v["load"].split("/"))
    gnum, gden = (int(x) for x in v["growth"].split("/"))
    decoupled = v["decoupled"] == "1"
    entries_min = int(v["entries_min"])
    growth_min = int(v["growth_min"])

    def usable(size: int) -> int:
        return size * lnum // lden

    problems = []
    if not 1 <= log_minsize <= 7:
        problems.append("log_minsize must be in 1..7")
    if not (0 < lnum < lden <= 16):
        problems.append("load must be a fraction below 1 with a denominator of at most 16")
    elif not 1 <= usable(1 << log_minsize) < (1 << log_minsize):
        problems.append(f"the smallest table (2**{log_minsize} slots) must hold at least one entry at load {v['load']}")
    elif usable(1 << SHARED_KEYS_LOG2) < SHARED_KEYS_MAX_SIZE:
        problems.append(
            f"at load {v['load']} a shared-keys table of {1 << SHARED_KEYS_LOG2} slots "
            f"no longer holds {SHARED_KEYS_MAX_SIZE} entries"
        )
    if not (gden > 0 and gnum > gden):
        problems.append("growth must be above 1")
    elif gnum > 16 * gden:
        problems.append("growth must be at most 16 (used * growth must not overflow)")
    # The patch allows 1..1024, but a rebuild that compacts deleted entries adds growth_min
    # too: a large floor would give a tiny churned dict a table of that many entries.
    if not 1 <= growth_min <= 64:
        problems.append("growth_min must be in 1..64")
    if not decoupled and (entries_min or v["presize"] == "exact" or growth_min != 1):
        problems.append("entries_min, growth_min and presize=exact need decoupled=1")
    if lden and log_minsize <= 7 and entries_min > usable(1 << log_minsize):
        problems.append(f"entries_min must fit the smallest table ({usable(1 << log_minsize)} entries)")
    if problems:
        raise UsageError("DICT: this sizing cannot be built: " + "; ".join(problems))


def overlay(base: DictSizing, overrides: dict[str, str]) -> DictSizing:
    """``base`` with ``overrides`` laid over it, validated."""
    sizing = DictSizing({**base.values, **overrides})
    validate(sizing)
    return sizing


def slug(overrides: dict[str, str]) -> str:
    """The build-name part for these overrides, e.g. ``dict-log_minsize2-growth5_4`` (knob order fixed)."""
    parts = [f"{knob}{overrides[knob].replace('/', '_')}" for knob in KNOBS if knob in overrides]
    return "dict-" + "-".join(parts)


SLUG_RE = re.compile(r"(" + "|".join(sorted(KNOBS, key=len, reverse=True)) + r")(\d+(?:_\d+)?|exact|upstream)")


def parse_slug(text: str) -> dict[str, str]:
    """Inverse of slug(): ``dict-log_minsize2-growth5_4`` -> {knob: value}."""
    if not text.startswith("dict-"):
        raise UsageError(f"{text!r} is not a dict sizing name (dict-<knob><value>-...)")
    out = {}
    for part in text[len("dict-"):].split("-"):
        m = SLUG_RE.fullmatch(part)
        if not m:
            raise UsageError(f"{text!r}: cannot read {part!r}; knobs: {', '.join(KNOBS)}")
        out[m.group(1)] = _normalise(m.group(1), m.group(2).replace("_", "/"))
    return out


def describe(sizing: DictSizing) -> str:
    """Short human text of the knobs that differ from upstream ('upstream' when none)."""
    up = upstream().values
    changed = [f"{k}={v}" for k, v in sizing.values.items() if v != up[k]]
    return " ".join(changed) or "upstream"
