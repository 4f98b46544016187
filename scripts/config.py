"""Read and validate the two tables everything else depends on.

``cpython.toml`` pins the upstream release; ``variants.toml`` is the one table of
variants and build flavors. Both are validated strictly: an unknown key, a missing
key or a patch that is not in the series is an error with the file and row named,
so a typo never silently builds the wrong thing.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import HarnessError, UsageError

if sys.version_info < (3, 11):  # tomllib is in the standard library from 3.11
    raise SystemExit(
        "error: the harness needs Python 3.11 or newer to run (found "
        f"{sys.version.split()[0]}); on Debian/Ubuntu install python3.11 and run it with that."
    )
import tomllib

ENV_NAME_RE = re.compile(r"^[A-Z_][A-Z0-9_]*$")
ROOT = Path(os.environ.get("HARNESS_ROOT", Path(__file__).resolve().parent.parent))
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
DEFINE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(=.*)?$")
DEFAULT_FLAVOR = "release"


@dataclass(frozen=True)
class Pin:
    """The pinned upstream release (cpython.toml)."""

    version: str
    series: str
    tarball: str
    sha256: str
    size: int
    top_dir: str
    upstream_url: str
    debian_package: str
    debian_suite: str
    debian_orig: str


@dataclass(frozen=True)
class Flavor:
    """A build flavor: configure arguments and signature added to any variant."""

    name: str
    description: str
    configure_args: tuple[str, ...]
    windows_args: tuple[str, ...]
    signature: tuple[str, ...]
    # compiler flags the flavor needs; probed (compile, link, run) before configure so a
    # compiler without, say, libtsan fails with a message naming what is missing
    requires_cflags: tuple[str, ...] = ()
    # environment for configure, make and every run of the built interpreter, e.g. the
    # sanitizers' *_OPTIONS; "{source}" is the build's source tree, "{tsan_suppressions}"
    # CPython's own Tools/tsan file for the build (GIL or free-threaded)
    runtime_env: tuple[tuple[str, str], ...] = ()
    # platforms the flavor can be built on ("posix", "windows")
    platforms: tuple[str, ...] = ("posix", "windows")
    # False for flavors that find bugs and distort timings (sanitizers): benchmarks refuse them
    benchmarks: bool = True
    # sanitizer signature -> why it is unpatched CPython's (its upstream issue): a bug of
    # 3.13.5 itself that fires by chance, counted as baseline's in every comparison
    known_reports: tuple[tuple[str, str], ...] = ()
    # full test id -> why regrtest skips it in this flavor (--ignore): a test whose outcome
    # an upstream bug decides by chance, so no comparison with baseline can be made on it
    ignore_tests: tuple[tuple[str, str], ...] = ()

    @property
    def known_signatures(self) -> frozenset[str]:
        """The signatures of ``known_reports``, for comparing with a run's reports."""
        return frozenset(signature for signature, _ in self.known_reports)

    @property
    def ignored_test_ids(self) -> list[str]:
        """The test ids of ``ignore_tests``, in the order regrtest is given them."""
        return [test_id for test_id, _ in self.ignore_tests]

    @property
    def sanitizer(self) -> bool:
        """A flavor whose runtime reports memory errors, undefined behaviour or races."""
        return bool(self.requires_cflags)


# "asan: heap-use-after-free in drop_gil / free_threadstate" (sanitizers.Report.signature)
SIGNATURE_RE = re.compile(r"^(asan|ubsan|tsan): .+ in .+$")
# a full unittest id, as regrtest --ignore matches it exactly: test.test_x.Class.test_y
TEST_ID_RE = re.compile(r"^test\.test_\w+(\.\w+)+$")


def _reason_table(where: str, key: str, value: object, pattern: re.Pattern[str]) -> tuple[tuple[str, str], ...]:
    """A { name = "reason" } table whose names match ``pattern``, each with a non-empty reason."""
    if not isinstance(value, dict):
        raise UsageError(f"{where}: {key} must be a table of name = \"reason\"")
    for name, reason in value.items():
        if not pattern.match(name):
            raise UsageError(f"{where}: {key}: {name!r} does not look like {pattern.pattern}")
        if not isinstance(reason, str) or not reason.strip():
            raise UsageError(f"{where}: {key}: {name!r} needs a reason (its upstream issue)")
    return tuple(sorted(value.items()))


