"""The structured-config schema: one dataclass per config group option, in the ConfigStore.

Each YAML file in `conf/<group>/` pulls its schema in through its defaults list
(`- /schema/circuits/ghz@_here_`), so a typo or a wrong type fails composition with the full key.
Value ranges are checked once, in `qexp.config.validate`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from qexp import backends, primitives
from qexp.checks import CHECK_SCHEMAS
from qexp.circuits import SCHEMAS as CIRCUIT_SCHEMAS
from qexp.config.help import SCHEMA_GROUP, register_resolvers
from qexp.metrics import MetricsConfig
from qexp.mitigation.config import M3Config
from qexp.partition import PartitionConfig
from qexp.transpile import TranspileConfig


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
    """auto (a bar on a terminal, log lines otherwise), bar, log or off."""
    dry_run: bool = False
    """Check and plan everything, print the jobs and their executions, submit nothing."""
    max_execution_time: int | None = None
    """Seconds of QPU time a job may use before IBM Quantum cancels it (the service's own
    limit, 3 hours, applies when unset)."""
    batch: str = "per_point"
    """per_point: each run (sweep point) opens its own Batch; shared: every point of a `-m`
    sweep on IBM Quantum goes into one Batch (qexp.sweep.shared_batch)."""
    max_qpu_seconds: float | None = None
    """Refuse to submit when the estimated QPU time (qexp.cost) is above it; null: no limit."""


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


BACKEND_SCHEMAS: dict[str, type] = {
    "aer": backends.AerBackendConfig,
    "fake": backends.FakeBackendConfig,
    "ibm": backends.IbmBackendConfig,
    "flaky": backends.FlakyBackendConfig,
}
PRIMITIVE_SCHEMAS: dict[str, type] = {
    "sampler": primitives.SamplerConfig,
    "estimator": primitives.EstimatorConfig,
}
GROUPS: dict[str, dict[str, type]] = {
    "circuits": CIRCUIT_SCHEMAS,
    "backend": BACKEND_SCHEMAS,
    "primitive": PRIMITIVE_SCHEMAS,
    "check": CHECK_SCHEMAS,
    "mitigation": {"m3": M3Config},
}

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


def register() -> None:
    """Put every schema in Hydra's ConfigStore, and the help's resolvers (idempotent)."""
    register_resolvers()
    cs = ConfigStore.instance()
    cs.store(name="schema_config", node=QexpConfig)
    for group, schemas in GROUPS.items():
        for name, schema in schemas.items():
            cs.store(group=f"{SCHEMA_GROUP}/{group}", name=name, node=schema)
