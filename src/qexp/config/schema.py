"""The structured-config schema: the whole config of a run, one dataclass per section.

Each YAML file in `conf/<group>/` pulls its schema in through its defaults list
(`- /schema/circuits/ghz@_here_`, stored by `qexp.config.registry`), so a typo or a wrong
type fails composition with the full key. Value ranges are checked once, in
`qexp.config.validate`. The groups' own schemas sit beside this module, one per group:
`circuits`, `backend`, `primitive`, `check`, `mitigation`.

Plain dataclasses, without Hydra or OmegaConf: what a run is configured with can be built
and checked in Python alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qexp.config import backend, check, circuits, mitigation, primitive

MISSING: Any = "???"
"""A value that must be chosen (OmegaConf's own marker for a missing value)."""

IBM_MAX_EXECUTIONS = 10_000_000
"""IBM Quantum's limit on the executions of one job."""
MAX_EXACT_QUBITS = 20
"""Default of `metrics.max_exact_qubits`: a 20-qubit distribution holds 8 MiB of float64."""
MAX_EXACT_LIMIT = 26
"""Largest `metrics.max_exact_qubits`: a 26-qubit distribution already holds 512 MiB."""


@dataclass
class PartitionConfig:
    """How many PUBs go into one job."""

    max_circuits: int = 100
    """PUBs per job, as in IBM's own batching example."""
    max_executions: int = IBM_MAX_EXECUTIONS
    """Executions (parameter sets x shots) per job: IBM's per-job limit."""


@dataclass
class TranspileConfig:
    """How logical circuits become ISA circuits."""

    optimization_level: int = 1
    """Preset pass manager level, 0 (none) to 3 (heaviest)."""
    cache: bool = True
    """Reuse ISA circuits from earlier runs (keyed by circuit, target, options and seed)."""
    cache_dir: str | None = None
    """Where the cache lives; unset: $QEXP_CACHE_DIR, else $XDG_CACHE_HOME/qexp, else
    ~/.cache/qexp (ISA circuits go to its `transpile/` folder)."""
    cache_max_mb: int = 1024
    """Size cap of the cache; the least recently used entries go first."""
    workers: int | None = None
    """Processes that generate and transpile partitions, and simulate local jobs; unset: one
    per core for runs of more than one job and at least 64 circuits, else 0 (in-process)."""


@dataclass
class MetricsConfig:
    """How ideal answers are computed for the metrics."""

    max_exact_qubits: int = MAX_EXACT_QUBITS
    """Widest circuit whose ideal distribution is simulated exactly (2**n memory and time).
    Wider circuits have metrics only where the physics gives the answer (GHZ, QFT, Clifford,
    mirror)."""


@dataclass
class RunConfig:
    """How the runner behaves while jobs run."""

    max_retries: int = 2
    """Re-submissions of a job that failed for a transient reason."""
    retry_backoff: float = 1.0
    """Seconds before the first re-submission; doubles with each further one."""
    poll_interval: float | None = None
    """Seconds between status polls; unset: 0.02 locally, 5 on IBM hardware."""
    progress: str = "auto"
    """auto (a bar on a terminal or in a Jupyter notebook, log lines otherwise), bar, log
    or off. `quiet=True` in `qexp.api` turns it off whatever it says."""
    dry_run: bool = False
    """Check and plan everything, print the jobs and their executions, submit nothing."""
    max_execution_time: int | None = None
    """Seconds of QPU time a job may use before IBM Quantum cancels it (the service's own
    limit, 3 hours, applies when unset)."""
    batch: str = "per_point"
    """per_point: each run (sweep point) opens its own Batch; shared: every point of a `-m`
    sweep on IBM Quantum goes into one Batch (qexp.run.shared_batch)."""
    max_qpu_seconds: float | None = None
    """A cap on the QPU seconds a run, or a whole sweep, may spend: before submitting, what
    was spent (billed, or estimated until billed) plus the estimate of what is about to be
    submitted (qexp.plan.cost) must stay below it (qexp.run.budget); null: no cap."""


@dataclass
class QexpConfig:
    """The whole composed config of one run."""

    circuits: Any = MISSING
    backend: Any = MISSING
    primitive: Any = MISSING
    check: Any = None
    mitigation: Any = None
    """Readout mitigation (`mitigation=m3`), or None."""
    partition: PartitionConfig = field(default_factory=PartitionConfig)
    transpile: TranspileConfig = field(default_factory=TranspileConfig)
    run: RunConfig = field(default_factory=RunConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    seed: int = 1
    """Fixes generator, transpiler and simulator seeds: same seed, same bits."""


GROUPS: dict[str, dict[str, type]] = {
    "circuits": circuits.SCHEMAS,
    "backend": backend.SCHEMAS,
    "primitive": primitive.SCHEMAS,
    "check": check.SCHEMAS,
    "mitigation": mitigation.SCHEMAS,
}
"""Each config group: its choices and their schemas."""

DISCRIMINATORS = {
    "circuits": "name",
    "backend": "kind",
    "primitive": "name",
    "check": "name",
    "mitigation": "name",
}
"""The key naming each group's choice: set by `group=choice`, never on its own."""
OPTIONAL_GROUPS = frozenset({"check", "mitigation"})
"""Groups whose default is null: nothing chosen."""
