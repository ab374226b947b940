"""A run folder's state, read live from its ledger, files and lock: every job's state,
attempts, QPU seconds (estimated, and billed by the service) and file, or why nothing was
planned (`python -m qexp.status` prints it)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Group
from rich.table import Table
from rich.text import Text

from qexp.cli import command
from qexp.constants import DRY_RUN_FILE, MANIFEST_FILE
from qexp.run.lock import holder
from qexp.store import is_complete, run_folder
from qexp.store.bill import billed_text, ledger_line, seconds_text, spending
from qexp.store.manifest import Manifest, what_resume_does
from qexp.text import format_indices

STYLE = {"done": "green", "failed": "red", "cancelled": "yellow", "submitted": "cyan"}


def run_status(run_dir: Path) -> tuple[bool, Table | Group | str]:
    """(complete, what to print) for one run folder."""
    pid = holder(run_dir)
    running = f" [cyan]running (pid {pid})[/]" if pid else ""
    if (refused := run_folder.refusal(run_dir)) is not None:
        key = f" ({refused['key']}={refused.get('value')!r})" if refused.get("key") else ""
        first = str(refused.get("message", "")).splitlines()[0]
        return False, (
            f"{run_dir}: [red]refused{key}[/]: {first}\n  nothing was submitted. A wrong "
            "value needs a new run; a cause outside the config (a missing file) can be "
            "fixed, then resume plans it again"
        )
    if run_folder.is_dry_run(run_dir):
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
    qpu = spending(manifest).cell() != "-"  # a simulator has no QPU time to show
    qpu_columns = ("QPU s est.", "QPU s billed") if qpu else ()
    columns = ("job", "status", "circuits", "attempts", *qpu_columns)
    for column in (*columns, "last job id", "file", "last error"):
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
            format_indices(job.circuits),
            str(len(job.attempts)),
            *((seconds_text(job.estimate, "~"), billed_text(job)) if qpu else ()),
            (last.job_id or "-") if last else "-",
            job.file if file_ok else "-",
            (f"{last.error_class}: {last.error}"[:60] if last and last.error else ""),
        )
    counts = ", ".join(f"{n} {s}" for s, n in manifest.counts().items() if n)
    table.caption = f"{len(manifest.jobs)} jobs: {counts}\n{ledger_line(manifest)}"
    table.caption_justify = "left"
    if stopped := manifest.info.get("stopped"):
        why = Text(f"stopped: {stopped}", style="yellow")
        return complete, Group(table, why, Text(what_resume_does(manifest)))
    return complete, table
