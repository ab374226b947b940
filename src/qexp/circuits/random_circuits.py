"""Random circuits from `qiskit.circuit.random.random_circuit`: `count` per width."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qiskit.circuit.random import random_circuit

from qexp.circuits.base import CircuitSpec, positive, seeded_family, widths
from qexp.circuits.catalog import CircuitInfo, family


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


def generate(
    cfg: RandomConfig, seed: int, indices: Sequence[int] | None = None
) -> list[CircuitSpec]:
    validate(cfg)
    return seeded_family(
        "random",
        widths(cfg.num_qubits),
        cfg.count,
        seed,
        lambda n, s: random_circuit(n, cfg.depth, measure=False, seed=s),
        indices,
        depth=cfg.depth,
    )


def catalog(cfg: RandomConfig) -> list[CircuitInfo]:
    return family(widths(cfg.num_qubits), cfg.count, clifford=None)
