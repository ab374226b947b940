"""The shot-noise reference: what a noiseless device scores with the run's shots.

Checked against direct calculations (the exact expectation over every multinomial outcome
of a small distribution, a binomial sum for GHZ), against Qiskit's own Statevector in a real
run, and through the table, `show` and the report.
"""

from __future__ import annotations

import io
import itertools
import math
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
from conftest import run_config, table_as_schema_2
from qiskit import qpy
from qiskit.quantum_info import Statevector
from scipy.stats import binom, multinomial

from qexp import metrics
from qexp.analysis import show
from qexp.analysis.aggregate import metric_means, shot_noise_limits
from qexp.analysis.report import build_report
from qexp.circuits import ghz
from qexp.circuits.ideal import Ideal
from qexp.metrics import reference
from qexp.results import load_table

DRAWS = 20_000
"""Draws for the comparisons with exact values: Monte Carlo error about 1/140 of a spread."""


def _exact_hellinger(p: np.ndarray, shots: int) -> tuple[float, float]:
    """Mean and variance of the Hellinger fidelity of `shots` shots from `p` to `p`, over
    every outcome of the multinomial distribution (no sampling)."""
    k = p.size
    mean = second = 0.0
    for cut in itertools.combinations(range(shots + k - 1), k - 1):  # stars and bars
        counts = np.diff([-1, *cut, shots + k - 1]) - 1
        chance = multinomial.pmf(counts, shots, p)
        f = float(np.sqrt(counts / shots * p).sum()) ** 2
        mean += chance * f
        second += chance * f * f
    return mean, second - mean**2


@pytest.mark.parametrize("path", ["multinomial", "sorted search"])
def test_reference_of_a_known_distribution_equals_the_exact_expectation(path, monkeypatch):
    """Both ways of drawing shots (one multinomial vector; shots one by one through the
    cumulative distribution) give the exact mean over all outcomes within Monte Carlo
    error; the heavy-output reference is the heavy mass, exactly."""
    if path == "sorted search":
        monkeypatch.setattr(reference, "MULTINOMIAL_OUTCOMES", 0)
    q = np.array([0.5, 0.3, 0.15, 0.05])
    shots = 12
    mean, variance = _exact_hellinger(q, shots)
    assert mean < 0.97  # far enough from 1 for the check to mean something
    ideal = Ideal.dense(q)
    found = metrics.shot_noise_reference(ideal, shots, seed=1, draws=DRAWS)
    tolerance = 4 * math.sqrt(variance / DRAWS)
    assert found["hellinger_fidelity_reference"] == pytest.approx(mean, abs=tolerance)
    floor = ideal.uniform_fidelity
    normalized = (found["hellinger_fidelity_reference"] - floor) / (1 - floor)
    assert found["normalized_fidelity_reference"] == pytest.approx(normalized, abs=1e-12)
    assert found["heavy_output_probability_reference"] == 0.8  # 0.5 + 0.3: above the median
    default = metrics.shot_noise_reference(ideal, shots, seed=2)  # 64 draws at 12 shots
    spread = 4 * math.sqrt(variance / reference.replicates(shots))
    assert default["hellinger_fidelity_reference"] == pytest.approx(mean, abs=spread)


def test_ghz_reference_equals_a_binomial_sum():
    """GHZ: k shots on 0...0 of N, F = (sqrt(k/2N) + sqrt((N-k)/2N))^2 = 1/2 +
    sqrt(k (N - k)) / N, averaged over the binomial distribution of k; at any width."""
    shots = 50
    k = np.arange(shots + 1)
    values = 0.5 + np.sqrt(k * (shots - k)) / shots
    chances = binom.pmf(k, shots, 0.5)
    mean = float(chances @ values)
    variance = float(chances @ values**2) - mean**2
    for width in (3, 80):
        found = metrics.shot_noise_reference(ghz.ideal(width), shots, seed=3, draws=DRAWS)
        tolerance = 4 * math.sqrt(variance / DRAWS)
        assert found["hellinger_fidelity_reference"] == pytest.approx(mean, abs=tolerance)
        assert found["success_probability_reference"] == 1.0
        assert "heavy_output_probability_reference" not in found  # no median: no HOP


def test_a_stabilizer_ideal_on_eight_outcomes_equals_the_exact_expectation():
    """Uniform on 2^3 outcomes of 40 bits: the exact mean over every multinomial outcome of
    6 shots on 8 equally likely outcomes."""
    checks = np.zeros((37, 40), dtype=np.uint8)
    checks[np.arange(37), np.arange(3, 40)] = 1  # bits 3..39 fixed to 0, bits 0..2 free
    ideal = Ideal.stabilizer(checks, np.zeros(37, dtype=np.uint8))
    mean, variance = _exact_hellinger(np.full(8, 1 / 8), 6)
    found = metrics.shot_noise_reference(ideal, 6, seed=4, draws=DRAWS)
    tolerance = 4 * math.sqrt(variance / DRAWS)
    assert found["hellinger_fidelity_reference"] == pytest.approx(mean, abs=tolerance)


