"""From a checked config to a run plan: circuits, backend, implementation and job plans.

Everything that can be wrong with the input is found here, before a batch is opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from qiskit.providers import BackendV2
from qiskit.transpiler import StagedPassManager

from qexp import backends, checks, circuits, partition, primitives, transpile
from qexp.circuits.base import CircuitSpec
from qexp.config.schema import QexpConfig
from qexp.errors import ConfigError
from qexp.partition import JobPlan
from qexp.seeds import derive_seed


@dataclass
class RunPlan:
    config: QexpConfig
    specs: list[CircuitSpec]
    backend: BackendV2
    service: Any
    """The QiskitRuntimeService for backend=ibm, else None."""
    implementation: str
    jobs: list[JobPlan]

    @property
    def local(self) -> bool:
        return self.service is None

    @property
    def backend_name(self) -> str:
        return backends.describe(self.backend)

    @cached_property
    def pass_manager(self) -> StagedPassManager:
        """One seeded pass manager for the run: every partition is transpiled alike."""
        seed = derive_seed(self.config.seed, "transpile")
        return transpile.pass_manager(self.config.transpile, self.backend, seed)


def make_plan(cfg: QexpConfig, jobs: list[JobPlan] | None = None) -> RunPlan:
    """Generate, connect and partition; `jobs` reuses a saved partition (resume)."""
    specs = circuits.generate(cfg.circuits, cfg.seed)
    widest = max(spec.circuit.num_qubits for spec in specs)
    backend, service = backends.connect(cfg.backend, widest)
    _check_width(cfg, specs, backend)
    if cfg.backend.kind == "aer" and cfg.backend.method == "stabilizer":
        _check_clifford(specs)
    if cfg.primitive.name == "estimator":
        for spec in specs:
            primitives.observables_for(cfg.primitive, spec)
    checks.validate(cfg.check, cfg.primitive.name, specs)
    implementation = _implementation(cfg)
    _check_executor_support(cfg, specs, implementation)
    if jobs is None:
        costs = [primitives.executions(cfg.primitive, spec) for spec in specs]
        jobs = partition.plan_jobs(costs, cfg.partition.max_circuits, cfg.partition.max_executions)
    return RunPlan(cfg, specs, backend, service, implementation, jobs)


def _check_width(cfg: QexpConfig, specs: list[CircuitSpec], backend: BackendV2) -> None:
    available = backend.num_qubits
    too_wide = sorted({s.circuit.num_qubits for s in specs if s.circuit.num_qubits > available})
    if too_wide:
        key = "circuits.path" if cfg.circuits.name == "qasm" else "circuits.num_qubits"
        raise ConfigError(
            key,
            too_wide,
            f"at most {available} qubits, the size of backend {backends.describe(backend)}",
            "use narrower circuits or a larger backend (e.g. backend=fake backend.name=FakeTorino)",
        )


def _check_clifford(specs: list[CircuitSpec]) -> None:
    """The stabilizer method simulates Clifford circuits only."""
    from qiskit.quantum_info import Clifford

    for spec in specs:
        try:
            Clifford(spec.circuit)
        except Exception as exc:
            raise ConfigError(
                "backend.method",
                "stabilizer",
                f"a method that can simulate circuit {spec.circuit.name!r}, which is not Clifford",
                "use backend.method=automatic (or extended_stabilizer)",
            ) from exc


def _check_executor_support(cfg: QexpConfig, specs: list[CircuitSpec], implementation: str) -> None:
    """The executor Estimator cannot bind parameters of AerSimulator's native rotations."""
    parameterized = any(spec.parameter_values is not None for spec in specs)
    if (
        implementation == "executor"
        and cfg.primitive.name == "estimator"
        and cfg.backend.kind == "aer"
        and parameterized
    ):
        raise ConfigError(
            "primitive.implementation",
            "executor",
            "auto or v2 for parameterized circuits on backend=aer (the executor Estimator "
            "only binds parameters of IBM devices' rz gates)",
            "set primitive.implementation=auto, or use backend=fake",
        )


def _implementation(cfg: QexpConfig) -> str:
    requested = cfg.primitive.implementation
    if cfg.backend.kind == "flaky":
        if requested == "executor":
            raise ConfigError(
                "primitive.implementation",
                requested,
                "auto or v2 with backend=flaky (its failures are injected on the v2 local path)",
                "set primitive.implementation=auto",
            )
        return "v2"
    if requested == "v2" and not primitives.v2_available():
        raise ConfigError(
            "primitive.implementation",
            requested,
            "auto or executor: this qiskit-ibm-runtime no longer has SamplerV2/EstimatorV2",
            "set primitive.implementation=auto",
        )
    return primitives.choose_implementation(requested, on_ibm=cfg.backend.kind == "ibm")
