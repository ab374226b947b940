"""Check every value range of a config, once, before anything runs.

Types and unknown keys are checked by the structured-config schema during Hydra's
composition (`qexp.config.load`); what is left are ranges and choices, checked here on the
plain dataclasses. What needs the circuits or the backend (QASM files, widths, observables,
a check that fits the run) is checked by the plan, still before anything is submitted.
"""

from __future__ import annotations

from typing import Any

from qexp.config import backend, check, circuits, mitigation, primitive
from qexp.config.schema import (
    MAX_EXACT_LIMIT,
    MAX_EXACT_QUBITS,
    MetricsConfig,
    PartitionConfig,
    QexpConfig,
    RunConfig,
    TranspileConfig,
)
from qexp.errors import ConfigError

PROGRESS_MODES = ("auto", "bar", "log", "off")
BATCH_MODES = ("per_point", "shared")


def validate(cfg: QexpConfig) -> None:
    """Raise a ConfigError naming the first key whose value is out of range."""
    if isinstance(cfg.seed, bool) or not 0 <= cfg.seed < 2**63:
        raise ConfigError("seed", cfg.seed, "an integer in [0, 2**63)", "set seed=1")
    circuits.validate(cfg.circuits)
    backend.validate(cfg.backend)
    for prim in primitive_configs(cfg).values():
        primitive.validate(prim)
    check.validate(cfg.check)
    validate_partition(cfg.partition)
    validate_transpile(cfg.transpile)
    validate_metrics(cfg.metrics)
    mitigation.validate(cfg.mitigation, list(primitive_configs(cfg)))
    validate_run(cfg.run)


def primitive_configs(cfg: QexpConfig) -> dict[str, Any]:
    """The run's primitives by name, in the order they were chosen: one, or several with
    `primitive=[sampler,estimator]`."""
    if isinstance(cfg.primitive, dict):
        return dict(cfg.primitive)
    return {cfg.primitive.name: cfg.primitive}


def is_mixed(node: Any) -> bool:
    """Whether the `primitive` node holds several primitives, one under each name."""
    names = list(node.keys()) if hasattr(node, "keys") else []
    return bool(names) and "name" not in names and set(names) <= set(primitive.SCHEMAS)


def validate_partition(cfg: PartitionConfig) -> None:
    default = PartitionConfig()
    for key in ("max_circuits", "max_executions"):
        if getattr(cfg, key) < 1:
            raise ConfigError(
                f"partition.{key}",
                getattr(cfg, key),
                "a positive integer",
                f"set partition.{key}={getattr(default, key)}",
            )


def validate_transpile(cfg: TranspileConfig) -> None:
    if cfg.optimization_level not in (0, 1, 2, 3):
        raise ConfigError(
            "transpile.optimization_level",
            cfg.optimization_level,
            "0, 1, 2 or 3",
            "set transpile.optimization_level=1",
        )
    if cfg.cache_max_mb < 1:
        raise ConfigError(
            "transpile.cache_max_mb",
            cfg.cache_max_mb,
            "a size in MB >= 1",
            "set transpile.cache_max_mb=1024, or transpile.cache=false to turn the cache off",
        )
    if cfg.workers is not None and cfg.workers < 0:
        raise ConfigError(
            "transpile.workers",
            cfg.workers,
            "a number of processes >= 0 (0: transpile in the main process), or null for one "
            "per core",
            "set transpile.workers=null",
        )


def validate_metrics(cfg: MetricsConfig) -> None:
    value = cfg.max_exact_qubits
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_EXACT_LIMIT:
        raise ConfigError(
            "metrics.max_exact_qubits",
            value,
            f"an integer from 0 to {MAX_EXACT_LIMIT} (each exact distribution takes 2**n "
            "floats of memory)",
            f"set metrics.max_exact_qubits={MAX_EXACT_QUBITS}",
        )


def validate_run(run: RunConfig) -> None:
    if run.max_retries < 0:
        raise ConfigError(
            "run.max_retries", run.max_retries, "an integer >= 0", "set run.max_retries=2"
        )
    if run.retry_backoff < 0:
        raise ConfigError(
            "run.retry_backoff", run.retry_backoff, "seconds >= 0", "set run.retry_backoff=1"
        )
    if run.poll_interval is not None and run.poll_interval <= 0:
        raise ConfigError(
            "run.poll_interval",
            run.poll_interval,
            "seconds > 0, or null for the default",
            "set run.poll_interval=null",
        )
    if run.max_qpu_seconds is not None and run.max_qpu_seconds <= 0:
        raise ConfigError(
            "run.max_qpu_seconds",
            run.max_qpu_seconds,
            "seconds > 0, or null for no limit",
            "set run.max_qpu_seconds=600 (or null)",
        )
    if run.batch not in BATCH_MODES:
        raise ConfigError(
            "run.batch",
            run.batch,
            "per_point (each sweep point its own Batch) or shared (one Batch for the sweep)",
            "set run.batch=shared",
        )
    if run.max_execution_time is not None and run.max_execution_time < 1:
        raise ConfigError(
            "run.max_execution_time",
            run.max_execution_time,
            "seconds >= 1, or null for the service's limit",
            "set run.max_execution_time=600",
        )
    if run.progress not in PROGRESS_MODES:
        raise ConfigError(
            "run.progress",
            run.progress,
            f"one of {', '.join(PROGRESS_MODES)}",
            "set run.progress=auto",
        )
