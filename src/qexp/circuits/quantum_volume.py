"""Quantum-volume model circuits (`qiskit.circuit.library.quantum_volume`): `count` per width.

Each circuit has depth equal to its width: layers of random SU(4) blocks on random pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qiskit.circuit.library import quantum_volume

from qexp.circuits.base import CircuitSpec, positive, widths, z_observables
from qexp.seeds import derive_seed


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


def generate(cfg: QuantumVolumeConfig, seed: int) -> list[CircuitSpec]:
    validate(cfg)
    return [
        _qv(n, k, derive_seed(seed, "circuits", "quantum_volume", n, k))
        for n in widths(cfg.num_qubits, minimum=2)
        for k in range(cfg.count)
    ]


def _qv(num_qubits: int, index: int, seed: int) -> CircuitSpec:
    qc = quantum_volume(num_qubits, seed=seed)
    qc.name = f"quantum_volume_{num_qubits}_{index}"
    qc.metadata = {
        "generator": "quantum_volume",
        "num_qubits": num_qubits,
        "index_in_width": index,
        "seed": seed,
    }
    return CircuitSpec(circuit=qc, observables=z_observables(num_qubits))
