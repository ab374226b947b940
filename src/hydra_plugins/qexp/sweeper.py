"""`hydra/sweeper=qexp` (qexp's default): Hydra's basic sweeper, plus the dry run, and points
composed once per choice of groups.

With `run.dry_run=true` every point is composed and planned here, in the launching process,
and nothing is handed to the launcher: no point runs, no Slurm job starts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.config_loader import ConfigLoader
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.types import HydraContext
from omegaconf import DictConfig, OmegaConf, open_dict


class QexpSweeper(BasicSweeper):
    def setup(self, *, hydra_context: HydraContext, task_function: Any, config: DictConfig) -> None:
        """Points that choose the same groups share one composition (`qexp.sweep.compose`):
        for the check of the batch, for the launcher, and for the dry run."""
        from qexp.sweep.compose import PointComposer

        loader = cast(ConfigLoader, PointComposer(hydra_context.config_loader))
        shared = HydraContext(loader, hydra_context.callbacks)
        super().setup(hydra_context=shared, task_function=task_function, config=config)

    def sweep(self, arguments: list[str]) -> Any:
        assert self.config is not None and self.hydra_context is not None
        if not OmegaConf.select(self.config, "run.dry_run"):
            return super().sweep(arguments)
        from qexp.sweep.dry_run import plan_sweep
        from qexp.sweep.record import LAST_SWEEP, SweepEnd

        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        overrides = parser.parse_overrides([*self._parse_config(), *arguments])
        points = [list(p) for batch in self.split_arguments(overrides, None) for p in batch]
        logging.getLogger().setLevel(logging.WARNING)  # as in a point: Qiskit only when it warns
        text, exit_code = plan_sweep(points, self._task_config)
        print(text, flush=True)
        LAST_SWEEP[:] = [SweepEnd(Path(self.config.hydra.sweep.dir), dry_run_exit_code=exit_code)]
        return []

    def _task_config(self, overrides: Sequence[str]) -> DictConfig:
        """A point's config, composed exactly as its run would be, without the hydra node."""
        assert self.config is not None and self.hydra_context is not None
        cfg = self.hydra_context.config_loader.load_sweep_config(self.config, list(overrides))
        with open_dict(cfg):
            del cfg["hydra"]
        return cfg
