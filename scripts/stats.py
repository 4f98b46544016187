"""Statistics for comparing a variant with baseline: ratios, their spread, significance.

A ratio is of means (pyperf's convention). Its spread is a 95% bootstrap interval
(resampling each side's values, seeded so a report regenerates identically), and
significance is Welch's t-test (unequal variances) at 5%, the test pyperf's
``compare_to`` uses in spirit. With fewer than two values on a side nothing can be
said, and the comparison says so instead of inventing a number.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

ALPHA = 0.05
BOOTSTRAP_SAMPLES = 2000


@dataclass(frozen=True)
class Comparison:
    """variant / baseline for one metric."""

    ratio: float
    low: float
    high: float
    p_value: float | None

    @property
    def significant(self) -> bool | None:
        return None if self.p_value is None else self.p_value < ALPHA

    def verdict(self, higher_is_better: bool) -> str:
        """'better', 'worse' or 'not significant' (or 'n/a' with too few values)."""
        if self.significant is None:
            return "n/a (too few values)"
        if not self.significant:
            return "not significant"
        return "better" if (self.ratio > 1) == higher_is_better else "worse"


def _rng(seed_text: str) -> np.random.Generator:
    """A generator seeded from text (not hash(), which is randomised per process)."""
    return np.random.default_rng(int.from_bytes(hashlib.sha256(seed_text.encode()).digest()[:8], "little"))


def compare(variant: np.ndarray, baseline: np.ndarray, *, invert: bool = False, seed: str = "") -> Comparison:
    """Ratio of means variant/baseline (baseline/variant with ``invert``), 95% CI and Welch p.

    ``invert`` turns times into rates: a rate ratio is baseline_time / variant_time.
    """
    variant = np.asarray(variant, dtype=float)
    baseline = np.asarray(baseline, dtype=float)

    def ratio_of(v: np.ndarray, b: np.ndarray) -> np.ndarray | float:
        return (b.mean(axis=-1) / v.mean(axis=-1)) if invert else (v.mean(axis=-1) / b.mean(axis=-1))

    point = float(ratio_of(variant, baseline))
    if len(variant) < 2 or len(baseline) < 2:
        return Comparison(point, float("nan"), float("nan"), None)
    rng = _rng(seed)
    v_samples = rng.choice(variant, size=(BOOTSTRAP_SAMPLES, len(variant)))
    b_samples = rng.choice(baseline, size=(BOOTSTRAP_SAMPLES, len(baseline)))
    ratios = ratio_of(v_samples, b_samples)
    low, high = np.percentile(ratios, [2.5, 97.5])
    if np.allclose(variant, variant[0]) and np.allclose(baseline, baseline[0]):
        p_value = 1.0 if np.isclose(variant[0], baseline[0]) else 0.0  # deterministic meters
    else:
        with warnings.catch_warnings():  # near-identical samples (deterministic meters) are fine
            warnings.simplefilter("ignore", RuntimeWarning)
            p_value = float(sps.ttest_ind(variant, baseline, equal_var=False).pvalue)
    return Comparison(point, float(low), float(high), p_value)


def bootstrap_ci(values: np.ndarray, statistic, seed: str = "") -> tuple[float, float]:
    """95% bootstrap interval of ``statistic`` (a function of a 1-D array)."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return float("nan"), float("nan")
    rng = _rng(seed)
    samples = rng.choice(values, size=(BOOTSTRAP_SAMPLES, len(values)))
    stats = np.apply_along_axis(statistic, 1, samples)
    low, high = np.percentile(stats, [2.5, 97.5])
    return float(low), float(high)


def ratio_ci(numerator: np.ndarray, denominator: np.ndarray, seed: str = "") -> tuple[float, float, float]:
    """mean(numerator)/mean(denominator) with a 95% bootstrap interval (e.g. efficiency e)."""
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    point = float(numerator.mean() / denominator.mean())
    if len(numerator) < 2 or len(denominator) < 2:
        return point, float("nan"), float("nan")
    rng = _rng(seed)
    n = rng.choice(numerator, size=(BOOTSTRAP_SAMPLES, len(numerator))).mean(axis=1)
    d = rng.choice(denominator, size=(BOOTSTRAP_SAMPLES, len(denominator))).mean(axis=1)
    low, high = np.percentile(n / d, [2.5, 97.5])
    return point, float(low), float(high)


def rate(values: np.ndarray, seed: str = "") -> tuple[float, float, float]:
    """Operations per second from times per operation, with a 95% bootstrap interval."""
    values = np.asarray(values, dtype=float)
    low, high = bootstrap_ci(values, lambda a: 1.0 / a.mean(), seed=seed)
    return 1.0 / values.mean(), low, high


def values_of(frame, benchmark: str, variant: str) -> np.ndarray:
    """The stored values of one benchmark and variant from a run's value table."""
    return frame.loc[(frame.benchmark == benchmark) & (frame.variant == variant), "value"].to_numpy()


def geomean_ratio(pairs: list[tuple[np.ndarray, np.ndarray]], *, invert: bool = False, seed: str = "") -> tuple[float, float, float]:
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
