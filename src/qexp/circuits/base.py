"""What every generator returns: one `CircuitSpec` per circuit, and the seeded families."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from qiskit import QuantumCircuit

from qexp.circuits import ideal as _ideal
from qexp.circuits.ideal import MAX_EXACT_QUBITS, Ideal


@dataclass(frozen=True)
class CircuitSpec:
    """One logical circuit of a run: what becomes one PUB.

    `circuit` acts on virtual qubits and holds no final measurements (the primitive adds
    them for the Sampler). What the circuit means lives in `circuit.metadata`: at least
    `generator`, `num_qubits` and `seed`, plus the generator's own parameters; all values
    JSON-serializable, since they become HDF5 attributes.
    """

    circuit: QuantumCircuit
    parameter_values: np.ndarray | None = None
    """Shape (num_points, num_parameters) for a parameterized circuit, else None."""
    observables: tuple[str, ...] = ()
    """Natural observables as Pauli strings (rightmost letter is qubit 0)."""
    ideal_outcomes: tuple[str, ...] | None = field(default=None)
    """Bitstrings an ideal run gives (for success probabilities), when the generator knows."""
    ideal: Ideal | None = field(default=None, compare=False)
    """The ideal distribution when the generator knows it at any width (GHZ, QFT, Clifford,
    mirror); others are simulated on demand by `ideals`."""
    source_digest: str | None = field(default=None, compare=False)
    """A digest of the file and text the circuit was read from (a QASM file): the same
    text read again is the same circuit, whose digest need not be computed again."""
    _memo: dict[Any, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def num_points(self) -> int:
        """Parameter sets this PUB runs: 1 for an unparameterized circuit."""
        return 1 if self.parameter_values is None else int(self.parameter_values.shape[0])

    @property
    def metadata(self) -> dict[str, Any]:
        return dict(self.circuit.metadata or {})

    def ideals(self, max_exact_qubits: int = MAX_EXACT_QUBITS) -> list[Ideal] | None:
        """The ideal distribution at each parameter point, or None where none is known.

        Computed on the first call and kept with the spec: once per logical circuit.
        """
        key = ("ideals", max_exact_qubits)
        if key not in self._memo:
            self._memo[key] = _ideal.distributions(self, max_exact_qubits)
        return self._memo[key]

    def adopt_ideals(self, ideals: Sequence[Ideal], max_exact_qubits: int) -> None:
        """Take `ideals` as this circuit's, computed elsewhere for the very same circuit."""
        self._memo[("ideals", max_exact_qubits)] = list(ideals)

    def ideal_values(
        self, observables: Sequence[str], max_exact_qubits: int = MAX_EXACT_QUBITS
    ) -> np.ndarray | None:
        """Ideal expectation values, shape (len(observables), num_points), or None.

        Computed on the first call for these observables and kept with the spec.
        """
        key = ("values", tuple(observables), max_exact_qubits)
        if key not in self._memo:
            self._memo[key] = _ideal.expectation_values(self, observables, max_exact_qubits)
        return self._memo[key]


@functools.cache
def z_observables(num_qubits: int) -> tuple[str, ...]:
    """Single-qubit Z on every qubit: the default observables of generators without others."""
    return tuple(
        "".join("Z" if q == num_qubits - 1 - i else "I" for i in range(num_qubits))
        for q in range(num_qubits)
    )


def seeded_family(
    generator: str,
    num_qubits: list[int],
    count: int,
    seed: int,
    build: Callable[[int, int], QuantumCircuit | tuple[QuantumCircuit, Ideal]],
    indices: Sequence[int] | None = None,
    **parameters: Any,
) -> list[CircuitSpec]:
    """`count` circuits per width, circuit k of width n built as `build(n, s)` with its own
    seed s = derive_seed(seed, "circuits", generator, n, k). With `indices`, only the
    circuits at those positions of the family are built (each is independent of the rest).

    `build` returns the circuit, or the circuit with its ideal distribution when the
    family knows it at any width (Clifford).
    """
    from qexp.seeds import derive_seed

    specs = []
    positions = range(len(num_qubits) * count) if indices is None else indices
    for position in positions:
        n, k = num_qubits[position // count], position % count
        circuit_seed = derive_seed(seed, "circuits", generator, n, k)
        built = build(n, circuit_seed)
        qc, ideal = built if isinstance(built, tuple) else (built, None)
        qc.name = f"{generator}_{n}_{k}"
        qc.metadata = {
            "generator": generator,
            "num_qubits": n,
            **parameters,
            "index_in_width": k,
            "seed": circuit_seed,
        }
        outcomes = None if ideal is None or ideal.support_bits != 0 else ideal.bitstrings(1)
        specs.append(
            CircuitSpec(
                circuit=qc, observables=z_observables(n), ideal_outcomes=outcomes, ideal=ideal
            )
        )
    return specs
