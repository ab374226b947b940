"""Turn a composed config into typed objects and check every value range, once.

Types and unknown keys are already checked by the structured-config schema during Hydra's
composition; what is left are ranges and choices. Checks that need the circuits or the
backend (widths, observables) run in `qexp.plan`, still before anything is submitted.
"""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from qexp import backends, circuits, partition, primitives, transpile
from qexp.config.schema import QexpConfig, RunConfig
from qexp.errors import ConfigError

PROGRESS_MODES = ("auto", "bar", "log", "off")


def load(cfg: DictConfig | QexpConfig) -> QexpConfig:
    """The composed config as a checked `QexpConfig`, or a ConfigError naming the key."""
    if isinstance(cfg, DictConfig):
        for group in ("circuits", "backend", "primitive"):
            if OmegaConf.is_missing(cfg, group):
                raise ConfigError(group, "???", f"a {group}= choice", f"add {group}=... ")
        try:
            settings: Any = OmegaConf.to_object(cfg)
        except OmegaConfBaseException as exc:
            key = getattr(exc, "full_key", "") or "config"
            raise ConfigError(key, getattr(exc, "value", None), str(exc).splitlines()[0]) from exc
    else:
        settings = cfg
    validate(settings)
    return settings


def validate(cfg: QexpConfig) -> None:
    if isinstance(cfg.seed, bool) or cfg.seed < 0:
        raise ConfigError("seed", cfg.seed, "an integer >= 0", "set seed=1")
    circuits.validate(cfg.circuits)
    backends.validate(cfg.backend)
    primitives.validate(cfg.primitive)
    partition.validate(cfg.partition)
    transpile.validate(cfg.transpile)
    _validate_run(cfg.run)


def _validate_run(run: RunConfig) -> None:
    if run.max_retries < 0:
        raise ConfigError("run.max_retries", run.max_retries, "an integer >= 0", "set it to 2")
    if run.retry_backoff < 0:
        raise ConfigError("run.retry_backoff", run.retry_backoff, "seconds >= 0", "set it to 1")
    if run.poll_interval is not None and run.poll_interval <= 0:
        raise ConfigError(
            "run.poll_interval",
            run.poll_interval,
            "seconds > 0, or null for the default",
            "set run.poll_interval=null",
        )
    if run.progress not in PROGRESS_MODES:
        raise ConfigError(
            "run.progress",
            run.progress,
            f"one of {', '.join(PROGRESS_MODES)}",
            "set run.progress=auto",
        )
