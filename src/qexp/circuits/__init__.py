"""Circuit generators: one module per `circuits=` choice, dispatched on `cfg.name`."""

from __future__ import annotations

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
"""Config name -> module with `validate(cfg)` and `generate(cfg, seed)`."""

SCHEMAS: dict[str, type] = {
    "ghz": ghz.GhzConfig,
    "qft": qft.QftConfig,
    "random": random_circuits.RandomConfig,
    "quantum_volume": quantum_volume.QuantumVolumeConfig,
    "clifford": clifford.CliffordConfig,
    "mirror": mirror.MirrorConfig,
    "ansatz": ansatz.AnsatzConfig,
    "qasm": qasm.QasmConfig,
}
"""Config name -> its dataclass schema."""


def generator(name: str) -> ModuleType:
    """The module for `circuits.name`, or a ConfigError listing the choices."""
    if name not in GENERATORS:
        choices = ", ".join(GENERATORS)
        raise ConfigError("circuits", name, f"one of {choices}", "choose e.g. circuits=ghz")
    return GENERATORS[name]


def validate(cfg: Any) -> None:
    generator(cfg.name).validate(cfg)


def generate(cfg: Any, seed: int) -> list[CircuitSpec]:
    return generator(cfg.name).generate(cfg, seed)


__all__ = ["GENERATORS", "SCHEMAS", "CircuitSpec", "generate", "generator", "validate"]
