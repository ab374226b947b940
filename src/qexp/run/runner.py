"""Run one experiment: plan it, push its jobs through a Batch, write one file per job.

The runner knows nothing of Hydra or of the config: `run` hands a checked `QexpConfig` to
`make_plan` and works from the `RunPlan` it gets back (`run_plan` takes one directly), with
the run folder and the config's text, which every job file keeps. It returns a `RunReport`
or raises a `QexpError`.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from qexp.backends import flaky
from qexp.cli import command
from qexp.config.schema import QexpConfig
from qexp.constants import JOBS_DIR
from qexp.errors import RunError, RunInterrupted
from qexp.plan import estimate, options, primitives
from qexp.plan.make import make_plan
from qexp.plan.partition import JobPlan
from qexp.plan.prepare import PreparedJob
from qexp.plan.run_plan import RunPlan
from qexp.plan.transpile_cache import TranspileCache
from qexp.run import bill, budget, job_tags, shared_batch
from qexp.run.batch_loop import BatchLoop, Hooks, Outcome, Policy
from qexp.run.lock import RunLock
from qexp.run.progress import Progress
from qexp.seeds import derive_seed
from qexp.store import run_folder
from qexp.store.bill import SERVICE, Spending, spending
from qexp.store.manifest import Manifest, record_digests, what_resume_does
from qexp.text import format_indices

log = logging.getLogger(__name__)

LOCAL_POLL, CLOUD_POLL = 0.02, 5.0
LOCAL_LEDGER_LAG = 0.5
"""Seconds a local run's ledger may lag its jobs (`Manifest.lag`)."""


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


def run(cfg: QexpConfig, run_dir: Path, config_yaml: str, point: int | None = None) -> RunReport:
    """Plan, execute and report a fresh run into `run_dir` (`point`: its number in a sweep).

    The run holds the folder's lock throughout: no second process works in it meanwhile.
    """
    with RunLock(run_dir):
        started = time.monotonic()
        with closing(make_plan(cfg)) as plan:
            return run_plan(plan, run_dir, config_yaml, point, started)


@contextmanager
def closing(plan: RunPlan) -> Iterator[RunPlan]:
    """`plan`, its worker processes stopped at the end. A run that ends well waits for its
    idle workers to end (at once): a pool still shutting down when the interpreter exits
    races Python 3.11's exit handler, which then prints "Exception ignored ... Bad file
    descriptor" (closed in CPython 3.12). A stopped run does not wait for what they hold."""
    try:
        yield plan
    except BaseException:
        plan.close()
        raise
    plan.close(wait=True)


def run_plan(
    plan: RunPlan,
    run_dir: Path,
    config_yaml: str,
    point: int | None = None,
    started: float | None = None,
) -> RunReport:
    """Execute a planned run into a fresh `run_dir` (or, for a dry run, describe it)."""
    started = time.monotonic() if started is None else started
    if plan.policy.dry_run:
        planned = describe_plan(plan)
        run_folder.record_dry_run(run_dir, planned)  # never resumed into a real run
        return RunReport(
            run_dir,
            plan.backend_name,
            plan.primitive_name,
            plan.implementation,
            plan.num_circuits,
            jobs={"planned": len(plan.jobs)},
            files=[],
            elapsed=time.monotonic() - started,
            planned=planned,
        )
    log.info(
        "%d circuits (%s) in %d jobs, %s (%s) on %s",
        plan.num_circuits,
        plan.generator,
        len(plan.jobs),
        plan.primitive_name,
        plan.implementation_note,
        plan.backend_name,
    )
    for line in _options_lines(plan):
        log.info("%s", line)
    manifest = admit(plan, run_dir, plan.jobs, None, point)
    return execute(plan, manifest, run_dir, config_yaml, plan.jobs, started=started)


