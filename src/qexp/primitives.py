"""The primitive chosen by `primitive=`: Sampler or Estimator, which implementation, its PUBs.

Two implementations of each primitive exist in qiskit-ibm-runtime 0.50+: the deprecated
`SamplerV2`/`EstimatorV2` ("v2") and the client-side `executor_sampler.Sampler` /
`executor_estimator.Estimator` ("executor"), the supported path for IBM hardware. In local
mode on noisy fake devices the executor ones are about 10x slower, so `auto` takes the
executor path on IBM backends and v2 locally, falling back to the executor when v2 is gone.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp

from qexp.circuits.base import CircuitSpec
from qexp.errors import ConfigError

IMPLEMENTATIONS = ("auto", "executor", "v2")


@dataclass
class SamplerConfig:
    """Sample bitstrings from each circuit."""

    name: str = "sampler"
    shots: int = 1024
    """Shots per circuit and parameter set."""
    implementation: str = "auto"
    """auto, executor or v2: see the module docstring."""


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
        raise ConfigError("primitive.shots", cfg.shots, "a positive integer", "set shots=1024")
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


def observables_for(cfg: Any, spec: CircuitSpec) -> tuple[str, ...]:
    """The Pauli strings an Estimator PUB measures on `spec`, checked against its width."""
    labels = tuple(cfg.observables) if cfg.observables else spec.observables
    width = spec.circuit.num_qubits
    for label in labels:
        if len(label) != width:
            raise ConfigError(
                "primitive.observables",
                list(labels),
                f"Pauli strings of length {width} for the {width}-qubit circuit "
                f"{spec.circuit.name!r}",
                "give observables as wide as every circuit, or leave primitive.observables "
                "unset to use the generator's own",
            )
    return labels


def shots_per_execution(cfg: Any) -> int:
    """Shots one parameter set costs: `shots`, or the estimator's 1/precision^2."""
    if cfg.shots is not None:
        return int(cfg.shots)
    return math.ceil(1 / cfg.precision**2)


def executions(cfg: Any, spec: CircuitSpec) -> int:
    """IBM's execution count for one PUB: parameter sets x shots."""
    return spec.num_points * shots_per_execution(cfg)


def choose_implementation(requested: str, on_ibm: bool) -> str:
    """Resolve `auto`: the executor on IBM hardware, v2 locally while it still exists."""
    if requested != "auto":
        return requested
    if on_ibm or not v2_available():
        return "executor"
    return "v2"


def v2_available() -> bool:
    import qiskit_ibm_runtime

    return hasattr(qiskit_ibm_runtime, "SamplerV2") and hasattr(qiskit_ibm_runtime, "EstimatorV2")


def make(cfg: Any, implementation: str, batch: Any, seed: int | None, local: bool) -> Any:
    """A primitive bound to `batch` (mode=batch, never backend=), seeded when simulated."""
    primitive = _construct(cfg.name, implementation, batch)
    options = primitive.options
    if cfg.name == "sampler" or cfg.shots is not None:
        options.default_shots = cfg.shots
    if local:
        if seed is not None:
            options.simulator.seed_simulator = seed
        if implementation == "executor":
            # Twirling and mitigation have no effect locally and only warn.
            options.twirling.enable_gates = False
            options.twirling.enable_measure = False
            if cfg.name == "estimator":
                options.resilience_level = 0
    return primitive


def _construct(name: str, implementation: str, batch: Any) -> Any:
    if implementation == "executor":
        if name == "sampler":
            from qiskit_ibm_runtime.executor_sampler import Sampler
        else:
            from qiskit_ibm_runtime.executor_estimator import Estimator as Sampler
        return Sampler(mode=batch)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        if name == "sampler":
            from qiskit_ibm_runtime import SamplerV2 as Primitive
        else:
            from qiskit_ibm_runtime import EstimatorV2 as Primitive
        return Primitive(mode=batch)


def logical_circuit(cfg: Any, spec: CircuitSpec) -> QuantumCircuit:
    """What gets transpiled: the sampler measures every qubit unless the circuit measures."""
    if cfg.name == "sampler" and spec.circuit.num_clbits == 0:
        return spec.circuit.measure_all(inplace=False)
    return spec.circuit


def build_pub(cfg: Any, spec: CircuitSpec, isa: QuantumCircuit) -> tuple:
    """One PUB: (circuit, params) for the Sampler; (circuit, observables, params, precision)."""
    params = spec.parameter_values
    if cfg.name == "sampler":
        return (isa,) if params is None else (isa, params)
    observables = mapped_observables(observables_for(cfg, spec), isa)
    if params is not None:
        observables = [[obs] for obs in observables]  # (k, 1) broadcasts against (points,)
    precision = None if cfg.shots is not None else cfg.precision
    return (isa, observables, params, precision)


def mapped_observables(labels: Sequence[str], isa: QuantumCircuit) -> list[SparsePauliOp]:
    """Observables on the device's physical qubits, following the transpiler's layout."""
    return [SparsePauliOp(label).apply_layout(isa.layout) for label in labels]
