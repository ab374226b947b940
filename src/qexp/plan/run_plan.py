"""A run as planned: what `make_plan` settles from the config, for every stage after it.

`make_plan` is the last reader of the composed config. It hands over a `RunPlan`: the
circuits' catalog, the connected backend, the jobs, the worker pool that prepares them, and
frozen settings for each part that runs them (each primitive, the run policy, the check,
readout mitigation, the transpile cache, what resume compares). The runner, the Batch loop,
the writer, estimate and resume take these, never a config.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from qiskit.providers import BackendV2

from qexp import backends
from qexp.circuits.catalog import CircuitInfo
from qexp.constants import CALIBRATION
from qexp.plan.checks import JobCheck
from qexp.plan.partition import JobPlan
from qexp.plan.prepare import Preparer

UNTWIRLED = {"twirling": {"enable_gates": False, "enable_measure": False}}
"""What a calibration job runs with: mthree's circuits exactly as built."""


@dataclass(frozen=True)
class PrimitivePlan:
    """One primitive as its jobs run it."""

    name: str
    """`sampler` or `estimator`."""
    implementation: str
    """`executor` or `v2`: the runtime class its jobs are submitted through."""
    shots: int | None
    """Shots per parameter set; for the Estimator None means `precision` decides."""
    precision: float | None = None
    """Estimator: the target standard error when `shots` is None."""
    observables: tuple[str, ...] | None = None
    """Estimator: the Pauli strings to measure; None measures each generator's own."""
    options: dict[str, Any] = field(default_factory=dict)
    """The runtime's options as the user set them (`primitive.options`), checked."""
    finalized: dict[str, Any] = field(default_factory=dict)
    """Those options as the primitive runs them (defaults resolved; the executor's
    resilience level filled in): recorded with the data, and what the jobs are priced by."""
    why: str = ""
    """Why `auto` took this implementation, when an option decided it."""

    @property
    def shots_per_execution(self) -> int:
        """Shots one parameter set costs: `shots`, or the Estimator's 1/precision^2."""
        if self.shots is not None:
            return int(self.shots)
        assert self.precision is not None
        return math.ceil(1 / self.precision**2)


@dataclass(frozen=True)
class RunPolicy:
    """How the runner behaves while jobs run (`run.*`)."""

    max_retries: int = 2
    retry_backoff: float = 1.0
    poll_interval: float | None = None
    """Seconds between status polls; None: the runner's default for the backend."""
    progress: str = "auto"
    max_execution_time: int | None = None
    """Seconds of QPU time a job may use before IBM Quantum cancels it."""
    shared_batch: bool = False
    """Every point of a sweep on IBM Quantum in one Batch (`run.batch=shared`)."""
    dry_run: bool = False
    max_qpu_seconds: float | None = None
    """The QPU-time budget; None: no limit."""


@dataclass(frozen=True)
class MitigationPlan:
    """Readout mitigation (`mitigation=m3`): each circuit range's calibration job."""

    shots: int
    """Shots per calibrated qubit and prepared state."""
    method: str
    """`balanced` or `marginal` calibration circuits."""


@dataclass(frozen=True)
class TranspileCachePlan:
    """Where ISA circuits are kept between runs, and how much of them."""

    folder: str | None
    """None: no cache (`transpile.cache=false`)."""
    max_mb: int = 1024


@dataclass
class RunPlan:
    """Everything a run needs to submit, collect and write its jobs."""

    catalog: list[CircuitInfo]
    backend: BackendV2
    service: Any
    """The QiskitRuntimeService for backend=ibm, else None."""
    jobs: list[JobPlan]
    preparer: Preparer
    """Builds and transpiles each partition; close it when the run ends."""
    primitives: dict[str, PrimitivePlan]
    """The run's primitives by name: one, or several (`primitive=[sampler,estimator]`)."""
    seed: int
    generator: str
    """The circuits' generator (`circuits=`), for messages."""
    policy: RunPolicy = field(default_factory=RunPolicy)
    check: JobCheck | None = None
    mitigation: MitigationPlan | None = None
    transpile_cache: TranspileCachePlan = field(default_factory=lambda: TranspileCachePlan(None))
    identity: dict[str, Any] = field(default_factory=dict)
    """What the jobs were planned with beyond their circuits (backend, shots, partition):
    kept in the manifest, compared by resume."""
    max_executions: int = 10_000_000
    """The partition's execution limit per job, for the dry run's message."""
    priced: bool = False
    """Whether the backend has an IBM device's target (ibm, or its fake twin): then QPU
    time is estimated and `max_qpu_seconds` applies."""

    def primitive(self, job: JobPlan) -> PrimitivePlan:
        """The primitive `job` runs (a calibration job runs the Sampler, its shots given in
        each PUB)."""
        if job.primitive == CALIBRATION:
            assert self.mitigation is not None
            sampler = self.primitives["sampler"]
            return PrimitivePlan(
                "sampler", sampler.implementation, self.mitigation.shots, finalized=UNTWIRLED
            )
        return self.primitives[job.primitive or next(iter(self.primitives))]

    @property
    def implementation(self) -> str:
        """`executor` or `v2`; for several primitives, each with its own (`sampler: v2, ...`)."""
        if len(self.primitives) == 1:
            return next(iter(self.primitives.values())).implementation
        return ", ".join(f"{name}: {p.implementation}" for name, p in self.primitives.items())

    @property
    def implementation_note(self) -> str:
        """`implementation`, and why `auto` chose it where an option decided."""
        whys = [p.why for p in self.primitives.values() if p.why]
        return f"{self.implementation}: {'; '.join(whys)}" if whys else self.implementation

    @property
    def primitive_name(self) -> str:
        """`sampler`, `estimator`, or `sampler+estimator` for a run of both."""
        return "+".join(self.primitives)

    @property
    def local(self) -> bool:
        return self.service is None

    @property
    def backend_name(self) -> str:
        return backends.describe(self.backend)

    @property
    def num_circuits(self) -> int:
        return len(self.catalog)

    def close(self, wait: bool = False) -> None:
        """Stop the worker processes (`wait`: until they have ended); a local backend
        (shared by the points of a sweep) stops sending its simulations to them."""
        if getattr(self.backend, "offload", None) is not None:
            self.backend.offload = None
        self.preparer.close(wait)
