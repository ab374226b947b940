"""The shot-noise reference: what an ideal device scores on each metric with the run's shots.

A fidelity estimated from N shots is biased low even for a perfect device: the measured
frequencies p of a wide circuit's outcomes are 0 or 1/N where the ideal q is smooth, so
(sum_x sqrt(p_x q_x))^2 stays well below 1 (a 10-qubit Quantum Volume circuit scores a
normalized fidelity below 0 with 1,000 shots). The reference is that ideal score, per circuit:
a figure draws it beside the measured one, so that a low score is read against what the
shot count allows, not against 1.

- heavy-output and success probabilities are linear in the counts, so their expected value
  is exact: the ideal's heavy-output mass, and 1;
- Hellinger fidelity is not: its expected value over the multinomial distribution of N
  shots from q is estimated by seeded sampling, `replicates(N)` draws of N shots each
  (the mean over them; the normalized fidelity is the same mean rescaled, being linear in
  the Hellinger fidelity). A stabilizer-form ideal is uniform on 2^k outcomes, so only the
  counts of k-bit labels matter (any width); one bitstring (k = 0) scores 1 exactly.

Definitions and the test against a direct calculation: docs/metrics.md, "Shot-noise
reference".
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from qexp.circuits.ideal import Ideal
from qexp.metrics.scores import rescaled

SUFFIX = "_reference"
"""A metric's reference column is `<metric>_reference`."""
SAMPLED_SHOTS = 1 << 15
"""Shots drawn per circuit over all replicates: few replicates where each has many shots."""
MIN_REPLICATES, MAX_REPLICATES = 4, 32
MULTINOMIAL_OUTCOMES = 1 << 8
"""Up to this many outcomes a draw is one multinomial vector; above, shots are drawn one by
one (searching the cumulative distribution) and counted."""


def replicates(shots: int) -> int:
    """Draws of `shots` shots that estimate one circuit's reference: 32 up to 1,024 shots,
    4 from 8,192 on (the spread of a fidelity over draws shrinks as 1/sqrt(shots))."""
    return int(np.clip(SAMPLED_SHOTS // max(int(shots), 1), MIN_REPLICATES, MAX_REPLICATES))


def shot_noise_reference(
    ideal: Ideal,
    shots: int,
    *,
    seed: int | Sequence[int],
    success: bool | None = None,
    draws: int | None = None,
) -> dict[str, float]:
    """Each metric `sampler_metrics` reports for `ideal` (same rules; `success` as there), as
    an ideal device scores it with `shots` shots, keyed `<metric>_reference`. Seeded:
    the same circuit gets the same reference."""
    if shots <= 0:
        return {}
    rng = np.random.default_rng(seed)
    count = draws if draws is not None else replicates(shots)
    fidelity = float(np.mean(sampled_hellinger(ideal, shots, count, rng)))
    row = {
        f"hellinger_fidelity{SUFFIX}": fidelity,
        f"normalized_fidelity{SUFFIX}": rescaled(fidelity, ideal.uniform_fidelity),
    }
    if success if success is not None else ideal.support_fraction <= 0.5:
        row[f"success_probability{SUFFIX}"] = 1.0
    if ideal.probabilities is not None and ideal.median is not None:
        heavy = ideal.probabilities[ideal.probabilities > ideal.median].sum()
        row[f"heavy_output_probability{SUFFIX}"] = float(heavy)
    if ideal.certain_outcome is not None:  # every ideal shot is the one bitstring
        row[f"effective_polarization{SUFFIX}"] = 1.0
    return row


def sampled_hellinger(ideal: Ideal, shots: int, draws: int, rng: np.random.Generator) -> np.ndarray:
    """The Hellinger fidelity to `ideal` of each of `draws` draws of `shots` shots from it."""
    if ideal.probabilities is not None:
        p = ideal.probabilities
        if p.size <= MULTINOMIAL_OUTCOMES:  # every outcome's count at once
            counts = rng.multinomial(shots, p / p.sum(), size=draws)
            return np.minimum(np.sqrt(counts / shots * p).sum(axis=1), 1.0) ** 2
        cdf = np.cumsum(p)
        # each draw's shots as sorted uniforms (a sorted search is several times faster)
        uniforms = np.sort(rng.random((draws, shots)), axis=1) * cdf[-1]
        drawn = np.minimum(np.searchsorted(cdf, uniforms, side="right"), p.size - 1)
        draw, outcome, counts = _runs(drawn)
        terms = np.sqrt(counts / shots * p[outcome])
    else:
        k = ideal.support_bits or 0
        if k == 0:
            return np.ones(draws)
        if k > 62:  # labels of several words; shots rarely repeat at such widths
            wide = [
                np.sqrt(_wide_label_counts(k, shots, rng) / shots * 2.0**-k).sum()
                for _ in range(draws)
            ]
            return np.minimum(wide, 1.0) ** 2
        # uniform on 2^k outcomes: only how often each k-bit label comes up matters
        draw, _, counts = _runs(np.sort(rng.integers(0, 1 << k, (draws, shots)), axis=1))
        terms = np.sqrt(counts / shots * 2.0**-k)
    overlaps = np.bincount(draw, weights=terms, minlength=draws)
    return np.minimum(overlaps, 1.0) ** 2


def _runs(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Of rows of sorted values: each run of equal values as (its row, its value, its
    length), i.e. every row's distinct values and their counts, in one pass."""
    new = np.ones(rows.shape, dtype=bool)
    new[:, 1:] = rows[:, 1:] != rows[:, :-1]
    first = np.flatnonzero(new)
    return first // rows.shape[1], rows.ravel()[first], np.diff(np.r_[first, rows.size])


def _wide_label_counts(bits: int, shots: int, rng: np.random.Generator) -> np.ndarray:
    """How often each distinct label came up in `shots` uniform draws of `bits`-bit labels,
    drawn as 62-bit words (exact at any number of bits)."""
    words = math.ceil(bits / 62)
    sizes = [62] * (words - 1) + [bits - 62 * (words - 1)]
    labels = np.stack([rng.integers(0, 1 << size, size=shots) for size in sizes], axis=1)
    return np.unique(labels, axis=0, return_counts=True)[1]
