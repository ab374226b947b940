"""The table a sweep ends with, and `qexp.status SWEEP_DIR` prints: a row per point.

Each row joins what `sweep.json` recorded (state, error, Slurm job) with what the point's
folder holds now (jobs done, files complete, QPU seconds billed against estimated), so the
table stays true while points run and after a resume; the total line sums the sweep.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

from qexp.cli import command
from qexp.constants import MANIFEST_FILE
from qexp.store import is_complete
from qexp.store.bill import Spending, folders_spending
from qexp.store.manifest import Manifest
from qexp.sweep import index
from qexp.sweep.index import PointRecord
from qexp.sweep.points import varying
from qexp.sweep.record import job_counts


@dataclass
class PointView:
    number: int
    overrides: list[str]
    folder: Path
    state: str
    jobs_done: int
    jobs_failed: int
    jobs_total: int | None
    error: str | None
    exit_code: int | None
    slurm_job_id: str | None
    spent: Spending = field(default_factory=Spending)
    """The point's QPU seconds, billed and estimated, from its ledger."""

    @property
    def done(self) -> bool:
        return self.state == "done"


def point_views(sweep_dir: Path, records: list[PointRecord]) -> list[PointView]:
    return [_view(Path(sweep_dir), record) for record in records]


def _view(sweep_dir: Path, record: PointRecord) -> PointView:
    folder = sweep_dir / record.folder
    counts = job_counts(folder) if folder.is_dir() else {}
    jobs_done = counts.get("jobs_done", record.jobs_done)
    jobs_total = counts.get("jobs_total", record.jobs_total)
    complete = run_complete(folder)
    state = record.status
    if state == "done" and not complete:
        state = "incomplete"  # a job file went missing or corrupt since
    elif state in ("failed", "interrupted", "running") and complete:
        state = "done"  # finished since (a resume that ran outside this sweep's index)
    elif state == "running" and _gone(record):
        state = "stopped"  # its process is gone without a word (kill -9)
    return PointView(
        number=record.number,
        overrides=record.overrides,
        folder=folder,
        state=state,
        jobs_done=jobs_done,
        jobs_failed=counts.get("jobs_failed", record.jobs_failed),
        jobs_total=jobs_total,
        error=record.error if state != "done" else None,
        exit_code=record.exit_code,
        slurm_job_id=record.slurm_job_id,
        spent=folders_spending([folder]) if folder.is_dir() else Spending(),
    )


def run_complete(run_dir: Path) -> bool:
    """Every planned job is done and its file complete."""
    if not (run_dir / MANIFEST_FILE).is_file():
        return False
    jobs = Manifest.load(run_dir).jobs
    return bool(jobs) and all(
        job.status == "done" and is_complete(run_dir / job.file) for job in jobs
    )


def _gone(record: PointRecord) -> bool:
    """A running point of this host whose process no longer exists."""
    if record.pid is None or record.host != socket.gethostname():
        return False
    try:
        os.kill(record.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def exit_code(views: list[PointView]) -> int:
    """0 when every point is done, else the largest exit code of a failed point (at least 1)."""
    failed = [v for v in views if not v.done]
    if not failed:
        return 0
    return max([v.exit_code or 1 for v in failed] + [1])


def as_typed(overrides: list[str]) -> list[str]:
    """Overrides as the user typed them: `++primitive.options.x=1` (how qexp passes an
    option to Hydra, `qexp.config.selection`) reads `primitive.options.x=1`."""
    return [o[2:] if o.startswith("++primitive") else o for o in overrides]


def render(views: list[PointView]) -> str:
    """A plain table (one row per point, then a total line) that reads well in a log file."""
    swept = varying([v.overrides for v in views])
    with_slurm = any(v.slurm_job_id for v in views)
    with_qpu = any(v.spent.cell() != "-" for v in views)
    header = ["point", "overrides", "folder", "jobs done", "failed"]
    header += ["QPU s billed / est."] * with_qpu + ["slurm job"] * with_slurm + ["state"]
    rows = [header]
    for view, overrides in zip(views, swept, strict=True):
        total = "?" if view.jobs_total is None else str(view.jobs_total)
        state = view.state + (f": {view.error.splitlines()[0]}" if view.error else "")
        row = [str(view.number), " ".join(as_typed(overrides)) or "-", str(view.folder)]
        row += [f"{view.jobs_done}/{total}", str(view.jobs_failed)]
        row += [view.spent.cell()] * with_qpu + [view.slurm_job_id or "-"] * with_slurm + [state]
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1]
        for row in rows
    ]
    return "\n".join([*lines, total_line(views)])


def total_line(views: list[PointView]) -> str:
    states: dict[str, int] = {}
    for view in views:
        states[view.state] = states.get(view.state, 0) + 1
    planned = sum(v.jobs_total or 0 for v in views)
    done = sum(v.jobs_done for v in views)
    failed = sum(v.jobs_failed for v in views)
    by_state = ", ".join(f"{n} {s}" for s, n in sorted(states.items()))
    line = (
        f"total: {len(views)} points ({by_state}); jobs: {done} done, {failed} failed, "
        f"{planned} planned"
    )
    spent = sum((v.spent for v in views), Spending())
    if spent.billing or spent.priced:
        line += f"; {spent.describe()}"
    return line


def summarize(sweep_dir: Path) -> tuple[str, int] | None:
    """(table, exit code) of a sweep folder with an index, else None."""
    records = index.read(sweep_dir)
    if records is None:
        return None
    views = point_views(sweep_dir, records)
    return render(views), exit_code(views)


def ending(sweep_dir: Path) -> tuple[str, str | None, int]:
    """How a sweep ends: its table (stdout), each failed point's own message (stderr, None
    when every point is done) and the exit code."""
    views = point_views(sweep_dir, index.read(sweep_dir) or [])
    failed = [v for v in views if not v.done]
    message = None
    if failed:
        lines = [f"{len(failed)} sweep point(s) failed:"]
        for view in failed:
            why = view.error or f"{view.state} (see {command('status', view.folder)})"
            lines.append(f"point {view.number} ({view.folder}): {why.splitlines()[0]}")
        lines.append(f"resume with: {command('resume', sweep_dir)}")
        message = "\n".join(lines)
    return render(views), message, exit_code(views)
