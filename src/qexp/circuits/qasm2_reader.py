"""OpenQASM 2 text to the circuit `qiskit.qasm2.loads` gives, its standard gates kept in Rust.

`qasm2.loads` lexes and parses in Rust, then builds the circuit in Python, making a Python
gate object for every gate applied (`U3Gate(...)`, `CU1Gate(...)`, ...): two thirds of the
time a 5-qubit depth-10 file takes to read (0.45 ms), and every file is read twice in a run
(checked, then prepared). Here each application of a standard gate goes into the circuit
as Qiskit keeps it anyway (`CircuitInstruction.from_standard`: the gate, its parameters,
its label), which is what QPY writes, what the transpiler reads and what a Python object
made of it on demand holds; reading takes a third of the time.

The same Rust bytecode, the same custom instructions (their constructors decide what each
name is), the same registers, bits and order: for the programs it takes, the circuit is
equal to `qasm2.loads`'s, to its QPY bytes and every gate's label (a constructor's default
label is kept: `XXMinusYYGate`'s "(XX-YY)"). Gates a file defines, opaque gates and
anything that is not a standard gate (`u0`, `delay`) are built by their constructors as
`qasm2.loads` builds them. A program with a classically conditioned operation, or a Qiskit
whose parser internals differ from the ones this was written against, is read by
`qasm2.loads` itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from qiskit import QuantumCircuit, qasm2
from qiskit.circuit import (
    Barrier,
    CircuitInstruction,
    ClassicalRegister,
    Measure,
    QuantumRegister,
    Reset,
)
from qiskit.circuit import library as lib

try:  # Qiskit's own parser internals: without them, `qasm2.loads` does the whole read
    from qiskit._accelerate import qasm2 as _rust
    from qiskit.qasm2.parse import QELIB1, OpCode, _gate_builder, _opaque_builder
except ImportError:  # pragma: no cover - another Qiskit layout
    _rust = None


class _Unsupported(Exception):
    """An instruction this reader leaves to `qasm2.loads`."""


def loads(text: str, custom_instructions: Sequence[qasm2.CustomInstruction]) -> QuantumCircuit:
    """`qasm2.loads(text, custom_instructions=custom_instructions)`, faster; raises what it
    raises (`QASM2ParseError`) for a program it refuses."""
    if _rust is None:
        return qasm2.loads(text, custom_instructions=custom_instructions)
    bytecode = _rust.bytecode_from_string(
        text,
        ["."],
        [
            _rust.CustomInstruction(c.name, c.num_params, c.num_qubits, c.builtin)
            for c in custom_instructions
        ],
        (),
        False,
    )
    try:
        return _build(bytecode, custom_instructions)
    except _Unsupported:
        return qasm2.loads(text, custom_instructions=custom_instructions)


def _build(bytecode: Any, custom_instructions: Sequence[qasm2.CustomInstruction]) -> QuantumCircuit:
    """`qiskit.qasm2.parse.from_bytecode`, with standard gates made in Rust."""
    circuit = QuantumCircuit()
    append = circuit._append
    from_standard = CircuitInstruction.from_standard
    qubits: list[Any] = []
    clbits: list[Any] = []
    gates: list[Callable[..., Any]] = [c.constructor for c in custom_instructions]
    names = {c.name for c in custom_instructions}
    if "U" not in names:
        gates.append(lib.UGate)
    if "CX" not in names:
        gates.append(lib.CXGate)
    standard = [_standard(g) for g in gates]
    ops = iter(bytecode)
    for op in ops:
        opcode = op.opcode
        if opcode == OpCode.Gate:
            gate_id, parameters, on = op.operands
            found = standard[gate_id]
            bits = [qubits[q] for q in on]
            if found is not None and all(type(p) is float for p in parameters):
                append(from_standard(found[0], bits, parameters, label=found[1]))
            else:
                append(CircuitInstruction(gates[gate_id](*parameters), bits))
        elif opcode == OpCode.Measure:
            qubit, clbit = op.operands
            append(CircuitInstruction(Measure(), (qubits[qubit],), (clbits[clbit],)))
        elif opcode == OpCode.Barrier:
            on = op.operands[0]
            append(CircuitInstruction(Barrier(len(on)), [qubits[q] for q in on]))
        elif opcode == OpCode.Reset:
            append(CircuitInstruction(Reset(), (qubits[op.operands[0]],)))
        elif opcode == OpCode.DeclareQreg:
            name, size = op.operands
            qreg = QuantumRegister(size, name)
            qubits += qreg[:]
            circuit.add_register(qreg)
        elif opcode == OpCode.DeclareCreg:
            name, size = op.operands
            creg = ClassicalRegister(size, name)
            clbits += creg[:]
            circuit.add_register(creg)
        elif opcode == OpCode.SpecialInclude:
            (indices,) = op.operands
            for index in indices:
                gates.append(QELIB1[index])
                standard.append(_standard(QELIB1[index]))
        elif opcode == OpCode.DeclareGate:
            name, num_qubits = op.operands
            body = []
            for inner in ops:  # the gate's body, up to its end, as qasm2 reads it
                if inner.opcode == OpCode.EndDeclareGate:
                    break
                body.append(inner)
            gates.append(_gate_builder(name, num_qubits, tuple(gates), body))
            standard.append(None)
        elif opcode == OpCode.DeclareOpaque:
            name, num_qubits = op.operands
            gates.append(_opaque_builder(name, num_qubits))
            standard.append(None)
        else:  # conditioned operations: qasm2.loads builds their `if_test` blocks
            raise _Unsupported(opcode)
    return circuit


@functools.cache
def _standard(constructor: Callable[..., Any]) -> tuple[Any, str | None] | None:
    """The standard gate a constructor makes and the label it gives it, or None when what it
    makes is not a plain standard gate (then each use calls the constructor)."""
    if not isinstance(constructor, type):
        return None
    gate = getattr(constructor, "_standard_gate", None)
    if gate is None:
        return None
    try:
        made = constructor(*[0.5] * gate.num_params)
    except Exception:
        return None
    if made.base_class is not constructor or getattr(made, "_standard_gate", None) is not gate:
        return None
    if getattr(made, "ctrl_state", None) not in (
        None,
        2 ** getattr(made, "num_ctrl_qubits", 0) - 1,
    ):
        return None
    return gate, made.label
