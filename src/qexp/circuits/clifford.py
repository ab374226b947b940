"""Random Clifford circuits: `random_clifford(n, seed).to_circuit()`, `count` per width.

Each knows its ideal distribution at any width: the stabilizer state's, from the tableau.
"""

from __future__ import annotations

from collections.abc import Sequence

from qiskit import QuantumCircuit
from qiskit.quantum_info import random_clifford

from qexp.circuits.base import CircuitSpec, seeded_family
from qexp.circuits.catalog import CircuitInfo, family
from qexp.circuits.ideal import Ideal
from qexp.config.circuits import CliffordConfig, validate, widths


def generate(
    cfg: CliffordConfig, seed: int, indices: Sequence[int] | None = None
) -> list[CircuitSpec]:
    validate(cfg)
    return seeded_family(
        "clifford",
        widths(cfg.num_qubits),
        cfg.count,
        seed,
        build,
        indices,
    )


def build(num_qubits: int, seed: int) -> tuple[QuantumCircuit, Ideal]:
    clifford = random_clifford(num_qubits, seed=seed)
    return clifford.to_circuit(), Ideal.from_clifford(clifford)


def catalog(cfg: CliffordConfig) -> list[CircuitInfo]:
    return family(widths(cfg.num_qubits), cfg.count, clifford=True)