TARGET_GOALS = ("better", "no_worse", "at_least", "at_most")
BOUND_GOALS = ("at_least", "at_most")  # judged on the variant's own value against a fixed bound
METRIC_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.]*$")
DEFAULT_DELTA = 0.05  # non-inferiority margin of a "no_worse" target unless it declares its own


@dataclass(frozen=True)
class Target:
    """A metric a patch exists for: it must come out better than baseline, or no worse.

    ``metric`` is a row of the report's comparison table (a benchmark name, or a derived
    per-process metric such as ``io_latency_cpu1.p99``); ``delta`` is the
    non-inferiority margin of a ``no_worse`` goal. ``at_least`` and ``at_most`` hold the
    variant's own value (not a ratio to baseline) against ``bound``, in the metric's
    unit (seconds for latencies, a fraction for shares).
    """

    metric: str
    goal: str
    delta: float = DEFAULT_DELTA
    bound: float | None = None


@dataclass(frozen=True)
class Variant:
    """One row of variants.toml: a named interpreter build."""

    name: str
    description: str
    patches: tuple[str, ...]
    configure_args: tuple[str, ...]
    windows_args: tuple[str, ...]
    defines: tuple[str, ...]
    windows_defines: tuple[str, ...]
    signature: tuple[str, ...]
    regrtest: tuple[str, ...]
    # patches of the series deliberately not carried, each with the reason (used by
    # `plus`, "every patch that pays": a patch measured not to pay is left out, saying why)
    left_out: tuple[tuple[str, str], ...] = ()
    # verification checks (scripts/checks.py) run on this variant besides its regrtest list
    checks: tuple[str, ...] = ()
    # { "check" = "reason" }: a check known to fail on this variant today, with the issue that
    # fixes it; the check still runs, and a pass while marked is a failure (remove the mark)
    known_failures: tuple[tuple[str, str], ...] = ()
    # the metrics the variant's patches exist for (report: Holm over the "better" ones,
    # non-inferiority for the "no_worse" ones)
    targets: tuple[Target, ...] = ()
    # a runtime variant: another variant's build, run with these environment variables
    # (the same-binary A/B: the policy switched by the environment, not by the code placement)
    build_of: str = ""
    environ: tuple[tuple[str, str], ...] = ()


# The verification checks a variant row may ask for (scripts/checks.py runs them).
CHECK_NAMES = ("asan", "tsan", "green_threads")


@dataclass(frozen=True)
class Table:
    """The whole variants table."""

    variants: dict[str, Variant] = field(default_factory=dict)
    flavors: dict[str, Flavor] = field(default_factory=dict)

    def variant(self, name: str) -> Variant:
        """Return the named variant or raise a UsageError listing the valid names."""
        if name not in self.variants:
            raise UsageError(
                f"unknown variant {name!r}; valid variants: {', '.join(self.variants)}"
            )
        return self.variants[name]

    def flavor(self, name: str) -> Flavor:
        """Return the named flavor or raise a UsageError listing the valid names."""
        if name not in self.flavors:
            raise UsageError(
                f"unknown flavor {name!r}; valid flavors: {', '.join(self.flavors)}"
            )
        return self.flavors[name]


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise HarnessError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None


def _check_keys(where: str, row: dict[str, Any], required: set[str], optional: set[str] = frozenset()) -> None:
    unknown = set(row) - required - optional
    missing = required - set(row)
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(required | optional)}")
    if missing:
        raise UsageError(f"{where}: missing key(s) {sorted(missing)}")


