"""A run's plan and cost before it spends anything: circuits, jobs, executions, QPU time.

The ISA circuits are the ones the run would submit (the plan's own preparer, in parallel,
through the transpile cache, so the run that follows transpiles nothing again), so the
estimate sees the same layout, routing and gates. QPU time is estimated only where the
backend is an IBM device or its fake twin (same target, same durations); `qexp.plan.cost` says
how, from which source, and how rough it is. Each job's figure is kept in the manifest,
beside what the service bills it; `qexp.run.budget` holds the sum against
`run.max_qpu_seconds` and the instance's allocation.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from qiskit import QuantumCircuit

from qexp.constants import CALIBRATION
from qexp.errors import QexpError
from qexp.plan import cost, options, primitives
from qexp.plan.partition import JobPlan
from qexp.plan.prepare import PreparedJob
from qexp.plan.run_plan import PrimitivePlan, RunPlan


class BudgetExceeded(QexpError):
    """What was spent plus the estimate of what is about to be submitted is above
    `run.max_qpu_seconds` (`qexp.run.budget`): nothing more is submitted."""

    exit_code = 2


@dataclass(frozen=True)
class PlanEstimate:
    circuits: int
    jobs: int
    executions: int
    widest: int
    """Qubits the widest ISA circuit acts on."""
    qpu_seconds: float | None
    """None where the backend has no QPU (aer, flaky)."""
    per_job: dict[int, float] | None = None
    """Each job's QPU seconds by job index, where priced."""
    executions_per_job: tuple[int, ...] = ()
    """Each job's executions, in the order of the jobs priced."""

    def describe(self) -> str:
        qpu = "-" if self.qpu_seconds is None else f"~{self.qpu_seconds:.2f} s"
        return (
            f"{self.circuits} circuits, {self.jobs} jobs, {self.executions} executions, "
            f"widest ISA circuit {self.widest} qubits, QPU time {qpu}"
        )


def estimate(plan: RunPlan, jobs: list[JobPlan] | None = None) -> PlanEstimate:
    """Transpile every job of `plan` (or just `jobs`) as the run would, and price it.

    Executions are counted as the service will count them: an executor primitive's job is
    what the runtime's own client builds from its PUBs and options (its measurement
    bases, twirling randomizations, TREX's learning circuits, ZNE's noise factors); a v2
    job is its parameter sets x shots, times what its options add on the service
    (`options.executions_per_point`).
    """
    jobs = plan.jobs if jobs is None else jobs
    futures = [plan.preparer.prepare(job) for job in jobs]
    timed = [_timed(plan, job, future.result()) for job, future in zip(jobs, futures, strict=True)]
    circuits = sorted({i for job in jobs for i in job.circuits})
    seconds, per_job = None, None
    if plan.priced:
        target = plan.backend.target
        per_job = {
            j.index: cost.job_seconds(t, target, _delay(plan, j))
            for j, t in zip(jobs, timed, strict=True)
        }
        seconds = sum(per_job.values())
    executions = tuple(sum(n for _, n in pubs) for pubs in timed)
    return PlanEstimate(
        circuits=len(circuits),
        jobs=len(jobs),
        executions=sum(executions),
        widest=max((active_qubits(c) for pubs in timed for c, _ in pubs), default=0),
        qpu_seconds=seconds,
        per_job=per_job,
        executions_per_job=executions,
    )


def job_seconds(plan: RunPlan, job: JobPlan, prepared: PreparedJob) -> float | None:
    """One prepared job's QPU seconds (IBM's baseline); None where the backend is not priced."""
    if not plan.priced:
        return None
    return cost.job_seconds(_timed(plan, job, prepared), plan.backend.target, _delay(plan, job))


def _timed(plan: RunPlan, job: JobPlan, prepared: PreparedJob) -> list[cost.TimedPub]:
    """Each circuit the service will run for this job, as it times it, and its executions."""
    pubs = prepared.pubs()
    prim = plan.primitive(job)
    if job.primitive == CALIBRATION:  # its own circuits, each PUB with its shots
        return [(_measured(pub[0]), pub[2]) for pub in pubs]
    if prim.implementation == "executor":
        return _as_programmed(prim, pubs, plan)
    per_point = primitives.executions_per_point(prim)
    runs = [plan.catalog[i].num_points * per_point for i in job.circuits]
    return [(_measured(pub[0]), n) for pub, n in zip(pubs, runs, strict=True)]


def _as_programmed(prim: PrimitivePlan, pubs: list[tuple], plan: RunPlan) -> list[cost.TimedPub]:
    """The circuits the runtime's client would send for these PUBs, each with its
    executions (items x shots), from the same options the job runs with."""
    chosen = primitives.local_defaults(prim.name, prim.options, plan.local)
    made = options.build(prim.name, "executor", chosen)
    if prim.shots is not None:
        made.default_shots = prim.shots
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if prim.name == "sampler":
            from qiskit_ibm_runtime.executor_sampler.prepare import prepare
        else:
            from qiskit_ibm_runtime.executor_estimator.prepare import prepare
        program, _ = prepare(pubs, made, None, backend=plan.backend)
    return [(item.circuit, item.size() * program.shots) for item in program.items]


def _delay(plan: RunPlan, job: JobPlan) -> float:
    return rep_delay(plan.backend, plan.primitive(job).options)


def rep_delay(backend: object, chosen: dict | None = None) -> float:
    """The delay between executions: `execution.rep_delay` where the options set it, else
    the backend's own, else IBM's usual 250 us."""
    value = ((chosen or {}).get("execution") or {}).get("rep_delay")
    if value is not None:
        return float(value)
    value = getattr(backend, "default_rep_delay", None)
    if value is None and hasattr(backend, "configuration"):
        value = getattr(backend.configuration(), "default_rep_delay", None)
    return float(value) if value is not None else cost.DEFAULT_REP_DELAY_S


def active_qubits(circuit: QuantumCircuit) -> int:
    """Qubits some instruction other than a barrier acts on: an ISA circuit's real width."""
    used = {
        circuit.find_bit(q).index
        for inst in circuit.data
        if inst.operation.name != "barrier"
        for q in inst.qubits
    }
    return len(used)


def _measured(isa: QuantumCircuit) -> QuantumCircuit:
    """Estimator PUBs are measured by the service: time them with their measurements."""
    if any(inst.operation.name == "measure" for inst in isa.data):
        return isa
    return isa.measure_active(inplace=False)
