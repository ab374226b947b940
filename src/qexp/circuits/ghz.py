"""GHZ states (|0...0> + |1...1>)/sqrt(2): the smoke test of every device.

With `parity`, each width n also gets its 2n + 2 parity-oscillation circuits: the GHZ state,
a phase phi_k = k pi / (n + 1) on every qubit, a Hadamard on every qubit. Their parity
<Z...Z> = C cos(n phi + phi_0) gives the coherence C that the GHZ state fidelity needs
beside the populations (Monz et al., PRL 106, 130506 (2011); `qexp.metrics.ghz`). They are
circuits of their own generator name, `ghz_parity`, so that no table averages them with
the GHZ circuits, and carry `parity_phase` in their metadata.
"""

from __future__ import annotations

import math

import numpy as np
from qiskit import QuantumCircuit

from qexp.circuits.base import CircuitSpec
from qexp.circuits.ideal import Ideal
from qexp.config.circuits import GhzConfig, widths

PARITY_GENERATOR = "ghz_parity"


def generate(cfg: GhzConfig, seed: int) -> list[CircuitSpec]:
    specs = []
    for n in widths(cfg.num_qubits, minimum=2):
        specs.append(_ghz(n))
        if cfg.parity:
            specs.extend(_parity(n, phase) for phase in parity_phases(n))
    return specs


def parity_phases(num_qubits: int) -> list[float]:
    """phi_k = k pi / (n + 1), k = 0 ... 2n + 1: n phi_k falls on evenly spaced angles, so
    the fit of the oscillation's two quadratures is well conditioned."""
    return [k * math.pi / (num_qubits + 1) for k in range(2 * num_qubits + 2)]


def _parity(num_qubits: int, phase: float) -> CircuitSpec:
    """The GHZ state, then P(phase) and H on every qubit: parity <Z...Z> = cos(n phase)."""
    qc = _ghz(num_qubits).circuit.copy(name=f"ghz_parity_{num_qubits}")
    for q in range(num_qubits):
        qc.p(phase, q)
    for q in range(num_qubits):
        qc.h(q)
    qc.metadata = {
        "generator": PARITY_GENERATOR,
        "num_qubits": num_qubits,
        "parity_phase": phase,
        "seed": None,
    }
    return CircuitSpec(circuit=qc, observables=("Z" * num_qubits,))


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
