"""`sweep.json`: the index of a sweep's points, written as points start and finish.

Points may run in parallel processes (joblib) or on other nodes (Slurm), so every change is
a read-modify-write under an exclusive `fcntl` lock on a file in the sweep folder, and each
write replaces the file atomically: a reader (`qexp.status`) needs no lock and never sees
half a file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qexp import atomic

INDEX_FILE = "sweep.json"
LOCK_FILE = ".sweep.lock"
INDEX_SCHEMA_VERSION = 1

POINT_STATES = ("pending", "running", "done", "failed", "interrupted")
"""pending: not started; running: started and not finished (or killed without a word);
done: every job done; failed: finished with an error; interrupted: stopped by Ctrl-C."""


@dataclass
class PointRecord:
    """One point of a sweep, as `sweep.json` keeps it."""

    number: int
    overrides: list[str]
    folder: str
    """The point's run folder, relative to the sweep folder."""
    status: str = "pending"
    jobs_done: int = 0
    jobs_failed: int = 0
    """Jobs that ended failed or cancelled."""
    jobs_total: int | None = None
    """None until the point has planned its jobs."""
    error: str | None = None
    """The point's own error message, when it failed."""
    qpu_seconds: float | None = None
    """QPU seconds the service billed the point's jobs (every attempt), as of its last
    end; None where nothing is billed (local backends)."""
    qpu_estimate: float | None = None
    """qexp's estimate of the point's QPU seconds; None where not priced."""
    exit_code: int | None = None
    slurm: dict[str, str] = field(default_factory=dict)
    """SLURM_JOB_ID, SLURM_ARRAY_JOB_ID and SLURM_ARRAY_TASK_ID of the job that ran it."""
    host: str | None = None
    pid: int | None = None
    started: str | None = None
    finished: str | None = None

    @property
    def slurm_job_id(self) -> str | None:
        """`ARRAY_TASK` for an array task (as squeue and sacct show it), else the job id."""
        if "SLURM_ARRAY_JOB_ID" in self.slurm and "SLURM_ARRAY_TASK_ID" in self.slurm:
            return f"{self.slurm['SLURM_ARRAY_JOB_ID']}_{self.slurm['SLURM_ARRAY_TASK_ID']}"
        return self.slurm.get("SLURM_JOB_ID")


def index_path(sweep_dir: Path) -> Path:
    return Path(sweep_dir) / INDEX_FILE


def read(sweep_dir: Path) -> list[PointRecord] | None:
    """The points in number order, or None when the folder has no index."""
    path = index_path(sweep_dir)
    if not path.is_file():
        return None
    return _parse(json.loads(path.read_text(encoding="utf-8")))


@contextlib.contextmanager
def editing(sweep_dir: Path) -> Iterator[dict[int, PointRecord]]:
    """Hold the sweep's lock; yield its points by number; write them back atomically."""
    sweep_dir = Path(sweep_dir)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    with open(sweep_dir / LOCK_FILE, "a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            points = {p.number: p for p in read(sweep_dir) or []}
            yield points
            _write(sweep_dir, points)
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def add_points(sweep_dir: Path, overrides: list[list[str]]) -> None:
    """Record every planned point as pending; points already recorded are left as they are."""
    with editing(sweep_dir) as points:
        for number, point in enumerate(overrides):
            points.setdefault(number, PointRecord(number, list(point), str(number)))


def update(sweep_dir: Path, number: int, overrides: list[str], **changes: Any) -> PointRecord:
    """Change one point's record (created if the sweep's plan was not recorded)."""
    with editing(sweep_dir) as points:
        record = points.setdefault(number, PointRecord(number, list(overrides), str(number)))
        for key, value in changes.items():
            setattr(record, key, value)
        return dataclasses.replace(record)


def _write(sweep_dir: Path, points: dict[int, PointRecord]) -> None:
    document = {
        "schema_version": INDEX_SCHEMA_VERSION,
        "points": [dataclasses.asdict(points[n]) for n in sorted(points)],
    }
    atomic.write_text(index_path(sweep_dir), json.dumps(document, indent=1) + "\n")


def _parse(document: dict[str, Any]) -> list[PointRecord]:
    known = {f.name for f in dataclasses.fields(PointRecord)}
    return [
        PointRecord(**{k: v for k, v in point.items() if k in known})
        for point in document.get("points", [])
    ]
