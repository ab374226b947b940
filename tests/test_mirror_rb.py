"""Mirror randomized benchmarking as Proctor et al. publish it.

On a simulated device whose only error is a known global depolarizing channel after every
layer, the fit recovers that error per layer within its uncertainty; the circuits'
ideal outcomes equal a full stabilizer simulation; the layers hold the set density of
two-qubit gates; the effective polarization equals its definition by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import run_config
from qiskit import QuantumCircuit
from qiskit.primitives import BitArray, DataBin, PrimitiveResult, SamplerPubResult
from qiskit.quantum_info import Clifford
from qiskit_aer import AerSimulator
from qiskit_aer.noise import depolarizing_error

from qexp import metrics
from qexp.analysis import show
from qexp.analysis.aggregate import metric_means, mirror_rb
from qexp.analysis.report import build_report
from qexp.circuits import generate
from qexp.circuits.ideal import Ideal
from qexp.circuits.mirror import _layer
from qexp.config.circuits import MirrorConfig, validate
from qexp.errors import ConfigError
from qexp.results import load_table
from qexp.store import PubRecord, dump_circuits, write_job

DEPTHS = [0, 2, 4, 8, 16, 24]


def _with_depolarizing_layers(circuit: QuantumCircuit, strength: float) -> QuantumCircuit:
    """The circuit with a global depolarizing channel after every layer (every barrier)."""
    n = circuit.num_qubits
    channel = depolarizing_error(strength, n).to_instruction()
    noisy = QuantumCircuit(n)
    for instruction in circuit.data:
        noisy.append(instruction)
        if instruction.operation.name == "barrier":
            noisy.append(channel, range(n))
    noisy.measure_all()
    return noisy


@pytest.mark.parametrize(("num_qubits", "polarization"), [(2, 0.97), (3, 0.985)])
def test_a_known_depolarizing_error_per_layer_is_recovered(tmp_path, num_qubits, polarization):
    """Each layer's channel rho -> p rho + (1 - p) I / 2^n has entanglement infidelity
    (4^n - 1) / 4^n (1 - p): the fit's error per layer lies within two standard deviations
    of it, and the standard deviation is small enough for that to mean something."""
    cfg = MirrorConfig(num_qubits=num_qubits, depth=DEPTHS, count=8)
    specs = generate(cfg, seed=3)
    simulator = AerSimulator(method="density_matrix", seed_simulator=11)
    noisy = [_with_depolarizing_layers(s.circuit, 1 - polarization) for s in specs]
    memory = simulator.run(noisy, shots=1000, memory=True).result()
    bits = [BitArray.from_samples(memory.get_memory(k), num_qubits) for k in range(len(specs))]
    result = PrimitiveResult(
        [SamplerPubResult(DataBin(meas=b, shape=()), metadata={}) for b in bits], metadata={}
    )
    run_dir = tmp_path / "device"
    (run_dir / ".hydra").mkdir(parents=True)
    write_job(
        run_dir / "jobs" / "job-00000.h5",
        attrs={
            "job_index": 0,
            "job_id": "x",
            "primitive": "sampler",
            "num_circuits_in_run": len(specs),
            "shots": 1000,
        },
        records=[PubRecord.of(i, s, max_exact_qubits=20) for i, s in enumerate(specs)],
        circuits_qpy=dump_circuits([s.circuit for s in specs]),
        result=result,
    )
    table = load_table(run_dir)
    (fit,) = mirror_rb(table).itertuples(index=False)
    expected = (1 - 4.0**-num_qubits) * (1 - polarization)
    print(
        f"n={num_qubits}: r = {fit.error_per_layer:.5f} ± {fit.error_per_layer_std:.5f}, "
        f"expected {expected:.5f}"
    )
    assert fit.error_per_layer_std < 0.3 * expected
    assert abs(fit.error_per_layer - expected) <= 2 * fit.error_per_layer_std, (
        fit.error_per_layer,
        expected,
        fit.error_per_layer_std,
    )
    assert fit.p == pytest.approx(polarization, abs=3 * fit.p_std)
    # d + 1 channels: A = p (the first block before any counted layer)
    assert fit.amplitude == pytest.approx(polarization, abs=0.03)
    assert fit.depths == len(DEPTHS) and fit.circuits == len(specs)


def test_ideal_outcomes_equal_a_full_stabilizer_simulation_at_100_qubits():
    specs = generate(MirrorConfig(num_qubits=100, depth=[0, 2, 6], count=2), seed=2)
    for spec in specs:
        tableau = Ideal.from_clifford(Clifford(spec.circuit))
        assert tableau.support_bits == 0
        assert tableau.certain_outcome == spec.ideal.certain_outcome
        assert spec.ideal_outcomes == spec.ideal.bitstrings(1)
    assert {s.metadata["depth"] for s in specs} == {0, 2, 6}
    barriers = [s.circuit.count_ops().get("barrier", 0) for s in specs]
    assert barriers == [d + 1 for d in (0, 0, 2, 2, 6, 6)]  # d layers + the edge layer


@pytest.mark.parametrize("density", [0.1, 0.25, 0.5])
def test_layers_hold_the_set_density_of_two_qubit_gates(density):
    """n xi / 2 CZ gates per layer on average (pyGSTi's edge grab), over 4,000 layers."""
    rng = np.random.default_rng(int(density * 100))
    n = 12
    gates = np.array([_layer(n, density, rng).count_ops().get("cz", 0) for _ in range(4000)])
    assert gates.mean() == pytest.approx(n * density / 2, abs=4 * gates.std() / math.sqrt(4000))


def test_effective_polarization_by_hand():
    """h_k: shares at Hamming distance k from the target 0b101 (3 qubits)."""
    outcomes = np.array([0b101, 0b100, 0b001, 0b010], dtype=np.uint64)
    counts = np.array([70, 15, 10, 5])  # distances 0, 1, 1, 3
    adjusted = 0.70 - 0.5 * 0.25 + (-0.5) ** 3 * 0.05
    expected = (adjusted - 1 / 64) / (1 - 1 / 64)
    found = metrics.effective_polarization(outcomes, counts, 0b101, 3)
    assert found == pytest.approx(expected, abs=1e-12)
    wide = np.array([(1 << 90) | 1, 1], dtype=object)
    assert metrics.effective_polarization(wide, np.array([1, 3]), 1, 100) == pytest.approx(
        0.75 - 0.5 * 0.25
    )


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"depth": 3}, "circuits.depth"),
        ({"depth": [2, 2]}, "circuits.depth"),
        ({"depth": -2}, "circuits.depth"),
        ({"two_qubit_gate_density": 1.5}, "circuits.two_qubit_gate_density"),
        ({"count": 0}, "circuits.count"),
    ],
)
def test_bad_mirror_settings_name_their_key(changes, key):
    with pytest.raises(ConfigError) as caught:
        validate(MirrorConfig(**changes))
    assert key in str(caught.value)


def test_a_mirror_run_on_a_fake_device_shows_its_error_per_layer(tmp_path, capsys):
    run_config(
        tmp_path / "run",
        "circuits=mirror",
        "circuits.num_qubits=[2]",
        "circuits.depth=[0,4,16]",
        "circuits.count=4",
        "backend=fake",
        "primitive.shots=400",
        "run.progress=off",
    )
    table = load_table(tmp_path / "run")
    (fit,) = mirror_rb(table).itertuples(index=False)
    assert 0 < fit.error_per_layer < 0.05 and fit.error_per_layer_std > 0
    means = metric_means(table)
    assert set(means["depth"]) == {0, 4, 16}  # depths never pooled
    assert show.main([str(tmp_path / "run")]) == 0
    assert "error per layer r" in capsys.readouterr().out
    report = build_report(tmp_path / "run")
    assert (report.parent / "mirror-rb.png").is_file()
    assert "<h3>Mirror randomized benchmarking</h3>" in report.read_text(encoding="utf-8")
