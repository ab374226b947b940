"""GHZ states (|0...0> + |1...1>)/sqrt(2): the smoke test of every device."""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit

from qexp.circuits.base import CircuitSpec
from qexp.circuits.ideal import Ideal
from qexp.config.circuits import GhzConfig, widths


def generate(cfg: GhzConfig, seed: int) -> list[CircuitSpec]:
    return [_ghz(n) for n in widths(cfg.num_qubits, minimum=2)]


def natural_observables(num_qubits: int) -> tuple[str, ...]:
    """ZZ on each neighbouring pair (ideal value +1) and the all-X parity (ideal +1)."""
    pairs = []
    for q in range(num_qubits - 1):
        label = ["I"] * num_qubits
        label[num_qubits - 1 - q] = label[num_qubits - 2 - q] = "Z"
        pairs.append("".join(label))
    return (*pairs, "X" * num_qubits)


def _ghz(num_qubits: int) -> CircuitSpec:
    qc = QuantumCircuit(num_qubits, name=f"ghz_{num_qubits}")
    qc.h(0)
    for q in range(num_qubits - 1):
        qc.cx(q, q + 1)
    qc.metadata = {"generator": "ghz", "num_qubits": num_qubits, "seed": None}
    return CircuitSpec(
        circuit=qc,
        observables=natural_observables(num_qubits),
        ideal_outcomes=("0" * num_qubits, "1" * num_qubits),
        ideal=ideal(num_qubits),
    )


def ideal(num_qubits: int) -> Ideal:
    """Half 0...0, half 1...1: every neighbouring pair of bits agrees (x_q + x_q+1 = 0)."""
    checks = np.zeros((num_qubits - 1, num_qubits), dtype=np.uint8)
    for q in range(num_qubits - 1):
        checks[q, q] = checks[q, q + 1] = 1
    return Ideal.stabilizer(checks, np.zeros(num_qubits - 1, dtype=np.uint8))
