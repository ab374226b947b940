"""GHZ state fidelity from populations and parity oscillations (Monz et al. 2011).

A noiseless simulator gives F = 1 within shot noise; FakeManilaV2 gives F below the
success probability (its coherence is lower than its populations); the fit's uncertainty
matches the spread of repeated synthetic measurements; each stored parity equals a hand
count of even and odd outcomes.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from conftest import run_config
from qiskit.quantum_info import Pauli, Statevector

from qexp import metrics
from qexp.analysis import show
from qexp.analysis.aggregate import ghz_fidelity, metric_means
from qexp.analysis.report import build_report
from qexp.circuits import generate, ghz
from qexp.config.circuits import GhzConfig, validate
from qexp.errors import ConfigError
from qexp.results import counts, load_table

SHOTS = 2000


@pytest.fixture(scope="module")
def ideal_run(tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("ghz") / "aer"
    run_config(
        run_dir,
        "circuits=ghz",
        "circuits.parity=true",
        "circuits.num_qubits=[2,3,5]",
        f"primitive.shots={SHOTS}",
        "partition.max_circuits=40",
        "run.progress=off",
    )
    return run_dir


def test_parity_circuits_oscillate_as_cos_n_phi():
    specs = generate(GhzConfig(num_qubits=[2, 4], parity=True), seed=1)
    assert [s.metadata["generator"] for s in specs].count("ghz_parity") == 6 + 10
    for spec in specs:
        if spec.metadata["generator"] != "ghz_parity":
            continue
        n, phi = spec.metadata["num_qubits"], spec.metadata["parity_phase"]
        parity = Statevector(spec.circuit).expectation_value(Pauli("Z" * n)).real
        assert parity == pytest.approx(math.cos(n * phi), abs=1e-9)
    assert ghz.parity_phases(3) == pytest.approx([k * math.pi / 4 for k in range(8)])


def test_noiseless_ghz_fidelity_is_one_within_shot_noise(ideal_run):
    table = load_table(ideal_run)
    found = ghz_fidelity(table).set_index("num_qubits")
    assert list(found.index) == [2, 3, 5]
    for n, row in found.iterrows():
        assert row["population"] == 1.0  # only 0...0 and 1...1 on a noiseless device
        assert row["phases"] == 2 * n + 2
        assert 0 < row["std"] < 0.02
        assert abs(row["fidelity"] - 1) <= 3 * row["std"], (n, row["fidelity"], row["std"])
    # each parity equals a hand count of even-weight minus odd-weight outcomes
    rows = table[table["generator"] == "ghz_parity"].set_index("circuit_index")
    for record in counts(ideal_run):
        if record["circuit_index"] not in rows.index:
            continue
        by_hand = sum(
            (-1) ** bits.count("1") * number for bits, number in record["counts"].items()
        ) / sum(record["counts"].values())
        assert rows.loc[record["circuit_index"], "parity"] == pytest.approx(by_hand, abs=1e-12)
    # the parity circuits are a family of their own: never averaged with the GHZ circuits
    means = metric_means(table)
    assert set(means["generator"]) == {"ghz", "ghz_parity"}


def test_ghz_fidelity_on_fake_manila_is_below_the_success_probability(tmp_path):
    run_config(
        tmp_path / "manila",
        "circuits=ghz",
        "circuits.parity=true",
        "circuits.num_qubits=[2,3]",
        "backend=fake",
        "primitive.shots=4000",
        "partition.max_circuits=40",
        "run.progress=off",
    )
    table = load_table(tmp_path / "manila")
    found = ghz_fidelity(table).set_index("num_qubits")
    for n, row in found.iterrows():
        success = table[(table["generator"] == "ghz") & (table["num_qubits"] == n)]
        assert row["population"] == success["success_probability"].item()
        assert row["coherence"] < row["population"]
        assert row["fidelity"] + 3 * row["std"] < row["population"], n
        assert 0.5 < row["fidelity"] < 0.97


def test_the_fits_uncertainty_matches_the_spread_of_repeated_measurements():
    """Parities drawn as binomial shot noise around C cos(n phi + phi_0): the fit recovers
    C and phi_0, and its coherence_std is the spread of C over 400 repetitions (within
    15%)."""
    n, coherence, offset, shots = 3, 0.7, 0.4, 1000
    phases = np.array(ghz.parity_phases(n))
    truth = coherence * np.cos(n * phases + offset)
    rng = np.random.default_rng(7)
    found, stds = [], []
    for _ in range(400):
        even = rng.binomial(shots, (1 + truth) / 2)
        parities = 2 * even / shots - 1
        result = metrics.ghz_fidelity(0.9, shots, phases, parities, np.full(phases.size, shots), n)
        found.append(result.coherence)
        stds.append(result.coherence_std)
    assert np.mean(found) == pytest.approx(coherence, abs=0.005)
    assert np.std(found) == pytest.approx(np.mean(stds), rel=0.15)
    exact = metrics.ghz_fidelity(0.9, shots, phases, truth, np.full(phases.size, shots), n)
    assert exact.coherence == pytest.approx(coherence, abs=1e-12)
    assert exact.offset == pytest.approx(offset, abs=1e-12)
    assert exact.fidelity == pytest.approx((0.9 + coherence) / 2, abs=1e-12)


def test_show_and_the_report_give_the_ghz_fidelity(ideal_run, capsys):
    assert show.main([str(ideal_run)]) == 0
    out = capsys.readouterr().out
    assert "GHZ state fidelity" in out and "coherence C" in out
    report = build_report(ideal_run)
    assert (report.parent / "ghz-fidelity.png").is_file()
    assert "<h3>GHZ state fidelity</h3>" in report.read_text(encoding="utf-8")


def test_parity_must_be_true_or_false():
    with pytest.raises(ConfigError) as caught:
        validate(GhzConfig(parity="yes"))
    assert "circuits.parity" in str(caught.value) and "circuits.parity=true" in str(caught.value)
