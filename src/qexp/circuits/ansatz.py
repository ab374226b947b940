"""Hardware-efficient variational ansatze with a batch of parameter points per width.

One circuit per width; its `parameter_values` array has shape (num_points, num_parameters),
columns in the order of `circuit.parameters`. The points are either given explicitly
(`points`, one width only, since the number of parameters depends on the width) or drawn
uniformly from [0, 2 pi) with a seed derived from the run's seed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit.library import efficient_su2, real_amplitudes

from qexp.circuits.base import CircuitSpec, positive, widths, z_observables
from qexp.errors import ConfigError
from qexp.seeds import derive_seed

ANSATZE: dict[str, Callable[..., QuantumCircuit]] = {
    "efficient_su2": efficient_su2,
    "real_amplitudes": real_amplitudes,
}


@dataclass
class AnsatzConfig:
    """One parameterized ansatz circuit per width, run at `num_points` parameter points."""

    name: str = "ansatz"
    num_qubits: Any = 3
    """An int or a list of ints: one circuit per width (a single int when `points` is set)."""
    ansatz: str = "efficient_su2"
    """Which circuit family: efficient_su2 or real_amplitudes."""
    reps: int = 1
    """Entangling layers (repetitions) of the ansatz."""
    num_points: int = 8
    """Random parameter points per circuit, drawn in [0, 2 pi); ignored when `points` is set."""
    points: list[Any] | None = None
    """Explicit parameter points: a list of vectors, each of length num_parameters.

    Typed loosely on purpose: OmegaConf 2.3 rejects ints such as `[[0, 1.5]]` in a
    `list[list[float]]` field instead of converting them; the values are checked here.
    """


def validate(cfg: AnsatzConfig) -> None:
    _check(cfg)


def generate(cfg: AnsatzConfig, seed: int) -> list[CircuitSpec]:
    return [_ansatz(cfg, n, seed) for n in _check(cfg)]


def build(ansatz: str, num_qubits: int, reps: int) -> QuantumCircuit:
    """The bare parameterized circuit (no metadata)."""
    return ANSATZE[ansatz](num_qubits, reps=reps)


def _check(cfg: AnsatzConfig) -> list[int]:
    ns = widths(cfg.num_qubits)
    if cfg.ansatz not in ANSATZE:
        raise ConfigError(
            "circuits.ansatz",
            cfg.ansatz,
            f"one of {', '.join(ANSATZE)}",
            "set circuits.ansatz=efficient_su2",
        )
    positive(cfg.reps, "circuits.reps")
    if cfg.points is None:
        positive(cfg.num_points, "circuits.num_points")
    else:
        if len(ns) != 1:
            raise ConfigError(
                "circuits.points",
                cfg.points,
                "explicit points need a single width, since the number of parameters "
                f"depends on it (got circuits.num_qubits={cfg.num_qubits!r})",
                f"set circuits.num_qubits={ns[0]} (one width), or circuits.points=null to "
                "draw circuits.num_points random points per width",
            )
        _points(cfg.points, build(cfg.ansatz, ns[0], cfg.reps).num_parameters)
    return ns


def _points(points: Any, num_parameters: int) -> np.ndarray:
    """`points` as a float array (num_points, num_parameters), or a ConfigError."""
    key = "circuits.points"
    shape = f"a non-empty list of parameter vectors, each of {num_parameters} numbers"
    fix = f"give each vector exactly {num_parameters} values: {key}=[[{_zeros(num_parameters)}]]"
    if isinstance(points, str) or not isinstance(points, Sequence) or not points:
        raise ConfigError(key, points, shape, fix)
    for i, vector in enumerate(points):
        if isinstance(vector, str) or not isinstance(vector, Sequence):
            raise ConfigError(key, points, f"{shape}; entry {i} is not a list", fix)
        if len(vector) != num_parameters:
            raise ConfigError(
                key,
                points,
                f"{shape}; entry {i} has length {len(vector)}, the circuit needs {num_parameters}",
                fix,
            )
        if not all(isinstance(x, Real) and not isinstance(x, bool) for x in vector):
            raise ConfigError(key, points, f"{shape}; entry {i} holds a non-number", fix)
    return np.asarray(points, dtype=float).reshape(len(points), num_parameters)


def _zeros(count: int) -> str:
    """A vector of `count` zeros, written out in full: the hint works when pasted."""
    return ",".join(["0"] * count)


def _ansatz(cfg: AnsatzConfig, num_qubits: int, seed: int) -> CircuitSpec:
    qc = build(cfg.ansatz, num_qubits, cfg.reps)
    qc.name = f"{cfg.ansatz}_{num_qubits}"
    if cfg.points is not None:
        values, point_seed = _points(cfg.points, qc.num_parameters), None
    else:
        point_seed = derive_seed(seed, "circuits", "ansatz", num_qubits)
        rng = np.random.default_rng(point_seed)
        values = rng.uniform(0.0, 2 * np.pi, size=(cfg.num_points, qc.num_parameters))
    qc.metadata = {
        "generator": "ansatz",
        "num_qubits": num_qubits,
        "ansatz": cfg.ansatz,
        "reps": cfg.reps,
        "seed": point_seed,
    }
    return CircuitSpec(circuit=qc, parameter_values=values, observables=z_observables(num_qubits))
