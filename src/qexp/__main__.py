"""`python -m qexp` (or `qexp`): compose the config with Hydra, run it, errors to exit codes.

Errors are raised inside each run and turned into the point's outcome here, so that a
failing point of a `-m` sweep never stops the points after it; a sweep ends with a table of
its points (`qexp.sweep.summary`) and an exit code that counts every point.
"""

from __future__ import annotations

import gc
import logging
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from qexp.callbacks import Console
from qexp.cli import command, exit_now
from qexp.config import selection
from qexp.config.load import load
from qexp.config.registry import register
from qexp.console import error
from qexp.constants import MANIFEST_FILE
from qexp.errors import ConfigError, QexpError, RunInterrupted
from qexp.run import runner
from qexp.run.lock import RunInUse
from qexp.store.run_folder import record_refusal
from qexp.sweep import index, summary
from qexp.sweep.record import LAST_SWEEP, PointOutcome, SweepEnd, note_finished

log = logging.getLogger("qexp")


def _conf_dir() -> Path:
    """conf/: inside the installed package (the wheel carries it), else the checkout's top level."""
    here = Path(__file__).resolve().parent
    installed = here / "conf"
    return installed if installed.is_dir() else here.parents[1] / "conf"


CONF_DIR = _conf_dir()
"""Absolute, so that Hydra finds it however and from wherever qexp is started."""
register()

_failed: list[QexpError] = []


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="config")
def _run_point(cfg: DictConfig) -> PointOutcome:
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        hydra = HydraConfig.get()
        point = hydra.job.num if hydra.mode == RunMode.MULTIRUN else None
        report = runner.run(load(cfg), run_dir, OmegaConf.to_yaml(cfg, resolve=True), point)
    except RunInterrupted as exc:
        log.error("%s", exc)
        _failed.append(exc)
        note_finished(run_dir, PointOutcome(exc.exit_code, str(exc)))
        raise KeyboardInterrupt from None  # stop the whole sweep, not just this point
    except QexpError as exc:
        log.error("%s", exc)
        _failed.append(exc)
        if not (run_dir / MANIFEST_FILE).exists() and not isinstance(exc, RunInUse):
            record_refusal(run_dir, exc)  # nothing was planned: status and resume say so
        return _finished(run_dir, PointOutcome(exc.exit_code, str(exc)))
    print(runner.summary(report), flush=True)
    return _finished(run_dir, PointOutcome())


def _finished(run_dir: Path, outcome: PointOutcome) -> PointOutcome:
    """A single run into a sweep's folder (resume runs a missing point so) records itself."""
    if HydraConfig.get().mode == RunMode.RUN:
        note_finished(run_dir, outcome)
    return outcome


def main() -> int:
    sys.argv[1:] = selection.expand(sys.argv[1:])  # primitive=[sampler,estimator]
    # What the imports made lives as long as the process: out of the garbage collector's
    # way, whose full collections walked it several times a run (a third of a second).
    gc.freeze()
    try:
        _run_point()
    except KeyboardInterrupt:
        if not any(isinstance(exc, RunInterrupted) for exc in _failed):
            error("interrupted before any job was submitted")
        return RunInterrupted.exit_code
    except SystemExit as exc:  # Hydra refused the command line, and said why on stderr
        if exc.code == 1 and not Console.accepted:
            return ConfigError.exit_code
        raise
    if LAST_SWEEP:
        return _sweep_end(LAST_SWEEP[0])
    return max((exc.exit_code for exc in _failed), default=0)


def _sweep_end(end: SweepEnd) -> int:
    """The sweep's table on stdout, each failed point's own message on stderr."""
    if end.dry_run_exit_code is not None:
        return end.dry_run_exit_code
    records = index.read(end.sweep_dir) or []
    views = summary.point_views(end.sweep_dir, records)
    print(summary.render(views), flush=True)
    failed = [v for v in views if not v.done]
    if failed:
        lines = [f"{len(failed)} sweep point(s) failed:"]
        for view in failed:
            why = view.error or f"{view.state} (see {command('status', view.folder)})"
            lines.append(f"point {view.number} ({view.folder}): {why.splitlines()[0]}")
        lines.append(f"resume with: {command('resume', end.sweep_dir)}")
        error("\n".join(lines))
    return summary.exit_code(views)


def cli() -> None:
    """The `qexp` console script."""
    exit_now(main())


if __name__ == "__main__":
    cli()