def _str_list(where: str, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise UsageError(f"{where}: {key} must be a list of non-empty strings")
    return tuple(value)


def _str(where: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise UsageError(f"{where}: {key} must be a non-empty string")
    return value


def _targets(where: str, value: Any) -> tuple[Target, ...]:
    """Validate a variant's ``targets``: a list of {metric, goal[, delta]} tables."""
    if not isinstance(value, list):
        raise UsageError(f"{where}: targets must be a list of {{ metric = ..., goal = ... }} tables")
    targets = []
    for i, row in enumerate(value):
        at = f"{where} targets[{i}]"
        if not isinstance(row, dict):
            raise UsageError(f"{at}: must be a table {{ metric = ..., goal = ... }}")
        _check_keys(at, row, {"metric", "goal"}, {"delta", "bound"})
        metric = _str(at, "metric", row["metric"])
        if not METRIC_RE.match(metric):
            raise UsageError(f"{at}: metric {metric!r} is not a benchmark name (letters, digits, _ and .)")
        if row["goal"] not in TARGET_GOALS:
            raise UsageError(f"{at}: goal must be one of {', '.join(TARGET_GOALS)}, not {row['goal']!r}")
        delta = row.get("delta", DEFAULT_DELTA)
        if row["goal"] != "no_worse" and "delta" in row:
            raise UsageError(f"{at}: delta is the margin of a no_worse goal only")
        if isinstance(delta, bool) or not isinstance(delta, (int, float)) or not 0 < delta < 1:
            raise UsageError(f"{at}: delta must be a number between 0 and 1 (a share: 0.05 is 5%)")
        bound = row.get("bound")
        if (row["goal"] in BOUND_GOALS) != ("bound" in row):
            raise UsageError(f"{at}: bound is required by, and only allowed with, goal {' or '.join(BOUND_GOALS)}")
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, (int, float)) or bound <= 0):
            raise UsageError(f"{at}: bound must be a positive number in the metric's unit (seconds, a share)")
        targets.append(Target(metric=metric, goal=row["goal"], delta=float(delta),
                              bound=None if bound is None else float(bound)))
    seen = [t.metric for t in targets]
    doubled = sorted({m for m in seen if seen.count(m) > 1})
    if doubled:
        raise UsageError(f"{where}: target metric(s) {doubled} listed twice")
    return tuple(targets)


def _runtime_variant(where: str, name: str, row: dict[str, Any]) -> Variant:
    """A row ``{description, build_of, environ[, targets]}``: another variant's build, run differently."""
    _check_keys(where, row, {"description", "build_of", "environ"}, {"targets"})
    environ = row["environ"]
    if not isinstance(environ, dict) or not environ:
        raise UsageError(f"{where}: environ must map at least one variable name to its value")
    for key, value in environ.items():
        if not ENV_NAME_RE.match(key) or not isinstance(value, str):
            raise UsageError(f"{where}: environ {key!r}: names are uppercase letters, digits and _, values strings")
    return Variant(
        name=name, description=_str(where, "description", row["description"]), patches=(), configure_args=(),
        windows_args=(), defines=(), windows_defines=(), signature=(), regrtest=(),
        targets=_targets(where, row.get("targets", [])), build_of=_str(where, "build_of", row["build_of"]),
        environ=tuple(sorted(environ.items())),
    )


def _resolve_runtime(where: str, variant: Variant, variants: dict[str, Variant]) -> Variant:
    """Copy the build fields of the variant a runtime variant runs (which must be a built one)."""
    base = variants.get(variant.build_of)
    if base is None:
        raise UsageError(f"{where}: build_of names no variant: {variant.build_of!r}")
    if base.build_of:
        raise UsageError(f"{where}: build_of must name a built variant, not another runtime one ({base.name})")
    return Variant(
        name=variant.name, description=variant.description, patches=base.patches, configure_args=base.configure_args,
        windows_args=base.windows_args, defines=base.defines, windows_defines=base.windows_defines,
        signature=base.signature, regrtest=(), targets=variant.targets, build_of=base.name, environ=variant.environ,
    )


