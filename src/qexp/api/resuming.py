"""Resume a run folder, or every unfinished point of a sweep: `qexp.api.resume`, which
`python -m qexp.resume` calls for each folder it is given.

Jobs with complete files are never re-run; jobs submitted to IBM Quantum are re-attached
by job id; only missing, failed or cancelled jobs are submitted, in a new Batch. Points a
killed sweep never started are run first. The work on one folder is `qexp.run.resume`;
this is its door: it reads the folder's saved config back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from omegaconf import OmegaConf

from qexp.api.folders import Run, Sweep
from qexp.api.launch import kept_process_state
from qexp.cli import command
from qexp.config.load import load
from qexp.config.saved import load_saved, saved_config_text
from qexp.config.schema import QexpConfig
from qexp.console import setup
from qexp.constants import HYDRA_DIR, OVERRIDES_FILE
from qexp.errors import QexpError, RunError, RunInterrupted, SweepFailed
from qexp.run import resume as run_resume
from qexp.run.runner import RunReport, summary
from qexp.store import run_folder
from qexp.store.run_folder import run_dirs
from qexp.sweep import launch_missing_points
from qexp.sweep.record import PointOutcome, note_finished

log = logging.getLogger("qexp.resume")


@dataclass
class Resumed:
    """What resuming one folder given by the user did."""

    folder: Path
    runs: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, QexpError]] = field(default_factory=list)
    points_failed: int = 0
    """Points a killed sweep never started that failed when run now."""

    @property
    def ok(self) -> bool:
        return bool(self.runs) and not self.failed and not self.points_failed


def resume_run(run_dir: Path, max_qpu_seconds: float | None = None) -> RunReport:
    """Bring one run folder to completion; raise RunError if jobs still fail.

    A dry-run folder is never run: nothing was to be submitted. `max_qpu_seconds` replaces
    the saved `run.max_qpu_seconds` for this resume (the saved config is left as it was).
    """
    run_dir = Path(run_dir)
    if run_folder.is_dry_run(run_dir):
        overrides = [o for o in _saved_overrides(run_dir) if not o.startswith("run.dry_run")]
        raise QexpError(
            f"{run_dir} holds a dry run: nothing was submitted, and resume submits nothing. "
            f"Run it for real with: {command('run', *overrides, 'run.dry_run=false')}"
        )

    def saved() -> tuple[QexpConfig, str]:
        config = load_saved(run_dir)
        if max_qpu_seconds is not None:
            config.run.max_qpu_seconds = max_qpu_seconds
        return load(config), saved_config_text(run_dir)

    return run_resume.resume(run_dir, saved)


def resume_folder(top: Path, max_qpu_seconds: float | None = None) -> Resumed:
    """Resume every run under `top` (a run folder or a sweep's), logging each one's end and
    printing its summary; a sweep point records its new state in sweep.json. Raises
    RunInterrupted on Ctrl-C, after the point records it. `max_qpu_seconds`: a raised
    QPU-time cap for this resume."""
    done = Resumed(Path(top))
    done.points_failed = launch_missing_points(done.folder)
    done.runs = run_dirs(done.folder)
    if not done.runs:
        log.error("%s holds no run folder", done.folder)
    for run_dir in done.runs:
        try:
            report = resume_run(run_dir, max_qpu_seconds)
        except RunInterrupted as exc:
            exc.folder = run_dir
            note_finished(run_dir, PointOutcome(exc.exit_code, str(exc)))
            raise
        except QexpError as exc:
            log.error("%s: %s", run_dir, exc)
            exc.folder = run_dir
            note_finished(run_dir, PointOutcome(exc.exit_code, str(exc)))
            done.failed.append((run_dir, exc))
            continue
        note_finished(run_dir, PointOutcome())
        print(summary(report), flush=True)
    return done


def resume(
    folder: Path | str, *, quiet: bool = False, max_qpu_seconds: float | None = None
) -> Run | Sweep:
    """Finish a run folder, or every unfinished point of a sweep folder, as
    `python -m qexp.resume FOLDER` does; the `Run` or `Sweep`, now complete.
    `max_qpu_seconds` raises the saved QPU-time cap for this resume
    (`--max-qpu-seconds`).

    Raises what the command line reports: the run's own error for one run folder, a
    `SweepFailed` naming each point that is still not done for a sweep.
    """
    path = Path(folder)
    with kept_process_state(quiet):
        if not quiet:
            setup()  # the console rule the command line uses
        done = resume_folder(path, max_qpu_seconds)
    is_sweep = len(done.runs) != 1 or done.runs[0] != path
    if not done.runs:
        raise QexpError(f"{path} holds no run folder")
    if done.ok:
        return Sweep(path) if is_sweep else Run(path)
    if not is_sweep:
        raise done.failed[0][1]
    lines = [f"{len(done.failed) + done.points_failed} sweep point(s) not done:"]
    lines += [f"{run_dir}: {str(exc).splitlines()[0]}" for run_dir, exc in done.failed]
    exc = SweepFailed("\n".join(lines), max([e.exit_code for _, e in done.failed] + [1]))
    exc.folder = path
    raise exc


def _saved_overrides(run_dir: Path) -> list[str]:
    path = run_dir / HYDRA_DIR / OVERRIDES_FILE
    if not path.is_file():
        return []
    return [str(line) for line in OmegaConf.to_container(OmegaConf.load(path)) or []]


__all__ = ["RunError", "resume", "resume_folder", "resume_run"]
