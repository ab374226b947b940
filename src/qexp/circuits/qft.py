"""The quantum Fourier transform as an adder with one known answer (as QED-C's QFT benchmark).

Uniform counts cannot tell a working device from a dead one, so the circuit is built to
end in one basis state, as method 1 of the QED-C application benchmarks does:

1. prepare |x> with x = 0101...01 in binary (qubits 0, 2, 4, ... set);
2. `QFTGate`: |x> -> 2**(-n/2) sum_k exp(2 pi i x k / 2**n) |k>;
3. add 1 in the Fourier basis: a phase exp(2 pi i k / 2**n) on |k>, i.e. a phase gate of
   angle 2 pi 2**j / 2**n on qubit j (QED-C adds it so that no compiler cancels the
   transform against its inverse);
4. the inverse `QFTGate`, which leaves |x + 1 mod 2**n>.

So exactly one bitstring is expected: x + 1 = 0101...10 (for n = 3: x = 101, answer 110).
With `inputs=random` each of the `count` circuits of a width starts from its own random
x (seeded per circuit, as every family: `derive_seed(seed, "circuits", "qft", n, k)`), as
QED-C's benchmark draws its inputs, so a width's circuits differ and their spread shows;
each still expects one bitstring, x + 1. Nothing is decomposed here; transpilation happens
later.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit.library import QFTGate

from qexp.circuits.base import CircuitSpec, z_observables
from qexp.circuits.catalog import CircuitInfo
from qexp.circuits.ideal import Ideal
from qexp.config.circuits import QftConfig, validate, widths
from qexp.seeds import derive_seed

SHIFT = 1
"""What the Fourier-basis phases add to the prepared integer."""


def generate(cfg: QftConfig, seed: int, indices: Sequence[int] | None = None) -> list[CircuitSpec]:
    validate(cfg)
    if cfg.inputs == "fixed":
        specs = [_qft(n, prepared(n)) for n in widths(cfg.num_qubits)]
        return specs if indices is None else [specs[i] for i in indices]
    ns, count = widths(cfg.num_qubits), cfg.count
    found = []
    for position in range(len(ns) * count) if indices is None else indices:
        n, k = ns[position // count], position % count
        circuit_seed = derive_seed(seed, "circuits", "qft", n, k)
        bits = np.random.default_rng(circuit_seed).integers(0, 2, size=n)
        x = sum(int(bit) << j for j, bit in enumerate(bits))
        spec = _qft(n, x)
        spec.circuit.name = f"qft_{n}_{k}"
        spec.circuit.metadata |= {"input": x, "index_in_width": k, "seed": circuit_seed}
        found.append(spec)
    return found


def catalog(cfg: QftConfig) -> list[CircuitInfo]:
    """Every QFT circuit knows its one ideal outcome; `count` per width with random inputs."""
    count = cfg.count if cfg.inputs == "random" else 1
    return [
        CircuitInfo(num_qubits=n, observables=z_observables(n), has_ideal=True)
        for n in widths(cfg.num_qubits)
        for _ in range(count)
    ]


def prepared(num_qubits: int) -> int:
    """The fixed input integer: bits 0, 2, 4, ... set."""
    return sum(1 << j for j in range(0, num_qubits, 2))


def answer(num_qubits: int, x: int | None = None) -> int:
    """The one outcome of an ideal run: the input (by default the fixed one) + SHIFT,
    modulo 2**n."""
    start = prepared(num_qubits) if x is None else x
    return (start + SHIFT) % (1 << num_qubits)


def _qft(num_qubits: int, x: int) -> CircuitSpec:
    qc = QuantumCircuit(num_qubits, name=f"qft_{num_qubits}")
    for j in range(num_qubits):
        if (x >> j) & 1:
            qc.x(j)
    qc.append(QFTGate(num_qubits), range(num_qubits))
    for j in range(num_qubits):
        qc.p(2 * math.pi * SHIFT * 2**j / 2**num_qubits, j)
    qc.append(QFTGate(num_qubits).inverse(), range(num_qubits))
    qc.metadata = {"generator": "qft", "num_qubits": num_qubits, "seed": None}
    y = answer(num_qubits, x)
    return CircuitSpec(
        circuit=qc,
        observables=z_observables(num_qubits),
        ideal_outcomes=(format(y, f"0{num_qubits}b"),),
        ideal=Ideal.basis_state(y, num_qubits),
    )
