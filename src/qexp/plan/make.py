"""From a checked config to a run plan: the last place the config is read.

Everything that can be wrong with the input is found here, before a batch is opened: QASM
files are all parsed and checked (in parallel), widths are checked against the backend and
observables against every circuit. The circuits themselves are not kept: the plan holds
their catalog and a `Preparer` that builds and transpiles each partition when its job is
about to be submitted. Every setting a later stage needs is settled here into the frozen
parts of a `RunPlan` (`qexp.plan.run_plan`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, NamedTuple

from qiskit.providers import BackendV2

from qexp import backends, circuits
from qexp.circuits.catalog import CircuitInfo
from qexp.config.schema import QexpConfig
from qexp.config.validate import primitive_configs
from qexp.console import import_runtime
from qexp.constants import CALIBRATION
from qexp.errors import ConfigError
from qexp.plan import checks, options, partition, primitives, transpile
from qexp.plan.partition import JobPlan
from qexp.plan.prepare import PrepareContext, Preparer, default_workers
from qexp.plan.run_plan import (
    MitigationPlan,
    PrimitivePlan,
    RunPlan,
    RunPolicy,
    TranspileCachePlan,
)
from qexp.plan.transpile_cache import default_dir
from qexp.seeds import derive_seed


def make_plan(cfg: QexpConfig, jobs: list[JobPlan] | None = None) -> RunPlan:
    """Describe, connect, check and partition; `jobs` reuses a saved partition (resume)."""
    circuits.validate(cfg.circuits)
    catalog = circuits.catalog(cfg.circuits, cfg.seed)
    stabilizer = cfg.backend.kind == "aer" and cfg.backend.method == "stabilizer"
    requested = _primitive_plans(cfg)
    planned = len(jobs) if jobs else len(_partition(cfg, catalog, requested)) if catalog else 2
    workers = default_workers(_count(cfg, catalog), planned, cfg.transpile.workers)
    least_busy = cfg.backend.kind == "ibm" and not cfg.backend.name  # needs the widest circuit
    connected: list[_Connection] = []
    surveyed = None
    if catalog is None or (stabilizer and any(i.clifford is None for i in catalog)):
        # QASM files, or circuits the stabilizer method must see: build and check every
        # circuit before anything runs, while this process connects. The checking workers
        # are forked before the runtime is imported, the transpiling ones after, so that
        # they share its imports (the transpiler loads the runtime's plugins).
        surveyor = _preparer(cfg, None, workers, check_clifford=stabilizer, prims=requested)
        try:
            catalog = surveyed = surveyor.survey(
                _count(cfg, catalog),
                meanwhile=None if least_busy else lambda: connected.append(_connect(cfg, None)),
            )
        finally:
            surveyor.close(wait=True)
    backend, service, settled = connected[0] if connected else _connect(cfg, catalog)
    _check(cfg, catalog, backend, stabilizer)
    for name, prim in settled.items():
        _check_executor_support(cfg, primitive_configs(cfg)[name], catalog, prim.implementation)
    if jobs is None:
        jobs = _partition(cfg, catalog, settled)
    preparer = _preparer(
        cfg, backend, workers, check_clifford=stabilizer, surveyed=surveyed, prims=settled
    )
    if preparer.pool is not None and hasattr(backend, "offload"):
        backend.offload = preparer.simulate  # jobs simulate in the workers (qexp.backends.offload)
    return RunPlan(
        catalog=catalog,
        backend=backend,
        service=service,
        jobs=jobs,
        preparer=preparer,
        primitives=settled,
        seed=cfg.seed,
        generator=cfg.circuits.name,
        policy=_policy(cfg),
        check=checks.build(cfg.check),
        mitigation=_mitigation(cfg),
        transpile_cache=_transpile_cache(cfg),
        identity=identity(cfg),
        max_executions=cfg.partition.max_executions,
        priced=cfg.backend.kind in QPU_KINDS,
    )


def _primitive_plans(cfg: QexpConfig) -> dict[str, PrimitivePlan]:
    """Each primitive's settings, its implementation as requested (`auto` is settled once
    the backend is known)."""
    return {
        name: PrimitivePlan(
            name=prim.name,
            implementation=prim.implementation,
            shots=prim.shots,
            precision=getattr(prim, "precision", None) if prim.shots is None else None,
            observables=tuple(prim.observables) if getattr(prim, "observables", None) else None,
            options=options.plain(prim.options),
        )
        for name, prim in primitive_configs(cfg).items()
    }


def _policy(cfg: QexpConfig) -> RunPolicy:
    run = cfg.run
    return RunPolicy(
        max_retries=run.max_retries,
        retry_backoff=run.retry_backoff,
        poll_interval=run.poll_interval,
        progress=run.progress,
        max_execution_time=run.max_execution_time,
        shared_batch=run.batch == "shared",
        dry_run=run.dry_run,
        max_qpu_seconds=run.max_qpu_seconds,
    )


def _mitigation(cfg: QexpConfig) -> MitigationPlan | None:
    m3 = cfg.mitigation
    return None if m3 is None else MitigationPlan(shots=m3.shots, method=m3.method)


def _transpile_cache(cfg: QexpConfig) -> TranspileCachePlan:
    folder = str(cfg.transpile.cache_dir or default_dir()) if cfg.transpile.cache else None
    return TranspileCachePlan(folder=folder, max_mb=cfg.transpile.cache_max_mb)


def identity(cfg: QexpConfig) -> dict[str, Any]:
    """What the run's jobs were planned with, beyond its circuits: resume checks it."""
    return {
        "backend": dict(vars(cfg.backend)),
        "primitive": {
            name: {
                "shots": prim.shots,
                "precision": getattr(prim, "precision", None) if prim.shots is None else None,
                **({"options": options.plain(prim.options)} if prim.options else {}),
            }
            for name, prim in primitive_configs(cfg).items()
        },
        "partition": {
            "max_circuits": cfg.partition.max_circuits,
            "max_executions": cfg.partition.max_executions,
        },
    }


