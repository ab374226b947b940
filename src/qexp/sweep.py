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

from omegaconf import OmegaConf

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
