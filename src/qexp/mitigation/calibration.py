"""Readout calibration: which qubits, which circuits, and each qubit's matrix from the counts.

Pure functions; nothing runs here. A calibration circuit prepares a known bitstring on the
calibrated physical qubits (X where the bit is 1) and measures them, calibrated qubit j into
classical bit j. The bitstrings are mthree's, by method:

- `marginal`: all |0> and all |1>, two circuits;
- `balanced`: mthree's Hadamard strings: each qubit is |0> in half of them and |1> in the
  other half, its neighbours in every mix, so readout crosstalk averages out.

Either way every qubit is read `shots` times prepared in |0> and `shots` times in |1>, and its
2x2 matrix, entry [i, j] = P(measure i | prepared j), comes from those counts alone
(mthree's tensored model: qubits read out independently).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from qiskit import ClassicalRegister, QuantumCircuit

from qexp.circuits.ideal import outcome_bits
from qexp.metrics import Counts

REGISTER = "meas"
"""The calibration circuits' classical register, as `measure_all` names it."""
MEASURED_QUBITS_ATTR = "measured_qubits"
"""Calibration job file attribute: JSON {circuit index: the physical qubit read into each
classical bit, bit 0 first, or null where a bit is not read by a final measurement}."""


def prepared_states(num_qubits: int, method: str) -> np.ndarray:
    """The bitstrings to prepare: shape (circuits, num_qubits) of 0/1, column j = qubit j."""
    if method == "marginal":
        return np.array([[0] * num_qubits, [1] * num_qubits], dtype=np.uint8)
    from mthree.generators import HadamardGenerator

    return np.array([list(bits) for bits in HadamardGenerator(num_qubits)], dtype=np.uint8)


def shots_per_circuit(shots: int, num_circuits: int) -> int:
    """Shots each circuit runs so that every qubit is read at least `shots` times in each
    prepared state (each state is half of the circuits), as mthree shares them out."""
    return math.ceil(2 * shots / num_circuits)


def measured_qubits(isa: QuantumCircuit) -> list[int] | None:
    """The physical qubit read into each classical bit of the ISA circuit, bit 0 first.

    None when the tensored readout model does not describe the bits: a bit written by no
    measurement or by several, or one that a later operation reads (feed-forward, where the
    rest of the circuit depends on the misread value). A measurement followed by more gates
    on its qubit is corrected like a final one (same qubit, same readout).
    """
    source: dict[int, int] = {}
    for inst in isa.data:
        if not inst.clbits:
            continue
        if inst.operation.name != "measure":
            return None
        bit = isa.find_bit(inst.clbits[0]).index
        if bit in source:
            return None
        source[bit] = isa.find_bit(inst.qubits[0]).index
    if not source or sorted(source) != list(range(isa.num_clbits)):
        return None
    return [source[bit] for bit in range(isa.num_clbits)]


def circuits(
    states: np.ndarray, qubits: Sequence[int], width: int, target: Any = None
) -> list[QuantumCircuit]:
    """ISA calibration circuits on a `width`-qubit device: state k prepared on `qubits`
    (physical indices), qubit j read into classical bit j. X is used where the target has
    it, else SX twice (every IBM device has both)."""
    out = []
    for k, state in enumerate(states):
        circuit = QuantumCircuit(width, name=f"calibration_{k}")
        circuit.add_register(ClassicalRegister(len(qubits), REGISTER))
        for qubit, bit in zip(qubits, state, strict=True):
            if bit:
                _flip(circuit, qubit, target)
        circuit.barrier(list(qubits))
        circuit.measure(list(qubits), list(range(len(qubits))))
        out.append(circuit)
    return out


def _flip(circuit: QuantumCircuit, qubit: int, target: Any) -> None:
    if target is None or target.instruction_supported("x", (qubit,)):
        circuit.x(qubit)
    else:
        circuit.sx(qubit)
        circuit.sx(qubit)


def matrices(states: np.ndarray, counts: Sequence[Counts]) -> np.ndarray:
    """Each calibrated qubit's readout matrix, shape (num_qubits, 2, 2): entry [q, i, j] is
    the share of the shots with qubit q prepared in j that read i.

    `counts[k]` are the outcomes of the circuit that prepared `states[k]` (bit j = qubit j).
    """
    num_qubits = states.shape[1]
    read_one = np.zeros((2, num_qubits))  # [prepared, qubit]: shots that read 1
    total = np.zeros((2, num_qubits))  # [prepared, qubit]: shots
    for state, found in zip(states, counts, strict=True):
        bits = outcome_bits(found.outcomes, num_qubits).astype(float)
        ones = found.counts.astype(float) @ bits  # per qubit: shots that read 1
        prepared = state.astype(bool)
        for value in (0, 1):
            where = prepared == bool(value)
            read_one[value, where] += ones[where]
            total[value, where] += found.shots
    if np.any(total == 0):
        raise ValueError("every qubit must be prepared in both |0> and |1> with some shots")
    p_one = read_one / total  # P(read 1 | prepared j), [j, qubit]
    out = np.empty((num_qubits, 2, 2))
    out[:, 1, :] = p_one.T
    out[:, 0, :] = 1 - p_one.T
    return out


def bitstring(state: np.ndarray) -> str:
    """A prepared state as Qiskit writes outcomes: qubit 0 rightmost."""
    return "".join(str(int(b)) for b in state[::-1])


def state_of(bitstring: str) -> np.ndarray:
    """`bitstring`'s inverse: column j = qubit j."""
    return np.array([int(c) for c in bitstring[::-1]], dtype=np.uint8)
