"""Each metric against an independent computation on cases whose answer is known."""

from __future__ import annotations

import math

import numpy as np
import pytest
from qiskit.primitives import BitArray
from qiskit.quantum_info import hellinger_fidelity as qiskit_hellinger
from scipy.stats import binomtest

from qexp import metrics
from qexp.circuits.ghz import ideal as ghz_ideal
from qexp.circuits.ideal import Ideal
from qexp.config.schema import MetricsConfig
from qexp.config.validate import validate_metrics
from qexp.errors import ConfigError
from qexp.metrics import Counts


def _counts(frequencies: dict[int, int]) -> Counts:
    return Counts(
        np.array(list(frequencies), dtype=np.uint64),
        np.array(list(frequencies.values()), dtype=np.int64),
    )


def _as_dict(counts: Counts, n: int) -> dict[str, int]:
    return {format(int(x), f"0{n}b"): int(c) for x, c in zip(*counts, strict=True)}


def _qedc_normalized(
    counts: dict[str, int], ideal: dict[str, float], n: int, clip: bool = True
) -> float:
    """QED-C's polarization fidelity from its definition, with plain dictionaries.

    Hellinger distance h = sqrt(sum (sqrt p - sqrt q)**2 / 2), fidelity (1 - h**2)**2, the
    same for the uniform distribution (the floor), then (f - floor) / (1 - floor), clipped
    to [0, 1] as QED-C's code does (qexp keeps the unclipped value: `clip=False`).
    """

    def fidelity(p: dict[str, float], q: dict[str, float]) -> float:
        p_total, q_total = sum(p.values()), sum(q.values())
        keys = set(p) | set(q)
        squared = sum(
            (math.sqrt(p.get(k, 0) / p_total) - math.sqrt(q.get(k, 0) / q_total)) ** 2 for k in keys
        )
        return (1 - squared / 2) ** 2

    uniform = {format(x, f"0{n}b"): 1 / 2**n for x in range(2**n)}
    floor = fidelity(uniform, ideal)
    value = (fidelity(counts, ideal) - floor) / (1 - floor)
    return min(1.0, max(0.0, value)) if clip else value


# --- Hellinger and normalized fidelity ----------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_hellinger_fidelity_equals_qiskits_on_random_distributions(seed):
    rng = np.random.default_rng(seed)
    n = 4
    q = rng.dirichlet(np.ones(2**n) * 0.5)
    sample = rng.multinomial(1000, rng.dirichlet(np.ones(2**n)))
    counts = _counts({x: int(c) for x, c in enumerate(sample) if c})
    ideal = Ideal.dense(q)
    expected = qiskit_hellinger(
        _as_dict(counts, n), {format(x, f"0{n}b"): p for x, p in enumerate(q)}
    )
    assert metrics.hellinger_fidelity(counts, ideal) == pytest.approx(expected, abs=1e-12)
    measured, exact = _as_dict(counts, n), {format(x, f"0{n}b"): p for x, p in enumerate(q) if p}
    unclipped = _qedc_normalized(measured, exact, n, clip=False)
    assert metrics.normalized_fidelity(counts, ideal) == pytest.approx(unclipped, abs=1e-12)
    clipped = min(1.0, max(0.0, metrics.normalized_fidelity(counts, ideal)))
    assert clipped == pytest.approx(_qedc_normalized(measured, exact, n), abs=1e-12)


def test_ghz_metrics_by_hand():
    ideal = ghz_ideal(3)
    counts = _counts({0b000: 450, 0b111: 350, 0b001: 100, 0b110: 100})
    # sqrt(0.45 * 0.5) + sqrt(0.35 * 0.5), squared
    hellinger = (math.sqrt(0.225) + math.sqrt(0.175)) ** 2
    assert metrics.hellinger_fidelity(counts, ideal) == pytest.approx(hellinger)
    floor = 2 / 8  # uniform vs. GHZ: (2 sqrt(1/8 * 1/2))**2
    assert ideal.uniform_fidelity == pytest.approx(floor)
    assert metrics.normalized_fidelity(counts, ideal) == pytest.approx(
        (hellinger - floor) / (1 - floor)
    )
    assert metrics.success_probability(counts, ideal).value == pytest.approx(0.8)
    ideal_counts = _as_dict(counts, 3)
    assert metrics.normalized_fidelity(counts, ideal) == pytest.approx(
        _qedc_normalized(ideal_counts, {"000": 0.5, "111": 0.5}, 3)
    )


