"""What qexp adds to hydra-submitit-launcher: a failed point fails its Slurm job, and the
sweep waits for every point before it reports.

Upstream, a point's exception is caught inside Hydra's `run_job`, so its Slurm job
"completes"; and the launching process stops at the first failed job it collects, leaving
the others unreported. Here the point raises after it has recorded itself, so Slurm marks
its job FAILED, and the launcher collects every job, failed or not, so the sweep's table
and exit code count every point. A job killed outside qexp (scancel, kill -9, the time
limit) ends without a result; its point is recorded with the Slurm state and its log.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, JobStatus, filter_overrides

from qexp.sweep import index
from qexp.sweep.record import PointOutcome, outcome_of

log = logging.getLogger(__name__)

FINISHED = ("done", "failed", "interrupted")


class PointFailed(Exception):
    """Raised in a point's Slurm job so that Slurm records the job as FAILED."""


def run_point(call: Callable[..., JobReturn], *args: Any) -> JobReturn:
    """Inside the Slurm job: run the point (which records itself), then fail if it failed."""
    job_return = call(*args)
    outcome = outcome_of(job_return)
    if outcome.failed:
        raise PointFailed(f"sweep point {args[2]} failed: {outcome.error}")
    return job_return


def launch(
    launcher: Any, executor_name: str, job_overrides: Sequence[Sequence[str]], first: int
) -> list[JobReturn]:
    """Submit every point as one job array; wait for all; a JobReturn per point, never raise.

    The executor is set up as hydra-submitit-launcher 1.2's `launch` does it.
    """
    import submitit

    params = dict(launcher.params)
    executor = submitit.AutoExecutor(
        cluster=executor_name,
        folder=params.pop("submitit_folder"),
        **{f"{executor_name}_max_num_timeout": params.pop("max_num_timeout")}
        if "max_num_timeout" in params
        else {},
    )
    shared = {"timeout_min", "cpus_per_task", "gpus_per_node", "tasks_per_node", "mem_gb"}
    shared |= {"nodes", "name", "stderr_to_stdout"}
    executor.update_parameters(
        **{k if k in shared else f"{executor_name}_{k}": v for k, v in params.items()}
    )
    sweep_dir = Path(str(launcher.config.hydra.sweep.dir)).absolute()
    sweep_dir.mkdir(parents=True, exist_ok=True)
    if "mode" in launcher.config.hydra.sweep:
        os.chmod(sweep_dir, int(str(launcher.config.hydra.sweep.mode), 8))
    arguments = []
    for number, overrides in enumerate(job_overrides, start=first):
        log.info("\t#%d : %s", number, " ".join(filter_overrides(overrides)))
        state = Singleton.get_state()
        arguments.append(
            (list(overrides), "hydra.sweep.dir", number, f"job_id_for_{number}", state)
        )
    jobs = executor.map_array(launcher, *zip(*arguments, strict=True))
    if executor_name == "slurm":
        _note_job_ids(sweep_dir, first, arguments, [job.job_id for job in jobs])
    return [
        _collect(job, sweep_dir, number, list(overrides))
        for job, number, overrides in zip(
            jobs, range(first, first + len(jobs)), job_overrides, strict=True
        )
    ]


def _note_job_ids(sweep_dir: Path, first: int, arguments: list, job_ids: list[str]) -> None:
    """Each point's Slurm job id as soon as it is queued, unless the point, already running,
    recorded its own (all its Slurm variables)."""
    with index.editing(sweep_dir) as points:
        for number, (overrides, *_), job_id in zip(
            range(first, first + len(job_ids)), arguments, job_ids, strict=True
        ):
            record = points.setdefault(number, index.PointRecord(number, overrides, str(number)))
            record.slurm = record.slurm or {"SLURM_JOB_ID": job_id}


def _collect(job: Any, sweep_dir: Path, number: int, overrides: list[str]) -> JobReturn:
    """The point's JobReturn; a job that failed or vanished becomes a recorded failed point."""
    from submitit.core.utils import UncompletedJobError

    try:
        return job.results()[0]
    except UncompletedJobError as exc:  # FailedJobError too: the point raised PointFailed
        error = _why(job, exc)
    except Exception as exc:  # a result file cut short by a kill: the job left no result
        error = _why(job, exc)
    record = next((r for r in index.read(sweep_dir) or [] if r.number == number), None)
    if record is None or record.status not in FINISHED:
        index.update(sweep_dir, number, overrides, status="failed", exit_code=1, error=error)
    outcome = PointOutcome(1, record.error if record and record.error else error)
    # COMPLETED, as for a point that failed under the basic launcher: Hydra's sweeper would
    # raise at the first FAILED return and never report the rest. The outcome says "failed".
    return JobReturn(overrides=overrides, status=JobStatus.COMPLETED, _return_value=outcome)


def _why(job: Any, exc: Exception) -> str:
    state = job.state
    if "PointFailed" in str(exc):
        return f"its Slurm job {job.job_id} failed ({state})"
    return (
        f"its job {job.job_id} ended {state} without a result (killed outside qexp, out of "
        f"time or memory?); log: {job.paths.stderr}"
    )
