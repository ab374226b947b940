"""A sweep's points: which ones a `-m` run meant to have, and launching the ones never started.

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

from qexp.constants import MULTIRUN_FILE

log = logging.getLogger(__name__)


def split_points(task_overrides: list[str]) -> list[list[str]]:
    """Each point's task overrides, in the order Hydra's basic sweeper numbers them."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(task_overrides)
    return [point for batch in BasicSweeper.split_arguments(parsed, None) for point in batch]


def varying(points: list[list[str]]) -> list[list[str]]:
    """Each point's overrides without those every point shares: what the sweep varies."""
    if len(points) < 2:
        return points
    common = set.intersection(*(set(p) for p in points))
    return [[o for o in p if o not in common] for p in points]


def sweep_points(sweep_dir: Path) -> list[list[str]] | None:
    """Each point's task overrides in Hydra's order, or None when this is not a sweep."""
    path = Path(sweep_dir) / MULTIRUN_FILE
    if not path.is_file():
        return None
    saved = OmegaConf.load(path)
    return split_points(list(OmegaConf.select(saved, "hydra.overrides.task") or []))


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
            [sys.executable, "-m", "qexp", *overrides, f"hydra.run.dir={folder}"],
            check=False,
        )  # the point records itself in sweep.json (qexp.__main__)
        failed += done.returncode != 0
    return failed
