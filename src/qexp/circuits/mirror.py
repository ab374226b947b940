"""Randomized mirror circuits (Proctor et al., "Measuring the capabilities of quantum
computers", Nature Physics 18, 75 (2022)): `count` per width, one known bitstring each.

A circuit of `depth` random layers L_1 ... L_d is followed by its inverse, with a layer of
random Paulis before each inverted layer:

    L_1 ... L_d  P_d  L_d^-1  P_(d-1)  L_(d-1)^-1  ...  P_1  L_1^-1

Each layer is a random single-qubit Clifford on every qubit, then CZ on neighbouring pairs
of a line, (0,1), (2,3), ... in odd layers and (1,2), (3,4), ... in even ones, so the
circuit embeds in heavy-hex and square lattices without SWAPs. Barriers between layers
keep the transpiler from cancelling a layer against its inverse. Without noise the
Cliffords cancel and the Paulis, pushed to the end of the circuit through the inverted
layers (Pauli propagation: a tableau update per layer, never a statevector), leave one
basis state: the ideal outcome is one bitstring at any width (50 or 100 qubits as easily
as 5).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import Clifford, Pauli

from qexp.circuits.base import CircuitSpec, seeded_family
from qexp.circuits.catalog import CircuitInfo, family
from qexp.circuits.ideal import Ideal
from qexp.config.circuits import MirrorConfig, validate, widths

PAULIS = "IXYZ"


def _one_qubit_cliffords() -> tuple[tuple[str, ...], ...]:
    """The 24 single-qubit Cliffords, each as its shortest word in h and s (breadth first)."""
    words: list[tuple[str, ...]] = [()]
    seen = [Clifford(QuantumCircuit(1))]
    for word in words:  # grows while it is walked: a breadth-first search
        for gate in ("h", "s"):
            candidate = (*word, gate)
            circuit = QuantumCircuit(1)
            for name in candidate:
                getattr(circuit, name)(0)
            clifford = Clifford(circuit)
            if all(clifford != known for known in seen):
                seen.append(clifford)
                words.append(candidate)
    return tuple(words)


ONE_QUBIT_CLIFFORDS = _one_qubit_cliffords()
"""Gate names of each of the 24 single-qubit Cliffords; a layer draws one per qubit."""


def generate(
    cfg: MirrorConfig, seed: int, indices: Sequence[int] | None = None
) -> list[CircuitSpec]:
    validate(cfg)
    return seeded_family(
        "mirror",
        widths(cfg.num_qubits),
        cfg.count,
        seed,
        lambda n, s: build(n, cfg.depth, s),
        indices,
        depth=cfg.depth,
    )


def catalog(cfg: MirrorConfig) -> list[CircuitInfo]:
    """Every mirror circuit is Clifford and knows its one ideal outcome."""
    return family(widths(cfg.num_qubits), cfg.count, clifford=True, has_ideal=True)


def build(num_qubits: int, depth: int, seed: int) -> tuple[QuantumCircuit, Ideal]:
    """The mirror circuit and its one ideal outcome."""
    rng = np.random.default_rng(seed)
    layers = [_layer(num_qubits, index, rng) for index in range(depth)]
    qc = QuantumCircuit(num_qubits)
    for layer in layers:
        qc.compose(layer, inplace=True)
        qc.barrier()
    frame = Pauli("I" * num_qubits)
    for position, layer in enumerate(reversed(layers)):
        if position:
            qc.barrier()
        pauli = Pauli("".join(rng.choice(list(PAULIS), size=num_qubits)))
        inverse = layer.inverse()
        qc.compose(_pauli_layer(pauli), inplace=True)
        qc.compose(inverse, inplace=True)
        # The frame F of Paulis so far, then layer G, equals G, then the Pauli G F G^-1.
        frame = pauli.compose(frame).evolve(inverse, frame="s")
    outcome = sum(1 << int(j) for j in np.flatnonzero(frame.x))
    return qc, Ideal.basis_state(outcome, num_qubits)


def _layer(num_qubits: int, index: int, rng: np.random.Generator) -> QuantumCircuit:
    layer = QuantumCircuit(num_qubits)
    for q, choice in enumerate(rng.integers(len(ONE_QUBIT_CLIFFORDS), size=num_qubits)):
        for name in ONE_QUBIT_CLIFFORDS[choice]:
            getattr(layer, name)(q)
    for q in range(index % 2, num_qubits - 1, 2):
        layer.cz(q, q + 1)
    return layer


def _pauli_layer(pauli: Pauli) -> QuantumCircuit:
    layer = QuantumCircuit(pauli.num_qubits)
    for q in range(pauli.num_qubits):
        letter = pauli[q].to_label()[-1]
        if letter != "I":
            getattr(layer, letter.lower())(q)
    return layer
