"""qexp's Hydra callbacks that are not a sweep's (`qexp.sweep.record` keeps `sweep.json`)."""

from __future__ import annotations

from typing import Any

from hydra.experimental.callback import Callback

from qexp.console import adopt_library_output


class Console(Callback):
    """Hydra callback: library output follows the console rule in every job's process,
    whatever the launcher (Hydra has just applied `hydra.job_logging` there).

    `accepted` tells `python -m qexp` that Hydra composed the command line: when Hydra
    exits 1 before that, it refused the input (exit 2), no run failed.
    """

    accepted = False

    def on_run_start(self, config: Any, **kwargs: Any) -> None:
        Console.accepted = True

    def on_multirun_start(self, config: Any, **kwargs: Any) -> None:
        Console.accepted = True

    def on_job_start(self, config: Any, **kwargs: Any) -> None:
        adopt_library_output()