class _Connection(NamedTuple):
    backend: BackendV2
    service: Any
    primitives: dict[str, PrimitivePlan]
    """Each primitive settled: its implementation, its options checked and finalized."""


def _connect(cfg: QexpConfig, catalog: list[CircuitInfo] | None) -> _Connection:
    """The backend (a service round trip on IBM; least_busy needs the `catalog`) and each
    primitive settled, after the runtime's imports (most of a second), whose options
    models check `primitive.options`."""
    import_runtime()
    widest = max((info.num_qubits for info in catalog or ()), default=1)
    backend, service = backends.connect(cfg.backend, widest)
    configs = primitive_configs(cfg)
    settled = {
        name: _settle(cfg, prim, _key(configs, name), service is None)
        for name, prim in _primitive_plans(cfg).items()
    }
    return _Connection(backend, service, settled)


def _key(configs: dict[str, Any], name: str) -> str:
    """`primitive`, or `primitive.<name>` in a run of several: where its keys are."""
    return "primitive" if len(configs) == 1 else f"primitive.{name}"


def _settle(cfg: QexpConfig, prim: PrimitivePlan, key: str, local: bool) -> PrimitivePlan:
    """The implementation that honours every option set, the options checked by its
    model, and finalized as the primitive will run them."""
    implementation, why = _implementation(cfg, prim, key)
    options.check(prim.name, implementation, prim.options, key, local)
    chosen = primitives.local_defaults(
        prim.name, prim.options, local and implementation == "executor"
    )
    made = options.build(prim.name, implementation, chosen)
    finalized = options.finalized(prim.name, implementation, made)
    return replace(prim, implementation=implementation, finalized=finalized, why=why)


QPU_KINDS = ("ibm", "fake")
"""Backends with an IBM device's target: real devices and their fake twins."""


def survey_digests(plan: RunPlan) -> list[str | None]:
    """Every circuit's digest as it is now (resume compares them with the run's): from the
    plan's own survey when it built every circuit, else built again."""
    if all(info.digest is not None for info in plan.catalog):
        return [info.digest for info in plan.catalog]
    return [info.digest for info in plan.preparer.survey(plan.num_circuits)]


def _count(cfg: QexpConfig, catalog: list[CircuitInfo] | None = None) -> int:
    if catalog is not None:
        return len(catalog)
    from qexp.circuits import qasm

    return len(qasm.files(cfg.circuits.path))


def _partition(
    cfg: QexpConfig, catalog: list[CircuitInfo], prims: dict[str, PrimitivePlan]
) -> list[JobPlan]:
    """Jobs within IBM's limits, each circuit costing what its primitive and options make
    it execute (`options.executions_per_point`)."""
    costs = {
        name: [info.num_points * primitives.executions_per_point(prim) for info in catalog]
        for name, prim in prims.items()
    }
    limits = (cfg.partition.max_circuits, cfg.partition.max_executions)
    if cfg.mitigation is not None:  # each range's calibration job beside its Sampler job
        return partition.plan_mixed(costs, *limits, extra=(CALIBRATION,))
    if len(costs) == 1:
        (prim,) = primitive_configs(cfg).values()
        return partition.plan_jobs(
            next(iter(costs.values())), *limits, primitives.fewer_shots(prim)
        )
    return partition.plan_mixed(costs, *limits)


