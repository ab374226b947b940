"""Quantum-volume model circuits (`qiskit.circuit.library.quantum_volume`): `count` per width.

Each circuit has depth equal to its width: layers of random SU(4) blocks on random pairs.
"""

from __future__ import annotations

from collections.abc import Sequence

from qiskit.circuit.library import quantum_volume

from qexp.circuits.base import CircuitSpec, seeded_family
from qexp.circuits.catalog import CircuitInfo, family
from qexp.config.circuits import QuantumVolumeConfig, validate, widths


def generate(
    cfg: QuantumVolumeConfig, seed: int, indices: Sequence[int] | None = None
) -> list[CircuitSpec]:
    validate(cfg)
    return seeded_family(
        "quantum_volume",
        widths(cfg.num_qubits, minimum=2),
        cfg.count,
        seed,
        lambda n, s: quantum_volume(n, seed=s),
        indices,
    )


def catalog(cfg: QuantumVolumeConfig) -> list[CircuitInfo]:
    return family(widths(cfg.num_qubits, minimum=2), cfg.count, clifford=None)
