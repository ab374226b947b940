"""Ideal answers against independent simulation, and ideal devices against the ideal answers."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import BELL_QASM2
from qiskit import QuantumCircuit, transpile
from qiskit.quantum_info import (
    Clifford,
    Pauli,
    Statevector,
    hellinger_fidelity,
    random_clifford,
)
from qiskit_aer import AerSimulator
from qiskit_aer.primitives import SamplerV2

from qexp import circuits, metrics
from qexp.circuits import CircuitSpec
from qexp.circuits import ideal as ideal_module
from qexp.circuits.ideal import Ideal
from qexp.config.circuits import (
    AnsatzConfig,
    CliffordConfig,
    GhzConfig,
    MirrorConfig,
    QasmConfig,
    QftConfig,
    QuantumVolumeConfig,
    RandomConfig,
)


def _expect(state: Statevector, label: str) -> float:
    return float(np.real(state.expectation_value(Pauli(label))))


def _all_outcomes(n: int) -> np.ndarray:
    return np.arange(2**n, dtype=np.uint64)


def _sample(circuit: QuantumCircuit, shots: int, seed: int, method: str = "automatic"):
    """Counts of `circuit` on the ideal AerSimulator through Aer's SamplerV2 (a BitArray)."""
    measured = circuit.measure_all(inplace=False)
    runnable = transpile(measured, AerSimulator(method=method), optimization_level=0)
    sampler = SamplerV2(seed=seed, options={"backend_options": {"method": method}})
    bits = sampler.run([runnable], shots=shots).result()[0].data.meas
    return bits, metrics.tally(bits)[0]


# --- ideal distributions equal Statevector probabilities ----------------------------------------


@pytest.mark.parametrize(
    "cfg",
    [
        QuantumVolumeConfig(num_qubits=[2, 4], count=2),
        RandomConfig(num_qubits=[1, 3], count=2, depth=4),
        QftConfig(num_qubits=[1, 2, 5]),
    ],
    ids=lambda cfg: cfg.name,
)
def test_dense_ideals_equal_statevector_probabilities(cfg):
    for spec in circuits.generate(cfg, seed=4):
        n = spec.circuit.num_qubits
        expected = Statevector(spec.circuit).probabilities()
        (ideal,) = CircuitSpec(spec.circuit).ideals(max_exact_qubits=n)  # simulated, not known
        assert ideal.is_dense
        np.testing.assert_allclose(ideal.probability(_all_outcomes(n)), expected, atol=1e-12)


def test_qasm_file_gets_its_exact_distribution(tmp_path):
    (tmp_path / "bell.qasm").write_text(BELL_QASM2)
    (spec,) = circuits.generate(QasmConfig(path=str(tmp_path / "bell.qasm")), seed=1)
    (ideal,) = spec.ideals()
    np.testing.assert_allclose(ideal.probabilities, [0.5, 0, 0, 0.5], atol=1e-12)
    assert ideal.bitstrings() == ("00", "11")


def test_qasm_files_with_their_own_gate_definitions_equal_statevector(tmp_path):
    """A gate a QASM file defines itself (here `mix`, made of standard gates and an inner
    defined gate) is applied through its definition, standard ones through their matrices
    (those qasm2.dumps defines, `xx_plus_yy` and friends, are read as Qiskit's own)."""
    from qiskit import QuantumCircuit, qasm2
    from qiskit.circuit.random import random_circuit

    inner = random_circuit(2, 3, max_operands=2, seed=7).to_gate(label="inner")
    inner.name = "inner"
    block = QuantumCircuit(3, name="mix")
    block.append(inner, [2, 0])
    block.rzx(0.3, 1, 2)
    block.ccx(0, 1, 2)
    mix = block.to_gate()
    for i in range(12):
        circuit = random_circuit(5, 10, max_operands=3, seed=70 + i)
        circuit.append(mix, [4, 1, 3])
        circuit.measure_all()
        (tmp_path / f"c{i:02}.qasm").write_text(qasm2.dumps(circuit))
    specs = circuits.generate(QasmConfig(path=str(tmp_path)), seed=1)
    defined = {
        inst.operation.name
        for spec in specs
        for inst in spec.circuit.data
        if type(inst.operation).__module__ == "qiskit.qasm2.parse"
    }
    assert defined == {"mix"}  # the files do define a gate of their own
    for spec in specs:
        expected = Statevector(spec.circuit.remove_final_measurements(inplace=False))
        (ideal,) = spec.ideals()
        np.testing.assert_allclose(ideal.probabilities, expected.probabilities(), atol=1e-12)