def admit(
    plan: RunPlan,
    run_dir: Path,
    todo: list[JobPlan],
    manifest: Manifest | None,
    point: int | None = None,
) -> Manifest:
    """Hold the jobs about to be submitted against the instance's allocation and the QPU
    time cap, with what this run (`manifest`, if it has one) and its sweep spent; then the
    ledger reserves them (created here for a fresh run). Raises before anything is
    submitted."""
    usage = budget.remaining_allocation(plan)
    found = budget.price(plan, todo, usage)
    budget.check_allocation(plan, found, usage)
    estimates = found.per_job if found is not None else None
    with budget.admission(run_dir) as elsewhere:
        own = spending(manifest) if manifest is not None else Spending()
        budget.check_cap(plan, found, elsewhere + replace(own, to_submit=0.0), run_dir)
        if manifest is None:
            run_dir.mkdir(parents=True, exist_ok=True)
            info = manifest_info(plan, point)
            return Manifest.create(run_dir, plan.jobs, info, estimates)
        if estimates:
            manifest.set_estimates(estimates)
        return manifest


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
    manifest.ids_durable = not plan.local
    manifest.lag = LOCAL_LEDGER_LAG if plan.local else 0.0
    from qexp.run.writer import JobWriter  # here: it imports Aer, which waits for the check

    writer = JobWriter(
        manifest,
        run_dir,
        lambda job: job_attrs(plan, job, config_yaml),
        plan.check,
        elsewhere=plan.preparer.call if plan.preparer.pool is not None else None,
    )
    flaky.restore(plan.backend, manifest.info)
    transpiled = _TranspileCount()
    done_before = manifest.counts()["done"]
    try:
        with Progress(len(manifest.jobs), plan.policy.progress, done=done_before) as progress:
            shared = plan.policy.shared_batch and plan.service is not None
            hooks = Hooks(
                open_batch=lambda: _open_batch(plan, run_dir, manifest),
                close_batch=(lambda batch: None) if shared else (lambda batch: batch.close()),
                prepare=plan.preparer.prepare,
                submit=lambda batch, prepared, job: _submit(
                    plan, manifest, batch, prepared, job, transpiled
                ),
                write=writer.write,
                lookahead=plan.preparer.lookahead,
                progress=progress,
                attach=(lambda job_id: plan.service.job(job_id)) if plan.service else None,
                find=(lambda job: _find(plan, manifest, job)) if plan.service else None,
                duplicates=(lambda: duplicates(plan, manifest)) if plan.service else None,
                bill=(lambda index, job: bill.record(manifest, index, job).final)
                if plan.service
                else None,
                admit=lambda job: budget.admit_retry(plan, manifest, run_dir, job),
            )
            loop = BatchLoop(manifest, hooks, _policy(plan))
            outcome = loop.run(todo, attach or [])
    finally:
        writer.close()
    transpiled.report(plan)
    if plan.service is not None:
        _record_batch_usage(plan, manifest)
    if plan.mitigation is not None:
        _mitigate(run_dir, manifest)
    report = _report(plan, manifest, run_dir, outcome, time.monotonic() - started)
    if outcome.stopped == "interrupted":
        counts = ", ".join(f"{n} {s}" for s, n in report.jobs.items() if n)
        raise RunInterrupted(f"interrupted ({counts}); resume with: {command('resume', run_dir)}")
    if outcome.stopped:
        manifest.info["stopped"] = outcome.stopped
        manifest.save()
    if outcome.stopped or not report.complete:
        raise RunError(_failure_message(report, manifest))
    return report


def _record_batch_usage(plan: RunPlan, manifest: Manifest) -> None:
    """Each batch's usage as the service reports it, beside the run's own bills."""
    found = {batch_id: bill.batch_usage(plan.service, batch_id) for batch_id in manifest.batches()}
    manifest.info["batch_usage"] = {**manifest.info.get("batch_usage", {}), **found}
    manifest.save()
    log.info("%s", spending(manifest).describe())


def _mitigate(run_dir: Path, manifest: Manifest) -> None:
    """Mitigated files for the pairs of jobs now done; the raw files are complete already,
    so a failure here is said, and `load_table` tries again on first read."""
    from qexp.mitigation import runs

    try:
        runs.complete(run_dir, manifest)
    except Exception as exc:
        log.error(
            "readout mitigation failed (%s: %s); the raw results are complete",
            type(exc).__name__,
            exc,
        )


class _TranspileCount:
    """How many ISA circuits came from the cache: said once, at the end of the run."""

    def __init__(self) -> None:
        self.reused = self.transpiled = 0
        self.seen: set[int] = set()

    def add(self, prepared: PreparedJob) -> None:
        if prepared.index not in self.seen and prepared.transpiled_here:
            self.seen.add(prepared.index)
            self.reused += prepared.reused
            self.transpiled += len(prepared.records) - prepared.reused

    def report(self, plan: RunPlan) -> None:
        total = self.reused + self.transpiled
        settings = plan.transpile_cache
        if not total:
            return
        if settings.folder is None:
            log.info("transpiled %d circuits (transpile.cache=false)", total)
            return
        cache = TranspileCache(settings.folder, "")
        removed = cache.prune_now(settings.max_mb * 2**20) if self.transpiled else 0
        what = "nothing transpiled" if not self.transpiled else f"{self.transpiled} transpiled"
        log.info(
            "transpile cache: %d of %d circuits reused, %s (%s%s)",
            self.reused,
            total,
            what,
            cache.folder,
            f", {removed} old entries removed" if removed else "",
        )