@pytest.mark.parametrize(
    "ideal",
    [
        ghz_ideal(4),
        Ideal.basis_state(0b1011, 4),
        Ideal.dense(np.random.default_rng(1).dirichlet(np.ones(16))),
    ],
    ids=["ghz", "one-bitstring", "dense"],
)
def test_uniform_counts_score_normalized_fidelity_zero_and_ideal_counts_one(ideal):
    uniform = _counts(dict.fromkeys(range(16), 250))
    assert metrics.normalized_fidelity(uniform, ideal) == pytest.approx(0.0, abs=1e-12)
    exact = ideal.probability(np.arange(16, dtype=np.uint64))
    perfect = Counts(np.arange(16, dtype=np.uint64), np.round(exact * 2**40).astype(np.int64))
    assert metrics.hellinger_fidelity(perfect, ideal) == pytest.approx(1.0, abs=1e-9)
    assert metrics.normalized_fidelity(perfect, ideal) == pytest.approx(1.0, abs=1e-9)


def test_normalized_fidelity_is_undefined_when_the_ideal_is_uniform():
    assert math.isnan(metrics.normalized_fidelity(_counts({0: 5}), Ideal.dense(np.full(4, 0.25))))


def test_wide_stabilizer_ideal_scores_without_enumerating_outcomes():
    n = 100
    ideal = ghz_ideal(n)
    ones = (1 << n) - 1
    counts = Counts(np.array([0, ones, 5], dtype=object), np.array([40, 50, 10]))
    assert metrics.success_probability(counts, ideal).value == pytest.approx(0.9)
    expected = (math.sqrt(0.4 * 0.5) + math.sqrt(0.5 * 0.5)) ** 2
    assert metrics.hellinger_fidelity(counts, ideal) == pytest.approx(expected)
    assert ideal.uniform_fidelity == pytest.approx(2.0 ** -(n - 1))
    assert metrics.normalized_fidelity(counts, ideal) == pytest.approx(expected, rel=1e-12)


# --- heavy outputs and the Quantum Volume verdict -----------------------------------------------


def test_heavy_output_probability_by_hand():
    ideal = Ideal.dense(np.array([0.4, 0.1, 0.3, 0.2]))  # median 0.25: heavy outcomes 0 and 2
    assert list(ideal.heavy_outputs) == [0, 2]
    counts = _counts({0: 30, 1: 25, 2: 35, 3: 10})
    hop = metrics.heavy_output_probability(counts, ideal)
    assert hop.value == pytest.approx(0.65)
    ci = binomtest(65, 100).proportion_ci(0.95, method="wilson")
    assert (hop.low, hop.high) == pytest.approx((ci.low, ci.high), abs=1e-12)


def _flip_point(num_circuits: int) -> float:
    """The mean h with h - 2 sqrt(h (1 - h) / N) = 2/3, solved as a quadratic in h."""
    a, t = 4 / num_circuits, 2 / 3
    # (h - t)**2 = a h (1 - h)  ->  (1 + a) h**2 - (2 t + a) h + t**2 = 0, larger root
    return ((2 * t + a) + math.sqrt((2 * t + a) ** 2 - 4 * (1 + a) * t**2)) / (2 * (1 + a))


@pytest.mark.parametrize("num_circuits", [100, 400])
def test_two_sigma_verdict_flips_where_it_should(num_circuits):
    flip = _flip_point(num_circuits)
    assert 2 / 3 < flip < 0.8
    rng = np.random.default_rng(num_circuits)
    for target, passes in [(flip - 0.002, False), (flip + 0.002, True)]:
        hops = np.clip(rng.normal(target, 0.05, num_circuits), 0, 1)
        hops += target - hops.mean()  # exactly the target mean
        verdict = metrics.quantum_volume_verdict(hops)
        assert verdict.mean == pytest.approx(target)
        assert verdict.sigma == pytest.approx(math.sqrt(target * (1 - target) / num_circuits))
        assert verdict.num_circuits == num_circuits and verdict.enough_circuits
        assert verdict.above_threshold is passes and verdict.passed is passes


def test_verdict_needs_one_hundred_circuits():
    high = metrics.quantum_volume_verdict(np.full(99, 0.9))
    assert high.above_threshold and not high.enough_circuits and not high.passed
    assert metrics.quantum_volume_verdict(np.full(100, 0.9)).passed
    nothing = metrics.quantum_volume_verdict(np.array([np.nan]))
    assert nothing.num_circuits == 0 and not nothing.passed


