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

from dataclasses import dataclass

from qiskit import QuantumCircuit

from qexp.constants import CALIBRATION
from qexp.errors import QexpError
from qexp.plan import cost
from qexp.plan.partition import JobPlan
from qexp.plan.prepare import PreparedJob
from qexp.plan.run_plan import RunPlan


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

    def describe(self) -> str:
        qpu = "-" if self.qpu_seconds is None else f"~{self.qpu_seconds:.2f} s"
        return (
            f"{self.circuits} circuits, {self.jobs} jobs, {self.executions} executions, "
            f"widest ISA circuit {self.widest} qubits, QPU time {qpu}"
        )


def estimate(plan: RunPlan, jobs: list[JobPlan] | None = None) -> PlanEstimate:
    """Transpile every job of `plan` (or just `jobs`) as the run would, and price it."""
    jobs = plan.jobs if jobs is None else jobs
    futures = [plan.preparer.prepare(job) for job in jobs]
    timed = [_timed(plan, job, future.result()) for job, future in zip(jobs, futures, strict=True)]
    circuits = sorted({i for job in jobs for i in job.circuits})
    seconds, per_job = None, None
    if plan.priced:
        target, delay = plan.backend.target, rep_delay(plan.backend)
        per_job = {
            j.index: cost.job_seconds(t, target, delay) for j, t in zip(jobs, timed, strict=True)
        }
        seconds = sum(per_job.values())
    return PlanEstimate(
        circuits=len(circuits),
        jobs=len(jobs),
        executions=sum(n for pubs in timed for _, n in pubs),
        widest=max((active_qubits(c) for pubs in timed for c, _ in pubs), default=0),
        qpu_seconds=seconds,
        per_job=per_job,
    )


def job_seconds(plan: RunPlan, job: JobPlan, prepared: PreparedJob) -> float | None:
    """One prepared job's QPU seconds (IBM's baseline); None where the backend is not priced."""
    if not plan.priced:
        return None
    return cost.job_seconds(
        _timed(plan, job, prepared), plan.backend.target, rep_delay(plan.backend)
    )


def _timed(plan: RunPlan, job: JobPlan, prepared: PreparedJob) -> list[cost.TimedPub]:
    """Each PUB's ISA circuit, as the service times it, and its executions."""
    pubs = prepared.pubs()
    per_point = plan.primitive(job).shots_per_execution
    runs = [plan.catalog[i].num_points * per_point for i in job.circuits]
    if job.primitive == CALIBRATION:  # its own circuits, each PUB with its shots
        runs = [pub[2] for pub in pubs]
    return [(_measured(pub[0]), n) for pub, n in zip(pubs, runs, strict=True)]


def rep_delay(backend: object) -> float:
    """The backend's delay between executions, else IBM's usual 250 us."""
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
