"""IBM's Quantum Volume test of one width (Cross et al., PRA 100, 032328 (2019))."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from qexp.metrics.intervals import lower_bound

QV_THRESHOLD = 2 / 3
"""Heavy-output probability a width must beat (Cross et al. 2019)."""
QV_MIN_CIRCUITS = 100
"""Circuits per width the Quantum Volume protocol asks for."""


@dataclass(frozen=True)
class QuantumVolumeVerdict:
    """IBM's Quantum Volume test of one width (Cross et al., PRA 100, 032328 (2019))."""

    mean: float
    """Mean heavy-output probability over the width's circuits."""
    sigma: float
    """sqrt(mean (1 - mean) / num_circuits): the protocol's binomial standard error."""
    num_circuits: int
    """Circuits the verdict rests on."""
    lower_bound: float = math.nan
    """A one-sided 97.5% lower confidence bound of the mean over circuits that makes no
    binomial assumption (Baldwin et al. 2022): the bootstrap's, Student's t for 10 circuits
    or fewer. Shown beside IBM's rule; the verdict is IBM's."""
    lower_bound_method: str = ""

    @property
    def lower(self) -> float:
        """mean - 2 sigma: the two-sigma lower bound that must clear 2/3."""
        return self.mean - 2 * self.sigma

    @property
    def band(self) -> tuple[float, float]:
        """mean -+ 2 sigma, clipped to [0, 1] (a probability's mean lies there)."""
        return max(self.lower, 0.0), min(self.mean + 2 * self.sigma, 1.0)

    @property
    def above_threshold(self) -> bool:
        """The statistical test alone: mean - 2 sigma > 2/3."""
        return self.lower > QV_THRESHOLD

    @property
    def enough_circuits(self) -> bool:
        """At least 100 circuits, as the protocol asks."""
        return self.num_circuits >= QV_MIN_CIRCUITS

    @property
    def passed(self) -> bool:
        """The width passes: above the threshold with two-sigma confidence, on >= 100 circuits."""
        return self.above_threshold and self.enough_circuits


def quantum_volume_verdict(hops: np.ndarray, seed: int = 0) -> QuantumVolumeVerdict:
    """The verdict for one width from its circuits' heavy-output probabilities."""
    h = np.asarray(hops, dtype=float)
    h = h[~np.isnan(h)]
    if h.size == 0:
        return QuantumVolumeVerdict(math.nan, math.nan, 0)
    mean = float(h.mean())
    bound, method = lower_bound(h, seed=seed)
    return QuantumVolumeVerdict(
        mean, math.sqrt(mean * (1 - mean) / h.size), int(h.size), max(bound, 0.0), method
    )
