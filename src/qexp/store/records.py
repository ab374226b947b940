"""What a job file holds, as Python objects: the record of each PUB and what readers get back.

Plain data (no HDF5 here): the preparation builds `PubRecord`s, `qexp.store.job_file`
writes them and reads them back into these types, and the table rows are computed from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from qiskit.primitives import PrimitiveResult, PubResult

from qexp.circuits.base import CircuitSpec
from qexp.circuits.ideal import Ideal
from qexp.cli import command
from qexp.constants import JOBS_DIR
from qexp.errors import QexpError


class CorruptJobFile(QexpError):
    """A job file that cannot be trusted: truncated, unfinished, or from a newer qexp."""

    def __init__(self, path: Path | str, why: str) -> None:
        self.path, self.why = Path(path), why
        in_run = self.path.parent.name == JOBS_DIR
        resume = command("resume", self.path.parent.parent if in_run else "RUN_DIR")
        super().__init__(
            f"Job file {path} is unusable: {why}. Delete it and finish the run with "
            f"`{resume}` to re-run its job."
        )

    def __reduce__(self) -> tuple:
        return (type(self), (self.path, self.why))


@dataclass(frozen=True)
class PubRecord:
    """What a job file keeps about one PUB besides its result (no circuit object)."""

    index: int
    """Global circuit index in the run."""
    metadata: dict[str, Any] = field(default_factory=dict)
    """The logical circuit's metadata (generator, num_qubits, seed, ...)."""
    parameter_values: np.ndarray | None = None
    parameter_names: tuple[str, ...] | None = None
    observables: tuple[str, ...] | None = None
    """Estimator only: the logical (unmapped) Pauli strings, in PUB order."""
    natural_observables: tuple[str, ...] = ()
    ideal_outcomes: tuple[str, ...] | None = None
    ideals: tuple[Ideal, ...] | None = field(default=None, compare=False, repr=False)
    """Sampler: the ideal distribution at each parameter point, where one is known. Held
    only until the file is written, which keeps what reproduces the metrics (`ideal/`)."""
    ideal_values: np.ndarray | None = field(default=None, compare=False, repr=False)
    """Estimator: the ideal value of each observable at each point, (observables, points)."""
    isa_depth: int | None = None
    """Depth of the circuit as it ran (transpiled for the backend, measurements included)."""

    @classmethod
    def of(
        cls,
        index: int,
        spec: CircuitSpec,
        observables: Sequence[str] | None = None,
        *,
        max_exact_qubits: int | None = None,
        isa_depth: int | None = None,
    ) -> Any:
        """The record of `spec`; with `max_exact_qubits`, its ideal answers are computed
        here (for the Sampler when `observables` is None, else for the Estimator)."""
        params = spec.parameter_values
        ideals, values = None, None
        if max_exact_qubits is not None:
            ideals, values = _ideal_answers(spec, observables, max_exact_qubits)
        return cls(
            index=index,
            metadata=spec.metadata,
            parameter_values=None if params is None else np.asarray(params),
            parameter_names=(
                None if params is None else tuple(p.name for p in spec.circuit.parameters)
            ),
            observables=None if observables is None else tuple(observables),
            natural_observables=tuple(spec.observables),
            ideal_outcomes=spec.ideal_outcomes,
            ideals=ideals,
            ideal_values=values,
            isa_depth=isa_depth,
        )


def _ideal_answers(
    spec: CircuitSpec, observables: Sequence[str] | None, max_exact_qubits: int
) -> tuple[tuple[Ideal, ...] | None, np.ndarray | None]:
    """(distributions, None) for the Sampler, (None, values) for the Estimator; None where
    no exact answer is known or the simulator cannot run the circuit."""
    from qiskit.exceptions import QiskitError

    try:
        if observables is None:
            found = spec.ideals(max_exact_qubits)
            return (None if found is None else tuple(found)), None
        return None, spec.ideal_values(tuple(observables), max_exact_qubits)
    except QiskitError:  # a circuit Aer cannot simulate still runs; it has no metrics
        return None, None


@dataclass(frozen=True)
class StoredPub:
    """One PUB as read back: which circuit of the run it is and what was submitted."""

    index: int
    """Global circuit index in the run."""
    spec: CircuitSpec
    observables: tuple[str, ...] | None = None
    """Estimator only: the logical (unmapped) Pauli strings, in PUB order."""


@dataclass(frozen=True)
class JobFile:
    """Everything `read_job` gets back from one job file."""

    attrs: dict[str, Any]
    pubs: list[StoredPub]
    result: PrimitiveResult


@dataclass(frozen=True)
class JobResults:
    """A job file's results without its circuits: what readers of many files need."""

    attrs: dict[str, Any]
    records: list[PubRecord]
    results: list[PubResult]


@dataclass(frozen=True)
class StoredIdeal:
    """What a job file keeps of the ideal one Sampler row was scored against (`ideal/`)."""

    circuit_index: int
    parameter_index: int
    form: str
    """`dense` (simulated) or `stabilizer` (known at any width)."""
    num_bits: int
    uniform_fidelity: float
    median: float
    """Of all 2**n ideal probabilities (dense form; NaN otherwise): the heavy-output threshold."""
    support_fraction: float
    measured: np.ndarray
    """The ideal probability of each distinct measured outcome, outcomes ascending."""
    top: dict[str, float]
    """The likeliest ideal outcomes (bitstrings) and their probabilities, likeliest first."""
    ideal: Ideal | None = None
    """The whole ideal where the file keeps it: stabilizer forms (any width)."""


@dataclass(frozen=True)
class JobTable:
    """A job file's table rows and the metadata of its circuits, by circuit index."""

    attrs: dict[str, Any]
    """The job attributes each row repeats (`TABLE_ATTRS`; more from version 1 files)."""
    columns: dict[str, np.ndarray | list[Any]]
    metadata: dict[int, dict[str, Any]]
