"""Turn a composed config into typed objects and check every value range, once.

Types and unknown keys are already checked by the structured-config schema during Hydra's
composition; what is left are ranges and choices. Checks that need the circuits or the
backend (widths, observables) run in `qexp.plan`, still before anything is submitted.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from qexp import backends, circuits, metrics, partition, primitives, transpile
from qexp.config.schema import DISCRIMINATORS, GROUPS, OPTIONAL_GROUPS, QexpConfig, RunConfig
from qexp.errors import ConfigError
from qexp.mitigation import config as mitigation

PROGRESS_MODES = ("auto", "bar", "log", "off")


def load(cfg: DictConfig | QexpConfig) -> QexpConfig:
    """The composed config as a checked `QexpConfig`, or a ConfigError naming the key."""
    if isinstance(cfg, DictConfig):
        _check_structure(cfg)
        try:
            settings: Any = OmegaConf.to_object(cfg)
        except OmegaConfBaseException as exc:
            key = getattr(exc, "full_key", "") or "config"
            raise ConfigError(key, getattr(exc, "value", None), str(exc).splitlines()[0]) from exc
    else:
        settings = cfg
    validate(settings)
    return settings


def _check_structure(cfg: DictConfig) -> None:
    """Each group is a real choice of its own schema, and no `+key` slipped past a schema."""
    for group, key in DISCRIMINATORS.items():
        if OmegaConf.is_missing(cfg, group):
            raise ConfigError(group, "???", f"a {group}= choice", f"add {_example(group)}")
        node = cfg[group]
        if node is None and group in OPTIONAL_GROUPS:
            continue
        if group == "primitive" and isinstance(node, DictConfig) and is_mixed(node):
            for name in map(str, node):  # primitive=[sampler,estimator]: one node each
                _check_choice(group, key, node[name], f"{group}.{name}")
            continue
        _check_choice(group, key, node, group)
    _reject_unknown_keys(cfg, "")


def is_mixed(node: Any) -> bool:
    """Whether the `primitive` node holds several primitives, one under each name."""
    names = list(node.keys()) if hasattr(node, "keys") else []
    return bool(names) and "name" not in names and set(names) <= set(GROUPS["primitive"])


def _check_choice(group: str, key: str, node: Any, where: str) -> None:
    """`node` is a real choice of `group`, made by choosing it (not by setting its key)."""
    choices = ", ".join(GROUPS[group])
    schema = OmegaConf.get_type(node) if isinstance(node, DictConfig) else None
    if schema not in GROUPS[group].values():
        raise ConfigError(
            where,
            OmegaConf.to_container(node) if isinstance(node, DictConfig) else node,
            f"a {group}= choice ({choices})",
            f"choose one before setting its keys, e.g. {_example(group)}",
        )
    if GROUPS[group].get(node[key]) is not schema:
        raise ConfigError(
            f"{where}.{key}",
            node[key],
            f"set only by choosing {group}=<choice> ({choices})",
            f"choose {_example(group, node[key])} instead of setting {where}.{key}",
        )


def _reject_unknown_keys(node: DictConfig, prefix: str) -> None:
    schema = OmegaConf.get_type(node)
    if dataclasses.is_dataclass(schema):
        allowed = {f.name for f in dataclasses.fields(schema)}
        for key in map(str, node):
            if key not in allowed:
                raise ConfigError(
                    f"{prefix}{key}",
                    node[key],
                    f"a key of {schema.__name__} ({', '.join(sorted(allowed))})",
                    _spelling_fix(prefix, key, allowed, node[key]),
                )
    for key in map(str, node):
        child = node._get_node(key)
        if isinstance(child, DictConfig) and not child._is_none():
            _reject_unknown_keys(child, f"{prefix}{key}.")


def primitive_configs(cfg: QexpConfig) -> dict[str, Any]:
    """The run's primitives by name, in the order they were chosen: one, or several with
    `primitive=[sampler,estimator]`."""
    if isinstance(cfg.primitive, dict):
        return dict(cfg.primitive)
    return {cfg.primitive.name: cfg.primitive}


def _example(group: str, choice: Any = None) -> str:
    """`group=choice` for a hint: `choice` when it is one, else the group's first."""
    return f"{group}={choice if choice in GROUPS[group] else next(iter(GROUPS[group]))}"


def _spelling_fix(prefix: str, key: str, allowed: set[str], value: Any) -> str:
    """The nearest real key (a '+' override cannot add keys to a schema)."""
    near = difflib.get_close_matches(key, sorted(allowed), n=1)
    if not near:
        return f"drop {prefix}{key}; a '+' override cannot add keys to a schema"
    return (
        f"did you mean {prefix}{near[0]}={_as_override(value)}? A '+' override cannot add keys "
        "to a schema"
    )


def _as_override(value: Any) -> str:
    """A value as Hydra's override grammar reads it back."""
    if isinstance(value, DictConfig | ListConfig):
        value = OmegaConf.to_container(value)
    if value is None or isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def validate(cfg: QexpConfig) -> None:
    if isinstance(cfg.seed, bool) or not 0 <= cfg.seed < 2**63:
        raise ConfigError("seed", cfg.seed, "an integer in [0, 2**63)", "set seed=1")
    circuits.validate(cfg.circuits)
    backends.validate(cfg.backend)
    for primitive in primitive_configs(cfg).values():
        primitives.validate(primitive)
    partition.validate(cfg.partition)
    transpile.validate(cfg.transpile)
    metrics.validate(cfg.metrics)
    mitigation.validate(cfg.mitigation, list(primitive_configs(cfg)))
    _validate_run(cfg.run)


def _validate_run(run: RunConfig) -> None:
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
    if run.batch not in ("per_point", "shared"):
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
