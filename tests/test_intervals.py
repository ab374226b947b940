"""Each interval qexp shows, in seeded trials: it covers the true value at least 90 times in
100 and is not wider than needed (mean width within 25% of the exact interval's).

Exact references: Clopper-Pearson for a binomial proportion, Student's t for the mean of
normally spread values (exact there, by construction).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest
from scipy.stats import t as student

from qexp import metrics
from qexp.analysis.aggregate import BOOTSTRAP, STUDENT_T, WILSON, metric_means, quantum_volume

TRIALS = 100


def _exact_t(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    half = student.ppf(1 - (1 - confidence) / 2, values.size - 1) * values.std(ddof=1)
    half /= math.sqrt(values.size)
    return values.mean() - half, values.mean() + half


@pytest.mark.parametrize(("p", "shots"), [(0.05, 200), (0.5, 200), (0.86, 1000), (0.98, 500)])
def test_wilson_covers_and_is_as_narrow_as_clopper_pearson(p, shots):
    rng = np.random.default_rng(int(p * 1000) + shots)
    hits = rng.binomial(shots, p, size=TRIALS)
    low, high = metrics.wilson_interval(hits, shots)
    assert np.count_nonzero((low <= p) & (p <= high)) >= 90
    exact = [binomtest(int(k), shots).proportion_ci(0.95, method="exact") for k in hits]
    exact_width = np.mean([ci.high - ci.low for ci in exact])
    assert np.mean(high - low) == pytest.approx(exact_width, rel=0.25)


@pytest.mark.parametrize("size", [3, 5, 10])
def test_few_circuits_get_students_t_which_covers_where_the_bootstrap_does_not(size):
    """With 10 circuits or fewer the percentile bootstrap under-covers (it cannot see past
    the sample's own spread); Student's t, which `mean_interval` uses there, covers."""
    covered = bootstrap_covered = 0
    widths, exact_widths = [], []
    for trial in range(TRIALS):
        values = np.random.default_rng(trial).normal(0.7, 0.05, size)
        estimate = metrics.mean_interval(values, seed=trial)
        assert metrics.interval_method(size) == STUDENT_T
        covered += estimate.low <= 0.7 <= estimate.high
        widths.append(estimate.high - estimate.low)
        exact_widths.append(np.subtract(*_exact_t(values)[::-1]))
        low, high = metrics.bootstrap_interval(values, seed=trial)
        bootstrap_covered += low <= 0.7 <= high
    assert covered >= 90
    assert np.mean(widths) == pytest.approx(np.mean(exact_widths), rel=0.25)
    assert bootstrap_covered < covered


def test_students_t_covers_skewed_values_of_few_circuits():
    """Heavy-output probabilities are bounded and skewed; t still covers at 8 circuits."""
    covered = 0
    for trial in range(TRIALS):
        values = np.random.default_rng(500 + trial).beta(12, 3, size=8)  # mean 0.8
        estimate = metrics.mean_interval(values)
        covered += estimate.low <= 0.8 <= estimate.high
    assert covered >= 90


@pytest.mark.parametrize("size", [40, 200])
def test_the_bootstrap_over_many_circuits_covers_and_is_as_narrow_as_t(size):
    covered = 0
    widths, exact_widths = [], []
    for trial in range(TRIALS):
        values = np.random.default_rng(1000 + trial).normal(0.7, 0.05, size)
        estimate = metrics.mean_interval(values, seed=trial)
        assert metrics.interval_method(size) == BOOTSTRAP
        covered += estimate.low <= 0.7 <= estimate.high
        widths.append(estimate.high - estimate.low)
        exact_widths.append(np.subtract(*_exact_t(values)[::-1]))
    assert covered >= 90
    assert np.mean(widths) == pytest.approx(np.mean(exact_widths), rel=0.25)


@pytest.mark.parametrize("size", [6, 100])
def test_the_quantum_volume_lower_bound_covers_and_is_as_close_as_t(size):
    """The one-sided 97.5% lower bound of the mean heavy-output probability, beside IBM's
    rule: below the true mean in at least 90 of 100 trials, and no further below the mean
    than Student's exact one-sided bound (within 25%)."""
    covered = 0
    gaps, exact_gaps = [], []
    for trial in range(TRIALS):
        hops = np.random.default_rng(2000 + trial).normal(0.75, 0.04, size)
        verdict = metrics.quantum_volume_verdict(hops, seed=trial)
        covered += verdict.lower_bound <= 0.75
        gaps.append(verdict.mean - verdict.lower_bound)
        exact_gaps.append(hops.mean() - _exact_t(hops)[0])  # one-sided 97.5%
    assert covered >= 90
    assert np.mean(gaps) == pytest.approx(np.mean(exact_gaps), rel=0.25)
    assert verdict.lower_bound_method == (STUDENT_T if size <= 10 else BOOTSTRAP)


def test_intervals_and_bands_stay_in_the_range_of_their_quantity():
    """A mean success probability of 0.98 over 4 circuits: its t interval would reach past
    1; the table clips it. IBM's two-sigma band of three circuits at 0.95 is clipped too."""
    table = pd.DataFrame(
        {
            "num_qubits": [3] * 4 + [4],
            "generator": ["quantum_volume"] * 5,
            "success_probability": [0.999, 0.95, 0.999, 0.99, 0.5],
            "success_probability_low": [math.nan] * 4 + [0.4],
            "success_probability_high": [math.nan] * 4 + [0.6],
            "heavy_output_probability": [0.999, 0.95, 0.92, 0.97, 0.9],
        }
    )
    means = metric_means(table).set_index(["metric", "num_qubits"])
    row = means.loc[("success_probability", 3)]
    raw = metrics.t_interval(table["success_probability"][:4].to_numpy())
    assert raw[1] > 1 and row["high"] == 1.0 and row["low"] == pytest.approx(raw[0])
    assert row["interval"] == STUDENT_T
    assert means.loc[("success_probability", 4), "interval"] == WILSON
    verdict = metrics.quantum_volume_verdict(np.array([0.95, 0.96, 0.97]))
    assert verdict.mean + 2 * verdict.sigma > 1 and verdict.band[1] == 1.0
    found = quantum_volume(table).set_index("num_qubits")
    assert found.loc[3, "lower_bound_method"] == STUDENT_T
    assert found.loc[3, "lower_bound"] < found.loc[3, "mean"]