def test_each_parameter_point_gets_its_own_distribution():
    (spec,) = circuits.generate(AnsatzConfig(num_qubits=3, num_points=4), seed=2)
    ideals = spec.ideals()
    assert len(ideals) == 4
    for point, ideal in zip(spec.parameter_values, ideals, strict=True):
        expected = Statevector(spec.circuit.assign_parameters(point)).probabilities()
        np.testing.assert_allclose(ideal.probabilities, expected, atol=1e-12)


def test_mid_circuit_measurements_have_no_ideal(tmp_path):
    (tmp_path / "mid.qasm").write_text(
        'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\n'
        "h q[0];\nmeasure q[0] -> c[0];\ncx q[0], q[1];\nmeasure q[1] -> c[1];\n"
    )
    (spec,) = circuits.generate(QasmConfig(path=str(tmp_path / "mid.qasm")), seed=1)
    assert spec.ideals() is None
    assert spec.ideal_values(["ZZ"]) is None


@pytest.mark.parametrize(
    "measurements",
    [
        "measure q[0] -> c[0];\nmeasure q[1] -> c[0];\nmeasure q[2] -> c[1];\n",  # c[0] twice
        "measure q[0] -> c[0];\nmeasure q[2] -> c[1];\nif(c==1) x q[1];\n",  # a condition
        "measure q[0] -> c[0];\n",  # c[1] never written
    ],
)
def test_measurements_the_final_state_does_not_give_have_no_ideal(tmp_path, measurements):
    (tmp_path / "odd.qasm").write_text(
        'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg c[2];\nh q[0];\n'
        "cx q[0], q[1];\n" + measurements
    )
    (spec,) = circuits.generate(QasmConfig(path=str(tmp_path / "odd.qasm")), seed=1)
    assert spec.ideals() is None


def test_a_register_fed_by_some_qubits_in_any_order_gets_their_marginal(tmp_path):
    (tmp_path / "ans.qasm").write_text(
        'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg ans[2];\n'
        "ry(0.7) q[0];\ncx q[0], q[2];\nry(1.9) q[1];\nbarrier q;\n"
        "measure q[2] -> ans[0];\nmeasure q[1] -> ans[1];\n"
    )
    (spec,) = circuits.generate(QasmConfig(path=str(tmp_path / "ans.qasm")), seed=1)
    (ideal,) = spec.ideals()
    state = Statevector(spec.circuit.remove_final_measurements(inplace=False))
    np.testing.assert_allclose(ideal.probabilities, state.probabilities([2, 1]), atol=1e-12)


# --- stabilizer (known) outcomes equal Statevector at small width -------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6])
def test_stabilizer_simulation_equals_statevector_on_random_cliffords(n):
    for seed in range(12):
        clifford = random_clifford(n, seed=seed)
        ideal = Ideal.from_clifford(clifford)
        expected = Statevector(clifford.to_circuit()).probabilities()
        np.testing.assert_allclose(ideal.probability(_all_outcomes(n)), expected, atol=1e-12)
        assert ideal.uniform_fidelity == pytest.approx(np.sqrt(expected).sum() ** 2 / 2**n)
        support = ideal.outcomes(limit=2**n)
        assert support == [int(x) for x in np.flatnonzero(expected > 1e-9)]


@pytest.mark.parametrize(
    "cfg",
    [
        GhzConfig(num_qubits=[2, 3, 6]),
        CliffordConfig(num_qubits=[1, 3, 5], count=3),
        MirrorConfig(num_qubits=[1, 2, 5], depth=[0, 2, 6], count=3),
        QftConfig(num_qubits=[1, 3, 6]),
    ],
    ids=lambda cfg: cfg.name,
)
def test_known_outcomes_equal_statevector(cfg):
    for spec in circuits.generate(cfg, seed=9):
        n = spec.circuit.num_qubits
        assert spec.ideal is not None
        expected = Statevector(spec.circuit).probabilities()
        np.testing.assert_allclose(spec.ideal.probability(_all_outcomes(n)), expected, atol=1e-9)
        if spec.ideal_outcomes is not None:
            assert spec.ideal.bitstrings() == tuple(sorted(spec.ideal_outcomes))


