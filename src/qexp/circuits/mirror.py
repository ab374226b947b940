"""Mirror randomized benchmarking circuits as Proctor et al. publish them: `count` circuits per
width and benchmark depth, one known bitstring each.

Proctor, Seritan, Rudinger, Nielsen, Blume-Kohout and Young, "Scalable randomized
benchmarking of quantum computers using mirror circuits", PRL 129, 150502 (2022),
arXiv:2112.09853; the layer sampler as pyGSTi's (`sample_circuit_layer_by_edgegrab`). A
circuit of benchmark depth d (even) is

    C_0  P_0  L_1 P_1 ... L_m P_m  L_m^-1 P_(m+1) ... L_1^-1 P_2m  C_0^-1       (m = d / 2)

- C_0: a uniformly random single-qubit Clifford on every qubit, undone at the end;
- L_i: a random layer. Edge grab on the line of neighbouring pairs (q, q+1): a random
  maximal matching, each of its edges then kept with probability n xi / 2 / (its size), so a
  layer holds n xi / 2 CZ gates on average (`two_qubit_gate_density` xi: the expected share
  of qubits in a two-qubit gate); every qubit outside a CZ gets a uniformly random
  single-qubit Clifford (one of 24). A line embeds in heavy-hex and square lattices, so no
  SWAP is needed;
- P_i: Pauli frame randomization, a uniformly random Pauli on every qubit after every layer
  (the transpiler merges it into the neighbouring single-qubit gates), so that each layer's
  errors are randomized to Pauli errors and the benchmark measures their rate.

The benchmark depth d counts the layers L and L^-1 (each with its Pauli); C_0 and C_0^-1
are not counted. Barriers between the d + 2 blocks keep the transpiler from cancelling a
layer against its inverse. Without noise the layers cancel and the Paulis, pushed through
them (Pauli propagation, a tableau update per layer, never a statevector), leave one basis
state: the ideal outcome is one bitstring at any width. Its effective polarization and the
fit across depths: `qexp.metrics.mirror`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import Clifford, Pauli

from qexp.circuits.base import CircuitSpec, z_observables
from qexp.circuits.catalog import CircuitInfo
from qexp.circuits.ideal import Ideal
from qexp.config.circuits import MirrorConfig, mirror_depths, validate, widths
from qexp.seeds import derive_seed

PAULIS = "IXYZ"


def _one_qubit_cliffords() -> tuple[tuple[str, ...], ...]:
    """The 24 single-qubit Cliffords, each as its shortest word in h and s (breadth first)."""
    words: list[tuple[str, ...]] = [()]
    seen = [Clifford(QuantumCircuit(1))]
    for word in words:  # grows while it is walked: a breadth-first search
        for gate in ("h", "s"):
            candidate = (*word, gate)
            circuit = QuantumCircuit(1)
            for name in candidate:
                getattr(circuit, name)(0)
            clifford = Clifford(circuit)
            if all(clifford != known for known in seen):
                seen.append(clifford)
                words.append(candidate)
    return tuple(words)


ONE_QUBIT_CLIFFORDS = _one_qubit_cliffords()
"""Gate names of each of the 24 single-qubit Cliffords; a layer draws one per qubit."""


def generate(
    cfg: MirrorConfig, seed: int, indices: Sequence[int] | None = None
) -> list[CircuitSpec]:
    """`count` circuits per width and benchmark depth, in that order (width, depth, index);
    circuit k of width n and depth d seeded `derive_seed(seed, "circuits", "mirror", n, d, k)`."""
    validate(cfg)
    cells = _cells(cfg)
    specs = []
    for position in range(len(cells)) if indices is None else indices:
        n, d, k = cells[position]
        circuit_seed = derive_seed(seed, "circuits", "mirror", n, d, k)
        qc, ideal = build(n, d, circuit_seed, cfg.two_qubit_gate_density)
        qc.name = f"mirror_{n}_{d}_{k}"
        qc.metadata = {
            "generator": "mirror",
            "num_qubits": n,
            "depth": d,
            "two_qubit_gate_density": cfg.two_qubit_gate_density,
            "index_in_width": k,
            "seed": circuit_seed,
        }
        outcomes = ideal.bitstrings(1)
        specs.append(
            CircuitSpec(
                circuit=qc, observables=z_observables(n), ideal_outcomes=outcomes, ideal=ideal
            )
        )
    return specs


def catalog(cfg: MirrorConfig) -> list[CircuitInfo]:
    """Every mirror circuit is Clifford and knows its one ideal outcome."""
    return [
        CircuitInfo(num_qubits=n, observables=z_observables(n), has_ideal=True, clifford=True)
        for n, _, _ in _cells(cfg)
    ]


def _cells(cfg: MirrorConfig) -> list[tuple[int, int, int]]:
    """(width, benchmark depth, index) of every circuit, in generation order."""
    return [
        (n, d, k)
        for n in widths(cfg.num_qubits)
        for d in mirror_depths(cfg.depth)
        for k in range(cfg.count)
    ]


def build(
    num_qubits: int, depth: int, seed: int, density: float = 0.25
) -> tuple[QuantumCircuit, Ideal]:
    """The mirror circuit of benchmark depth `depth` and its one ideal outcome."""
    rng = np.random.default_rng(seed)
    edge = _one_qubit_layer(num_qubits, rng)
    layers = [_layer(num_qubits, density, rng) for _ in range(depth // 2)]
    blocks = [edge, *layers, *(layer.inverse() for layer in reversed(layers))]
    qc = QuantumCircuit(num_qubits)
    frame = Pauli("I" * num_qubits)
    for position, block in enumerate(blocks):
        pauli = Pauli("".join(rng.choice(list(PAULIS), size=num_qubits)))
        qc.compose(block, inplace=True)
        qc.compose(_pauli_layer(pauli), inplace=True)
        qc.barrier()
        # the Paulis so far, pushed through this block, then this block's own Pauli
        frame = pauli.compose(frame.evolve(block, frame="s")) if position else pauli
    last = edge.inverse()
    qc.compose(last, inplace=True)
    frame = frame.evolve(last, frame="s")
    outcome = sum(1 << int(j) for j in np.flatnonzero(frame.x))
    return qc, Ideal.basis_state(outcome, num_qubits)


def _layer(num_qubits: int, density: float, rng: np.random.Generator) -> QuantumCircuit:
    """Edge grab on the line (pyGSTi's sampler): a random maximal matching of neighbouring
    pairs, each edge kept with probability n density / 2 / len(matching) (capped at 1), CZ
    on the kept ones, a random single-qubit Clifford on every other qubit."""
    free = list(range(num_qubits - 1))  # edge q joins qubits q and q + 1
    matching = []
    while free:
        chosen = free[int(rng.integers(len(free)))]
        matching.append(chosen)
        free = [e for e in free if abs(e - chosen) > 1]
    keep = min(1.0, num_qubits * density / 2 / len(matching)) if matching else 0.0
    layer = QuantumCircuit(num_qubits)
    paired: set[int] = set()
    for e in sorted(matching):
        if rng.random() < keep:
            layer.cz(e, e + 1)
            paired.update((e, e + 1))
    for q in range(num_qubits):
        if q not in paired:
            _one_qubit_clifford(layer, q, rng)
    return layer


def _one_qubit_layer(num_qubits: int, rng: np.random.Generator) -> QuantumCircuit:
    layer = QuantumCircuit(num_qubits)
    for q in range(num_qubits):
        _one_qubit_clifford(layer, q, rng)
    return layer


def _one_qubit_clifford(layer: QuantumCircuit, qubit: int, rng: np.random.Generator) -> None:
    for name in ONE_QUBIT_CLIFFORDS[int(rng.integers(len(ONE_QUBIT_CLIFFORDS)))]:
        getattr(layer, name)(qubit)


def _pauli_layer(pauli: Pauli) -> QuantumCircuit:
    layer = QuantumCircuit(pauli.num_qubits)
    for q in range(pauli.num_qubits):
        letter = pauli[q].to_label()[-1]
        if letter != "I":
            getattr(layer, letter.lower())(q)
    return layer
