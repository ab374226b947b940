"""Readout correction with mthree, from calibration matrices qexp measured in the Batch.

mthree's `M3Mitigation.cals_from_system(..., runtime_mode=batch)` would submit calibration
jobs itself, but it honours `runtime_mode` only for an `IBMBackend` of the service: on a fake
device, a simulator or any local backend it silently runs them through `backend.run`,
outside the Batch. So qexp submits the calibration circuits as jobs of the run's own Batch,
builds each qubit's matrix from their counts (`calibration.matrices`) and hands mthree the
matrices (`cals_from_matrices`); mthree does the rest: the matrix-free correction of each
circuit's counts on the physical qubits it measured, and the nearest probability
distribution (Smolin, Gambetta and Smith, PRL 108, 070502 (2012)).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from qexp.metrics import Counts


@dataclass(frozen=True)
class Corrected:
    """One circuit's (and parameter point's) mitigated distribution."""

    outcomes: list[str]
    """Bitstrings, qubit 0 rightmost, in increasing order."""
    quasi: np.ndarray
    """mthree's quasi-probabilities (they sum to 1; some may be negative)."""
    probability: np.ndarray
    """The nearest probability distribution, in the same order (0 where it has none)."""
    overhead: float
    """mthree's mitigation overhead: the standard error of a mitigated expectation value
    of a +-1 observable is at most sqrt(overhead / shots)."""
    shots: int

    @property
    def stddev(self) -> float:
        """mthree's standard deviation (an upper bound) of a mitigated expectation value of a
        +-1 diagonal observable: sqrt(overhead / shots), as `QuasiDistribution.stddev()`."""
        return math.sqrt(self.overhead / self.shots) if self.shots else math.nan

    @property
    def probability_std(self) -> float:
        """The same for a probability: P(S) = (1 + <O_S>) / 2 for the +-1 observable O_S that
        is +1 on the outcomes S (success, heavy outputs), so half of `stddev`."""
        return self.stddev / 2


def mitigator(qubits: Sequence[int], matrices: np.ndarray) -> Any:
    """An `M3Mitigation` holding the calibrated qubits' matrices and no backend: a qubit
    without a matrix makes mthree raise instead of calibrating on its own."""
    import mthree

    cals: list[np.ndarray | None] = [None] * (max(qubits) + 1)
    for qubit, matrix in zip(qubits, matrices, strict=True):
        cals[qubit] = np.asarray(matrix, dtype=np.float32)
    mit = mthree.M3Mitigation()
    mit.cals_from_matrices(cals)
    return mit


def correct(mit: Any, counts: Counts, num_bits: int, qubits: Sequence[int]) -> Corrected:
    """`counts` corrected for the readout of `qubits` (classical bit j read from qubits[j])."""
    raw = {
        format(int(value), f"0{num_bits}b"): int(number)
        for value, number in zip(counts.outcomes, counts.counts, strict=True)
    }
    quasi = mit.apply_correction(raw, list(qubits), return_mitigation_overhead=True)
    nearest = quasi.nearest_probability_distribution()
    keys = sorted(quasi, key=lambda bits: int(bits, 2))
    return Corrected(
        outcomes=keys,
        quasi=np.array([quasi[k] for k in keys], dtype=float),
        probability=np.array([nearest.get(k, 0.0) for k in keys], dtype=float),
        overhead=float(quasi.mitigation_overhead),
        shots=counts.shots,
    )