def _preparer(
    cfg: QexpConfig,
    backend: BackendV2 | None,
    workers: int,
    check_clifford: bool = False,
    surveyed: list[CircuitInfo] | None = None,
    prims: dict[str, PrimitivePlan] | None = None,
) -> Preparer:
    target = backend.target if backend is not None else None
    cache_dir = _transpile_cache(cfg).folder if target is not None else None
    context = PrepareContext(
        circuits=cfg.circuits,
        primitives=_primitive_plans(cfg) if prims is None else prims,
        seed=cfg.seed,
        target=target,
        optimization_level=cfg.transpile.optimization_level,
        transpile_seed=derive_seed(cfg.seed, "transpile"),
        cache_dir=cache_dir,
        target_fingerprint=transpile.target_fingerprint(target) if cache_dir else "",
        check_clifford=check_clifford,
        max_exact_qubits=cfg.metrics.max_exact_qubits,
        mitigation=_mitigation(cfg),
        device_noise=getattr(backend, "noise", None),
    )
    return Preparer(context, workers, surveyed)


def _check(
    cfg: QexpConfig, catalog: list[CircuitInfo], backend: BackendV2, stabilizer: bool
) -> None:
    _check_width(cfg, catalog, backend)
    if stabilizer:
        _check_clifford(catalog)
    if "estimator" in primitive_configs(cfg):
        _check_observables(primitive_configs(cfg)["estimator"], catalog)
    checks.validate(cfg.check, list(primitive_configs(cfg)), catalog)


def _check_width(cfg: QexpConfig, catalog: list[CircuitInfo], backend: BackendV2) -> None:
    available = backend.num_qubits
    too_wide = sorted({i.num_qubits for i in catalog if i.num_qubits > available})
    if too_wide:
        key = "circuits.path" if cfg.circuits.name == "qasm" else "circuits.num_qubits"
        raise ConfigError(
            key,
            too_wide,
            f"at most {available} qubits, the size of backend {backends.describe(backend)}",
            f"use circuits of at most {available} qubits in {key}, or a larger backend, e.g. "
            "backend=fake backend.name=FakeTorino",
        )


def _check_clifford(catalog: list[CircuitInfo]) -> None:
    """The stabilizer method simulates Clifford circuits only."""
    for index, info in enumerate(catalog):
        if info.clifford is False or info.clifford is None:
            what = info.source or f"circuit {index}"
            raise ConfigError(
                "backend.method",
                "stabilizer",
                f"a method that can simulate {what}, which is not a Clifford circuit",
                "use backend.method=automatic (or extended_stabilizer)",
            )


def _check_observables(estimator: Any, catalog: list[CircuitInfo]) -> None:
    """Every observable as wide as every circuit; checked per width, not per circuit."""
    seen: set[tuple[int, tuple[str, ...]]] = set()
    for info in catalog:
        labels = tuple(estimator.observables or info.observables)
        if (info.num_qubits, labels) not in seen:
            seen.add((info.num_qubits, labels))
            primitives.check_observables(labels, info.num_qubits, info.source)


def _check_executor_support(
    cfg: QexpConfig, primitive: Any, catalog: list[CircuitInfo], implementation: str
) -> None:
    """The executor Estimator cannot bind parameters of AerSimulator's native rotations."""
    parameterized = any(info.num_points > 1 for info in catalog) or cfg.circuits.name == "ansatz"
    if (
        implementation == "executor"
        and primitive.name == "estimator"
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


def _implementation(cfg: QexpConfig, primitive: PrimitivePlan, key: str) -> tuple[str, str]:
    requested = primitive.implementation
    if cfg.backend.kind == "flaky":
        if requested == "executor":
            raise ConfigError(
                "primitive.implementation",
                requested,
                "auto or v2 with backend=flaky (its failures are injected on the v2 local path)",
                "set primitive.implementation=auto",
            )
        if client_side := options.needs_client_side(primitive.options):
            raise ConfigError(
                f"{key}.options.{client_side[0]}",
                options.flatten(primitive.options)[client_side[0]],
                "an option backend=flaky can run: its failures are injected on the v2 local "
                "path, which leaves twirling, dynamical decoupling and mitigation to a service",
                f"drop {key}.options.{client_side[0]}, or use backend=fake",
            )
        return "v2", ""
    if requested == "v2" and not primitives.v2_available():
        raise ConfigError(
            "primitive.implementation",
            requested,
            "auto or executor: this qiskit-ibm-runtime no longer has SamplerV2/EstimatorV2",
            "set primitive.implementation=auto",
        )
    return options.choose(
        requested,
        primitive.name,
        primitive.options,
        on_ibm=cfg.backend.kind == "ibm",
        v2_available=primitives.v2_available(),
        key=key,
    )
