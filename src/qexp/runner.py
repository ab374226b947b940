"""Run one experiment: plan it, push its jobs through a Batch, write one file per job.

The runner knows nothing of Hydra: it takes a checked `QexpConfig`, the run folder and the
config text to store in every file, and returns a `RunReport` or raises a `QexpError`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qiskit.primitives import PrimitiveResult

from qexp import checks, estimate, primitives, store, transpile
from qexp.config.schema import QexpConfig
from qexp.constants import JOBS_DIR
from qexp.errors import RunError, RunInterrupted
from qexp.execute import BatchLoop, Hooks, Outcome, Policy
from qexp.manifest import Manifest, now
from qexp.partition import JobPlan
from qexp.plan import RunPlan, make_plan
from qexp.progress import Progress
from qexp.seeds import derive_seed

log = logging.getLogger(__name__)

LOCAL_POLL, CLOUD_POLL = 0.02, 5.0


@dataclass
class PreparedJob:
    """A job ready to submit: its ISA PUBs and what its file will store beside results."""

    pubs: list[tuple]
    stored: list[store.StoredPub]


@dataclass
class RunReport:
    run_dir: Path
    backend: str
    primitive: str
    implementation: str
    num_circuits: int
    jobs: dict[str, int]
    files: list[Path]
    elapsed: float
    stopped: str | None = None
    planned: str | None = None
    """For a dry run: the jobs that would be submitted."""

    @property
    def complete(self) -> bool:
        return self.jobs.get("done", 0) == sum(self.jobs.values())


def run(cfg: QexpConfig, run_dir: Path, config_yaml: str) -> RunReport:
    """Plan, execute and report a fresh run into `run_dir`."""
    started = time.monotonic()
    plan = make_plan(cfg)
    if cfg.run.dry_run:
        return RunReport(
            run_dir,
            plan.backend_name,
            cfg.primitive.name,
            plan.implementation,
            len(plan.specs),
            jobs={"planned": len(plan.jobs)},
            files=[],
            elapsed=time.monotonic() - started,
            planned=describe_plan(plan),
        )
    log.info(
        "%d circuits (%s) in %d jobs, %s (%s) on %s",
        len(plan.specs),
        cfg.circuits.name,
        len(plan.jobs),
        cfg.primitive.name,
        plan.implementation,
        plan.backend_name,
    )
    estimate.check_budget(plan)
    run_dir.mkdir(parents=True, exist_ok=True)
    manifest = Manifest.create(run_dir, plan.jobs, manifest_info(plan))
    return execute(plan, manifest, run_dir, config_yaml, plan.jobs, started=started)


def execute(
    plan: RunPlan,
    manifest: Manifest,
    run_dir: Path,
    config_yaml: str,
    todo: list[JobPlan],
    attach: list[tuple[JobPlan, str]] | None = None,
    started: float | None = None,
) -> RunReport:
    """Submit `todo` (and re-attach `attach`) in a Batch; raise RunError unless all is done."""
    started = time.monotonic() if started is None else started
    (run_dir / JOBS_DIR).mkdir(parents=True, exist_ok=True)
    job_files = JobFiles(plan, manifest, run_dir, config_yaml)
    cfg = plan.config
    done_before = manifest.counts()["done"]
    with Progress(len(manifest.jobs), cfg.run.progress, done=done_before) as progress:
        hooks = Hooks(
            open_batch=lambda: _open_batch(plan),
            prepare=lambda job: prepare(plan, job),
            submit=lambda batch, prepared, job, attempt: _submit(plan, batch, prepared, job),
            on_result=job_files.on_result,
            progress=progress,
            attach=(lambda job_id: plan.service.job(job_id)) if plan.service else None,
        )
        loop = BatchLoop(manifest, hooks, _policy(cfg, plan))
        outcome = loop.run(todo, attach or [])
    report = _report(plan, manifest, run_dir, outcome, time.monotonic() - started)
    if outcome.stopped == "interrupted":
        counts = ", ".join(f"{n} {s}" for s, n in report.jobs.items() if n)
        raise RunInterrupted(
            f"interrupted ({counts}); resume with: python -m qexp.resume {run_dir}"
        )
    if outcome.stopped:
        manifest.info["stopped"] = outcome.stopped
        manifest.save()
    if outcome.stopped or not report.complete:
        raise RunError(_failure_message(report, manifest))
    return report


def prepare(plan: RunPlan, job: JobPlan) -> PreparedJob:
    """Transpile one partition to ISA PUBs; called just before the job is submitted."""
    cfg = plan.config
    stored = stored_pubs(plan, job)
    logical = [primitives.logical_circuit(cfg.primitive, p.spec) for p in stored]
    isa = transpile.to_isa(plan.pass_manager, logical)
    pubs = [
        primitives.build_pub(cfg.primitive, p.spec, c) for p, c in zip(stored, isa, strict=True)
    ]
    return PreparedJob(pubs=pubs, stored=stored)


def stored_pubs(plan: RunPlan, job: JobPlan) -> list[store.StoredPub]:
    """What the job's file keeps beside the results: logical circuits and observables."""
    prim = plan.config.primitive
    return [
        store.StoredPub(
            index=i,
            spec=plan.specs[i],
            observables=(
                primitives.observables_for(prim, plan.specs[i])
                if prim.name == "estimator"
                else None
            ),
        )
        for i in job.circuits
    ]


