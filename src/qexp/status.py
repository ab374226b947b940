"""`python -m qexp.status DIR`: a run's jobs, or a sweep's points, and whether all is done.

For a run: every job's state, attempts and file. For a sweep with a `sweep.json`: a row per
point (overrides, folder, jobs, Slurm job, state), read live, so it works while the sweep
runs; `--jobs` adds every point's job table. Exits 0 only when everything is done and every
file is complete.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from qexp import folder
from qexp.cli import command, exit_now, setup_logging
from qexp.constants import DRY_RUN_FILE, MANIFEST_FILE
from qexp.lock import holder
from qexp.manifest import Manifest
from qexp.runs import run_dirs
from qexp.store import is_complete
from qexp.sweep import index, summary, sweep_points

STYLE = {"done": "green", "failed": "red", "cancelled": "yellow", "submitted": "cyan"}


def run_status(run_dir: Path) -> tuple[bool, Table | Group | str]:
    """(complete, what to print) for one run folder."""
    pid = holder(run_dir)
    running = f" [cyan]running (pid {pid})[/]" if pid else ""
    if (refused := folder.refusal(run_dir)) is not None:
        key = f" ({refused['key']}={refused.get('value')!r})" if refused.get("key") else ""
        first = str(refused.get("message", "")).splitlines()[0]
        return False, (
            f"{run_dir}: [red]refused{key}[/]: {first}\n  nothing was submitted. A wrong "
            "value needs a new run; a cause outside the config (a missing file) can be "
            "fixed, then resume plans it again"
        )
    if folder.is_dry_run(run_dir):
        return False, (
            f"{run_dir}: dry run, nothing submitted (the plan is in {DRY_RUN_FILE}); not "
            "resumable: run it again with run.dry_run=false"
        )
    if not (run_dir / MANIFEST_FILE).is_file():
        if pid:
            return False, f"{run_dir}:{running}, planning (no job submitted yet)"
        return False, (
            f"{run_dir}: stopped before any job was planned (nothing was submitted); run "
            f"it with: {command('resume', run_dir)}"
        )
    manifest = Manifest.load(run_dir)
    table = Table(title=f"{run_dir}{running}", title_justify="left")
    for column in ("job", "status", "circuits", "attempts", "last job id", "file", "last error"):
        table.add_column(column)
    complete = True
    for job in manifest.jobs:
        file_ok = is_complete(run_dir / job.file)
        status = job.status
        if status == "done" and not file_ok:
            status = "done, file missing or corrupt"
        complete &= status == "done"
        last = job.last
        table.add_row(
            str(job.index),
            f"[{STYLE.get(job.status, '')}]{status}[/]" if job.status in STYLE else status,
            _span(job.circuits),
            str(len(job.attempts)),
            (last.job_id or "-") if last else "-",
            job.file if file_ok else "-",
            (f"{last.error_class}: {last.error}"[:60] if last and last.error else ""),
        )
    counts = ", ".join(f"{n} {s}" for s, n in manifest.counts().items() if n)
    table.caption = f"{len(manifest.jobs)} jobs: {counts}"
    if stopped := manifest.info.get("stopped"):
        why = Text(f"stopped: {stopped}", style="yellow")
        return complete, Group(table, why, Text(what_resume_does(manifest)))
    return complete, table


def what_resume_does(manifest: Manifest) -> str:
    """One line: what `qexp.resume` would do with this run, from its ledger."""
    counts = manifest.counts()
    again = counts["pending"] + counts["failed"] + counts["cancelled"]
    parts = []
    if counts["submitted"]:
        parts.append(f"re-attach {counts['submitted']} submitted job(s)")
    if again:
        parts.append(f"submit {again} job(s) again (their checks run again)")
    if not parts:
        return "resume has nothing left to do"
    return "resume would " + " and ".join(parts) + f" (done jobs are kept: {counts['done']})"


def _span(circuits: list[int]) -> str:
    if circuits and circuits == list(range(circuits[0], circuits[-1] + 1)):
        return f"{circuits[0]}-{circuits[-1]}" if len(circuits) > 1 else str(circuits[0])
    return ",".join(map(str, circuits))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=command("status"), description=__doc__)
    parser.add_argument("dir", type=Path, help="a run folder or a multirun folder")
    parser.add_argument("--jobs", action="store_true", help="for a sweep: every point's jobs too")
    args = parser.parse_args(argv)
    setup_logging()
    console = Console(width=max(120, Console().width))
    records = index.read(args.dir)
    if records is not None:
        views = summary.point_views(args.dir, records)
        print(summary.render(views), flush=True)
        for point in views if args.jobs else []:
            if point.folder.is_dir():
                console.print(run_status(point.folder)[1])
        return summary.exit_code(views) and 1
    folders = run_dirs(args.dir)
    everything = bool(folders)
    points = sweep_points(args.dir)
    if points is not None and len(points) > len(folders):
        console.print(f"{len(points) - len(folders)} sweep point(s) never started")
        everything = False
    if not folders:
        logging.getLogger("qexp").error("%s: no run folder here", args.dir)
    for run_dir in folders:
        complete, view = run_status(run_dir)
        everything &= complete
        console.print(view)
    return 0 if everything else 1


if __name__ == "__main__":
    exit_now(main())