def test_mirror_outcome_by_pauli_propagation_equals_full_stabilizer_simulation_at_100_qubits():
    for spec in circuits.generate(MirrorConfig(num_qubits=100, depth=6, count=3), seed=2):
        tableau = Ideal.from_clifford(Clifford(spec.circuit))
        assert tableau.support_bits == 0
        assert tableau.certain_outcome == spec.ideal.certain_outcome
        assert spec.ideal_outcomes == spec.ideal.bitstrings(1)
    assert (
        len(
            {
                s.ideal.certain_outcome
                for s in circuits.generate(MirrorConfig(num_qubits=100, depth=2, count=8), seed=3)
            }
        )
        == 8
    )


def test_wide_circuits_are_never_simulated_exactly(monkeypatch):
    calls = []
    original = ideal_module._simulate_probabilities
    monkeypatch.setattr(
        ideal_module,
        "_simulate_probabilities",
        lambda *args: calls.append(args) or original(*args),
    )
    (qv,) = circuits.generate(QuantumVolumeConfig(num_qubits=4, count=1), seed=1)
    assert qv.ideals(max_exact_qubits=3) is None
    assert calls == []
    (wide_clifford,) = circuits.generate(CliffordConfig(num_qubits=40, count=1), seed=1)
    (ideal,) = wide_clifford.ideals(max_exact_qubits=3)
    assert not ideal.is_dense and ideal.num_bits == 40
    assert calls == []
    assert qv.ideals(max_exact_qubits=4) is qv.ideals(max_exact_qubits=4)  # once per circuit
    assert len(calls) == 1


# --- ideal expectation values -------------------------------------------------------------------


def test_ansatz_ideal_values_equal_statevector_expectation_values():
    (spec,) = circuits.generate(AnsatzConfig(num_qubits=3, num_points=5), seed=3)
    labels = ["ZII", "XYZ", "IZZ"]
    values = spec.ideal_values(labels)
    assert values.shape == (3, 5)
    for p, point in enumerate(spec.parameter_values):
        state = Statevector(spec.circuit.assign_parameters(point))
        for o, label in enumerate(labels):
            assert values[o, p] == pytest.approx(_expect(state, label), abs=1e-10)


def test_ghz_ideal_values_at_any_width_by_stabilizer_simulation():
    (spec,) = circuits.generate(GhzConfig(num_qubits=40), seed=1)
    labels = [*spec.observables[:3], "X" * 40, "Y" * 40, "Z" + "I" * 39]
    values = spec.ideal_values(labels, max_exact_qubits=20)[:, 0]
    # <Y...Y> on GHZ_n is Re(i^n) = 1 for n = 0 mod 4; a single Z averages to zero.
    np.testing.assert_allclose(values, [1, 1, 1, 1, 1, 0], atol=1e-12)
    (small,) = circuits.generate(GhzConfig(num_qubits=4), seed=1)
    exact = Statevector(small.circuit)
    for label in ["ZZII", "XXXX", "YYYY", "YYXX", "ZIII"]:
        assert small.ideal_values([label], max_exact_qubits=0)[0, 0] == pytest.approx(
            _expect(exact, label), abs=1e-12
        )


def test_qft_ideal_values_in_closed_form_equal_statevector():
    (spec,) = circuits.generate(QftConfig(num_qubits=4), seed=1)
    labels = ["ZIII", "IIIZ", "IZZI", "XIII", "IIYZ", "ZZZZ"]
    closed = spec.ideal_values(labels, max_exact_qubits=0)[:, 0]
    state = Statevector(spec.circuit)
    np.testing.assert_allclose(closed, [_expect(state, x) for x in labels], atol=1e-9)


# --- ideal devices give the ideal answers -------------------------------------------------------


@pytest.mark.parametrize(("n", "method"), [(5, "automatic"), (50, "stabilizer")])
def test_mirror_circuits_succeed_with_certainty_on_the_ideal_simulator(n, method):
    for k, spec in enumerate(circuits.generate(MirrorConfig(num_qubits=n, depth=4, count=3), 5)):
        _, counts = _sample(spec.circuit, shots=200, seed=k + 1, method=method)
        assert metrics.success_probability(counts, spec.ideal).value == 1.0
        assert metrics.hellinger_fidelity(counts, spec.ideal) == pytest.approx(1.0)
        assert metrics.normalized_fidelity(counts, spec.ideal) == pytest.approx(1.0)


