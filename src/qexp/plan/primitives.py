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
from typing import Any

from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp

from qexp.circuits.base import CircuitSpec
from qexp.circuits.measurements import without_clbits, without_final_measurements
from qexp.errors import ConfigError
from qexp.plan import options


def observables_for(cfg: Any, spec: CircuitSpec) -> tuple[str, ...]:
    """The Pauli strings an Estimator PUB measures on `spec`, checked against its width."""
    labels = tuple(cfg.observables) if cfg.observables else spec.observables
    check_observables(labels, spec.circuit.num_qubits, spec.circuit.name)
    return labels


def check_observables(labels: Sequence[str], width: int, circuit: str | None = None) -> None:
    """Every Pauli string as wide as the circuit it is measured on."""
    for label in labels:
        if len(label) != width:
            what = f" {circuit!r}" if circuit else ""
            raise ConfigError(
                "primitive.observables",
                list(labels),
                f"Pauli strings of length {width} for the {width}-qubit circuit{what}",
                "set primitive.observables=null to measure the generator's own, or give "
                "Pauli strings as wide as every circuit",
            )


def fewer_shots(cfg: Any) -> str:
    """How to run fewer shots per parameter set, in this primitive's own key."""
    if cfg.name == "estimator" and cfg.shots is None:
        return "raise primitive.precision"
    return "lower primitive.shots"


def shots_per_execution(cfg: Any) -> int:
    """Shots one parameter set costs: `shots`, or the estimator's 1/precision^2."""
    if cfg.shots is not None:
        return int(cfg.shots)
    return math.ceil(1 / cfg.precision**2)


def executions(cfg: Any, spec: CircuitSpec) -> int:
    """IBM's execution count for one PUB: parameter sets x shots."""
    return spec.num_points * shots_per_execution(cfg)


def choose_implementation(requested: str, on_ibm: bool) -> str:
    """Resolve `auto` for a primitive without options: the executor on IBM hardware, v2
    locally while it still exists (`options.choose` weighs the options too)."""
    return options.choose(requested, "sampler", {}, on_ibm, v2_available(), "primitive")[0]


def executions_per_point(prim: Any) -> int:
    """Executions one parameter set costs, with the primitive's finalized options."""
    return options.executions_per_point(prim.name, prim.finalized, prim.shots_per_execution)


def v2_available() -> bool:
    import qiskit_ibm_runtime

    return hasattr(qiskit_ibm_runtime, "SamplerV2") and hasattr(qiskit_ibm_runtime, "EstimatorV2")


def make(
    cfg: Any,
    implementation: str,
    batch: Any,
    seed: int | None,
    local: bool,
    tags: Sequence[str] | None = None,
    max_execution_time: int | None = None,
) -> Any:
    """A primitive bound to `batch` (mode=batch, never backend=), seeded when simulated,
    its jobs tagged on IBM Quantum so that they can be found again, with the user's
    options (`primitive.options`, checked when the run was planned) on top of qexp's."""
    primitive = _construct(cfg.name, implementation, batch)
    chosen = local_defaults(
        cfg.name, getattr(cfg, "options", None) or {}, local and implementation == "executor"
    )
    if chosen:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "has no effect in local mode": checked already
            primitive.options.update(**chosen)
    settings = primitive.options
    if cfg.name == "sampler" or cfg.shots is not None:
        settings.default_shots = cfg.shots
    if tags:
        settings.environment.job_tags = list(tags)
    if max_execution_time is not None:
        settings.max_execution_time = max_execution_time
    if local and seed is not None:
        settings.simulator.seed_simulator = seed
    return primitive


LOCAL_DEFAULTS = {"twirling": {"enable_gates": False, "enable_measure": False}}
"""Locally, the executor primitives run untwirled and unmitigated until an option asks for
twirling or mitigation (the Estimator's own default is resilience level 1, which applies
on IBM Quantum): a local run then reproduces the plain simulation."""


def local_defaults(name: str, chosen: dict[str, Any], local: bool) -> dict[str, Any]:
    """The options an executor primitive runs with: `chosen`, on top of qexp's local
    defaults when it runs locally and no option of twirling or mitigation was chosen."""
    if not local or any(key in chosen for key in ("twirling", "resilience", "resilience_level")):
        return dict(chosen)
    level = {"resilience_level": 0} if name == "estimator" else {}
    return {**chosen, **LOCAL_DEFAULTS, **level}


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
    """What gets transpiled. The Sampler keeps a circuit's own measurements (its classical
    registers are the user's intent) and measures every qubit of a circuit that measures
    nothing; the Estimator drops final measurements."""
    circuit = spec.circuit
    if cfg.name == "sampler":
        if "measure" in circuit.count_ops():
            return circuit
        if circuit.num_clbits and not any(inst.clbits for inst in circuit.data):
            circuit = without_clbits(circuit, keep=range(len(circuit.data)))
        return circuit.measure_all(inplace=False)
    return without_final_measurements(circuit)


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
