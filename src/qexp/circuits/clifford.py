"""Random Clifford circuits: `random_clifford(n, seed).to_circuit()`, `count` per width."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qiskit.quantum_info import random_clifford

from qexp.circuits.base import CircuitSpec, positive, widths, z_observables
from qexp.seeds import derive_seed


@dataclass
class CliffordConfig:
    """`count` random Clifford circuits for each width."""

    name: str = "clifford"
    num_qubits: Any = 3
    """An int or a list of ints: `count` circuits per width."""
    count: int = 10
    """Circuits per width, each with its own seed derived from the run's seed."""


def validate(cfg: CliffordConfig) -> None:
    widths(cfg.num_qubits)
    positive(cfg.count, "circuits.count")


def generate(cfg: CliffordConfig, seed: int) -> list[CircuitSpec]:
    validate(cfg)
    return [
        _clifford(n, k, derive_seed(seed, "circuits", "clifford", n, k))
        for n in widths(cfg.num_qubits)
        for k in range(cfg.count)
    ]


def _clifford(num_qubits: int, index: int, seed: int) -> CircuitSpec:
    qc = random_clifford(num_qubits, seed=seed).to_circuit()
    qc.name = f"clifford_{num_qubits}_{index}"
    qc.metadata = {
        "generator": "clifford",
        "num_qubits": num_qubits,
        "index_in_width": index,
        "seed": seed,
    }
    return CircuitSpec(circuit=qc, observables=z_observables(num_qubits))
