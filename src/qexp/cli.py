"""What every `python -m qexp.X` command shares: log set-up and a prompt exit."""

from __future__ import annotations

import logging
import os
import sys

from qexp import execute


def setup_logging() -> None:
    """qexp at INFO, the libraries only when they warn (Qiskit's pass manager is chatty)."""
    logging.basicConfig(
        level=logging.WARNING, format="[%(asctime)s][%(name)s][%(levelname)s] - %(message)s"
    )
    logging.getLogger("qexp").setLevel(logging.INFO)


def exit_now(code: int) -> None:
    """Exit; skip waiting for local jobs a stopped run abandoned (their results are unwanted)."""
    if execute.abandoned_local_jobs():
        sys.stdout.flush()
        sys.stderr.flush()
        logging.shutdown()
        os._exit(code)
    sys.exit(code)


def emulator() -> None:
    """The `qexp-emulator` console script: whatever `python -m qexp.emulator` runs."""
    import runpy

    runpy.run_module("qexp.emulator", run_name="__main__", alter_sys=True)
