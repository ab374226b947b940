"""`hydra/launcher=slurm` and `hydra/launcher=local`: hydra-submitit-launcher's launchers,
with a failed point failing its job and every point waited for (`qexp.sweep.launching`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hydra.core.utils import JobReturn
from hydra_plugins.hydra_submitit_launcher import submitit_launcher


class SlurmLauncher(submitit_launcher.SlurmLauncher):
    def __call__(self, *args: Any) -> JobReturn:
        from qexp.sweep.launching import run_point

        return run_point(super().__call__, *args)

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Any:
        from qexp.sweep.launching import launch

        return launch(self, self._EXECUTOR, job_overrides, initial_job_idx)


class LocalLauncher(submitit_launcher.LocalLauncher):
    def __call__(self, *args: Any) -> JobReturn:
        from qexp.sweep.launching import run_point

        return run_point(super().__call__, *args)

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Any:
        from qexp.sweep.launching import launch

        return launch(self, self._EXECUTOR, job_overrides, initial_job_idx)