def _open_batch(plan: RunPlan, run_dir: Path, manifest: Manifest) -> Any:
    """A fresh Batch, or, with `run.batch=shared` in a sweep on IBM Quantum, the sweep's
    one batch (locally batches have no id to share: the setting changes nothing there)."""
    from qiskit_ibm_runtime import Batch

    def fresh() -> Any:
        return Batch(backend=plan.backend)

    in_sweep = manifest.info.get("point") is not None
    if plan.policy.shared_batch and plan.service is not None and in_sweep:
        return shared_batch.open_shared(run_dir.parent, plan.service, fresh)
    return fresh()


def _submit(
    plan: RunPlan,
    manifest: Manifest,
    batch: Any,
    prepared: PreparedJob,
    job: JobPlan,
    transpiled: _TranspileCount,
) -> Any:
    """Same seed on every attempt: a retried job gives the bits the first try would have."""
    transpiled.add(prepared)
    record_digests(manifest, job.index, job.circuits, prepared.digests)
    entry = manifest.jobs[job.index]
    if entry.estimate is None and not plan.local:  # saved with the submission
        entry.estimate = estimate.job_seconds(plan, job, prepared)
    seed = derive_seed(plan.seed, "simulator", job.index) if plan.local else None
    settings = plan.primitive(job)
    primitive = primitives.make(
        settings,
        settings.implementation,
        batch,
        seed,
        plan.local,
        tags=None if plan.local else next_tags(manifest, job),
        max_execution_time=plan.policy.max_execution_time,
    )
    try:
        job = primitive.run(prepared.pubs())
    finally:
        flaky.remember(plan.backend, manifest.info)
    return flaky.watch(plan.backend, job)


def next_tags(manifest: Manifest, job: JobPlan) -> list[str]:
    """The tags of the job's next attempt: its run, index, attempt and sweep point."""
    attempt = len(manifest.jobs[job.index].attempts) + 1
    return job_tags.tags(manifest.info["run_id"], job.index, attempt, manifest.info.get("point"))


def _find(plan: RunPlan, manifest: Manifest, job: JobPlan) -> list[Any]:
    """The service's jobs created for this job's next attempt (a submission whose answer
    was lost), oldest first."""
    attempt = len(manifest.jobs[job.index].attempts) + 1
    jobs = job_tags.run_jobs(plan.service, manifest.info["run_id"], plan.backend_name)
    return [
        j
        for j in jobs
        if job_tags.parse(j.tags) == job_tags.JobTag(manifest.info["run_id"], job.index, attempt)
    ]


def duplicates(plan: RunPlan, manifest: Manifest) -> list[tuple[int, Any]]:
    """The run's jobs on the service that no attempt of the manifest holds: copies the
    client made when it re-sent a submission that had gone through."""
    run_id = manifest.info["run_id"]
    known = {a.job_id for entry in manifest.jobs for a in entry.attempts if a.job_id}
    found = []
    for index, jobs in job_tags.by_index(job_tags.run_jobs(plan.service, run_id), run_id).items():
        found += [(index, job) for job in jobs if job.job_id() not in known]
    return found


def _policy(plan: RunPlan) -> Policy:
    poll = plan.policy.poll_interval or (LOCAL_POLL if plan.local else CLOUD_POLL)
    return Policy(
        max_retries=plan.policy.max_retries,
        backoff=plan.policy.retry_backoff,
        poll_interval=poll,
        local=plan.local,
        max_running=_local_running(plan) if plan.local else None,
    )


RUNNING_PER_CORE = 4
"""Local jobs in flight per core while the worker processes simulate them (`offload`)."""


