"""Random circuits from `qiskit.circuit.random.random_circuit`: `count` per width."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qiskit.circuit.random import random_circuit

from qexp.circuits.base import CircuitSpec, positive, widths, z_observables
from qexp.seeds import derive_seed


@dataclass
class RandomConfig:
    """`count` random circuits of `depth` layers for each width."""

    name: str = "random"
    num_qubits: Any = 3
    """An int or a list of ints: `count` circuits per width."""
    count: int = 10
    """Circuits per width, each with its own seed derived from the run's seed."""
    depth: int = 5
    """Layers of random gates (before transpilation)."""


def validate(cfg: RandomConfig) -> None:
    widths(cfg.num_qubits)
    positive(cfg.count, "circuits.count")
    positive(cfg.depth, "circuits.depth")


def generate(cfg: RandomConfig, seed: int) -> list[CircuitSpec]:
    validate(cfg)
    return [
        _random(n, cfg.depth, k, derive_seed(seed, "circuits", "random", n, k))
        for n in widths(cfg.num_qubits)
        for k in range(cfg.count)
    ]


def _random(num_qubits: int, depth: int, index: int, seed: int) -> CircuitSpec:
    qc = random_circuit(num_qubits, depth, measure=False, seed=seed)
    qc.name = f"random_{num_qubits}_{index}"
    qc.metadata = {
        "generator": "random",
        "num_qubits": num_qubits,
        "depth": depth,
        "index_in_width": index,
        "seed": seed,
    }
    return CircuitSpec(circuit=qc, observables=z_observables(num_qubits))
