"""Intervals: a probability over shots (Wilson) and a mean over circuits (bootstrap).

Formulas and references: docs/metrics.md, "Intervals over shots" and "Mean with a 95%
interval".
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import NamedTuple

import numpy as np

CONFIDENCE = 0.95
"""Coverage of every interval unless told otherwise."""


class Estimate(NamedTuple):
    """A value with its interval (NaN bounds where none is defined)."""

    value: float
    low: float
    high: float


def mean_interval(
    values: np.ndarray, confidence: float = CONFIDENCE, resamples: int = 2000, seed: int = 0
) -> Estimate:
    """The mean over circuits with its bootstrap percentile interval (circuits resampled)."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return Estimate(math.nan, math.nan, math.nan)
    low, high = bootstrap_interval(v, confidence, resamples, seed)
    return Estimate(float(v.mean()), low, high)


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
