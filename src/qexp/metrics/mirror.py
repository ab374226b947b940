"""Mirror randomized benchmarking: each circuit's effective polarization, and the fit of its
decay with benchmark depth that gives an error per layer (Proctor et al., PRL 129, 150502
(2022), arXiv:2112.09853; as pyGSTi's `rbtools` and qiskit-device-benchmarking compute it).

A circuit with one ideal bitstring t, measured with h_k the share of shots at Hamming
distance k from t:

    S = sum_k (-1/2)^k h_k                          (adjusted success probability)
    polarization = (S - 1/4^n) / (1 - 1/4^n)        (effective polarization)

A layer of global depolarizing error with polarization p multiplies it by p exactly; a fully
depolarized device scores 0, an ideal one 1. Over benchmark depths d the mean polarization
decays as A p^d; the error per layer is r = (4^n - 1) / 4^n (1 - p), the layer's entanglement
infidelity.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qexp.circuits.ideal import outcome_bits


@dataclass(frozen=True)
class Decay:
    """The fit of mean polarization against benchmark depth: A p^d."""

    p: float
    p_std: float
    amplitude: float
    amplitude_std: float
    num_qubits: int

    @property
    def error_per_layer(self) -> float:
        """r = (4^n - 1) / 4^n (1 - p)."""
        return _scale(self.num_qubits) * (1 - self.p)

    @property
    def error_per_layer_std(self) -> float:
        return _scale(self.num_qubits) * self.p_std


def effective_polarization(
    outcomes: np.ndarray, weights: np.ndarray, target: int, num_bits: int
) -> float:
    """Proctor's effective polarization of a distribution (`weights`: counts or
    probabilities of `outcomes`) against the one ideal bitstring `target`."""
    w = np.asarray(weights, dtype=float)
    total = w.sum()
    if total <= 0:
        return math.nan
    distances = hamming_distances(outcomes, target, num_bits)
    adjusted = float((w * (-0.5) ** distances).sum() / total)
    floor = 4.0**-num_bits
    return (adjusted - floor) / (1 - floor)


def hamming_distances(outcomes: np.ndarray, target: int, num_bits: int) -> np.ndarray:
    """The number of bits in which each outcome differs from `target`."""
    values = np.asarray(outcomes)
    if values.dtype == object or num_bits > 64:
        return np.array([(int(x) ^ int(target)).bit_count() for x in values], dtype=np.int64)
    flipped = values.astype(np.uint64) ^ np.uint64(target)
    return outcome_bits(flipped, num_bits).sum(axis=1).astype(np.int64)


def fit_decay(
    depths: Sequence[float], polarizations: Sequence[float], num_qubits: int
) -> Decay | None:
    """A p^d fitted to every circuit's polarization at its benchmark depth: weighted least
    squares on the mean of each depth, weighted by its standard error over circuits (where
    every depth has two circuits or more; else unweighted, the scale from the residuals).
    The standard deviations come from the fit's covariance. None with fewer than two
    depths."""
    from scipy.optimize import curve_fit

    d = np.asarray(depths, dtype=float)
    values = np.asarray(polarizations, dtype=float)
    keep = ~np.isnan(values)
    d, values = d[keep], values[keep]
    levels = np.unique(d)
    if levels.size < 2:
        return None
    means = np.array([values[d == level].mean() for level in levels])
    sizes = np.array([np.count_nonzero(d == level) for level in levels])
    weighted = bool((sizes >= 2).all())
    sigma = None
    if weighted:
        spread = np.array([values[d == level].std(ddof=1) for level in levels])
        sigma = np.maximum(spread / np.sqrt(sizes), 1e-6)  # identical values: tiny, not 0
    start = (max(float(means[0]), 1e-3), _start_rate(levels, means))
    try:
        found, covariance = curve_fit(
            _model,
            levels,
            means,
            p0=start,
            sigma=sigma,
            absolute_sigma=weighted,
            bounds=([0.0, 0.0], [2.0, 1.0]),
        )
    except (RuntimeError, ValueError):
        return None
    errors = np.sqrt(np.clip(np.diag(covariance), 0, None))
    if levels.size == 2 and not weighted:  # exactly determined: no scale to estimate
        errors = np.full(2, math.nan)
    return Decay(
        p=float(found[1]),
        p_std=float(errors[1]),
        amplitude=float(found[0]),
        amplitude_std=float(errors[0]),
        num_qubits=num_qubits,
    )


def _model(d: np.ndarray, amplitude: float, p: float) -> np.ndarray:
    return amplitude * p**d


def _start_rate(levels: np.ndarray, means: np.ndarray) -> float:
    """p from the first and last mean (a log-linear guess), kept inside (0, 1)."""
    first, last = max(means[0], 1e-3), max(means[-1], 1e-3)
    rate = (last / first) ** (1 / (levels[-1] - levels[0]))
    return float(np.clip(rate, 0.05, 0.999))


def _scale(num_qubits: int) -> float:
    """(4^n - 1) / 4^n, without forming 4^n."""
    return 1 - 4.0**-num_qubits