def _local_running(plan: RunPlan) -> int:
    """Local jobs in flight at once. Simulated in this process, one per core: more would
    only contend for the cores. Simulated in the worker processes, `RUNNING_PER_CORE` per
    core: each waits its turn in their queue, and holds its place from submission until its
    file is written, so with one per core the workers sat idle between jobs (150 jobs of 2
    circuits: workers busy half the time, 3.7 to 4.1 s; with four per core, 3.0 s)."""
    offloaded = getattr(plan.backend, "offload", None) is not None
    return _cores() * (RUNNING_PER_CORE if offloaded else 1)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def job_attrs(plan: RunPlan, job: JobPlan, config_yaml: str) -> dict[str, Any]:
    """The attributes the job's file carries about its run and its primitive."""
    prim = plan.primitive(job)
    return {
        "backend": plan.backend_name,
        "primitive": job.primitive or prim.name,
        "implementation": prim.implementation,
        "shots": prim.shots,
        "precision": prim.precision if prim.name == "estimator" and prim.shots is None else None,
        "config_yaml": config_yaml,
        "num_circuits_in_run": plan.num_circuits,
        "seed": plan.seed,
        "options_json": json.dumps(prim.options, sort_keys=True),
        "options_finalized_json": json.dumps(prim.finalized, sort_keys=True),
    }


def manifest_info(plan: RunPlan, point: int | None = None) -> dict[str, Any]:
    return {
        "run_id": uuid.uuid4().hex[:12],
        "point": point,
        "backend": plan.backend_name,
        "primitive": plan.primitive_name,
        "implementation": plan.implementation,
        "num_circuits": plan.num_circuits,
        "seed": plan.seed,
        "identity": plan.identity,
        "options": {
            name: {"set": prim.options, "finalized": prim.finalized}
            for name, prim in plan.primitives.items()
        },
        "billing": "none" if plan.local else SERVICE,
    }


def _options_lines(plan: RunPlan) -> list[str]:
    """The runtime options each primitive runs with, where any was set."""
    return [
        f"{name} options: {', '.join(options.describe(prim.options))}"
        for name, prim in plan.primitives.items()
        if prim.options
    ]


def _report(
    plan: RunPlan, manifest: Manifest, run_dir: Path, outcome: Outcome, elapsed: float
) -> RunReport:
    return RunReport(
        run_dir=run_dir,
        backend=plan.backend_name,
        primitive=plan.primitive_name,
        implementation=plan.implementation,
        num_circuits=plan.num_circuits,
        jobs=manifest.counts(),
        files=[run_dir / j.file for j in manifest.jobs if j.status == "done"],
        elapsed=elapsed,
        stopped=outcome.stopped,
    )


def _failure_message(report: RunReport, manifest: Manifest) -> str:
    """Why the run did not complete, jobs with the same end grouped, then what resume does."""

    lines = []
    if report.stopped:
        lines.append(f"run stopped: {report.stopped}")
    ends: dict[str, list[int]] = {}
    for job in manifest.jobs:
        if job.status != "done":
            last = job.last
            why = f" ({last.error_class}: {last.error})" if last and last.error else ""
            ends.setdefault(f"{job.status}{why}", []).append(job.index)
    for end, indices in ends.items():
        lines.append(f"job {format_indices(indices)}: {end}")
    counts = ", ".join(f"{n} {s}" for s, n in report.jobs.items() if n)
    lines.append(f"{counts}. Files of finished jobs are complete in {report.run_dir / JOBS_DIR}.")
    lines.append(f"{what_resume_does(manifest)}: {command('resume', report.run_dir)}")
    return "\n".join(lines)


def describe_plan(
    plan: RunPlan, limit: int = 10, found: estimate.PlanEstimate | None = None
) -> str:
    """The jobs a run would submit, with IBM's execution counts: the cost, known first
    (`found`: the plan's estimate, when the caller has it already)."""
    found = estimate.estimate(plan) if found is None else found
    costs = found.executions_per_job
    lines = [
        f"qexp: dry run, nothing submitted: {plan.num_circuits} circuits in {len(plan.jobs)} "
        f"jobs, {plan.primitive_name} ({plan.implementation_note}) on {plan.backend_name}",
        *(f"  {line}" for line in _options_lines(plan)),
        f"  executions: {sum(costs)} in all, at most {max(costs)} per job "
        f"(partition.max_executions={plan.max_executions})",
        f"  plan: {found.describe()}",
    ]
    for job, cost in list(zip(plan.jobs, costs, strict=True))[:limit]:
        first, last = job.circuits[0], job.circuits[-1]
        what = f" {job.primitive}" if job.primitive else ""
        lines.append(f"  job {job.index}{what}: circuits {first}-{last}, {cost} executions")
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
        f"  look: {command('show', report.run_dir)}   plots: {command('report', report.run_dir)}"
    )
    return "\n".join(lines)
