"""GHZ state fidelity from populations and parity oscillations (Monz et al., PRL 106, 130506
(2011)), as IBM's GHZ demonstrations report it.

For the n-qubit GHZ state (|0...0> + |1...1>)/sqrt(2) and a measured state rho,

    F = <GHZ| rho |GHZ> = (P(0...0) + P(1...1)) / 2 + C / 2

with P the populations (the GHZ circuit's success probability) and C = 2 |rho_(0...0),(1...1)|
the coherence between the two. C is the amplitude of the parity oscillation: a phase phi on
every qubit, then a Hadamard on every qubit, turns the coherence into the parity
<Z...Z>(phi) = C cos(n phi + phi_0), which the parity circuits measure at 2n + 2 phases
phi_k = k pi / (n + 1) (so n phi_k falls on evenly spaced angles). The fit of
a cos(n phi) + b sin(n phi) by least squares gives C = sqrt(a^2 + b^2); its uncertainty comes
from each parity's binomial variance (1 - P^2) / shots, carried through the fit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from qexp.circuits.ideal import outcome_bits
from qexp.metrics.scores import Counts


@dataclass(frozen=True)
class GhzFidelity:
    """One width's GHZ state fidelity and the two halves it is made of."""

    fidelity: float
    """(population + coherence) / 2."""
    std: float
    """Its standard deviation (shot noise, carried through the fit)."""
    population: float
    """P(0...0) + P(1...1), the GHZ circuit's success probability."""
    population_std: float
    coherence: float
    """C: the fitted amplitude of the parity oscillation."""
    coherence_std: float
    offset: float
    """phi_0: the oscillation's phase (coherent Z errors move it; it does not enter F)."""


def parity(counts: Counts) -> float:
    """<Z...Z>: the share of shots of even weight minus the share of odd weight."""
    shots = counts.shots
    if shots == 0:
        return math.nan
    outcomes = counts.outcomes
    if outcomes.dtype == object:
        odd = np.array([int(x).bit_count() & 1 for x in outcomes], dtype=bool)
    else:
        width = max(1, int(outcomes.max()).bit_length()) if outcomes.size else 1
        odd = (outcome_bits(outcomes, width).sum(axis=1) & 1).astype(bool)
    signs = np.where(odd, -1.0, 1.0)
    return float((signs * counts.counts).sum() / shots)


def ghz_fidelity(
    population: float,
    population_shots: int,
    phases: np.ndarray,
    parities: np.ndarray,
    parity_shots: np.ndarray,
    num_qubits: int,
) -> GhzFidelity:
    """F = (population + C) / 2 from the GHZ circuit's success probability (over
    `population_shots`) and the parities measured at `phases` (over `parity_shots` each)."""
    phi = np.asarray(phases, dtype=float)
    p = np.asarray(parities, dtype=float)
    shots = np.asarray(parity_shots, dtype=float)
    design = np.column_stack([np.cos(num_qubits * phi), np.sin(num_qubits * phi)])
    pseudo = np.linalg.pinv(design)  # (X^T X)^-1 X^T: the least-squares fit
    a, b = pseudo @ p
    variance = np.maximum(1 - p**2, 1 / shots**2) / shots  # binomial, never exactly 0
    covariance = pseudo @ np.diag(variance) @ pseudo.T
    coherence = math.hypot(a, b)
    gradient = np.array([a, b]) / coherence if coherence > 0 else np.array([1.0, 0.0])
    coherence_std = math.sqrt(float(gradient @ covariance @ gradient))
    population_std = math.sqrt(max(population * (1 - population), 0.0) / population_shots)
    return GhzFidelity(
        fidelity=(population + coherence) / 2,
        std=math.hypot(population_std, coherence_std) / 2,
        population=population,
        population_std=population_std,
        coherence=coherence,
        coherence_std=coherence_std,
        offset=math.atan2(-b, a),
    )
