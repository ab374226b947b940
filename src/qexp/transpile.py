"""ISA circuits for the backend, through Qiskit's preset pass managers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qiskit import QuantumCircuit
from qiskit.providers import BackendV2
from qiskit.transpiler import StagedPassManager, generate_preset_pass_manager

from qexp.errors import ConfigError


@dataclass
class TranspileConfig:
    """How logical circuits become ISA circuits."""

    optimization_level: int = 1
    """Preset pass manager level, 0 (none) to 3 (heaviest)."""


def validate(cfg: TranspileConfig) -> None:
    if cfg.optimization_level not in (0, 1, 2, 3):
        raise ConfigError(
            "transpile.optimization_level",
            cfg.optimization_level,
            "0, 1, 2 or 3",
            "set transpile.optimization_level=1",
        )


def pass_manager(cfg: TranspileConfig, backend: BackendV2, seed: int) -> StagedPassManager:
    """One seeded pass manager: each circuit's transpilation depends only on it and the seed."""
    return generate_preset_pass_manager(
        optimization_level=cfg.optimization_level, backend=backend, seed_transpiler=seed
    )


def to_isa(pm: StagedPassManager, circuits: Sequence[QuantumCircuit]) -> list[QuantumCircuit]:
    """Transpile serially: process parallelism is slower than serial on small machines."""
    return list(pm.run(list(circuits), num_processes=1))
