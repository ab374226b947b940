"""`python -m qexp.resume DIR`: finish a run folder (or every point of a sweep) in place.

Jobs with complete files are never re-run. Jobs submitted to IBM before the interruption
are re-attached by job id and collected. Only missing, failed or cancelled jobs are
submitted, in a new Batch. With the same seed the bits equal an uninterrupted run's.
Points of a sweep that never started are run first; each point records its new state in
`sweep.json`. The work on one folder is `qexp.run.resume`; this is its door: it reads the
folder's saved config back. `--max-qpu-seconds S` resumes with a raised QPU-time cap
(`run.max_qpu_seconds`), for runs and points the cap stopped.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from omegaconf import OmegaConf

from qexp.cli import command, exit_now, setup_logging
from qexp.config.load import load
from qexp.config.saved import load_saved, saved_config_text
from qexp.config.schema import QexpConfig
from qexp.constants import HYDRA_DIR, OVERRIDES_FILE
from qexp.errors import QexpError, RunInterrupted
from qexp.run import resume as run_resume
from qexp.run.runner import RunReport, summary
from qexp.store import run_folder
from qexp.store.run_folder import run_dirs
from qexp.sweep import launch_missing_points
from qexp.sweep.record import PointOutcome, note_finished

log = logging.getLogger("qexp.resume")


def resume(run_dir: Path, max_qpu_seconds: float | None = None) -> RunReport:
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


def _saved_overrides(run_dir: Path) -> list[str]:
    path = run_dir / HYDRA_DIR / OVERRIDES_FILE
    if not path.is_file():
        return []
    return [str(line) for line in OmegaConf.to_container(OmegaConf.load(path)) or []]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=command("resume"), description=__doc__)
    parser.add_argument("dirs", nargs="+", type=Path, help="run folders or multirun folders")
    parser.add_argument(
        "--max-qpu-seconds",
        type=float,
        default=None,
        metavar="S",
        help="resume with this QPU-time cap in place of the saved run.max_qpu_seconds",
    )
    args = parser.parse_args(argv)
    setup_logging()
    failed = 0
    try:
        for top in args.dirs:
            failed += launch_missing_points(top)
            folders = run_dirs(top)
            if not folders:
                log.error("%s holds no run folder", top)
                failed += 1
            for run_dir in folders:
                failed += _resume_one(run_dir, args.max_qpu_seconds)
    except RunInterrupted as exc:
        log.error("%s", exc)
        return RunInterrupted.exit_code
    return 1 if failed else 0


def _resume_one(run_dir: Path, max_qpu_seconds: float | None = None) -> int:
    """Resume one folder; a sweep point also records its new state in sweep.json."""
    try:
        report = resume(run_dir, max_qpu_seconds)
    except RunInterrupted as exc:
        note_finished(run_dir, PointOutcome(exc.exit_code, str(exc)))
        raise
    except QexpError as exc:
        log.error("%s: %s", run_dir, exc)
        note_finished(run_dir, PointOutcome(exc.exit_code, str(exc)))
        return 1
    note_finished(run_dir, PointOutcome())
    print(summary(report), flush=True)
    return 0


def cli() -> None:
    """The `qexp-resume` console script."""
    exit_now(main())


if __name__ == "__main__":
    cli()
