"""What a run needs to know about its circuits before building them: the catalog.

Partitioning, the width and observable checks and the job costs need each circuit's width,
parameter sets and natural observables, not the circuit itself. Seeded families know these
from their config alone, so a run of 30,000 random circuits never holds 30,000 circuits;
other generators are small and are built once to be described. QASM files are parsed (in
parallel) by the plan, which also checks every file before anything is submitted.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from qiskit import qpy

from qexp.circuits.base import CircuitSpec, z_observables
from qexp.circuits.ideal import Ideal


@dataclass(frozen=True)
class CircuitInfo:
    """One circuit of a run, as far as planning is concerned."""

    num_qubits: int
    num_points: int = 1
    """Parameter sets the PUB runs (1 for an unparameterized circuit)."""
    observables: tuple[str, ...] = ()
    """The generator's natural observables (the Estimator's default)."""
    has_ideal: bool = False
    """Whether the generator knows the circuit's ideal outcomes."""
    source: str | None = None
    """The file the circuit was read from, for messages."""
    clifford: bool | None = None
    """True or False when known, None when nobody looked (the stabilizer check looks)."""
    digest: str | None = None
    """`qexp.circuits.identity.digest` of the logical circuit, when it was built."""
    source_digest: str | None = None
    """`CircuitSpec.source_digest` of the circuit `digest` was computed for."""
    ideals: tuple[Ideal, ...] | None = field(default=None, compare=False, repr=False)
    """The Sampler's ideal distributions, when the survey computed them (small circuits it
    read from files): the partition that reads the same text again takes them."""
    circuit_qpy: bytes | None = field(default=None, compare=False, repr=False)
    """The circuit as the survey read it from its file, as QPY: the partition that prepares
    it loads these bytes (a twentieth of a millisecond) instead of reading the file again."""

    def spec(self) -> CircuitSpec:
        """The circuit the survey read (`circuit_qpy`), as its file's `CircuitSpec`."""
        assert self.circuit_qpy is not None
        (circuit,) = qpy.load(io.BytesIO(self.circuit_qpy))
        return CircuitSpec(
            circuit=circuit, observables=self.observables, source_digest=self.source_digest
        )

    @classmethod
    def of(cls, spec: CircuitSpec, digest: str | None = None) -> CircuitInfo:
        return cls(
            num_qubits=spec.circuit.num_qubits,
            num_points=spec.num_points,
            observables=tuple(spec.observables),
            has_ideal=spec.ideal_outcomes is not None,
            source=spec.metadata.get("file"),
            digest=digest,
            source_digest=spec.source_digest if digest is not None else None,
        )


def family(
    widths: list[int], count: int, clifford: bool | None = None, has_ideal: bool = False
) -> list[CircuitInfo]:
    """`count` circuits per width, in the order `seeded_family` builds them."""
    return [
        CircuitInfo(
            num_qubits=n, observables=z_observables(n), has_ideal=has_ideal, clifford=clifford
        )
        for n in widths
        for _ in range(count)
    ]