class JobFiles:
    """Writes each job's HDF5 file the moment its result arrives, then runs the check."""

    def __init__(self, plan: RunPlan, manifest: Manifest, run_dir: Path, config_yaml: str):
        self.plan, self.manifest, self.run_dir = plan, manifest, run_dir
        self.config_yaml = config_yaml
        self.check = checks.build(plan.config.check)

    def on_result(
        self, job: JobPlan, prepared: PreparedJob | None, runtime_job: Any, result: PrimitiveResult
    ) -> str | None:
        stored = prepared.stored if prepared else stored_pubs(self.plan, job)  # re-attached
        entry = self.manifest.jobs[job.index]
        attempt = entry.attempts[-1] if entry.attempts else None
        store.write_job(
            self.run_dir / entry.file,
            attrs=self._attrs(job, runtime_job, attempt, len(entry.attempts)),
            pubs=stored,
            result=result,
        )
        if self.check is None:
            return None
        try:
            verdict = self.check(result, [p.spec for p in stored])
        except Exception as exc:  # a user's check that crashes fails, it does not crash qexp
            return f"the check raised {type(exc).__name__}: {exc}"
        return None if verdict.ok else verdict.message

    def _attrs(self, job: JobPlan, runtime_job: Any, attempt: Any, attempts: int) -> dict:
        cfg = self.plan.config
        prim = cfg.primitive
        return {
            "job_index": job.index,
            "job_id": runtime_job.job_id(),
            "batch_id": (attempt.batch_id if attempt else None) or "",
            "backend": self.plan.backend_name,
            "primitive": prim.name,
            "implementation": self.plan.implementation,
            "shots": prim.shots,
            "precision": prim.precision
            if prim.name == "estimator" and prim.shots is None
            else None,
            "submitted": attempt.submitted if attempt else now(),
            "finished": now(),
            "config_yaml": self.config_yaml,
            "num_circuits_in_run": len(self.plan.specs),
            "seed": cfg.seed,
            "attempt": attempts,
        }


def _open_batch(plan: RunPlan) -> Any:
    from qiskit_ibm_runtime import Batch

    return Batch(backend=plan.backend)


def _submit(plan: RunPlan, batch: Any, prepared: PreparedJob, job: JobPlan) -> Any:
    """Same seed on every attempt: a retried job gives the bits the first try would have."""
    cfg = plan.config
    seed = derive_seed(cfg.seed, "simulator", job.index) if plan.local else None
    primitive = primitives.make(cfg.primitive, plan.implementation, batch, seed, plan.local)
    return primitive.run(prepared.pubs)