@pytest.mark.parametrize("n", [2, 5, 8])
def test_qft_gives_its_one_bitstring_on_the_ideal_simulator(n):
    (spec,) = circuits.generate(QftConfig(num_qubits=n), seed=1)
    bits, counts = _sample(spec.circuit, shots=500, seed=3)
    assert bits.get_counts() == {spec.ideal_outcomes[0]: 500}
    assert metrics.success_probability(counts, spec.ideal).value == 1.0


def test_quantum_volume_on_the_ideal_simulator():
    """Hellinger fidelity near 1 and heavy-output probability near (1 + ln 2) / 2 ~ 0.85."""
    shots = 4000
    hops, exact_hops = [], []
    for k, spec in enumerate(circuits.generate(QuantumVolumeConfig(num_qubits=5, count=12), 3)):
        (ideal,) = spec.ideals()
        bits, counts = _sample(spec.circuit, shots=shots, seed=k + 1)
        fidelity = metrics.hellinger_fidelity(counts, ideal)
        expected = Statevector(spec.circuit).probabilities_dict()
        assert fidelity == pytest.approx(hellinger_fidelity(bits.get_counts(), expected), abs=1e-12)
        assert fidelity > 0.99
        hop = metrics.heavy_output_probability(counts, ideal)
        probabilities = Statevector(spec.circuit).probabilities()
        exact = probabilities[probabilities > np.median(probabilities)].sum()
        assert hop.low <= exact <= hop.high or abs(hop.value - exact) < 4 * np.sqrt(0.25 / shots)
        hops.append(hop.value)
        exact_hops.append(exact)
    assert np.mean(hops) == pytest.approx(np.mean(exact_hops), abs=0.01)
    assert 0.80 < np.mean(hops) < 0.90
    verdict = metrics.quantum_volume_verdict(np.array(hops))
    assert verdict.num_circuits == 12 and not verdict.enough_circuits and not verdict.passed
    assert verdict.sigma == pytest.approx(np.sqrt(np.mean(hops) * (1 - np.mean(hops)) / 12))


# --- named outcomes and the likeliest outcomes --------------------------------------------------


def test_equally_likely_named_outcomes_become_a_stabilizer_form():
    from qexp.circuits.ghz import ideal as ghz_ideal

    everything = _all_outcomes(4)
    ghz = Ideal.uniform_over([0, 15], 4)
    assert ghz.checks is not None and ghz.support_bits == 1
    np.testing.assert_array_equal(ghz.probability(everything), ghz_ideal(4).probability(everything))
    odd = Ideal.uniform_over([1, 2, 4, 7], 3)  # odd parity: an affine subspace
    np.testing.assert_allclose(
        odd.probability(_all_outcomes(3)), np.array([0, 1, 1, 0, 1, 0, 0, 1]) / 4
    )
    assert Ideal.uniform_over([0, 1, 2], 2) is None  # three outcomes: not a stabilizer state
    assert Ideal.uniform_over([8], 3) is None  # wider than the register
    wide = Ideal.uniform_over([0, (1 << 100) - 1], 100)
    assert wide.support_bits == 1 and wide.uniform_fidelity == 2.0**-99


def test_likeliest_outcomes_come_first_and_ties_go_to_the_smaller():
    dense = Ideal.dense(np.array([0.1, 0.3, 0.3, 0.0, 0.2, 0.1, 0.0, 0.0]))
    assert dense.likeliest(4) == [(1, 0.3), (2, 0.3), (4, 0.2), (0, 0.1)]
    assert [x for x, _ in dense.likeliest(16)] == [1, 2, 4, 0, 5]  # never an impossible one
    assert Ideal.basis_state(5, 3).likeliest() == [(5, 1.0)]
    assert Ideal.uniform_over([0, 7], 3).likeliest() == [(0, 0.5), (7, 0.5)]
    assert Ideal.uniform_over([0, (1 << 40) - 1], 40).likeliest(1) == []  # 2 outcomes > 1
