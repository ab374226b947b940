"""Random circuits from `qiskit.circuit.random.random_circuit`: `count` per width."""

from __future__ import annotations

from collections.abc import Sequence

from qiskit.circuit.random import random_circuit

from qexp.circuits.base import CircuitSpec, seeded_family
from qexp.circuits.catalog import CircuitInfo, family
from qexp.config.circuits import RandomConfig, validate, widths


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
