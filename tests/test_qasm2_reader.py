"""The OpenQASM 2 reader gives `qiskit.qasm2.loads`'s circuit: the same instructions, labels,
registers and QPY bytes, and the same digest, ideal distributions and errors downstream."""

from __future__ import annotations

import io

import numpy as np
import pytest
from qiskit import QuantumCircuit, qasm2, qpy
from qiskit.circuit.library import (
    CSGate,
    RGate,
    XXMinusYYGate,
    XXPlusYYGate,
    get_standard_gate_name_mapping,
)
from qiskit.circuit.random import random_circuit

from qexp.circuits import qasm, qasm2_reader
from qexp.circuits.base import CircuitSpec, z_observables
from qexp.circuits.identity import digest


def read_both(text: str) -> tuple[QuantumCircuit, QuantumCircuit]:
    """The circuit `qasm2.loads` gives and the reader's, with qexp's custom instructions."""
    custom = qasm._custom_instructions(text)
    expected = qasm2.loads(text, custom_instructions=custom)
    got = qasm2_reader.loads(text, custom)
    expected.name = got.name = "same"  # each parse names its circuit `circuit-N`
    return expected, got


def qpy_bytes(circuit: QuantumCircuit) -> bytes:
    buffer = io.BytesIO()
    qpy.dump(circuit, buffer)
    return buffer.getvalue()


def assert_same(expected: QuantumCircuit, got: QuantumCircuit) -> None:
    assert got == expected
    assert [(i.name, i.label, i.params) for i in got.data] == [
        (i.name, i.label, i.params) for i in expected.data
    ]
    assert [type(p) for i in got.data for p in i.params] == [
        type(p) for i in expected.data for p in i.params
    ]
    assert got.qregs == expected.qregs and got.cregs == expected.cregs
    assert digest(got) == digest(expected)


def every_standard_gate(seed: int) -> QuantumCircuit:
    """Each standard gate Qiskit's exporter writes (qelib1's, and the ones it defines in the
    file: `cs`, `r`, `xx_minus_yy`, ...), twice, with random angles, then measured."""
    rng = np.random.default_rng(seed)
    circuit = QuantumCircuit(5)
    names = [
        n
        for n, g in get_standard_gate_name_mapping().items()
        if getattr(g, "_standard_gate", None) is not None and 0 < g.num_qubits <= 5
    ] * 2
    rng.shuffle(names)
    for name in names:
        gate = get_standard_gate_name_mapping()[name]
        if gate.params:
            gate = type(gate)(*rng.uniform(-np.pi, np.pi, len(gate.params)))
        circuit.append(gate, rng.choice(5, gate.num_qubits, replace=False).tolist())
    circuit.measure_all()
    return circuit


@pytest.mark.parametrize("seed", range(3))
def test_every_standard_gate_as_qasm2_loads_reads_it(seed: int) -> None:
    text = qasm2.dumps(every_standard_gate(seed))
    expected, got = read_both(text)
    assert_same(expected, got)
    assert qpy_bytes(got) == qpy_bytes(expected)


def test_random_files_with_resets_and_three_qubit_gates() -> None:
    for seed in range(60):
        circuit = random_circuit(6, 8, max_operands=3, measure=True, seed=seed, reset=seed % 2 == 0)
        expected, got = read_both(qasm2.dumps(circuit))
        assert_same(expected, got)
        assert qpy_bytes(got) == qpy_bytes(expected)


def test_default_labels_are_kept() -> None:
    """A constructor's own label is part of the gate (Aer matches noise by it, QPY keeps it)."""
    circuit = QuantumCircuit(2)
    circuit.append(XXMinusYYGate(0.1, 0.2), [0, 1])
    circuit.append(XXPlusYYGate(0.3, 0.4), [1, 0])
    circuit.append(CSGate(), [0, 1])
    circuit.append(RGate(0.5, 0.6), [1])
    expected, got = read_both(qasm2.dumps(circuit))
    assert [i.label for i in got.data] == ["(XX-YY)", "(XX+YY)", None, None]
    assert_same(expected, got)
    assert qpy_bytes(got) == qpy_bytes(expected)


def test_standard_gates_are_not_made_as_python_objects(monkeypatch) -> None:
    """The point of the reader: a standard gate's constructor is never called (a mutation
    that builds every gate through its constructor fails here)."""
    from qiskit.circuit.library import U3Gate

    def refuse(*args, **kwargs):
        raise AssertionError("a U3Gate object was made")

    text = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nu3(1,2,3) q[0];\ncx q[0],q[1];\n'
    qasm2_reader._standard(U3Gate)  # probed once, before the constructor is refused
    monkeypatch.setattr(U3Gate, "__init__", refuse)
    got = qasm2_reader.loads(text, qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    assert [(i.name, i.params) for i in got.data] == [("u3", [1.0, 2.0, 3.0]), ("cx", [])]


def test_defined_opaque_and_non_standard_gates() -> None:
    text = """OPENQASM 2.0;
include "qelib1.inc";
gate my(t) a, b { rx(t) a; cx a, b; u1(t/2) b; }
opaque op(x) a;
qreg q[3];
creg c[3];
my(0.3) q[0], q[1];
u0(1) q[2];
op(0.2) q[1];
reset q[0];
barrier q;
U(1, 2, 3) q[0];
CX q[0], q[2];
measure q -> c;
"""
    expected, got = read_both(text)
    assert_same(expected, got)
    assert got.data[0].operation.definition == expected.data[0].operation.definition
    # custom gates get fresh names in QPY on every dump: compare what QPY reads back
    assert qpy.load(io.BytesIO(qpy_bytes(got)))[0] == qpy.load(io.BytesIO(qpy_bytes(expected)))[0]


def test_conditioned_operations_are_read_by_qasm2_loads(monkeypatch) -> None:
    text = (
        'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\n'
        "measure q[0] -> c[0];\nif (c == 1) x q[1];\nmeasure q[1] -> c[1];\n"
    )
    expected, got = read_both(text)
    assert_same(expected, got)
    assert got.data[2].name == "if_else"


def test_errors_are_the_parsers() -> None:
    bad = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\nnope q[0];\n'
    with pytest.raises(qasm2.QASM2ParseError, match="nope"):
        qasm2_reader.loads(bad, qasm2.LEGACY_CUSTOM_INSTRUCTIONS)


def test_ideal_distributions_match_the_statevector() -> None:
    """The ideals of circuits read this way (standard gates without Python objects) are the
    exact statevector's."""
    from qiskit.quantum_info import Statevector

    for seed in range(5):
        circuit = every_standard_gate(seed)
        _, got = read_both(qasm2.dumps(circuit))
        found = CircuitSpec(circuit=got, observables=z_observables(5)).ideals(12)
        assert found is not None
        exact = Statevector(circuit.remove_final_measurements(inplace=False)).probabilities()
        np.testing.assert_allclose(found[0].probabilities, exact, atol=1e-12)
