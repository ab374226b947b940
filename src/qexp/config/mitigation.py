"""`mitigation=m3`: readout mitigation's schema and value checks (the work: `qexp.mitigation`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qexp.errors import ConfigError

METHODS = ("balanced", "marginal")
"""mthree's names for the calibration circuits qexp can submit (`qexp.mitigation.calibration`)."""


@dataclass
class M3Config:
    """Readout-error mitigation with mthree, calibrated by jobs in the run's own Batch."""

    name: str = "m3"
    shots: int = 10_000
    """Shots per calibrated qubit and prepared state: each qubit is read this many times
    prepared in |0> and as many times in |1> (mthree's `shots`, 10,000 by default)."""
    method: str = "balanced"
    """balanced: mthree's Hadamard bitstrings, each qubit |0> in half of them and |1> in the
    other half, its neighbours in every mix (mthree's default on hardware: readout crosstalk
    averages out); marginal: two circuits, all |0> and all |1>."""


def validate(cfg: M3Config | None, primitives: Sequence[str]) -> None:
    """Ranges, and a Sampler to correct: M3 corrects measured counts, which only it gives."""
    if cfg is None:
        return
    if cfg.name != "m3":
        raise ConfigError("mitigation", cfg.name, "m3 or null", "set mitigation=m3")
    if "sampler" not in primitives:
        raise ConfigError(
            "mitigation",
            cfg.name,
            "readout mitigation of Sampler counts, and this run has "
            f"{' and '.join(primitives)} jobs only (the Estimator's own readout mitigation is "
            "the service's resilience option, not qexp's)",
            "add the Sampler (primitive=sampler or primitive=[sampler,estimator]), or drop "
            "mitigation=m3",
        )
    if isinstance(cfg.shots, bool) or not isinstance(cfg.shots, int) or cfg.shots < 1:
        raise ConfigError(
            "mitigation.shots", cfg.shots, "a positive integer", "set mitigation.shots=10000"
        )
    if cfg.method not in METHODS:
        raise ConfigError(
            "mitigation.method",
            cfg.method,
            f"one of {', '.join(METHODS)}",
            "set mitigation.method=balanced",
        )


SCHEMAS: dict[str, type] = {"m3": M3Config}
"""Mitigation name -> its dataclass schema."""
