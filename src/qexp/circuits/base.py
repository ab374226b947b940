"""What every generator returns, and the parameter checks they share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from qiskit import QuantumCircuit

from qexp.errors import ConfigError


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

    @property
    def num_points(self) -> int:
        """Parameter sets this PUB runs: 1 for an unparameterized circuit."""
        return 1 if self.parameter_values is None else int(self.parameter_values.shape[0])

    @property
    def metadata(self) -> dict[str, Any]:
        return dict(self.circuit.metadata or {})


def widths(value: Any, key: str = "circuits.num_qubits", minimum: int = 1) -> list[int]:
    """`num_qubits` as a list: an int or a list of ints, each at least `minimum`."""
    items = list(value) if isinstance(value, Sequence) and not isinstance(value, str) else [value]
    if not items:
        raise ConfigError(key, value, "a non-empty list of qubit counts", f"set {key}=3")
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int) or item < minimum:
            raise ConfigError(
                key,
                value,
                f"an int >= {minimum} or a list of such ints",
                f"set {key}={max(minimum, 3)} or {key}=[2,3,4]",
            )
    return items


def positive(value: Any, key: str, minimum: int = 1) -> int:
    """Check an integer parameter such as `count` or `depth`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(key, value, f"an integer >= {minimum}", f"set {key}={minimum}")
    return value


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
    build: Callable[[int, int], QuantumCircuit],
    indices: Sequence[int] | None = None,
    **parameters: Any,
) -> list[CircuitSpec]:
    """`count` circuits per width, circuit k of width n built as `build(n, s)` with its own
    seed s = derive_seed(seed, "circuits", generator, n, k). With `indices`, only the
    circuits at those positions of the family are built (each is independent of the rest).
    """
    from qexp.seeds import derive_seed

    specs = []
    positions = range(len(num_qubits) * count) if indices is None else indices
    for position in positions:
        n, k = num_qubits[position // count], position % count
        circuit_seed = derive_seed(seed, "circuits", generator, n, k)
        qc = build(n, circuit_seed)
        qc.name = f"{generator}_{n}_{k}"
        qc.metadata = {
            "generator": generator,
            "num_qubits": n,
            **parameters,
            "index_in_width": k,
            "seed": circuit_seed,
        }
        specs.append(CircuitSpec(circuit=qc, observables=z_observables(n)))
    return specs
