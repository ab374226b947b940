"""What makes two logical circuits the same: a digest that resume and the transpile cache
trust.

The digest covers what a circuit does (its instructions, their parameters and bits, its
registers and global phase) and what it means (`circuit.metadata`), written out
canonically rather than through QPY, whose bytes change with the Qiskit version. A gate
that is not in Qiskit's standard library is covered through its definition, so two files
that give one gate name different bodies get different digests.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

from qiskit import QuantumCircuit

DIGEST_CHARS = 16
"""Hex characters kept: 64 bits, far beyond any run's number of circuits."""


def digest(circuit: QuantumCircuit) -> str:
    """A short hex digest of the circuit's content and metadata."""
    h = hashlib.sha256()
    _feed(h, circuit)
    h.update(json.dumps(circuit.metadata or {}, sort_keys=True, default=str).encode())
    return h.hexdigest()[:DIGEST_CHARS]


def _feed(h: Any, circuit: QuantumCircuit) -> None:
    qubits = {bit: i for i, bit in enumerate(circuit.qubits)}
    clbits = {bit: i for i, bit in enumerate(circuit.clbits)}
    regs = [(r.name, r.size) for r in circuit.qregs] + [(r.name, -r.size) for r in circuit.cregs]
    h.update(
        repr((circuit.num_qubits, circuit.num_clbits, regs, _param(circuit.global_phase))).encode()
    )
    standard = _standard_names()
    for inst in circuit.data:  # names and parameters as the circuit keeps them: no gate objects
        name = inst.name
        h.update(
            repr(
                (
                    name,
                    [_param(p) for p in inst.params],
                    [qubits[q] for q in inst.qubits],
                    [clbits[c] for c in inst.clbits],
                )
            ).encode()
        )
        if name in standard:  # no blocks, and the library's own definition
            continue
        op = inst.operation
        for block in getattr(op, "blocks", ()) or ():
            _feed(h, block)
        if (definition := getattr(op, "definition", None)) is not None:
            _feed(h, definition)


def _param(value: Any) -> str:
    """Floats exactly (repr round-trips), anything else (expressions, arrays) as text."""
    return repr(float(value)) if isinstance(value, int | float) else str(value)


@functools.cache
def _standard_names() -> frozenset[str]:
    from qiskit.circuit.library import get_standard_gate_name_mapping

    return frozenset(get_standard_gate_name_mapping())
