"""Per circuit (and parameter point), from `Counts` and the circuit's `Ideal`:
`success_probability`, `hellinger_fidelity`, `normalized_fidelity` (QED-C),
`heavy_output_probability`, `effective_polarization` (mirror RB); for the Estimator,
`error` and `z_score` against the ideal values.

Everything is vectorised over outcomes, so a job's metrics cost little next to writing it.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from qexp.circuits.ideal import Ideal
from qexp.metrics.intervals import CONFIDENCE, Estimate, wilson_interval
from qexp.metrics.mirror import effective_polarization


class Counts(NamedTuple):
    """What one parameter point of a Sampler result holds: distinct outcomes and their counts.

    Outcomes are integers with bit j = qubit j (`numpy.uint64` up to 64 bits, Python ints in
    an object array above), as `BitArray` stores them.
    """

    outcomes: np.ndarray
    counts: np.ndarray

    @property
    def shots(self) -> int:
        return int(self.counts.sum())

    @classmethod
    def from_dict(cls, counts: dict[str, int]) -> Counts:
        """From `BitArray.get_counts()`-style {bitstring: count} (qubit 0 rightmost)."""
        values = [int(bits, 2) for bits in counts]
        wide = any(len(bits) > 64 for bits in counts)
        dtype: Any = object if wide else np.uint64
        return cls(np.array(values, dtype=dtype), np.array(list(counts.values()), dtype=np.int64))


def tally(bits: Any) -> list[Counts]:
    """A `BitArray` (any shape) as one `Counts` per parameter point, in C order."""
    num_bits = int(bits.num_bits)
    packed = np.asarray(bits.array, dtype=np.uint8)
    shots, num_bytes = packed.shape[-2], packed.shape[-1]
    rows = packed.reshape(-1, shots, num_bytes)
    found = []
    if num_bytes <= 8:
        wide = np.zeros((*rows.shape[:2], 8), dtype=np.uint8)
        wide[..., 8 - num_bytes :] = rows
        values = wide.view(">u8")[..., 0].astype(np.uint64)
        for point in values:
            outcomes, numbers = np.unique(point, return_counts=True)
            found.append(Counts(outcomes, numbers))
    else:
        mask = (1 << num_bits) - 1
        for point in rows:
            unique, numbers = np.unique(point, axis=0, return_counts=True)
            ints = [int.from_bytes(row.tobytes(), "big") & mask for row in unique]
            found.append(Counts(np.array(ints, dtype=object), numbers))
    return found


# --- per circuit --------------------------------------------------------------------------------


def success_probability(counts: Counts, ideal: Ideal, confidence: float = CONFIDENCE) -> Estimate:
    """Fraction of shots on an outcome the ideal circuit can give, with its Wilson interval.

    Telling where the ideal support is small: GHZ (2 outcomes), QFT and mirror circuits (1).
    """
    return _share(counts, ideal.probability(counts.outcomes) > _POSSIBLE, confidence)


def heavy_output_probability(
    counts: Counts, ideal: Ideal, confidence: float = CONFIDENCE
) -> Estimate:
    """Fraction of shots on heavy outputs (ideal probability above the median), Wilson interval.

    An ideal device gives (1 + ln 2) / 2 ~ 0.85 on Quantum Volume circuits, a fully
    depolarized one 1/2. Needs a dense ideal (width up to `metrics.max_exact_qubits`).
    """
    return _share(counts, ideal.is_heavy(counts.outcomes), confidence)


def hellinger_fidelity(counts: Counts, ideal: Ideal) -> float:
    """(sum_x sqrt(p_x q_x))**2 for measured frequencies p and the ideal q, as Qiskit's
    `hellinger_fidelity` and QED-C's `hellinger_fidelity_with_expected` define it."""
    return _hellinger(counts, ideal.probability(counts.outcomes))


def normalized_fidelity(counts: Counts, ideal: Ideal) -> float:
    """QED-C's normalized (polarization) fidelity: the Hellinger fidelity rescaled so the
    uniform distribution scores 0 and the ideal one 1. Not clipped (see `rescaled`).
    """
    return rescaled(hellinger_fidelity(counts, ideal), ideal.uniform_fidelity)


def rescaled(fidelity: float, floor: float) -> float:
    """(F - F_uniform) / (1 - F_uniform), F_uniform (`floor`) the Hellinger fidelity of the
    uniform distribution to the ideal one (exact at any width); NaN when the ideal is itself
    uniform, where the two cannot be told apart.

    Not clipped to [0, 1] as QED-C's code does: a circuit scoring below the uniform
    distribution (finite shots do, on wide circuits) stays negative, so that a mean over
    circuits is not biased upwards. Figures clip their colours, and say so.
    """
    if floor >= 1 - 1e-12:
        return math.nan
    return (fidelity - floor) / (1 - floor)


