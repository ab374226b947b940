"""Hardware-efficient variational ansatze with a batch of parameter points per width.

One circuit per width; its `parameter_values` array has shape (num_points, num_parameters),
columns in the order of `circuit.parameters`. The points are either given explicitly
(`points`, one width only, since the number of parameters depends on the width) or drawn
uniformly from [0, 2 pi) with a seed derived from the run's seed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from numbers import Real
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit.library import efficient_su2, real_amplitudes

from qexp.circuits.base import CircuitSpec, z_observables
from qexp.config.circuits import AnsatzConfig, validate, widths
from qexp.errors import ConfigError
from qexp.seeds import derive_seed

BUILDERS: dict[str, Callable[..., QuantumCircuit]] = {
    "efficient_su2": efficient_su2,
    "real_amplitudes": real_amplitudes,
}


def generate(cfg: AnsatzConfig, seed: int) -> list[CircuitSpec]:
    return [_ansatz(cfg, n, seed) for n in check(cfg)]


def build(ansatz: str, num_qubits: int, reps: int) -> QuantumCircuit:
    """The bare parameterized circuit (no metadata)."""
    return BUILDERS[ansatz](num_qubits, reps=reps)


def check(cfg: AnsatzConfig) -> list[int]:
    """The widths, once the config's values (`qexp.config.circuits`) are checked and
    explicit points are known to fit the circuit's parameters."""
    validate(cfg)
    ns = widths(cfg.num_qubits)
    if cfg.points is not None:
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