def _policy(cfg: QexpConfig, plan: RunPlan) -> Policy:
    poll = cfg.run.poll_interval or (LOCAL_POLL if plan.local else CLOUD_POLL)
    return Policy(
        max_retries=cfg.run.max_retries,
        backoff=cfg.run.retry_backoff,
        poll_interval=poll,
        local=plan.local,
    )


def manifest_info(plan: RunPlan) -> dict[str, Any]:
    cfg = plan.config
    return {
        "backend": plan.backend_name,
        "primitive": cfg.primitive.name,
        "implementation": plan.implementation,
        "num_circuits": len(plan.specs),
        "seed": cfg.seed,
    }


def _report(
    plan: RunPlan, manifest: Manifest, run_dir: Path, outcome: Outcome, elapsed: float
) -> RunReport:
    return RunReport(
        run_dir=run_dir,
        backend=plan.backend_name,
        primitive=plan.config.primitive.name,
        implementation=plan.implementation,
        num_circuits=len(plan.specs),
        jobs=manifest.counts(),
        files=[run_dir / j.file for j in manifest.jobs if j.status == "done"],
        elapsed=elapsed,
        stopped=outcome.stopped,
    )


def _failure_message(report: RunReport, manifest: Manifest) -> str:
    lines = []
    if report.stopped:
        lines.append(f"run stopped: {report.stopped}")
    for job in manifest.jobs:
        if job.status != "done":
            last = job.last
            why = f" ({last.error_class}: {last.error})" if last and last.error else ""
            lines.append(f"job {job.index}: {job.status}{why}")
    counts = ", ".join(f"{n} {s}" for s, n in report.jobs.items() if n)
    lines.append(f"{counts}. Files of finished jobs are complete in {report.run_dir / JOBS_DIR}.")
    lines.append(f"Resume with: python -m qexp.resume {report.run_dir}")
    return "\n".join(lines)


def describe_plan(plan: RunPlan, limit: int = 10) -> str:
    """The jobs a run would submit, with IBM's execution counts: the cost, known first."""
    cfg = plan.config
    costs = [
        sum(primitives.executions(cfg.primitive, plan.specs[i]) for i in job.circuits)
        for job in plan.jobs
    ]
    lines = [
        f"qexp: dry run, nothing submitted: {len(plan.specs)} circuits in {len(plan.jobs)} "
        f"jobs, {cfg.primitive.name} ({plan.implementation}) on {plan.backend_name}",
        f"  executions: {sum(costs)} in all, at most {max(costs)} per job "
        f"(partition.max_executions={cfg.partition.max_executions})",
        f"  plan: {estimate.estimate(plan).describe()}",
    ]
    for job, cost in list(zip(plan.jobs, costs, strict=True))[:limit]:
        first, last = job.circuits[0], job.circuits[-1]
        lines.append(f"  job {job.index}: circuits {first}-{last}, {cost} executions")
    if len(plan.jobs) > limit:
        lines.append(f"  ... and {len(plan.jobs) - limit} more jobs")
    return "\n".join(lines)


def summary(report: RunReport) -> str:
    """A few lines for the terminal: where the files are and what ran."""
    if report.planned:
        return report.planned
    counts = ", ".join(f"{n} {s}" for s, n in report.jobs.items() if n)
    lines = [
        f"qexp: {report.num_circuits} circuits, {report.primitive} ({report.implementation}) on "
        f"{report.backend}: {counts} in {report.elapsed:.1f} s",
        f"  run folder: {report.run_dir}",
    ]
    lines += [f"  {path.relative_to(report.run_dir)}" for path in report.files]
    lines.append(
        f"  look: python -m qexp.show {report.run_dir}   plots: python -m qexp.report "
        f"{report.run_dir}"
    )
    return "\n".join(lines)
