"""qexp from Python: the front door the command line also uses (one path, two faces).

```python
from qexp import api

run = api.run("circuits=ghz", "backend=fake", "primitive.shots=2000")
run.table()                  # pandas, a row per circuit result
sweep = api.sweep("circuits.num_qubits=2,3,4")
sweep.table().groupby("circuits.num_qubits")["success_probability"].mean()
api.plan("experiment=ghz_fake_device").estimate.qpu_seconds
```

Every function composes its overrides exactly as `python -m qexp` does, through Hydra's
own machinery (`qexp.api.launch`): qexp's conf/, a user's `config_dir` (as `--config-dir`),
the same checks and messages. Bad input raises the `ConfigError` the command line prints
for exit 2 (`.key`, `.value`, `.allowed`, `.fix`); a command line Hydra refuses raises
`InputRefused`, one of them. A run that did not complete raises `RunError`, a sweep with
failed points `SweepFailed`, Ctrl-C (a notebook's interrupt) `RunInterrupted` once a job
was submitted, each with `.folder`: what arrived is kept there, `open` and `resume` take
it. `quiet=True` prints nothing; otherwise progress shows as a bar on a terminal or in a
notebook and as log lines elsewhere, and the command line's summary is printed.

Why `qexp.api.run` and not `qexp.run`: `qexp.run`, `qexp.plan`, `qexp.sweep` and
`qexp.resume` are already the stages and the command that do the work (`from qexp.run
import runner`, `python -m qexp.resume`). See docs/api.md.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omegaconf import DictConfig

from qexp.api import launch as door
from qexp.config.load import load
from qexp.errors import ConfigError, InputRefused, QexpError, RunError, RunInterrupted, SweepFailed

if TYPE_CHECKING:
    from qexp.api.folders import Run, Sweep
    from qexp.api.resuming import resume
    from qexp.plan.estimate import PlanEstimate
    from qexp.plan.partition import JobPlan

_LATER = {"Run": "qexp.api.folders", "Sweep": "qexp.api.folders", "resume": "qexp.api.resuming"}
"""Loaded on first use: `python -m qexp` imports this module on its way to a run, and
what only reads folders (rich, the results reader) would otherwise delay the run's check
of its files by a tenth of a second (docs/performance.md)."""


def __getattr__(name: str) -> Any:
    if name in _LATER:
        return getattr(importlib.import_module(_LATER[name]), name)
    raise AttributeError(f"module 'qexp.api' has no attribute {name!r}")


def __dir__() -> list[str]:
    """What a notebook completes after `api.`: the names loaded later too."""
    return sorted({*globals(), *_LATER})


__all__ = [
    "ConfigError",
    "InputRefused",
    "Plan",
    "QexpError",
    "Run",
    "RunError",
    "RunInterrupted",
    "Sweep",
    "SweepFailed",
    "compose",
    "open",
    "plan",
    "resume",
    "run",
    "sweep",
]

Folder = Path | str


def run(
    *overrides: str,
    config_dir: Folder | None = None,
    run_dir: Folder | None = None,
    quiet: bool = False,
) -> Run:
    """Run one experiment, as `python -m qexp OVERRIDES` does; its `Run`.

    `run_dir` is the folder (Hydra's `hydra.run.dir`; default `outputs/DATE/TIME`, or
    `TIME-2`, ... when another run took it);
    `config_dir` a folder of the user's own config files (`--config-dir`).
    """
    args = [*overrides, *_dir_override("hydra.run.dir", run_dir)]
    with door.kept_process_state(quiet):
        done = door.launch(args, config_dir=config_dir)
    _raise_for(done)
    assert done.folder is not None
    from qexp.api.folders import Run

    return Run(done.folder, done.reports[0] if done.reports else None)


def sweep(
    *overrides: str,
    config_dir: Folder | None = None,
    sweep_dir: Folder | None = None,
    quiet: bool = False,
) -> Sweep:
    """Run a sweep, as `python -m qexp -m OVERRIDES` does (the same sweeper and launchers:
    `hydra/launcher=slurm` works from a notebook too); its `Sweep`.

    A point that fails does not stop the others; the sweep then raises `SweepFailed`
    (`.folder` is the sweep's) after every point has ended.
    """
    from qexp.api.folders import Sweep
    from qexp.sweep import summary

    args = [*overrides, *_dir_override("hydra.sweep.dir", sweep_dir)]
    with door.kept_process_state(quiet):
        done = door.launch(args, multirun=True, config_dir=config_dir)
        _raise_for(done)
        end = done.sweep
        if end is None:
            raise QexpError("the sweep launched no point")
        folder = end.sweep_dir.absolute()  # as a run's: Hydra names it from where it started
        if end.dry_run_exit_code is not None:
            if end.dry_run_exit_code:
                raise SweepFailed("the sweep's dry run found a point refused", 2)
            return Sweep(folder)
        table, failure, code = summary.ending(end.sweep_dir)
        if not quiet:
            print(table, flush=True)
    if failure:
        exc = SweepFailed(failure, code)
        exc.folder = folder
        raise exc
    return Sweep(folder)


def open(folder: Folder) -> Run | Sweep:
    """The run or sweep in `folder` (a run folder, or a sweep's `multirun/DATE/TIME`)."""
    from qexp.api.folders import Run, Sweep
    from qexp.store.run_folder import is_run_dir, run_dirs
    from qexp.sweep import index, sweep_points

    path = Path(folder)
    if index.read(path) is not None or sweep_points(path) is not None:
        return Sweep(path)
    if is_run_dir(path):
        return Run(path)
    if run_dirs(path):
        return Sweep(path)
    raise QexpError(f"{path}: no run folder here (expected .hydra/ or manifest.json)")


@dataclass(frozen=True)
class Plan:
    """What a run would submit: `run.dry_run=true`'s plan as data."""

    text: str
    """What `python -m qexp ... run.dry_run=true` prints."""
    backend: str
    primitive: str
    implementation: str
    num_circuits: int
    jobs: tuple[JobPlan, ...]
    """Each job: its index, its circuits' indices, its primitive (a run of both)."""
    executions: tuple[int, ...]
    """Each job's executions, as IBM Quantum counts them."""
    estimate: PlanEstimate
    """Circuits, jobs, executions, the widest ISA circuit, QPU seconds (None off IBM)."""


def plan(*overrides: str, config_dir: Folder | None = None, quiet: bool = True) -> Plan:
    """The dry run's plan of the run `overrides` describe; nothing is submitted or written."""
    from qexp.plan.estimate import estimate
    from qexp.plan.make import make_plan
    from qexp.run.runner import describe_plan

    with door.kept_process_state(quiet):
        cfg = load(door.compose(overrides, config_dir))
        planned = make_plan(cfg)
        try:
            found = estimate(planned)
            text = describe_plan(planned, found=found)
        finally:
            planned.close()
    return Plan(
        text=text,
        backend=planned.backend_name,
        primitive=planned.primitive_name,
        implementation=planned.implementation,
        num_circuits=planned.num_circuits,
        jobs=tuple(planned.jobs),
        executions=found.executions_per_job,
        estimate=found,
    )


def compose(*overrides: str, config_dir: Folder | None = None) -> DictConfig:
    """The config a run of `overrides` would use (what `--cfg job` prints), checked as a
    run checks it."""
    cfg = door.compose(overrides, config_dir)
    load(cfg)
    return cfg


def _raise_for(done: door.Launch) -> None:
    """The launch's outcome as the API's: its first error raised, with its folder."""
    if done.ctrl_c:
        if done.interrupted is not None:
            raise done.interrupted
        raise KeyboardInterrupt  # before any job was submitted: nothing to keep
    if done.errors and not done.multirun:
        raise done.errors[0]


_PLAIN = re.compile(r"[\w./:@-]+")


def _dir_override(key: str, folder: Folder | None) -> list[str]:
    """`key=folder` in Hydra's override grammar (quoted unless plain)."""
    if folder is None:
        return []
    text = str(Path(folder).absolute())
    if not _PLAIN.fullmatch(text):
        text = "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return [f"{key}={text}"]
