"""The one-pass Aer assembly gives Aer's own bits, and leaves what is not plain to Aer."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Parameter
from qiskit.circuit.library import HGate, get_standard_gate_name_mapping
from qiskit_aer import AerSimulator
from qiskit_aer.backends import aerbackend
from qiskit_aer.noise import NoiseModel, depolarizing_error, thermal_relaxation_error

from qexp.backends.one_pass import GATES, OnePassSimulator, assemble

SHOTS = 300


def every_gate_circuit(seed: int, num_qubits: int = 4, method: str = "automatic") -> QuantumCircuit:
    """Each gate of `GATES` that the simulation `method` runs, twice, on random qubits with
    random angles, in two quantum and two classical registers; a labelled gate, barriers,
    a global phase and metadata."""
    rng = np.random.default_rng(seed)
    gates = get_standard_gate_name_mapping()
    qr, extra = QuantumRegister(num_qubits - 1, "q"), QuantumRegister(1, "a")
    low, high = ClassicalRegister(2, "low"), ClassicalRegister(num_qubits - 2, "high")
    circuit = QuantumCircuit(qr, extra, low, high, name=f"every-{seed}", global_phase=0.3)
    circuit.metadata = {"seed": seed}
    names = sorted(GATES & set(AerSimulator(method=method).configuration().basis_gates)) * 2
    rng.shuffle(names)
    for name in names:
        gate = gates[name]
        if gate.params:
            gate = type(gate)(*rng.uniform(-np.pi, np.pi, len(gate.params)))
        qubits = rng.choice(num_qubits, gate.num_qubits, replace=False).tolist()
        circuit.append(gate, qubits)
        if rng.random() < 0.1:
            circuit.barrier()
    circuit.append(HGate(label="labelled"), [0])  # its own noise (below)
    circuit.measure(range(num_qubits), range(num_qubits))
    return circuit


def noise_model() -> NoiseModel:
    model = NoiseModel()
    model.add_all_qubit_quantum_error(depolarizing_error(0.02, 1), ["h", "sx", "x", "u"])
    model.add_all_qubit_quantum_error(depolarizing_error(0.05, 2), ["cx", "cz", "ecr"])
    model.add_all_qubit_quantum_error(thermal_relaxation_error(50e3, 40e3, 300), ["measure"])
    model.add_all_qubit_quantum_error(depolarizing_error(0.5, 1), ["labelled"])  # Aer's by label
    return model


RUN = {"shots": SHOTS, "memory": True, "seed_simulator": 7}


def assert_same(ours, theirs) -> None:
    """Shot for shot the same memory, the same headers (names, registers, metadata)."""
    assert ours.success and theirs.success
    for mine, aers in zip(ours.results, theirs.results, strict=True):
        assert mine.data.memory == aers.data.memory
        assert mine.header == aers.header
        assert mine.metadata["method"] == aers.metadata["method"]


def assert_same_run(circuits, **options) -> None:
    theirs = AerSimulator().run(circuits, **RUN, **options).result()
    assert_same(OnePassSimulator().run(circuits, **RUN, **options).result(), theirs)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"method": "statevector", "noise_model": noise_model()},
        {"method": "density_matrix", "noise_model": noise_model()},
    ],
    ids=["ideal", "noisy statevector", "noisy density matrix"],
)
def test_plain_circuits_give_aers_own_bits_assembled_in_one_pass(monkeypatch, options):
    circuits = [
        every_gate_circuit(seed, method=options.get("method", "automatic")) for seed in range(4)
    ]
    assert all(assemble(c, None) is not None for c in circuits)  # the one-pass path is taken
    theirs = AerSimulator().run(circuits, **RUN, **options).result()

    def refused(*args, **kwargs):
        raise AssertionError("Aer's own assembly ran")

    monkeypatch.setattr(aerbackend, "assemble_circuits", refused)
    ours = OnePassSimulator().run(circuits, **RUN, **options).result()
    assert_same(ours, theirs)
    assert len(ours.get_counts(0)) > 4  # the circuits do spread their shots


def not_plain() -> dict[str, QuantumCircuit]:
    """Circuits the one-pass assembly leaves to Aer, each for its own reason."""
    found = {}
    ctrl = QuantumCircuit(2)
    ctrl.h(0)
    ctrl.cx(0, 1, ctrl_state=0)  # "cx_o0": Aer adds x gates around it
    found["control state"] = ctrl
    init = QuantumCircuit(2)
    init.initialize([0.6, 0.8], [0])
    init.cx(0, 1)
    found["initialize"] = init
    custom = QuantumCircuit(2)
    body = QuantumCircuit(2, name="cz")
    body.h(1)
    body.cx(0, 1)
    body.h(1)
    custom.h([0, 1])
    custom.append(body.to_gate(), [0, 1])  # named like a standard gate, not one
    found["custom gate named cz"] = custom
    flow = QuantumCircuit(2, 1)
    flow.h(0)
    flow.measure(0, 0)
    with flow.if_test((flow.clbits[0], 1)):
        flow.x(1)
    found["control flow"] = flow
    delay = QuantumCircuit(1)
    delay.delay(100, 0)
    delay.x(0)
    found["delay"] = delay
    for circuit in found.values():
        circuit.measure_all()
    return found


@pytest.mark.parametrize("name", list(not_plain()))
def test_circuits_that_are_not_plain_take_aers_own_path(name):
    circuit = not_plain()[name]
    assert assemble(circuit, None) is None
    assert_same_run([every_gate_circuit(1), circuit])  # one such circuit: the whole run


def test_parameters_to_bind_take_aers_own_path():
    theta = Parameter("theta")
    circuit = QuantumCircuit(1)
    circuit.rx(theta, 0)
    circuit.measure_all()
    assert assemble(circuit, None) is None
    assert_same_run([circuit], parameter_binds=[{theta: [0.3, 1.2]}])


def test_a_gate_outside_the_simulators_basis_is_left_to_aer():
    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    assert assemble(circuit, frozenset({"h", "cx"})) is not None
    assert assemble(circuit, frozenset({"h"})) is None