def load_pin(path: Path | None = None) -> Pin:
    """Read cpython.toml."""
    path = path or ROOT / "cpython.toml"
    data = _load_toml(path)
    _check_keys(str(path), data, {"version", "series", "tarball", "sha256", "size", "top_dir", "upstream", "debian"})
    _check_keys(f"{path} [upstream]", data["upstream"], {"url"})
    _check_keys(f"{path} [debian]", data["debian"], {"package", "suite", "orig"})
    sha = data["sha256"]
    if not re.fullmatch(r"[0-9a-f]{64}", sha):
        raise UsageError(f"{path}: sha256 must be 64 lowercase hex digits")
    return Pin(
        version=data["version"],
        series=data["series"],
        tarball=data["tarball"],
        sha256=sha,
        size=int(data["size"]),
        top_dir=data["top_dir"],
        upstream_url=data["upstream"]["url"],
        debian_package=data["debian"]["package"],
        debian_suite=data["debian"]["suite"],
        debian_orig=data["debian"]["orig"],
    )


def load_table(path: Path | None = None, series: list[str] | None = None) -> Table:
    """Read and validate variants.toml.

    ``series`` is the list of patch names available; when given, every patch a
    variant names must be in it (the caller passes the patch series).
    """
    path = path or ROOT / "variants.toml"
    data = _load_toml(path)
    _check_keys(str(path), data, {"variants", "flavors"})
    flavors: dict[str, Flavor] = {}
    for name, row in data["flavors"].items():
        where = f"{path} [flavors.{name}]"
        if not NAME_RE.match(name):
            raise UsageError(f"{where}: flavor names are lowercase letters, digits and _")
        _check_keys(where, row, {"description", "configure_args", "windows_args", "signature"},
                    {"requires_cflags", "runtime_env", "platforms", "benchmarks", "known_reports", "ignore_tests"})
        known_reports = _reason_table(where, "known_reports", row.get("known_reports", {}), SIGNATURE_RE)
        ignore_tests = _reason_table(where, "ignore_tests", row.get("ignore_tests", {}), TEST_ID_RE)
        runtime_env = row.get("runtime_env", {})
        if not isinstance(runtime_env, dict) or not all(
            isinstance(k, str) and re.fullmatch(r"[A-Z_][A-Z0-9_]*", k) and isinstance(v, str)
            for k, v in runtime_env.items()
        ):
            raise UsageError(f"{where}: runtime_env must map environment variable names (upper case) to strings")
        platforms = _str_list(where, "platforms", row.get("platforms", ["posix", "windows"]))
        if not platforms or set(platforms) - {"posix", "windows"}:
            raise UsageError(f"{where}: platforms must name at least one of posix, windows")
        benchmarks = row.get("benchmarks", True)
        if not isinstance(benchmarks, bool):
            raise UsageError(f"{where}: benchmarks must be true or false")
        flavors[name] = Flavor(
            name=name,
            description=_str(where, "description", row["description"]),
            configure_args=_str_list(where, "configure_args", row["configure_args"]),
            windows_args=_str_list(where, "windows_args", row["windows_args"]),
            signature=_str_list(where, "signature", row["signature"]),
            requires_cflags=_str_list(where, "requires_cflags", row.get("requires_cflags", [])),
            runtime_env=tuple(sorted(runtime_env.items())),
            platforms=platforms,
            benchmarks=benchmarks,
            known_reports=known_reports,
            ignore_tests=ignore_tests,
        )
    if DEFAULT_FLAVOR not in flavors:
        raise UsageError(f"{path}: the default flavor {DEFAULT_FLAVOR!r} must be defined")

    variants: dict[str, Variant] = {}
    for name, row in data["variants"].items():
        where = f"{path} [variants.{name}]"
        if not NAME_RE.match(name):
            raise UsageError(f"{where}: variant names are lowercase letters, digits and _")
        if "build_of" in row:
            variants[name] = _runtime_variant(where, name, row)
            continue
        _check_keys(
            where,
            row,
            {
                "description",
                "patches",
                "configure_args",
                "windows_args",
                "defines",
                "windows_defines",
                "signature",
                "regrtest",
            },
            {"left_out", "checks", "known_failures", "targets"},
        )
        checks = _str_list(where, "checks", row.get("checks", []))
        unknown_checks = [c for c in checks if c not in CHECK_NAMES]
        if unknown_checks:
            raise UsageError(f"{where}: unknown check(s) {unknown_checks}; valid checks: {', '.join(CHECK_NAMES)}")
        known = row.get("known_failures", {})
        if not isinstance(known, dict) or not all(isinstance(r, str) and r.strip() for r in known.values()):
            raise UsageError(f"{where}: known_failures must map check names to the reason (and issue) for each")
        if set(known) - set(checks):
            raise UsageError(
                f"{where}: known_failures names {sorted(set(known) - set(checks))}, which are not in its checks"
            )
        left_out = row.get("left_out", {})
        if not isinstance(left_out, dict) or not all(isinstance(r, str) and r.strip() for r in left_out.values()):
            raise UsageError(f"{where}: left_out must map patch names to the reason each is left out")
        variant = Variant(
            name=name,
            description=_str(where, "description", row["description"]),
            patches=_str_list(where, "patches", row["patches"]),
            configure_args=_str_list(where, "configure_args", row["configure_args"]),
            windows_args=_str_list(where, "windows_args", row["windows_args"]),
            defines=_str_list(where, "defines", row["defines"]),
            windows_defines=_str_list(where, "windows_defines", row["windows_defines"]),
            signature=_str_list(where, "signature", row["signature"]),
            regrtest=_str_list(where, "regrtest", row["regrtest"]),
            left_out=tuple(sorted(left_out.items())),
            checks=checks,
            known_failures=tuple(sorted(known.items())),
            targets=_targets(where, row.get("targets", [])),
        )
        both = sorted(set(variant.patches) & set(left_out))
        if both:
            raise UsageError(f"{where}: {both} both carried and left out")
        if not variant.signature:
            raise UsageError(f"{where}: signature must hold at least one check")
        for define in variant.defines + variant.windows_defines:
            if not DEFINE_RE.match(define):
                raise UsageError(f"{where}: define {define!r} is not NAME or NAME=VALUE")
        if len(set(variant.patches)) != len(variant.patches):
            raise UsageError(f"{where}: a patch is listed twice")
        if series is not None:
            missing = [p for p in (*variant.patches, *left_out) if p not in series]
            if missing:
                raise UsageError(
                    f"{where}: patch(es) {missing} are not in patches/<series>/series "
                    f"(series holds: {', '.join(series) or 'nothing yet'})"
                )
            order = [series.index(p) for p in variant.patches]
            if order != sorted(order):
                raise UsageError(f"{where}: patches must be listed in series order")
        variants[name] = variant
    for name, variant in list(variants.items()):
        if variant.build_of:
            variants[name] = _resolve_runtime(f"{path} [variants.{name}]", variant, variants)
    if "baseline" not in variants:
        raise UsageError(f"{path}: the 'baseline' variant must exist (every comparison is against it)")
    if variants["baseline"].targets:
        raise UsageError(f"{path}: 'baseline' has no targets (every target is a comparison with it)")
    if variants["baseline"].patches or variants["baseline"].defines:
        raise UsageError(f"{path}: 'baseline' must be unpatched upstream (no patches, no defines)")
    return Table(variants=variants, flavors=flavors)


def variant_rows() -> dict[str, Variant]:
    """The variants of variants.toml by name, or none when the table cannot be read.

    For the pages made from published JSON (a run's report, the summary), which need
    only the JSON: a table they cannot read leaves out what it declares (targets,
    runtime twins) instead of failing the page.
    """
    try:
        return load_table().variants
    except HarnessError:
        return {}


def build_name(variant: str, flavor: str) -> str:
    """The build folder name: the variant, with '-<flavor>' unless the flavor is the default."""
    return variant if flavor == DEFAULT_FLAVOR else f"{variant}-{flavor}"
