"""`python -m qexp`: compose the config with Hydra, run it, turn errors into exit codes.

Errors are raised inside each run and turned into an exit code here only, so that a
failing point of a `-m` sweep never stops the points after it.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from qexp import runner
from qexp.cli import exit_now
from qexp.config import load, register
from qexp.errors import QexpError, RunInterrupted
from qexp.sweep import SweepOutcome

log = logging.getLogger("qexp")
CONF_DIR = Path(__file__).resolve().parents[2] / "conf"
"""The repo's conf/, absolute so that Hydra finds it however qexp is started."""
register()

_failed: list[tuple[Path, QexpError]] = []


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="config")
def _run_point(cfg: DictConfig) -> None:
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        report = runner.run(load(cfg), run_dir, OmegaConf.to_yaml(cfg, resolve=True))
    except RunInterrupted as exc:
        log.error("%s", exc)
        _failed.append((run_dir, exc))
        raise KeyboardInterrupt from None  # stop the whole sweep, not just this point
    except QexpError as exc:
        log.error("%s", exc)
        _failed.append((run_dir, exc))
        return
    print(runner.summary(report), flush=True)


def main() -> int:
    try:
        _run_point()
    except KeyboardInterrupt:
        if not any(isinstance(exc, RunInterrupted) for _, exc in _failed):
            print("qexp: interrupted before any job was submitted", file=sys.stderr)
        return RunInterrupted.exit_code
    return _exit_code()


def _exit_code() -> int:
    """Single run: its own error. Sweep: every point's folder, as SweepOutcome read them."""
    if SweepOutcome.swept:
        messages = {run_dir.resolve(): str(exc).splitlines()[0] for run_dir, exc in _failed}
        failed = [(d, messages.get(d.resolve(), why)) for d, why in SweepOutcome.failed]
        if failed:
            print(f"qexp: {len(failed)} sweep point(s) failed:", file=sys.stderr)
            for run_dir, message in failed:
                print(f"  {run_dir}: {message}", file=sys.stderr)
        return max([exc.exit_code for _, exc in _failed] + [1] * bool(failed), default=0)
    return max((exc.exit_code for _, exc in _failed), default=0)


if __name__ == "__main__":
    exit_now(main())
