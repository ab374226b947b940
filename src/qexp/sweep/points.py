"""Sweep folders: which points a `-m` run meant to have, and launching the ones never started.

Hydra numbers a sweep's points 0, 1, ... and creates each folder only when the point
starts, so a sweep killed part way leaves later points without a folder. Their overrides
are recomputed from `multirun.yaml` exactly as Hydra's basic sweeper does.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

MULTIRUN_FILE = "multirun.yaml"
log = logging.getLogger(__name__)


def sweep_points(sweep_dir: Path) -> list[list[str]] | None:
    """Each point's task overrides in Hydra's order, or None when this is not a sweep."""
    path = sweep_dir / MULTIRUN_FILE
    if not path.is_file():
        return None
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    saved = OmegaConf.load(path)
    task = list(OmegaConf.select(saved, "hydra.overrides.task") or [])
    parsed = OverridesParser.create().parse_overrides(task)
    return [point for batch in BasicSweeper.split_arguments(parsed, None) for point in batch]


def launch_missing_points(sweep_dir: Path) -> int:
    """Run the points of a sweep that never started, each into its numbered folder.

    Returns the number of points that failed.
    """
    points = sweep_points(sweep_dir) or []
    failed = 0
    for number, overrides in enumerate(points):
        folder = sweep_dir / str(number)
        if folder.exists():
            continue
        log.info("sweep point %d never started; running %s", number, " ".join(overrides))
        done = subprocess.run(
            [sys.executable, "-m", "qexp", *overrides, f"hydra.run.dir={folder}"], check=False
        )
        failed += done.returncode != 0
    return failed


def failed_points(sweep_dir: Path) -> list[tuple[Path, str]]:
    """Points of a finished sweep that did not complete, read from their folders.

    A launcher may run points in other processes (joblib, submitit), so the folders are
    the one account of every point that all launchers share.
    """
    from qexp.config.saved import saved_config_path
    from qexp.runs import run_dirs
    from qexp.status import run_status

    failed = []
    for run_dir in run_dirs(sweep_dir):
        saved = saved_config_path(run_dir)
        dry_run = saved.is_file() and OmegaConf.select(OmegaConf.load(saved), "run.dry_run")
        if not dry_run and not run_status(run_dir)[0]:
            failed.append((run_dir, "not every job is done (see python -m qexp.status)"))
    missing = len(sweep_points(sweep_dir) or []) - len(run_dirs(sweep_dir))
    if missing > 0:
        failed.append((sweep_dir, f"{missing} point(s) never started"))
    return failed


class SweepOutcome(Callback):
    """Hydra callback: after a `-m` sweep, note which points failed, whatever the launcher."""

    failed: list[tuple[Path, str]] = []
    swept = False

    def on_multirun_end(self, config: DictConfig, **kwargs: object) -> None:
        SweepOutcome.swept = True
        SweepOutcome.failed = failed_points(Path(config.hydra.sweep.dir))
