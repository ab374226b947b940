"""Intervals: a probability over shots (Wilson) and a mean over circuits (Student t for a
few circuits, the percentile bootstrap for more), each named by the method that made it.

The percentile bootstrap under-covers with few values (it cannot see beyond the spread of
the sample it resamples): with 10 circuits or fewer, the Student t interval is used, which
is exact for normally spread values and close for the bounded, unimodal spreads circuits
give. Formulas and references: docs/metrics.md, "Intervals".
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import NamedTuple

import numpy as np

CONFIDENCE = 0.95
"""Coverage of every interval unless told otherwise."""
SMALL_SAMPLE = 10
"""Up to this many circuit results, a mean's interval is Student's t, not the bootstrap."""
WILSON = "Wilson over shots"
STUDENT_T = "Student t over circuit results"
BOOTSTRAP = "bootstrap over circuit results"
UNBOUNDED = (-math.inf, math.inf)


class Estimate(NamedTuple):
    """A value with its interval (NaN bounds where none is defined)."""

    value: float
    low: float
    high: float


def mean_interval(
    values: np.ndarray,
    confidence: float = CONFIDENCE,
    resamples: int = 2000,
    seed: int = 0,
    bounds: tuple[float, float] = UNBOUNDED,
) -> Estimate:
    """The mean over circuits with its interval: Student's t for 2 to `SMALL_SAMPLE` values,
    the bootstrap percentile interval above (circuits resampled); NaN bounds for one value.
    The bounds are clipped to `bounds`, the range the quantity's mean can take."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return Estimate(math.nan, math.nan, math.nan)
    if v.size == 1:
        return Estimate(float(v[0]), math.nan, math.nan)
    if v.size <= SMALL_SAMPLE:
        low, high = t_interval(v, confidence)
    else:
        low, high = bootstrap_interval(v, confidence, resamples, seed)
    return Estimate(float(v.mean()), *_clipped(low, high, bounds))


def interval_method(size: int) -> str:
    """How `mean_interval` finds the interval of `size` values."""
    return STUDENT_T if size <= SMALL_SAMPLE else BOOTSTRAP


def t_interval(values: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """mean -+ t_(n-1) s / sqrt(n): Student's interval for the mean of `values`."""
    from scipy.stats import t as student

    v = np.asarray(values, dtype=float)
    half = student.ppf(1 - (1 - confidence) / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size)
    return float(v.mean() - half), float(v.mean() + half)


def lower_bound(
    values: np.ndarray, confidence: float = 1 - (1 - CONFIDENCE) / 2, seed: int = 0
) -> tuple[float, str]:
    """A one-sided lower confidence bound of the mean of `values` (97.5% by default, the
    lower end of the two-sided 95% interval) and its method: the bootstrap's 2.5% quantile
    of resampled means, or Student's t for `SMALL_SAMPLE` values or fewer."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if v.size < 2:
        return math.nan, ""
    two_sided = 1 - 2 * (1 - confidence)
    if v.size <= SMALL_SAMPLE:
        return t_interval(v, two_sided)[0], STUDENT_T
    return bootstrap_interval(v, two_sided, seed=seed)[0], BOOTSTRAP


def _clipped(low: float, high: float, bounds: tuple[float, float]) -> tuple[float, float]:
    return min(max(low, bounds[0]), bounds[1]), max(min(high, bounds[1]), bounds[0])


def bootstrap_interval(
    values: np.ndarray, confidence: float = CONFIDENCE, resamples: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of `values` (Efron), seeded.

    Resamples in blocks so 10,000 circuits cost a few MB, not resamples x circuits.
    """
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return math.nan, math.nan
    tail = (1 - confidence) / 2
    low, high = np.quantile(bootstrap_means(v, resamples, seed), [tail, 1 - tail])
    return float(low), float(high)


def bootstrap_means(values: np.ndarray, resamples: int = 2000, seed: int = 0) -> np.ndarray:
    """The means of `resamples` resamplings of `values` with replacement, seeded."""
    v = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    block = max(1, (1 << 21) // v.size)
    return np.concatenate(
        [
            v[rng.integers(0, v.size, size=(min(block, resamples - start), v.size))].mean(axis=1)
            for start in range(0, resamples, block)
        ]
    )


def wilson_interval(
    successes: np.ndarray | int, trials: np.ndarray | int, confidence: float = CONFIDENCE
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion (vectorised; NaN where trials = 0).

    Unlike the normal approximation it stays inside [0, 1] and keeps its coverage at 0 or
    all shots, where device benchmarks often sit (Wilson 1927; Brown, Cai and DasGupta 2001).
    """
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denominator = 1 + z**2 / n
        center = (p + z**2 / (2 * n)) / denominator
        half = z / denominator * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return np.clip(center - half, 0.0, 1.0), np.clip(center + half, 0.0, 1.0)
