"""`primitive=`: Sampler or Estimator, their schemas and value checks.

`implementation` picks the runtime's class: the executor-based primitives (IBM's supported
path) or the deprecated v2 ones (`qexp.plan.primitives` says which `auto` takes, and why).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qexp.errors import ConfigError

IMPLEMENTATIONS = ("auto", "executor", "v2")


@dataclass
class SamplerConfig:
    """Sample bitstrings from each circuit."""

    name: str = "sampler"
    shots: int = 1024
    """Shots per circuit and parameter set."""
    implementation: str = "auto"
    """auto, executor or v2: see `qexp.plan.primitives`."""
    options: dict[str, Any] = field(default_factory=dict)
    """The runtime's own SamplerOptions as nested keys (`twirling.enable_gates`,
    `dynamical_decoupling.enable`, `execution.rep_delay`, ...), checked by its own model
    when the run is planned (`qexp.plan.options`)."""


@dataclass
class EstimatorConfig:
    """Expectation values of Pauli observables."""

    name: str = "estimator"
    precision: float = 0.015625
    """Target standard error; the runtime runs about 1/precision^2 shots."""
    shots: int | None = None
    """When set, run exactly this many shots and ignore `precision`."""
    observables: list[str] | None = None
    """Pauli strings (rightmost letter is qubit 0); unset uses the generator's own."""
    implementation: str = "auto"
    options: dict[str, Any] = field(default_factory=dict)
    """The runtime's own EstimatorOptions as nested keys (`resilience_level`,
    `twirling.enable_gates`, `resilience.zne.noise_factors`, ...), checked by its own
    model when the run is planned (`qexp.plan.options`)."""


def validate(cfg: Any) -> None:
    if cfg.name not in ("sampler", "estimator"):
        raise ConfigError("primitive", cfg.name, "sampler or estimator", "set primitive=sampler")
    if cfg.implementation not in IMPLEMENTATIONS:
        raise ConfigError(
            "primitive.implementation",
            cfg.implementation,
            f"one of {', '.join(IMPLEMENTATIONS)}",
            "set primitive.implementation=auto",
        )
    if cfg.shots is not None and cfg.shots < 1:
        raise ConfigError(
            "primitive.shots", cfg.shots, "a positive integer", "set primitive.shots=1024"
        )
    if cfg.name == "estimator":
        if not 0 < cfg.precision < 1:
            raise ConfigError(
                "primitive.precision",
                cfg.precision,
                "a number in (0, 1)",
                "set primitive.precision=0.015625 (about 4096 shots)",
            )
        for label in cfg.observables or ():
            if not label or set(str(label)) - set("IXYZ"):
                raise ConfigError(
                    "primitive.observables",
                    list(cfg.observables),
                    "Pauli strings over I, X, Y, Z such as 'ZZI'",
                    "write each observable as one Pauli string, e.g. primitive.observables=[ZZ,XX]",
                )


SCHEMAS: dict[str, type] = {"sampler": SamplerConfig, "estimator": EstimatorConfig}
"""Primitive name -> its dataclass schema."""
