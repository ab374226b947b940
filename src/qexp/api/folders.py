"""A run folder and a sweep folder as Python objects: what `qexp.api` returns and opens.

They hold only the folder's path (and, straight after a run, its report): every property
reads the folder as it is now, so an object made before a resume tells the truth after it.
`show()` prints what `qexp.show` prints, on a terminal or as rich output in a notebook.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qexp.analysis.results import load_run, load_table
from qexp.analysis.show import MAX_CIRCUITS, MAX_OUTCOMES, renderables
from qexp.constants import MANIFEST_FILE
from qexp.run.runner import RunReport, summary
from qexp.run.status import run_status
from qexp.store import is_complete, run_folder
from qexp.store.manifest import Manifest
from qexp.store.run_folder import run_dirs
from qexp.sweep import index
from qexp.sweep import summary as sweep_summary


class Run:
    """One run folder: its status, results, table, report and display."""

    def __init__(self, folder: Path | str, report: RunReport | None = None) -> None:
        self.folder = Path(folder)
        self._report = report

    @property
    def jobs(self) -> dict[str, int]:
        """Jobs by state (`done`, `failed`, `cancelled`, `submitted`, `pending`)."""
        if not (self.folder / MANIFEST_FILE).is_file():
            return {}
        return {k: v for k, v in Manifest.load(self.folder).counts().items() if v}

    @property
    def complete(self) -> bool:
        """Every planned job is done and its file complete."""
        return run_status(self.folder)[0]

    @property
    def status(self) -> str:
        """`done`, `dry run`, `refused`, `not planned`, or the jobs by state."""
        if run_folder.refusal(self.folder) is not None:
            return "refused"
        if run_folder.is_dry_run(self.folder):
            return "dry run"
        if not (self.folder / MANIFEST_FILE).is_file():
            return "not planned"
        if self.complete:
            return "done"
        manifest = Manifest.load(self.folder)
        missing = sum(
            j.status == "done" and not is_complete(self.folder / j.file) for j in manifest.jobs
        )
        counts = ", ".join(f"{n} {s}" for s, n in self.jobs.items())
        return f"incomplete: {counts}" + (f", {missing} file(s) missing" if missing else "")

    def results(self, *, partial: bool = False, primitive: str | None = None) -> Any:
        """One PubResult per circuit, in order (`qexp.results.load_run`)."""
        return load_run(self.folder, partial=partial, primitive=primitive)

    def table(self, *, skip_corrupt: bool = False) -> Any:
        """A row per circuit result (`qexp.results.load_table`): a pandas DataFrame."""
        return load_table(self.folder, skip_corrupt=skip_corrupt)

    def report(self) -> Path:
        """Write the HTML report with its plots (`qexp.report`); its path."""
        from qexp.analysis.report import build_report  # matplotlib: only when asked

        return build_report(self.folder)

    def show(self, circuits: int = MAX_CIRCUITS, outcomes: int = MAX_OUTCOMES) -> None:
        """Print what `qexp.show` prints (rich output in a notebook)."""
        _print(renderables(self.folder, circuits, outcomes))

    def summary(self) -> str:
        """What the command line printed when the run ended (else the folder's status)."""
        if self._report is not None:
            return summary(self._report)
        return f"{self.folder}: {self.status}"

    def __rich__(self) -> Any:
        from rich.console import Group

        return Group(*renderables(self.folder))

    def __repr__(self) -> str:
        return f"Run({str(self.folder)!r}, {self.status})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Run) and other.folder.resolve() == self.folder.resolve()

    def __hash__(self) -> int:
        return hash(self.folder.resolve())


class Sweep:
    """One sweep folder (`multirun/DATE/TIME`): its points as `Run`s, table, report, display."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)

    @property
    def points(self) -> list[Run]:
        """Each point's run, in the sweep's order (points never started have no folder)."""
        records = index.read(self.folder)
        if records is not None:
            folders = [self.folder / r.folder for r in records]
            return [Run(f) for f in folders if f.is_dir()]
        return [Run(f) for f in run_dirs(self.folder)]

    @property
    def complete(self) -> bool:
        """Every point is done."""
        found = sweep_summary.summarize(self.folder)
        if found is not None:
            return found[1] == 0
        return bool(self.points) and all(p.complete for p in self.points)

    @property
    def status(self) -> str:
        """The table `qexp.status` prints: a row per point, then the total."""
        found = sweep_summary.summarize(self.folder)
        if found is not None:
            return found[0]
        return "\n".join(f"{p.folder}: {p.status}" for p in self.points)

    def table(self, *, skip_corrupt: bool = False) -> Any:
        """Every point's rows in one DataFrame, with a column per swept key
        (`table.attrs["overrides"]`)."""
        return load_table(self.folder, skip_corrupt=skip_corrupt)

    def report(self) -> Path:
        """Write the sweep's HTML report with its plots; its path."""
        from qexp.analysis.report import build_report  # matplotlib: only when asked

        return build_report(self.folder)

    def show(self, circuits: int = MAX_CIRCUITS, outcomes: int = MAX_OUTCOMES) -> None:
        """Print what `qexp.show` prints for the sweep (rich output in a notebook)."""
        _print(renderables(self.folder, circuits, outcomes))

    def __rich__(self) -> Any:
        from rich.console import Group

        return Group(*renderables(self.folder))

    def __repr__(self) -> str:
        points = self.points
        done = sum(p.complete for p in points)
        return f"Sweep({str(self.folder)!r}, {done} of {len(points)} points done)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sweep) and other.folder.resolve() == self.folder.resolve()

    def __hash__(self) -> int:
        return hash(self.folder.resolve())


def _print(shown: list[Any]) -> None:
    from rich.console import Console

    console = Console()
    if not console.is_jupyter:
        console = Console(width=max(120, console.width))
    for renderable in shown:
        console.print(renderable)
