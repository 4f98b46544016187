"""Statistics for comparing a variant with baseline: ratios, their spread, corrected verdicts.

The samples are worker processes, one value each (``scripts.processes`` makes them):
values inside one process are correlated, so resampling or testing them as if they
were independent makes intervals too narrow and p-values too small.

A ratio is of the processes' means (or medians, for latency percentiles). Its spread
is a 95% bootstrap interval that resamples each side's processes (seeded from text, so
a report regenerates identically). A mean is tested with Welch's t-test (unequal
variances), a median with the Mann-Whitney U test. A report makes dozens to hundreds
of such comparisons, so a row's verdict reads its Benjamini-Hochberg q-value (the
false-discovery rate at which it would be called), not its raw p; the few targets a
patch exists for are a family of their own, corrected by Holm. "No worse" is never
read from a test that failed to find a difference: it needs the interval's worse end
within ``DELTA`` of 1 (non-inferiority). With fewer than two processes on a side
nothing can be said, and the comparison says so instead of inventing a number.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

ALPHA = 0.05
DELTA = 0.05  # default non-inferiority margin: "no worse" means not more than 5% worse
BOOTSTRAP_SAMPLES = 2000
NOT_SHOWN_NO_WORSE = "not shown no-worse"


@dataclass(frozen=True)
class Comparison:
    """variant / baseline for one metric, over processes."""

    ratio: float
    low: float
    high: float
    p_value: float | None

    @property
    def significant(self) -> bool | None:
        return None if self.p_value is None else self.p_value < ALPHA

    def verdict(self, higher_is_better: bool, q_value: float | None = None) -> str:
        """'better', 'worse' or 'not significant' (or 'n/a' with too few processes).

        With ``q_value`` (the row's Benjamini-Hochberg q) the call reads q, not p.
        """
        if self.p_value is None:
            return "n/a (too few processes)" if np.isfinite(self.ratio) else "n/a (baseline is 0)"
        if (self.p_value if q_value is None else q_value) >= ALPHA:
            return "not significant"
        return "better" if (self.ratio > 1) == higher_is_better else "worse"

    def no_worse(self, higher_is_better: bool, delta: float = DELTA) -> bool | None:
        """Non-inferiority: is the interval's worse end within ``delta`` of 1?"""
        return non_inferior(self.low, self.high, higher_is_better, delta)


def non_inferior(low: float, high: float, higher_is_better: bool, delta: float = DELTA) -> bool | None:
    """True when the 95% interval of a ratio excludes being more than ``delta`` worse.

    A ratio where above 1 is better (rates) is no worse when its lower bound is at
    least 1 - delta; one where below 1 is better (bytes, latency shares) when its upper
    bound is at most 1 + delta. None when the interval is unknown.
    """
    if not (np.isfinite(low) and np.isfinite(high)):
        return None
    return bool(low >= 1 - delta) if higher_is_better else bool(high <= 1 + delta)


def bh_qvalues(p_values: Sequence[float | None]) -> list[float | None]:
    """Benjamini-Hochberg q-values; None (no test) stays None and is not counted."""
    return _adjust(p_values, "fdr_bh")


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm step-down adjusted p-values (family-wise error); None stays None."""
    return _adjust(p_values, "holm")


def _adjust(p_values: Sequence[float | None], method: str) -> list[float | None]:
    present = [i for i, p in enumerate(p_values) if p is not None and np.isfinite(p)]
    out: list[float | None] = [None] * len(p_values)
    if present:
        adjusted = multipletests([float(p_values[i]) for i in present], alpha=ALPHA, method=method)[1]
        for i, q in zip(present, adjusted):
            out[i] = float(q)
    return out


def _rng(seed_text: str) -> np.random.Generator:
    """A generator seeded from text (not hash(), which is randomised per process)."""
    return np.random.default_rng(int.from_bytes(hashlib.sha256(seed_text.encode()).digest()[:8], "little"))


def compare(variant: np.ndarray, baseline: np.ndarray, *, invert: bool = False, seed: str = "",
            center: str = "mean") -> Comparison:
    """Ratio of centers variant/baseline (baseline/variant with ``invert``), 95% CI and p.

    Each array holds one value per worker process. ``center`` is ``mean`` (Welch's
    t-test) or ``median`` (Mann-Whitney U). ``invert`` turns times into rates: a rate
    ratio is baseline_time / variant_time.
    """
    variant = np.asarray(variant, dtype=float)
    baseline = np.asarray(baseline, dtype=float)
    middle = np.median if center == "median" else np.mean

    def ratio_of(v: np.ndarray, b: np.ndarray) -> np.ndarray | float:
        with np.errstate(divide="ignore", invalid="ignore"):
            return (middle(b, axis=-1) / middle(v, axis=-1)) if invert else (middle(v, axis=-1) / middle(b, axis=-1))

    point = float(ratio_of(variant, baseline))
    if len(variant) < 2 or len(baseline) < 2:
        return Comparison(point, float("nan"), float("nan"), None)
    rng = _rng(seed)
    v_samples = rng.choice(variant, size=(BOOTSTRAP_SAMPLES, len(variant)))
    b_samples = rng.choice(baseline, size=(BOOTSTRAP_SAMPLES, len(baseline)))
    ratios = ratio_of(v_samples, b_samples)
    finite = ratios[np.isfinite(ratios)]
    low, high = np.percentile(finite, [2.5, 97.5]) if len(finite) == len(ratios) else (np.nan, np.nan)
    if np.allclose(variant, variant[0]) and np.allclose(baseline, baseline[0]):
        p_value = 1.0 if np.isclose(variant[0], baseline[0]) else 0.0  # deterministic meters
    else:
        with warnings.catch_warnings():  # near-identical samples (deterministic meters) are fine
            warnings.simplefilter("ignore", RuntimeWarning)
            if center == "median":
                p_value = float(sps.mannwhitneyu(variant, baseline, alternative="two-sided").pvalue)
            else:
                p_value = float(sps.ttest_ind(variant, baseline, equal_var=False).pvalue)
    if not np.isfinite(point):
        p_value = None
    return Comparison(point, float(low), float(high), p_value)


def bootstrap_ci(values: np.ndarray, statistic: Callable[[np.ndarray], float], seed: str = "") -> tuple[float, float]:
    """95% bootstrap interval of ``statistic`` (a function of a 1-D array of processes)."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return float("nan"), float("nan")
    rng = _rng(seed)
    samples = rng.choice(values, size=(BOOTSTRAP_SAMPLES, len(values)))
    stats = np.apply_along_axis(statistic, 1, samples)
    low, high = np.percentile(stats, [2.5, 97.5])
    return float(low), float(high)


def median_ci(values: np.ndarray, seed: str = "") -> tuple[float, float, float]:
    """The median over processes with its 95% bootstrap interval."""
    values = np.asarray(values, dtype=float)
    low, high = bootstrap_ci(values, np.median, seed=seed)
    return float(np.median(values)), low, high


def ratio_ci(numerator: np.ndarray, denominator: np.ndarray, seed: str = "",
             stat_num: Callable[[np.ndarray], np.ndarray] | None = None,
             stat_den: Callable[[np.ndarray], np.ndarray] | None = None) -> tuple[float, float, float]:
    """stat_num(numerator)/stat_den(denominator) with a 95% bootstrap interval.

    Both default to the mean (over the last axis); the two sides are resampled
    independently (they come from different processes).
    """
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    f_num = stat_num or (lambda a: a.mean(axis=-1))
    f_den = stat_den or (lambda a: a.mean(axis=-1))
    point = float(f_num(numerator) / f_den(denominator))
    if len(numerator) < 2 or len(denominator) < 2:
        return point, float("nan"), float("nan")
    rng = _rng(seed)
    n = f_num(rng.choice(numerator, size=(BOOTSTRAP_SAMPLES, len(numerator))))
    d = f_den(rng.choice(denominator, size=(BOOTSTRAP_SAMPLES, len(denominator))))
    low, high = np.percentile(n / d, [2.5, 97.5])
    return point, float(low), float(high)


def difference_ci(first: np.ndarray, second: np.ndarray, seed: str = "") -> tuple[float, float, float]:
    """mean(first) − mean(second) with a 95% bootstrap interval, each side resampled on its own
    (they come from different processes)."""
    first = np.asarray(first, dtype=float)
    second = np.asarray(second, dtype=float)
    point = float(first.mean() - second.mean())
    if len(first) < 2 or len(second) < 2:
        return point, float("nan"), float("nan")
    rng = _rng(seed)
    a = rng.choice(first, size=(BOOTSTRAP_SAMPLES, len(first))).mean(axis=1)
    b = rng.choice(second, size=(BOOTSTRAP_SAMPLES, len(second))).mean(axis=1)
    low, high = np.percentile(a - b, [2.5, 97.5])
    return point, float(low), float(high)


def rate_stat(unit: str) -> Callable[[np.ndarray], np.ndarray]:
    """Operations per second from per-process samples: a mean of rates, or 1 / mean time."""
    if unit == "per_second":
        return lambda a: a.mean(axis=-1)
    return lambda a: 1.0 / a.mean(axis=-1)


def rate(values: np.ndarray, seed: str = "", unit: str = "second") -> tuple[float, float, float]:
    """Operations per second over processes, with a 95% bootstrap interval.

    ``unit`` ``second``: values are times per operation (processes of equal work), the
    rate is 1 / mean; ``per_second``: values are already rates (processes of about
    equal time), the rate is their mean. Both are Σwork / Σtime over the processes.
    """
    values = np.asarray(values, dtype=float)
    stat = rate_stat(unit)
    low, high = bootstrap_ci(values, stat, seed=seed)
    return float(stat(values)), low, high


def values_of(frame, benchmark: str, variant: str) -> np.ndarray:
    """The samples (one per process) of one metric and variant from a run's table."""
    return frame.loc[(frame.benchmark == benchmark) & (frame.variant == variant), "value"].to_numpy()


def geomean_ratio(
    pairs: list[tuple[np.ndarray, np.ndarray]], *, invert: bool = False, seed: str = ""
) -> tuple[float, float, float]:
    """Geometric mean over benchmarks of each one's ratio of means, with a 95% bootstrap interval.

    ``pairs`` holds (variant values, baseline values) per benchmark; ``invert`` makes
    each ratio baseline/variant (times into rates, as in ``compare``). Every resample
    redraws each benchmark's values on both sides and recomputes the geometric mean, so
    the interval is the measurement noise of the whole suite with its benchmarks held
    fixed (how representative the suite is, no interval can say). A benchmark with fewer
    than two values on a side makes the interval unknown (nan), never narrower.
    """
    pairs = [(np.asarray(v, dtype=float), np.asarray(b, dtype=float)) for v, b in pairs]
    if not pairs:
        return float("nan"), float("nan"), float("nan")

    def ratio(v_mean, b_mean):
        return b_mean / v_mean if invert else v_mean / b_mean

    point = float(np.exp(np.mean([np.log(ratio(v.mean(), b.mean())) for v, b in pairs])))
    if any(len(v) < 2 or len(b) < 2 for v, b in pairs):
        return point, float("nan"), float("nan")
    rng = _rng(seed)
    logs = np.zeros(BOOTSTRAP_SAMPLES)
    for v, b in pairs:
        v_means = rng.choice(v, size=(BOOTSTRAP_SAMPLES, len(v))).mean(axis=1)
        b_means = rng.choice(b, size=(BOOTSTRAP_SAMPLES, len(b))).mean(axis=1)
        logs += np.log(ratio(v_means, b_means))
    low, high = np.percentile(np.exp(logs / len(pairs)), [2.5, 97.5])
    return point, float(low), float(high)


# the source files pyperformance.time.<chunk> and pyperformance.memory.<chunk>
PYPERFORMANCE_SOURCE = "pyperformance."


def suite_geomean(df, source_prefix: str, variant: str, *, invert: bool,
                  seed: str) -> tuple[float, float, float, int] | None:
    """Geometric mean over the benchmarks of the sources starting ``source_prefix`` [95% CI], count.

    Each benchmark's ratio is of the variant's process means to baseline's (``invert``:
    baseline / variant, times into rates), as ``geomean_ratio``; None when the variant
    has no benchmark of those sources beside baseline.
    """
    part = df[df.source.str.startswith(source_prefix)] if not df.empty else df
    pairs = []
    for name in dict.fromkeys(part.benchmark):
        mine, base = values_of(part, name, variant), values_of(part, name, "baseline")
        if len(mine) and len(base):
            pairs.append((mine, base))
    if not pairs:
        return None
    point, low, high = geomean_ratio(pairs, invert=invert, seed=seed)
    return point, low, high, len(pairs)
