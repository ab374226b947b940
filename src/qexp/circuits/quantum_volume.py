"""Quantum-volume model circuits (`qiskit.circuit.library.quantum_volume`): `count` per width.

Each circuit has depth equal to its width: layers of random SU(4) blocks on random pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qiskit.circuit.library import quantum_volume

from qexp.circuits.base import CircuitSpec, positive, seeded_family, widths
from qexp.circuits.catalog import CircuitInfo, family


@dataclass
class QuantumVolumeConfig:
    """`count` quantum-volume circuits for each width."""

    name: str = "quantum_volume"
    num_qubits: Any = 3
    """An int >= 2 or a list of such ints: `count` circuits per width."""
    count: int = 10
    """Circuits per width, each with its own seed derived from the run's seed."""


def validate(cfg: QuantumVolumeConfig) -> None:
    widths(cfg.num_qubits, minimum=2)
    positive(cfg.count, "circuits.count")


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
