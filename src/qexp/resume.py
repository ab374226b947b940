"""`python -m qexp.resume DIR...`: finish run folders (or every point of a sweep) in place.

Jobs with complete files are never re-run. Jobs submitted to IBM before the interruption
are re-attached by job id and collected. Only missing, failed or cancelled jobs are
submitted, in a new Batch. With the same seed the bits equal an uninterrupted run's.
Points of a sweep that never started are run first; each point records its new state in
`sweep.json`. `--max-qpu-seconds S` resumes with a raised QPU-time cap
(`run.max_qpu_seconds`), for runs and points the cap stopped. The command is a face of
`qexp.api.resume` (`qexp.api.resuming`).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from qexp.api.resuming import resume_folder
from qexp.api.resuming import resume_run as resume
from qexp.cli import command, exit_now, setup_logging
from qexp.errors import RunInterrupted

log = logging.getLogger("qexp.resume")

__all__ = ["cli", "main", "resume"]


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
    ok = True
    try:
        for top in args.dirs:
            ok &= resume_folder(top, args.max_qpu_seconds).ok
    except RunInterrupted as exc:
        log.error("%s", exc)
        return RunInterrupted.exit_code
    return 0 if ok else 1


def cli() -> None:
    """The `qexp-resume` console script."""
    exit_now(main())


if __name__ == "__main__":
    cli()
