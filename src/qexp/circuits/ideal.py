"""What a noiseless device gives for a circuit: its ideal distribution and expectation values.

A measured distribution is known exactly in one of two forms (`Ideal`):

- **dense**: every outcome's probability, from a statevector simulation. Costs 2**n memory and
  time, so only up to `metrics.max_exact_qubits` qubits (default 20).
- **stabilizer**: uniform over the outcomes x with `checks @ x = parities (mod 2)`. This is
  exactly the distribution of every stabilizer state, so GHZ, Clifford and mirror circuits
  are known at any width, from a tableau instead of 2**n amplitudes. A basis state (QFT
  with a known shift, mirror circuits) is the case of n independent checks: one bitstring.

Outcomes are integers, bit j being qubit j (as `BitArray` and `measure_all` order them):
`numpy.uint64` up to 64 bits, Python ints in an object array above.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit.controlflow import CONTROL_FLOW_OP_NAMES
from qiskit.circuit.library import UnitaryGate
from qiskit.exceptions import QiskitError
from qiskit.quantum_info import Clifford, Pauli, StabilizerState, Statevector

from qexp.circuits.measurements import without_clbits, without_final_measurements
from qexp.config.schema import MAX_EXACT_QUBITS


@dataclass(frozen=True, eq=False)
class Ideal:
    """The exact distribution an ideal device samples for one circuit (at one parameter point).

    Exactly one form is set: `probabilities` (dense), or `checks` with `parities`
    (stabilizer). Build it with `dense`, `stabilizer`, `basis_state` or `from_clifford`.
    """

    num_bits: int
    probabilities: np.ndarray | None = None
    """Dense form: shape (2**num_bits,), index = outcome."""
    checks: np.ndarray | None = None
    """Stabilizer form: shape (m, num_bits) of 0/1, independent rows; column j is bit j."""
    parities: np.ndarray | None = None
    """Stabilizer form: shape (m,) of 0/1; the support is {x : checks @ x = parities mod 2}."""

    @classmethod
    def dense(cls, probabilities: np.ndarray) -> Ideal:
        p = np.asarray(probabilities, dtype=float)
        num_bits = int(p.size).bit_length() - 1
        if p.ndim != 1 or p.size != 1 << num_bits:
            raise ValueError(f"a dense distribution has 2**n entries, got shape {p.shape}")
        return cls(num_bits, probabilities=p)

    @classmethod
    def stabilizer(cls, checks: np.ndarray, parities: np.ndarray) -> Ideal:
        """Uniform over {x : checks @ x = parities (mod 2)}; the rows must be independent."""
        a = np.asarray(checks, dtype=np.uint8) & 1
        b = np.asarray(parities, dtype=np.uint8) & 1
        if a.ndim != 2 or b.shape != (a.shape[0],):
            raise ValueError(f"checks (m, n) and parities (m,), got {a.shape} and {b.shape}")
        return cls(a.shape[1], checks=a, parities=b)

    @classmethod
    def basis_state(cls, outcome: int, num_bits: int) -> Ideal:
        """One bitstring with certainty: n checks, x_j = bit j of `outcome`."""
        bits = [(int(outcome) >> j) & 1 for j in range(num_bits)]
        return cls.stabilizer(np.eye(num_bits, dtype=np.uint8), np.array(bits, dtype=np.uint8))

    @classmethod
    def uniform_over(cls, outcomes: Sequence[int], num_bits: int) -> Ideal | None:
        """Equally likely `outcomes` (GHZ's two, QFT's or a mirror circuit's one), in
        stabilizer form at any width; None unless they form an affine subspace over GF(2),
        the only sets a stabilizer state gives with equal probabilities."""
        found = sorted({int(x) for x in outcomes})
        if not found or any(x >> num_bits for x in found):
            return None
        base = found[0]
        shifts = np.array([x ^ base for x in found[1:]], dtype=object)
        span = _row_reduce(outcome_bits(shifts, num_bits))[0]
        if 1 << span.shape[0] != len(found):
            return None
        checks = _null_space(span, num_bits)
        base_bits = outcome_bits(np.array([base], dtype=object), num_bits)[0]
        parities = (checks.astype(np.int64) @ base_bits.astype(np.int64)) & 1
        return cls.stabilizer(checks, parities.astype(np.uint8))

    @classmethod
    def from_clifford(cls, clifford: Clifford) -> Ideal:
        """Stabilizer simulation: the distribution of `clifford` applied to |0...0>."""
        checks, parities = _z_checks(clifford)
        return cls.stabilizer(checks, parities)

    def marginal(self, bits: Sequence[int]) -> Ideal:
        """The distribution of (x[bits[0]], x[bits[1]], ...) for x drawn from this one: what
        classical bits fed by those measured qubits read (stabilizer form only).

        The support {x0 + N t} (a particular solution, the null space of the checks) maps
        linearly to {y0 + M t}, and every point of that image is reached equally often, so
        the marginal is uniform on it: its checks are the null space of M's span."""
        if self.checks is None or self.parities is None:
            raise ValueError("the marginal is computed for stabilizer forms only")
        picked = list(bits)
        augmented = np.column_stack([self.checks, self.parities]).astype(np.uint8)
        reduced, pivots = _row_reduce(augmented)
        start = np.zeros(self.num_bits, dtype=np.uint8)
        for row, column in enumerate(pivots):  # free bits 0: each pivot bit is its parity
            start[column] = reduced[row, -1]
        directions = _null_space(reduced[:, :-1], self.num_bits)[:, picked]
        span = _row_reduce(directions)[0] if len(directions) else directions
        checks = _null_space(span, len(picked))
        parities = (checks.astype(np.int64) @ start[picked].astype(np.int64)) & 1
        return Ideal.stabilizer(checks, parities.astype(np.uint8))

    @property
    def is_dense(self) -> bool:
        return self.probabilities is not None

    @property
    def support_bits(self) -> int | None:
        """Stabilizer form: log2 of the number of possible outcomes (0: one bitstring)."""
        return None if self.checks is None else self.num_bits - self.checks.shape[0]

    @cached_property
    def support_fraction(self) -> float:
        """The share of all 2**n outcomes an ideal run can give (1: every outcome)."""
        if self.probabilities is not None:
            return float(np.count_nonzero(self.probabilities > _ZERO) / self.probabilities.size)
        assert self.checks is not None
        return float(2.0 ** -self.checks.shape[0])

    @cached_property
    def certain_outcome(self) -> int | None:
        """The one outcome an ideal run always gives, if there is one."""
        if self.probabilities is not None:
            top = int(np.argmax(self.probabilities))
            return top if self.probabilities[top] > 1 - _ZERO else None
        found = self.outcomes(limit=1) if self.support_bits == 0 else None
        return found[0] if found else None

    def probability(self, outcomes: np.ndarray) -> np.ndarray:
        """The ideal probability of each outcome (vectorised)."""
        outcomes = np.asarray(outcomes)
        if self.probabilities is not None:
            return self.probabilities[outcomes.astype(np.int64)]
        assert self.checks is not None and self.parities is not None
        if outcomes.size == 0:
            return np.zeros(0)
        # Float products run on BLAS and are exact: each sum counts at most n < 2**24 ones.
        bits = outcome_bits(outcomes, self.num_bits).astype(np.float32)
        sums = (bits @ self.checks.T.astype(np.float32)).astype(np.int64)
        inside = np.all((sums & 1) == self.parities, axis=1)
        return np.where(inside, 2.0 ** -(self.num_bits - self.checks.shape[0]), 0.0)

    @cached_property
    def uniform_fidelity(self) -> float:
        """Hellinger fidelity between the uniform distribution and this one: QED-C's floor.

        Dense: (sum_x sqrt(q_x))**2 / 2**n. Stabilizer, uniform on 2**k of 2**n outcomes:
        exactly 2**(k - n), at any width.
        """
        if self.probabilities is not None:
            return float(np.sqrt(self.probabilities).sum() ** 2 / self.probabilities.size)
        assert self.checks is not None
        return float(2.0 ** -self.checks.shape[0])

    @cached_property
    def median(self) -> float | None:
        """Median of the 2**n ideal probabilities (dense form): the heavy-output threshold."""
        return None if self.probabilities is None else float(np.median(self.probabilities))

    @cached_property
    def heavy_outputs(self) -> np.ndarray | None:
        """Outcomes more likely than the median (Cross et al. 2019), sorted; dense form only."""
        if self.probabilities is None or self.median is None:
            return None
        return np.flatnonzero(self.probabilities > self.median).astype(np.uint64)

    def is_heavy(self, outcomes: np.ndarray) -> np.ndarray:
        if self.median is None:
            raise ValueError("heavy outputs need a dense ideal distribution")
        return self.probability(outcomes) > self.median

    def outcomes(self, limit: int = 64) -> list[int] | None:
        """The outcomes with non-zero probability, sorted, when there are at most `limit`."""
        if self.probabilities is not None:
            support = np.flatnonzero(self.probabilities > _ZERO)
            return [int(x) for x in support] if support.size <= limit else None
        assert self.checks is not None and self.parities is not None
        if 1 << (self.num_bits - self.checks.shape[0]) > limit:
            return None
        return sorted(_enumerate_solutions(self.checks, self.parities))

    def likeliest(self, limit: int = 16) -> list[tuple[int, float]]:
        """The most likely outcomes with their probabilities, most likely first (ties, equal
        up to round-off: the smaller outcome first); a stabilizer form gives its outcomes only
        when it has at most `limit` of them (all equally likely), else none."""
        if self.probabilities is not None:
            p = self.probabilities
            if p.size > limit:  # O(2**n) selection first: a full sort at 20 qubits costs 0.1 s
                candidates = np.flatnonzero(p >= np.partition(p, p.size - limit)[p.size - limit])
            else:
                candidates = np.arange(p.size)
            # Round-off (1e-16) must not order outcomes whose exact probabilities are equal.
            rounded = np.round(p[candidates], _TIE_DECIMALS)
            order = candidates[np.lexsort((candidates, -rounded))][:limit]
            return [(int(x), float(p[x])) for x in order if p[x] > _ZERO]
        found = self.outcomes(limit)
        if found is None:
            return []
        share = 2.0 ** -(self.support_bits or 0)
        return [(x, share) for x in found]

    def bitstrings(self, limit: int = 64) -> tuple[str, ...] | None:
        """`outcomes` as bitstrings, qubit 0 rightmost (as `BitArray.get_counts` writes them)."""
        found = self.outcomes(limit)
        return None if found is None else tuple(format(x, f"0{self.num_bits}b") for x in found)


_ZERO = 1e-12
"""Dense probabilities below this are simulation round-off, not outcomes."""

_TIE_DECIMALS = 12
"""Decimals at which two probabilities are the same for ordering outcomes."""


def outcome_bits(outcomes: np.ndarray, num_bits: int) -> np.ndarray:
    """Shape (len(outcomes), num_bits) of 0/1, column j = bit j; any width."""
    outcomes = np.asarray(outcomes)
    if outcomes.dtype != object and num_bits <= 64:
        shifts = np.arange(num_bits, dtype=np.uint64)
        return ((outcomes.astype(np.uint64)[:, None] >> shifts) & np.uint64(1)).astype(np.uint8)
    size = (num_bits + 7) // 8
    raw = b"".join(int(x).to_bytes(size, "little") for x in outcomes)
    packed = np.frombuffer(raw, dtype=np.uint8).reshape(len(outcomes), size)
    return np.unpackbits(packed, axis=1, bitorder="little")[:, :num_bits]


# --- stabilizer simulation ------------------------------------------------------------------


def _z_checks(clifford: Clifford) -> tuple[np.ndarray, np.ndarray]:
    """The Z-type part of the stabilizer group of C|0>: checks A and parities b with A x = b.

    Gaussian elimination on the X block of the stabilizer tableau (Aaronson and Gottesman,
    PRA 70, 052328 (2004)), tracking signs with their rowsum: the rows left without X are
    signed products of Z, and an outcome x is possible exactly when it satisfies each sign.
    """
    x = clifford.stab_x.astype(np.uint8)
    z = clifford.stab_z.astype(np.uint8)
    sign = clifford.stab_phase.astype(np.uint8)
    n = x.shape[1]
    row = 0
    for col in range(n):
        candidates = np.flatnonzero(x[row:, col])
        if candidates.size == 0:
            continue
        pivot = row + int(candidates[0])
        for block in (x, z, sign):
            block[[row, pivot]] = block[[pivot, row]]
        others = np.flatnonzero(x[:, col])
        others = others[others != row]
        if others.size:
            sign[others] = _product_sign(
                x[row], z[row], sign[row], x[others], z[others], sign[others]
            )
            x[others] ^= x[row]
            z[others] ^= z[row]
        row += 1
    return z[row:], sign[row:]


def _product_sign(
    x1: np.ndarray, z1: np.ndarray, s1: int, x2: np.ndarray, z2: np.ndarray, s2: np.ndarray
) -> np.ndarray:
    """Sign bit of the product of Pauli 1 with each row of Pauli 2 (AG rowsum, vectorised)."""
    a1, b1 = x1.astype(np.int64), z1.astype(np.int64)
    a2, b2 = x2.astype(np.int64), z2.astype(np.int64)
    g = np.where(
        (a1 & b1) == 1,
        b2 - a2,
        np.where(a1 == 1, b2 * (2 * a2 - 1), np.where(b1 == 1, a2 * (1 - 2 * b2), 0)),
    )
    total = (2 * int(s1) + 2 * s2.astype(np.int64) + g.sum(axis=1)) % 4
    return (total == 2).astype(np.uint8)


def _enumerate_solutions(checks: np.ndarray, parities: np.ndarray) -> list[int]:
    """Every x with checks @ x = parities (mod 2); 2**k of them, k = n - rank."""
    a = checks.copy()
    b = parities.copy()
    m, n = a.shape
    pivots = []
    row = 0
    for col in range(n):
        hits = np.flatnonzero(a[row:, col])
        if hits.size == 0:
            continue
        pivot = row + int(hits[0])
        a[[row, pivot]], b[[row, pivot]] = a[[pivot, row]], b[[pivot, row]]
        others = np.flatnonzero(a[:, col])
        others = others[others != row]
        a[others] ^= a[row]
        b[others] ^= b[row]
        pivots.append(col)
        row += 1
        if row == m:
            break
    free = [c for c in range(n) if c not in pivots]
    solutions = []
    for choice in range(1 << len(free)):
        bits = np.zeros(n, dtype=np.uint8)
        for k, col in enumerate(free):
            bits[col] = (choice >> k) & 1
        for r, col in enumerate(pivots):  # reduced echelon form: only free bits in row r
            bits[col] = (int(b[r]) + int(a[r].astype(np.int64) @ bits)) & 1
        solutions.append(int(sum(int(v) << j for j, v in enumerate(bits))))
    return solutions


def _row_reduce(matrix: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Reduced row echelon form over GF(2): the independent rows and their pivot columns."""
    a = np.asarray(matrix, dtype=np.uint8).copy() & 1
    rows, cols = a.shape
    pivots: list[int] = []
    row = 0
    for col in range(cols):
        if row == rows:
            break
        hits = np.flatnonzero(a[row:, col])
        if hits.size == 0:
            continue
        pivot = row + int(hits[0])
        a[[row, pivot]] = a[[pivot, row]]
        others = np.flatnonzero(a[:, col])
        a[others[others != row]] ^= a[row]
        pivots.append(col)
        row += 1
    return a[:row], pivots


def _null_space(span: np.ndarray, num_bits: int) -> np.ndarray:
    """Independent rows c with span @ c = 0 (mod 2), for `span` in reduced echelon form."""
    pivots = [int(np.flatnonzero(r)[0]) for r in span]
    free = [c for c in range(num_bits) if c not in pivots]
    basis = np.zeros((len(free), num_bits), dtype=np.uint8)
    for k, col in enumerate(free):
        basis[k, col] = 1
        for r, pivot in enumerate(pivots):
            basis[k, pivot] = span[r, col]
    return basis


def as_clifford(circuit: QuantumCircuit) -> Clifford | None:
    """The circuit's Clifford tableau, or None when a gate is not Clifford."""
    if circuit.parameters or circuit.num_clbits:
        return None
    try:
        return Clifford(circuit)
    except Exception:  # Qiskit raises QiskitError, or others from gate definitions
        return None


# --- per circuit ----------------------------------------------------------------------------


class KnownCircuit(Protocol):
    """What the ideal answers need of a circuit (`qexp.circuits.base.CircuitSpec` is one)."""

    @property
    def circuit(self) -> QuantumCircuit: ...

    @property
    def parameter_values(self) -> np.ndarray | None: ...

    @property
    def ideal(self) -> Ideal | None:
        """The generator's own answer, when it knows one at any width."""


def distributions(
    spec: KnownCircuit, max_exact_qubits: int = MAX_EXACT_QUBITS
) -> list[Ideal] | None:
    """The ideal distribution at each parameter point of `spec` (one for a fixed circuit).

    The generator's own answer when it has one (any width); else statevector simulation up
    to `max_exact_qubits`; else stabilizer simulation when every gate is Clifford; else None.
    A circuit that measures into its own classical bits (a QASM file) gets the distribution
    of those bits, as the Sampler returns them, when every measurement is final and writes
    each bit once; None for mid-circuit measurements, whose outcomes are not the final
    state's.
    """
    circuit = spec.circuit
    if not _pure(circuit):
        return None
    if "measure" in circuit.count_ops():
        if (found := _measured(circuit)) is None:
            return None
        final, measured = found
        if circuit.num_qubits > max_exact_qubits:  # a Clifford file: its stabilizer form
            kept = (i for i in range(len(circuit.data)) if i not in final)
            clifford = as_clifford(without_clbits(circuit, keep=kept))
            return None if clifford is None else [Ideal.from_clifford(clifford).marginal(measured)]
        read = list(dict.fromkeys(measured))  # a qubit measured into two bits: once
        found_p = _simulate_probabilities(circuit, spec.parameter_values, read, final)
        return [Ideal.dense(_copied_bits(p, read, measured)) for p in found_p]
    if spec.ideal is not None and spec.parameter_values is None:
        return [spec.ideal]
    if circuit.num_qubits <= max_exact_qubits:
        return [Ideal.dense(p) for p in _simulate_probabilities(circuit, spec.parameter_values)]
    clifford = as_clifford(circuit)
    return None if clifford is None else [Ideal.from_clifford(clifford)]


def _copied_bits(p: np.ndarray, read: list[int], measured: list[int]) -> np.ndarray:
    """The distribution over classical bits (bit j = qubit measured[j]) of `p`, the
    distribution of the distinct qubits `read`: the same when no qubit is read twice."""
    if len(read) == len(measured):
        return p
    where = [read.index(q) for q in measured]
    x = np.arange(p.size)
    y = np.zeros(p.size, dtype=np.int64)
    for bit, source in enumerate(where):
        y |= ((x >> source) & 1) << bit
    copied = np.zeros(1 << len(measured))
    copied[y] = p
    return copied


def expectation_values(
    spec: KnownCircuit, observables: Sequence[str], max_exact_qubits: int = MAX_EXACT_QUBITS
) -> np.ndarray | None:
    """Ideal <O> of each Pauli string at each parameter point: shape (observables, points).

    A basis state (the generator says one bitstring is certain) gives each Pauli in closed
    form at any width; otherwise statevector simulation up to `max_exact_qubits`, then
    stabilizer simulation for Clifford circuits; else None.
    """
    labels = list(observables)
    circuit = spec.circuit
    if not _pure(circuit):
        return None
    if circuit.num_clbits:
        try:
            circuit = without_final_measurements(circuit)  # as the Estimator runs it
        except ValueError:
            return None
    outcome = None if spec.ideal is None else spec.ideal.certain_outcome
    if outcome is not None and spec.parameter_values is None:
        return np.array([[_basis_expectation(label, outcome)] for label in labels])
    if circuit.num_qubits <= max_exact_qubits:
        return _simulate_expectations(circuit, labels, spec.parameter_values)
    clifford = as_clifford(circuit)
    if clifford is None:
        return None
    state = StabilizerState(clifford)
    return np.array([[float(np.real(state.expectation_value(Pauli(label))))] for label in labels])


def _pure(circuit: QuantumCircuit) -> bool:
    """No reset and no classical branching: the state before the final measurements is one
    pure state, which a statevector simulation gives exactly (a reset would be sampled)."""
    names = circuit.count_ops().keys()
    return "reset" not in names and names.isdisjoint(CONTROL_FLOW_OP_NAMES)


def _basis_expectation(label: str, outcome: int) -> float:
    """<y|P|y>: 0 if P flips a bit (X or Y anywhere), else the parity sign of y under its Zs."""
    pauli = Pauli(label)
    if pauli.x.any():
        return 0.0
    ones = sum((outcome >> int(j)) & 1 for j in np.flatnonzero(pauli.z))
    return float((-1) ** ones * np.real((-1j) ** pauli.phase))


# --- statevector simulation (Aer) -----------------------------------------------------------


def _simulator():
    from qiskit_aer import AerSimulator

    return AerSimulator(method="statevector")


def _runnable(circuit: QuantumCircuit, simulator) -> QuantumCircuit:
    """The circuit in gates Aer knows; untouched when it already is (Quantum Volume's
    `unitary` blocks would otherwise be re-synthesized for nothing). Unknown gates are
    replaced by their definitions, which costs microseconds where building a pass manager
    for Aer's target costs about 0.1 s per circuit."""
    names = _aer_gates()
    for _ in range(_DECOMPOSE_ROUNDS):
        unknown = {inst.name for inst in circuit.data} - names
        if not unknown:
            return circuit
        circuit = circuit.decompose(gates_to_decompose=sorted(unknown))
    from qiskit import transpile

    return transpile(circuit, simulator, optimization_level=0)


STATEVECTOR_QUBITS = 10
"""Widest fixed circuit simulated with `qiskit.quantum_info.Statevector` rather than Aer."""

_DECOMPOSE_ROUNDS = 8
"""Definition levels unrolled before falling back to the transpiler."""


@functools.cache
def _aer_gates() -> frozenset[str]:
    """The instructions Aer's statevector method runs (its `target` is rebuilt per access)."""
    return frozenset(_simulator().target.operation_names)


def _binds(circuit: QuantumCircuit, parameter_values: np.ndarray | None) -> list[dict] | None:
    if parameter_values is None or not circuit.parameters:
        return None
    values = np.asarray(parameter_values, dtype=float)
    return [{p: values[:, i] for i, p in enumerate(circuit.parameters)}]


def _measured(circuit: QuantumCircuit) -> tuple[frozenset[int], list[int]] | None:
    """The positions of the circuit's final measurements, and the qubit measured into each
    classical bit, in classical-bit order, when every measurement is final, writes each bit
    exactly once and no other instruction uses a classical bit; else None. One pass from
    the end, building no circuit."""
    data = circuit.data
    qubits = {q: i for i, q in enumerate(circuit.qubits)}
    clbits = {c: i for i, c in enumerate(circuit.clbits)}
    busy_qubits: set = set()
    final: set[int] = set()
    source: dict[int, int] = {}
    for position in range(len(data) - 1, -1, -1):
        inst = data[position]
        name = inst.name
        if name == "measure" and busy_qubits.isdisjoint(inst.qubits):
            bit = clbits[inst.clbits[0]]
            if bit in source:  # a bit written twice
                return None
            source[bit] = qubits[inst.qubits[0]]
            final.add(position)
        elif inst.clbits:  # a measurement before a gate on its qubit, or a condition
            return None
        elif name != "barrier":
            busy_qubits.update(inst.qubits)
    if len(source) != circuit.num_clbits:
        return None
    return frozenset(final), [source[i] for i in range(circuit.num_clbits)]


def _simulate_probabilities(
    circuit: QuantumCircuit,
    parameter_values: np.ndarray | None,
    qubits: Sequence[int] | None = None,
    final: frozenset[int] = frozenset(),
) -> list[np.ndarray]:
    """Probabilities of every outcome of `qubits` (all qubits by default; qubits[0] is the
    least significant bit), at each parameter point, of `circuit` without the instructions
    at positions `final` (its final measurements).

    A small fixed circuit goes through numpy (a fraction of a millisecond, where an Aer job
    costs a few); wider or parameterized ones through Aer."""
    if circuit.num_qubits <= STATEVECTOR_QUBITS and not circuit.parameters:
        try:
            state = Statevector(_amplitudes(circuit, final))
        except QiskitError:  # an instruction without a matrix or definition: Aer decides
            pass
        else:
            return [np.asarray(state.probabilities(None if qubits is None else list(qubits)))]
    if final:
        circuit = without_final_measurements(circuit)
    simulator = _simulator()
    prepared = circuit.copy()
    if qubits is None:
        prepared.save_probabilities(label="p")
    else:
        prepared.save_probabilities(list(qubits), label="p")
    result = simulator.run(
        _runnable(prepared, simulator), parameter_binds=_binds(circuit, parameter_values)
    ).result()
    points = 1 if parameter_values is None else len(parameter_values)
    return [np.asarray(result.data(i)["p"], dtype=float) for i in range(points)]


def _amplitudes(circuit: QuantumCircuit, skip: frozenset[int] = frozenset()) -> np.ndarray:
    """The statevector of a small fixed circuit from |0...0>, gate by gate with numpy.

    `Statevector(circuit)` builds an `Operator` per instruction and one from the
    definition of every gate a QASM file defines itself (`gate xx_plus_yy ...`): about
    5 ms for a 5-qubit depth-10 random circuit. Here a standard gate's matrix comes from
    Qiskit directly and a defined gate is applied through its definition: about 0.5 ms.
    """
    n = circuit.num_qubits
    state = np.zeros((2,) * n, dtype=complex)
    state[(0,) * n] = 1.0
    return _apply(state, circuit, list(range(n)), skip).reshape(-1)


def _apply(
    state: np.ndarray,
    circuit: QuantumCircuit,
    positions: list[int],
    skip: frozenset[int] = frozenset(),
) -> np.ndarray:
    """`circuit` applied to `state` (one axis per qubit, qubit q on axis n-1-q), its qubit
    i being the state's qubit positions[i]; the instructions at positions `skip` left out."""
    n = state.ndim
    where = {q: n - 1 - p for q, p in zip(circuit.qubits, positions, strict=True)}  # axes
    einsum = np.einsum
    for k, inst in enumerate(circuit.data):
        name = inst.name
        if name == "barrier" or k in skip:
            continue
        if inst.clbits or name in _NON_UNITARY:
            raise QiskitError(f"{name} is not a gate")
        axes = tuple([where[q] for q in reversed(inst.qubits)])
        if inst.is_standard_gate():  # its matrix from Qiskit's Rust, no gate object made
            tensor = _FIXED.get(name) if not inst.params else None
            if tensor is None:
                tensor = _standard_tensor(inst)
        else:
            op = inst.operation
            if not isinstance(op, UnitaryGate) and (definition := op.definition) is not None:
                state = _apply(state, definition, [n - 1 - where[q] for q in inst.qubits])
                continue
            tensor = _tensor(op)
        state = einsum(_subscripts(n, axes), tensor, state)
    return state


def _tensor(op: Any) -> np.ndarray:
    """The op's matrix as a tensor with one axis per qubit and side; QiskitError if it has
    none."""
    return np.asarray(op.to_matrix(), dtype=complex).reshape((2,) * (2 * op.num_qubits))


def _standard_tensor(inst: Any) -> np.ndarray:
    """A standard gate's matrix as a tensor (`_tensor`); one without parameters is built
    once (`_FIXED`, by name)."""
    matrix = inst.matrix
    if matrix is None:  # unbound parameters
        raise QiskitError(f"{inst.name} has no matrix")
    tensor = np.asarray(matrix, dtype=complex).reshape((2,) * (2 * len(inst.qubits)))
    if not inst.params:
        tensor.flags.writeable = False
        _FIXED[inst.name] = tensor
    return tensor


_FIXED: dict[str, np.ndarray] = {}
"""Tensors of the standard gates without parameters, by name (`cx`, `h`, `cx_o0`, ...)."""


@functools.cache
def _subscripts(n: int, axes: tuple[int, ...]) -> str:
    """The einsum of a k-qubit gate on `axes` of an n-axis state: one numpy call per gate,
    half the time of a tensordot and a moveaxis. n + k letters: n <= STATEVECTOR_QUBITS."""
    letters = string.ascii_letters
    state = letters[:n]
    new = letters[n : n + len(axes)]
    out = list(state)
    for letter, axis in zip(new, axes, strict=True):
        out[axis] = letter
    return f"{new}{''.join(state[a] for a in axes)},{state}->{''.join(out)}"


_NON_UNITARY = frozenset({"measure", "reset", "delay", "initialize", "save_probabilities"})


def _simulate_expectations(
    circuit: QuantumCircuit, labels: list[str], parameter_values: np.ndarray | None
) -> np.ndarray:
    simulator = _simulator()
    prepared = circuit.copy()
    qubits = range(circuit.num_qubits)
    for i, label in enumerate(labels):
        prepared.save_expectation_value(Pauli(label), qubits, label=f"o{i}")
    result = simulator.run(
        _runnable(prepared, simulator), parameter_binds=_binds(circuit, parameter_values)
    ).result()
    points = 1 if parameter_values is None else len(parameter_values)
    return np.array(
        [
            [float(np.real(result.data(p)[f"o{i}"])) for p in range(points)]
            for i in range(len(labels))
        ]
    )
