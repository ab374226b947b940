"""`python -m qexp.status DIR`: a run's jobs, or a sweep's points, and whether all is done.

For a run: every job's state, attempts and file (`qexp.run.status`). For a sweep with a
`sweep.json`: a row per point (overrides, folder, jobs, Slurm job, state), read live, so it
works while the sweep runs; `--jobs` adds every point's job table. Exits 0 only when
everything is done and every file is complete.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from rich.console import Console

from qexp.cli import command, exit_now, setup_logging
from qexp.run.status import run_status
from qexp.store.run_folder import run_dirs
from qexp.sweep import index, summary, sweep_points


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
