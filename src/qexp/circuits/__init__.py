"""Circuit generators: one module per `circuits=` choice, dispatched on `cfg.name`."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from qexp.circuits import (
    ansatz,
    clifford,
    ghz,
    mirror,
    qasm,
    qft,
    quantum_volume,
    random_circuits,
)
from qexp.circuits.base import CircuitSpec
from qexp.circuits.catalog import CircuitInfo
from qexp.config import circuits as schemas
from qexp.errors import ConfigError

GENERATORS: dict[str, ModuleType] = {
    "ghz": ghz,
    "qft": qft,
    "random": random_circuits,
    "quantum_volume": quantum_volume,
    "clifford": clifford,
    "mirror": mirror,
    "ansatz": ansatz,
    "qasm": qasm,
}
"""Config name -> module with `generate(cfg, seed)` (its schema: `qexp.config.circuits`)."""


def generator(name: str) -> ModuleType:
    """The module for `circuits.name`, or a ConfigError listing the choices."""
    if name not in GENERATORS:
        choices = ", ".join(GENERATORS)
        raise ConfigError("circuits", name, f"one of {choices}", "choose e.g. circuits=ghz")
    return GENERATORS[name]


def validate(cfg: Any) -> None:
    """The circuits config before anything is built: its values (`qexp.config.circuits`),
    and what they cannot see: the QASM files exist, explicit ansatz points fit the ansatz's
    parameters. The plan asks first."""
    schemas.validate(cfg)
    if cfg.name == "qasm":
        qasm.files(cfg.path)
    elif cfg.name == "ansatz":
        ansatz.check(cfg)


def generate(cfg: Any, seed: int, indices: Sequence[int] | None = None) -> list[CircuitSpec]:
    """The run's circuits, or only those at `indices` (in that order).

    Generators that can build one circuit alone take `indices`; the others are small
    (one circuit per width) and are built whole, then picked from.
    """
    module = generator(cfg.name)
    if indices is None:
        return module.generate(cfg, seed)
    if "indices" in inspect.signature(module.generate).parameters:
        return module.generate(cfg, seed, indices)
    specs = module.generate(cfg, seed)
    return [specs[i] for i in indices]


def catalog(cfg: Any, seed: int) -> list[CircuitInfo] | None:
    """Every circuit's width, points and observables, without keeping the circuits.

    None for generators that must read their input to know (QASM files): the plan surveys
    those in parallel with `survey`.
    """
    module = generator(cfg.name)
    if hasattr(module, "catalog"):
        return module.catalog(cfg)
    if cfg.name == "qasm":
        return None
    return [CircuitInfo.of(spec) for spec in module.generate(cfg, seed)]


__all__ = [
    "GENERATORS",
    "CircuitInfo",
    "CircuitSpec",
    "catalog",
    "generate",
    "generator",
    "validate",
]
