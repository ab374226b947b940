"""The quantum Fourier transform of the basis state |0...01>.

X on qubit 0 prepares |1>; `QFTGate` maps it to (1/sqrt(2^n)) sum_k exp(2 pi i k / 2^n) |k>.
Every bitstring is equally likely (the counts are uniform), but the phases are not trivial:
the circuit exercises the controlled-phase ladder a device must get right. Nothing is
decomposed here; transpilation happens later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qiskit import QuantumCircuit
from qiskit.circuit.library import QFTGate

from qexp.circuits.base import CircuitSpec, widths, z_observables


@dataclass
class QftConfig:
    """One QFT circuit per width."""

    name: str = "qft"
    num_qubits: Any = 3
    """An int or a list of ints: one circuit per width."""


def validate(cfg: QftConfig) -> None:
    widths(cfg.num_qubits)


def generate(cfg: QftConfig, seed: int) -> list[CircuitSpec]:
    return [_qft(n) for n in widths(cfg.num_qubits)]


def _qft(num_qubits: int) -> CircuitSpec:
    qc = QuantumCircuit(num_qubits, name=f"qft_{num_qubits}")
    qc.x(0)
    qc.append(QFTGate(num_qubits), range(num_qubits))
    qc.metadata = {"generator": "qft", "num_qubits": num_qubits, "seed": None}
    return CircuitSpec(circuit=qc, observables=z_observables(num_qubits))