def test_one_bitstring_is_exact_and_the_reference_is_seeded():
    found = metrics.shot_noise_reference(Ideal.basis_state(5, 70), 100, seed=0)
    assert found["hellinger_fidelity_reference"] == 1.0
    assert found["normalized_fidelity_reference"] == 1.0
    q = np.random.default_rng(0).dirichlet(np.ones(512))
    first = metrics.shot_noise_reference(Ideal.dense(q), 1000, seed=(3, 0))
    assert first == metrics.shot_noise_reference(Ideal.dense(q), 1000, seed=(3, 0))
    assert first != metrics.shot_noise_reference(Ideal.dense(q), 1000, seed=(4, 0))


# --- through a run ------------------------------------------------------------------------

WIDE, SHOTS = 9, 300


@pytest.fixture(scope="module")
def qv_run(tmp_path_factory) -> Path:
    """Quantum Volume at 3 and 9 qubits on the ideal simulator, 300 shots: at 9 qubits the
    shot count, not the device, limits the fidelities."""
    run_dir = tmp_path_factory.mktemp("reference") / "qv"
    run_config(
        run_dir,
        "circuits=quantum_volume",
        f"circuits.num_qubits=[3,{WIDE}]",
        "circuits.count=4",
        f"primitive.shots={SHOTS}",
        "partition.max_circuits=8",
        "run.progress=off",
    )
    return run_dir


def _logical(run_dir: Path) -> dict[int, object]:
    found = {}
    for path in sorted((run_dir / "jobs").glob("job-*.h5")):
        with h5py.File(path, "r") as f:
            circuits = qpy.load(io.BytesIO(f["circuits"][()].tobytes()))
            indices = f["pubs/circuit_index"][()]
        found |= dict(zip(map(int, indices), circuits, strict=True))
    return found


def test_the_table_holds_each_circuits_reference(qv_run):
    """heavy-output reference = the heavy mass of Qiskit's Statevector probabilities; the
    fidelity references of an ideal device sit where its measured fidelities sit."""
    table = load_table(qv_run)
    logical = _logical(qv_run)
    for row in table.itertuples(index=False):
        exact = Statevector(logical[row.circuit_index]).probabilities()
        heavy = exact[exact > np.median(exact)].sum()
        assert row.heavy_output_probability_reference == pytest.approx(heavy, abs=1e-9)
    for width, part in table.groupby("num_qubits"):
        # the ideal simulator is an ideal device: it scores its reference within shot noise
        gap = (part["hellinger_fidelity"] - part["hellinger_fidelity_reference"]).abs()
        assert gap.max() < 0.03, width
    wide = table[table["num_qubits"] == WIDE]
    assert (wide["normalized_fidelity_reference"] < 0.5).all()
    assert (wide["normalized_fidelity"] < 0).any()  # unclipped: below the uniform floor
    means = metric_means(table)
    row = means[(means["metric"] == "normalized_fidelity") & (means["num_qubits"] == WIDE)]
    assert row["mean"].item() == pytest.approx(wide["normalized_fidelity"].mean())
    assert row["reference"].item() == pytest.approx(wide["normalized_fidelity_reference"].mean())
    limited = shot_noise_limits(means)
    assert set(limited["num_qubits"]) == {WIDE}


def test_show_warns_where_the_shots_limit_the_fidelity(qv_run, capsys):
    assert show.main([str(qv_run)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"shot noise: with {SHOTS} shots a noiseless device scores only" in out
    assert f"at {WIDE} qubits" in out and "at 3 qubits (below" not in out
    assert "ideal device, same shots" in out


def test_the_report_draws_the_reference(qv_run):
    report = build_report(qv_run)
    text = report.read_text(encoding="utf-8")
    assert "dashed: the shot-noise reference" in text  # the per-width figure
    assert "Hatched cells are shot-limited" in text  # the volumetric figure
    assert "noiseless device, same shots" in text  # the table beside them


def test_files_written_before_the_references_get_the_unclipped_fidelity(qv_run, tmp_path):
    """An older file stored QED-C's clipped normalized fidelity and no references: on read
    its normalized fidelity is unclipped again, from its Hellinger fidelity and the stored
    F_uniform, and equals what a new file holds."""
    old_run = tmp_path / "old"
    shutil.copytree(qv_run, old_run)
    for path in (old_run / "jobs").glob("job-*.h5"):
        with h5py.File(path, "r+") as f:
            table = table_as_schema_2(f)
            for name in [n for n in table if n.endswith("_reference")]:
                del table[name]
            clipped = np.clip(table["normalized_fidelity"][()], 0, 1)
            del table["normalized_fidelity"]
            table.create_dataset("normalized_fidelity", data=clipped)
    new, old = load_table(qv_run), load_table(old_run)
    assert (new["normalized_fidelity"] < 0).any()
    assert old["normalized_fidelity"].tolist() == pytest.approx(
        new["normalized_fidelity"].tolist(), abs=1e-12
    )
    assert old["normalized_fidelity_reference"].isna().all()
