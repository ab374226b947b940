"""What the user sees while jobs run: a rich bar on a terminal or in a Jupyter notebook,
log lines otherwise, nothing when the caller asked for quiet (`silenced`)."""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import sys
import time
from collections.abc import Iterator
from types import TracebackType
from typing import Any

log = logging.getLogger("qexp")

_SILENCED: list[bool] = []


@contextlib.contextmanager
def silenced() -> Iterator[None]:
    """No progress at all while inside, whatever `run.progress` says (the API's quiet)."""
    _SILENCED.append(True)
    try:
        yield
    finally:
        _SILENCED.pop()


def in_notebook() -> bool:
    """A Jupyter kernel runs this, and can show rich's live display (through ipywidgets)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None  # type: ignore[attr-defined]
    return (
        type(shell).__name__ == "ZMQInteractiveShell"
        and importlib.util.find_spec("ipywidgets") is not None
    )


class Progress:
    """Counts of submitted, done and failed jobs, with elapsed time."""

    def __init__(self, total: int, mode: str = "auto", label: str = "jobs", done: int = 0) -> None:
        self.total, self.label = total, label
        self.counts = {"submitted": 0, "done": done, "failed": 0}  # done: before a resume
        self.started = time.monotonic()
        if mode == "auto":
            mode = "bar" if sys.stderr.isatty() or in_notebook() else "log"
        self.mode = "off" if _SILENCED else mode
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if self.mode == "bar":
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[detail]}"),
                TimeElapsedColumn(),
                transient=False,
            )
            originals = {id(sys.stdout): "stdout", id(sys.stderr): "stderr"}
            self._bar.__enter__()
            self._task = self._bar.add_task(
                self.label, total=self.total, completed=self.counts["done"], detail=self._detail()
            )
            self._route_log_handlers(originals)
        return self

    def _route_log_handlers(self, originals: dict[int, str]) -> None:
        """Send console log lines through rich, so they print above the bar, not through it."""
        self._rerouted: list[tuple[logging.StreamHandler, Any]] = []
        for handler in logging.getLogger().handlers:
            if type(handler) is logging.StreamHandler and id(handler.stream) in originals:
                proxy = getattr(sys, originals[id(handler.stream)])
                self._rerouted.append((handler, handler.setStream(proxy)))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            for handler, stream in self._rerouted:
                handler.setStream(stream)
            self._bar.__exit__(exc_type, exc, tb)

    def update(self, event: str, index: int) -> None:
        self.counts[event] = self.counts.get(event, 0) + 1
        if self._bar is not None:
            finished = self.counts["done"] + self.counts["failed"]
            self._bar.update(self._task, completed=finished, detail=self._detail())
        elif self.mode == "log" and event != "submitted":
            log.info("job %d %s [%s]", index, event, self._detail())

    def _detail(self) -> str:
        c = self.counts
        elapsed = time.monotonic() - self.started
        return (
            f"submitted {c['submitted']}, done {c['done']}/{self.total}, failed {c['failed']}, "
            f"{elapsed:.1f} s"
        )
