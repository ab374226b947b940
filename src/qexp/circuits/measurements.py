"""Final measurements of a circuit: which they are, and the circuit without them.

The Estimator runs a circuit without its final measurements; the Sampler's ISA circuit of a
mixed run gets them back where the layout put each measured qubit; the ideal answers are
computed on the circuit without them. All of it in one pass over the instructions (no DAG,
no deep copy).
"""

from __future__ import annotations

from collections.abc import Iterable

from qiskit import QuantumCircuit


def without_final_measurements(circuit: QuantumCircuit) -> QuantumCircuit:
    """The circuit minus its final measurements, in one pass (no DAG, no deep copy).

    A measurement is final when nothing after it touches its qubit or its classical bit.
    Raises ValueError when classical bits are still used afterwards (a mid-circuit
    measurement or a classically controlled operation), which no Estimator can run.
    """
    if "measure" not in circuit.count_ops():
        return circuit
    data = circuit.data
    busy_qubits: set = set()
    busy_clbits: set = set()
    final = set()
    for position in range(len(data) - 1, -1, -1):
        inst = data[position]
        is_final = (
            inst.operation.name == "measure"
            and busy_qubits.isdisjoint(inst.qubits)
            and busy_clbits.isdisjoint(inst.clbits)
        )
        if is_final:
            final.add(position)
        elif inst.operation.name != "barrier":
            busy_qubits.update(inst.qubits)
            busy_clbits.update(inst.clbits)
    if busy_clbits:
        raise ValueError(
            f"circuit {circuit.name!r} measures mid-circuit or uses classical bits, which the "
            "Estimator cannot run"
        )
    return without_clbits(circuit, keep=(i for i in range(len(data)) if i not in final))


def without_clbits(circuit: QuantumCircuit, keep: Iterable[int]) -> QuantumCircuit:
    """A copy on the same qubits and registers, without classical bits, holding the
    instructions at positions `keep` (none of which may use a classical bit)."""
    out = QuantumCircuit(name=circuit.name, global_phase=circuit.global_phase)
    out.add_bits(circuit.qubits)
    for register in circuit.qregs:
        out.add_register(register)
    out.metadata = circuit.metadata
    data = circuit.data
    for position in keep:
        out._append(data[position])
    return out
