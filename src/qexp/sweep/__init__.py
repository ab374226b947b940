"""Sweeps: what belongs to a `-m` sweep rather than to one run.

`points` (which points a sweep has, launching those never started), `index` (`sweep.json`,
every point's state), `record` (the Hydra callback that keeps the index under any
launcher), `summary` (the table a sweep ends with, and `qexp.status` prints), `dry_run`
(the plan and cost of every point, before anything is launched) and `launching` (what
qexp's submitit launchers add: every point waited for, a failed point a failed Slurm job).
"""

from qexp.sweep.points import MULTIRUN_FILE, launch_missing_points, split_points, sweep_points

__all__ = ["MULTIRUN_FILE", "launch_missing_points", "split_points", "sweep_points"]
