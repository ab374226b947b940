"""`check=`: per-job result checks, their schemas (the checks themselves: `qexp.plan.checks`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qexp.errors import ConfigError


@dataclass
class SuccessProbabilityConfig:
    """Share of shots landing in the expected outcomes, per circuit."""

    name: str = "success_probability"
    min: float = 0.9
    """Smallest acceptable share, in [0, 1]."""
    outcomes: list[str] | None = None
    """Expected bitstrings; unset uses the generator's ideal outcomes (GHZ: 0...0, 1...1)."""


@dataclass
class MaxStdConfig:
    """Largest acceptable estimator standard error."""

    name: str = "max_std"
    max: float = 0.05


@dataclass
class CustomCheckConfig:
    """Your own function: `_target_` is its dotted path, called as fn(result, specs)."""

    name: str = "custom"
    _target_: str = ""


SCHEMAS: dict[str, type] = {
    "success_probability": SuccessProbabilityConfig,
    "max_std": MaxStdConfig,
    "custom": CustomCheckConfig,
}


def validate(cfg: Any) -> None:
    """The check's own values; whether it fits the run's jobs is the plan's to say
    (`qexp.plan.checks.validate`: it needs the circuits)."""
    if cfg is None:
        return
    if cfg.name not in SCHEMAS:
        raise ConfigError(
            "check", cfg.name, f"one of {', '.join(SCHEMAS)} or null", "set check=null"
        )
    if cfg.name == "success_probability" and not 0 <= cfg.min <= 1:
        raise ConfigError("check.min", cfg.min, "a share in [0, 1]", "set check.min=0.9")
    if cfg.name == "max_std" and cfg.max <= 0:
        raise ConfigError("check.max", cfg.max, "a positive number", "set check.max=0.05")