# --- intervals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (10, 10), (812, 1000), (1, 4096)])
def test_wilson_interval_equals_scipys(k, n):
    low, high = metrics.wilson_interval(k, n)
    ci = binomtest(k, n).proportion_ci(0.95, method="wilson")
    assert (float(low), float(high)) == pytest.approx((ci.low, ci.high), abs=1e-12)


def test_wilson_interval_is_vectorised_and_nan_without_shots():
    low, high = metrics.wilson_interval(np.array([0, 5, 0]), np.array([10, 10, 0]))
    assert low.shape == (3,) and np.isnan(low[2]) and np.isnan(high[2])
    assert low[1] < 0.5 < high[1]


@pytest.mark.parametrize("true_p", [0.05, 0.5, 0.86, 0.98])
def test_wilson_95_percent_interval_covers_the_true_probability(true_p):
    rng = np.random.default_rng(int(true_p * 100))
    hits = rng.binomial(200, true_p, size=100)
    low, high = metrics.wilson_interval(hits, 200)
    assert np.count_nonzero((low <= true_p) & (true_p <= high)) >= 90


def test_bootstrap_95_percent_interval_covers_the_true_mean():
    covered = 0
    for trial in range(100):
        values = np.random.default_rng(1000 + trial).beta(8, 2, size=60)  # true mean 0.8
        estimate = metrics.mean_interval(values, seed=trial)
        assert estimate.value == pytest.approx(values.mean())
        covered += estimate.low <= 0.8 <= estimate.high
    assert covered >= 90


def test_bootstrap_is_seeded_and_cheap_over_many_circuits():
    values = np.random.default_rng(0).random(10_000)
    first = metrics.bootstrap_interval(values, seed=4)
    assert first == metrics.bootstrap_interval(values, seed=4)
    assert first != metrics.bootstrap_interval(values, seed=5)
    assert first[0] < values.mean() < first[1]


# --- inputs: BitArray, dictionaries, the Estimator ----------------------------------------------


@pytest.mark.parametrize("num_bits", [3, 9, 64, 70])
def test_tally_counts_like_bitarray_get_counts(num_bits):
    rng = np.random.default_rng(num_bits)
    outcomes = [int(x) for x in rng.integers(0, 8, size=50)]
    outcomes += [(1 << (num_bits - 1)) | 1] * 7  # the top bit set
    labels = [format(x, f"0{num_bits}b") for x in outcomes]
    bits = BitArray.from_bool_array(
        np.array([[c == "1" for c in label] for label in labels]), order="big"
    )
    (counts,) = metrics.tally(bits)
    assert _as_dict(counts, num_bits) == bits.get_counts()
    from_dict = Counts.from_dict(bits.get_counts())
    assert dict(zip(map(int, from_dict.outcomes), from_dict.counts, strict=True)) == dict(
        zip(map(int, counts.outcomes), counts.counts, strict=True)
    )


def test_tally_splits_parameter_points():
    bits = BitArray.from_bool_array(np.array([[[0, 1]] * 3, [[1, 1]] * 3], dtype=bool))
    first, second = metrics.tally(bits)
    assert (list(first.outcomes), list(first.counts)) == ([1], [3])
    assert (list(second.outcomes), list(second.counts)) == ([3], [3])


def test_estimator_error_is_measured_minus_ideal():
    values = np.array([[0.9, 0.1], [-0.2, 0.5]])
    ideal = np.array([[1.0, 0.0], [0.0, 0.5]])
    result = metrics.estimator_metrics(values, ideal)
    np.testing.assert_allclose(result["error"], [[-0.1, 0.1], [-0.2, 0.0]])
    np.testing.assert_array_equal(result["ideal_value"], ideal)


def test_sampler_metrics_choose_what_the_ideal_allows():
    ghz = metrics.sampler_metrics(_counts({0: 6, 7: 4}), ghz_ideal(3))
    assert set(ghz) == {
        "hellinger_fidelity",
        "normalized_fidelity",
        *(f"success_probability{s}" for s in ("", "_low", "_high")),
    }
    qv = metrics.sampler_metrics(_counts({0: 6}), Ideal.dense(np.array([0.4, 0.1, 0.3, 0.2])))
    assert "heavy_output_probability" in qv and "success_probability" not in qv


@pytest.mark.parametrize("value", [-1, 27, 2.5, True])
def test_max_exact_qubits_is_checked(value):
    with pytest.raises(ConfigError) as info:
        validate_metrics(MetricsConfig(max_exact_qubits=value))
    assert info.value.key == "metrics.max_exact_qubits"
    assert "metrics.max_exact_qubits=20" in str(info.value)