def error(values: np.ndarray, ideal_values: np.ndarray) -> np.ndarray:
    """Estimator: measured minus ideal expectation value, elementwise."""
    return np.asarray(values, dtype=float) - np.asarray(ideal_values, dtype=float)


def sampler_metrics(
    counts: Counts, ideal: Ideal, *, success: bool | None = None, q: np.ndarray | None = None
) -> dict[str, float]:
    """Every per-circuit Sampler metric `ideal` allows, keyed by its table column name.

    `success_probability` where an ideal run gives at most half of all outcomes (GHZ, QFT,
    mirror, Clifford, sparse exact distributions; elsewhere it would be near 1 by
    construction), or wherever `success` says so (the generator named its ideal outcomes);
    `heavy_output_probability` where the ideal is dense (it needs the median);
    `effective_polarization` where the ideal is one bitstring (mirror circuits). `q`: the
    ideal probability of each of `counts.outcomes`, when the caller has it already.
    """
    if q is None:
        q = ideal.probability(counts.outcomes)  # once: the costly part at large widths
    fidelity = _hellinger(counts, q)
    row = {
        "hellinger_fidelity": fidelity,
        "normalized_fidelity": rescaled(fidelity, ideal.uniform_fidelity),
    }
    if success if success is not None else ideal.support_fraction <= 0.5:
        row |= _with_interval("success_probability", _share(counts, q > _POSSIBLE))
    if ideal.median is not None:
        heavy = _share(counts, q > ideal.median)
        row |= _with_interval("heavy_output_probability", heavy)
    if (target := ideal.certain_outcome) is not None:
        row["effective_polarization"] = effective_polarization(
            counts.outcomes, counts.counts, target, ideal.num_bits
        )
    return row


def distribution_metrics(
    outcomes: np.ndarray, probabilities: np.ndarray, ideal: Ideal
) -> dict[str, float]:
    """`sampler_metrics` of a probability distribution instead of counts (a readout-mitigated
    one): the same columns and the same rules, without the Wilson intervals, which count
    shots and do not apply to a corrected distribution."""
    p = np.asarray(probabilities, dtype=float)
    q = ideal.probability(outcomes)
    fidelity = min(float(np.sqrt(p * q).sum()), 1.0) ** 2
    row = {
        "hellinger_fidelity": fidelity,
        "normalized_fidelity": rescaled(fidelity, ideal.uniform_fidelity),
    }
    if ideal.support_fraction <= 0.5:
        row["success_probability"] = float(p[q > _POSSIBLE].sum())
    if ideal.is_dense:
        row["heavy_output_probability"] = float(p[ideal.is_heavy(outcomes)].sum())
    if (target := ideal.certain_outcome) is not None:
        row["effective_polarization"] = effective_polarization(outcomes, p, target, ideal.num_bits)
    return row


def estimator_metrics(
    values: np.ndarray, ideal_values: np.ndarray, stds: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """`ideal_value`, `error` and, given the estimates' standard errors, `z_score` for each
    observable and parameter point."""
    ideal = np.asarray(ideal_values, dtype=float)
    found = {"ideal_value": ideal, "error": error(values, ideal)}
    if stds is not None:
        found["z_score"] = z_score(found["error"], stds)
    return found


def z_score(errors: Any, stds: Any) -> np.ndarray:
    """error / std: how many of its own standard errors an estimate lies from the ideal value
    (about N(0, 1) for an unbiased estimate with an honest std; NaN without a std, +-inf for
    a nonzero error with a zero std)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(errors, dtype=float) / np.asarray(stds, dtype=float)


_POSSIBLE = 1e-12
"""Ideal probabilities below this are round-off of an exact simulation, not outcomes."""


def _share(counts: Counts, hits: np.ndarray, confidence: float = CONFIDENCE) -> Estimate:
    """The fraction of shots on the outcomes marked in `hits`, with its Wilson interval."""
    shots = counts.shots
    if shots == 0:
        return Estimate(math.nan, math.nan, math.nan)
    k = int(counts.counts[hits].sum())
    low, high = wilson_interval(k, shots, confidence)
    return Estimate(k / shots, float(low), float(high))


def _hellinger(counts: Counts, q: np.ndarray) -> float:
    shots = counts.shots
    if shots == 0:
        return math.nan
    overlap = float(np.sqrt(counts.counts / shots * q).sum())
    return min(overlap, 1.0) ** 2


def _with_interval(name: str, estimate: Estimate) -> dict[str, float]:
    return {name: estimate.value, f"{name}_low": estimate.low, f"{name}_high": estimate.high}
