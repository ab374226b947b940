"""Keep `sweep.json` true under any launcher: a Hydra callback runs in every point's process.

Hydra calls `on_job_start` and `on_job_end` in the process that runs the point (the
launching process, a joblib worker or a Slurm job), so the point records itself; the
launching process records the planned points at the start and reads them back at the end.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from qexp.constants import MANIFEST_FILE
from qexp.store.bill import spending
from qexp.store.manifest import Manifest, now
from qexp.sweep import index
from qexp.sweep.points import split_points

SLURM_VARIABLES = (
    "SLURM_JOB_ID",
    "SLURM_ARRAY_JOB_ID",
    "SLURM_ARRAY_TASK_ID",
    "SLURM_JOB_NODELIST",
)


@dataclass(frozen=True)
class PointOutcome:
    """What a point's task function returns: its exit code and, when it failed, why."""

    exit_code: int = 0
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.exit_code != 0


@dataclass
class SweepEnd:
    """What the launching process learnt about the sweep it ran (read by `qexp.__main__`)."""

    sweep_dir: Path
    dry_run_exit_code: int | None = None
    """Set when the sweep was only planned (run.dry_run=true): nothing was launched."""


LAST_SWEEP: list[SweepEnd] = []
"""The sweep this process launched, if any: Hydra gives the entry point no return value."""


def job_counts(run_dir: Path) -> dict[str, Any]:
    """Jobs done, failed (or cancelled) and planned, and the QPU seconds billed and
    estimated, from the run's manifest."""
    if not (run_dir / MANIFEST_FILE).is_file():
        return {"jobs_done": 0, "jobs_failed": 0, "jobs_total": None}
    manifest = Manifest.load(run_dir)
    counts = manifest.counts()
    spent = spending(manifest)
    return {
        "jobs_done": counts["done"],
        "jobs_failed": counts["failed"] + counts["cancelled"],
        "jobs_total": sum(counts.values()),
        "qpu_seconds": round(spent.billed, 3) if spent.billing else None,
        "qpu_estimate": round(spent.estimated, 3) if spent.priced else None,
    }


def finished_fields(run_dir: Path, outcome: PointOutcome) -> dict[str, Any]:
    """The record of a point that ended with `outcome`."""
    status = (
        "done" if not outcome.failed else ("interrupted" if outcome.exit_code == 130 else "failed")
    )
    return {
        "status": status,
        "exit_code": outcome.exit_code,
        "error": outcome.error,
        "finished": now(),
        **job_counts(run_dir),
    }


def note_finished(run_dir: Path, outcome: PointOutcome) -> None:
    """Record a point finished outside a Hydra sweep (resume); no-op outside a sweep."""
    sweep_dir = run_dir.parent
    records = index.read(sweep_dir)
    record = next((r for r in records or [] if r.folder == run_dir.name), None)
    if record is not None:
        index.update(
            sweep_dir, record.number, record.overrides, **finished_fields(run_dir, outcome)
        )


class SweepRecorder(Callback):
    """Hydra callback: every point's start and end in `sweep.json`, whatever the launcher."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        LAST_SWEEP.clear()
        task = list(OmegaConf.select(config, "hydra.overrides.task") or [])
        if not OmegaConf.select(config, "run.dry_run"):
            index.add_points(Path(config.hydra.sweep.dir).absolute(), split_points(task))

    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        if not _in_sweep(config):
            return
        sweep_dir, number, overrides, folder = _point(config)
        index.update(
            sweep_dir,
            number,
            overrides,
            folder=folder,
            status="running",
            started=now(),
            finished=None,
            error=None,
            exit_code=None,
            host=socket.gethostname(),
            pid=os.getpid(),
            slurm={k: os.environ[k] for k in SLURM_VARIABLES if k in os.environ},
        )

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        if not _in_sweep(config):
            return
        sweep_dir, number, overrides, folder = _point(config)
        outcome = outcome_of(job_return)
        index.update(sweep_dir, number, overrides, **finished_fields(sweep_dir / folder, outcome))

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        if not LAST_SWEEP:
            LAST_SWEEP.append(SweepEnd(Path(config.hydra.sweep.dir)))


def outcome_of(job_return: JobReturn) -> PointOutcome:
    """The point's outcome: what its task function returned, or the exception it raised."""
    if job_return.status == JobStatus.COMPLETED:
        value = job_return.return_value
        return value if isinstance(value, PointOutcome) else PointOutcome()
    exc = job_return._return_value
    return PointOutcome(1, f"{type(exc).__name__}: {exc}")


def _in_sweep(config: DictConfig) -> bool:
    return OmegaConf.select(config, "hydra.mode") == RunMode.MULTIRUN


def _point(config: DictConfig) -> tuple[Path, int, list[str], str]:
    sweep_dir = Path(config.hydra.sweep.dir).absolute()
    output_dir = Path(config.hydra.runtime.output_dir)
    try:
        folder = str(output_dir.relative_to(sweep_dir))
    except ValueError:
        folder = str(output_dir)
    overrides = list(OmegaConf.select(config, "hydra.overrides.task") or [])
    return sweep_dir, int(config.hydra.job.num), overrides, folder
