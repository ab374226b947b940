"""`python -m qexp` (or `qexp`): the command line's face of `qexp.api`'s one path.

Hydra's own argument parser reads the command line; a run or a sweep goes through
`qexp.api.launch.launch`, exactly what `qexp.api.run` and `qexp.api.sweep` call. What
remains here is the terminal's share: the exit code, a refused command line as one error
line, and a sweep's table and failed points at its end. Hydra's informational flags
(`--help`, `--hydra-help`, `--cfg`, `--info`, shell completion) and its `--config-path`
and `--experimental-rerun` go to Hydra itself, with the same task function.
"""

from __future__ import annotations

import gc
import os
import sys

import hydra

from qexp.api.launch import _ACTIVE, CONF_DIR, CONFIG_NAME, VERSION_BASE, Launch, launch, task
from qexp.callbacks import Console
from qexp.cli import exit_now
from qexp.config import selection
from qexp.console import error
from qexp.errors import ConfigError, InputRefused, QexpError, RunInterrupted
from qexp.sweep import summary
from qexp.sweep.record import LAST_SWEEP, SweepEnd

__all__ = ["CONF_DIR", "cli", "main"]

HYDRA_ONLY = ("help", "hydra_help", "cfg", "info", "shell_completion", "config_path")


def main(argv: list[str] | None = None) -> int:
    """Run `python -m qexp ARGV` (default: this process's arguments); the exit code."""
    from hydra._internal.utils import get_args_parser

    given = sys.argv[1:] if argv is None else list(argv)
    args = get_args_parser().parse_args(given)
    # What the imports made lives as long as the process: out of the garbage collector's
    # way, whose full collections walked it several times a run (a third of a second).
    gc.freeze()
    if any(getattr(args, name, None) for name in (*HYDRA_ONLY, "experimental_rerun")):
        return _through_hydra(given)
    try:
        done = launch(
            args.overrides,
            multirun=args.multirun,
            config_dir=args.config_dir,
            config_name=args.config_name or CONFIG_NAME,
        )
    except QexpError as exc:  # refused before any run started: nothing was written
        if isinstance(exc, InputRefused) and os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        error(str(exc))
        return exc.exit_code
    return _exit_code(done)


def _exit_code(done: Launch) -> int:
    if done.ctrl_c:
        if done.interrupted is None:
            error("interrupted before any job was submitted")
        return RunInterrupted.exit_code
    if done.sweep is not None:
        return _sweep_end(done.sweep)
    return done.exit_code


def _sweep_end(end: SweepEnd) -> int:
    """The sweep's table on stdout, each failed point's own message on stderr."""
    if end.dry_run_exit_code is not None:
        return end.dry_run_exit_code
    table, failure, code = summary.ending(end.sweep_dir)
    print(table, flush=True)
    if failure:
        error(failure)
    return code


@hydra.main(version_base=VERSION_BASE, config_path=str(CONF_DIR), config_name=CONFIG_NAME)
def _hydra_main(cfg: object) -> object:
    return task(cfg)  # type: ignore[arg-type]


def _through_hydra(given: list[str]) -> int:
    """Hydra's own handling of the command line (its flags print and exit)."""
    sys.argv[1:] = selection.expand(given)
    done = Launch(multirun="-m" in given or "--multirun" in given)
    _ACTIVE.append(done)
    try:
        LAST_SWEEP.clear()
        _hydra_main()
    except KeyboardInterrupt:
        done.ctrl_c = True
    except SystemExit as exc:  # Hydra refused the command line, and said why on stderr
        if exc.code == 1 and not Console.accepted:
            return ConfigError.exit_code
        raise
    finally:
        _ACTIVE.remove(done)
    done.sweep = LAST_SWEEP[0] if LAST_SWEEP else None
    return _exit_code(done)


def cli() -> None:
    """The `qexp` console script."""
    exit_now(main())


if __name__ == "__main__":
    cli()
