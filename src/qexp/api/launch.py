"""Hydra's door, one path for both faces: `python -m qexp` and `qexp.api` launch through here.

`launch(overrides)` does what `@hydra.main` does for a command line, with Hydra's own
machinery: the same search path (qexp's conf/, then a user's `config_dir`, as
`--config-dir` adds it), `Hydra.run` or `Hydra.multirun` (the sweeper, the launchers, the
callbacks, `.hydra/` and the log file), and one task function, `task`, that runs a point.
The task turns every `QexpError` into the point's outcome (a failing point of a sweep never
stops the others) and keeps the error and the run's report on the `Launch`, so that the
command line prints and exits, and the API returns or raises, from the same facts.

A command line Hydra refuses becomes an `InputRefused` (a `ConfigError`): Hydra's own
message and the key it names.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from hydra import version
from hydra._internal.callbacks import Callbacks
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.utils import run_job
from hydra.errors import HydraException, MissingConfigException, OverrideParseException
from hydra.types import HydraContext, RunMode
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.errors import OmegaConfBaseException

from qexp.cli import command
from qexp.config import selection
from qexp.config.load import load
from qexp.config.registry import register
from qexp.constants import MANIFEST_FILE
from qexp.errors import ConfigError, InputRefused, QexpError, RunInterrupted
from qexp.run.lock import RunInUse
from qexp.store.run_folder import record_refusal
from qexp.sweep.record import LAST_SWEEP, PointOutcome, SweepEnd, note_finished

if TYPE_CHECKING:
    from qexp.run.runner import RunReport

log = logging.getLogger("qexp")

CONFIG_NAME = "config"
VERSION_BASE = "1.3"
TASK_NAME = "__main__"
"""Hydra's job name, the same from Python as from `python -m qexp`: the run folder's log
file is `__main__.log` either way, so that both faces write the same files."""


def _conf_dir() -> Path:
    """conf/: inside the installed package (the wheel carries it), else the checkout's top level."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "conf"
    return installed if installed.is_dir() else package.parents[1] / "conf"


CONF_DIR = _conf_dir()
"""Absolute, so that Hydra finds it however and from wherever qexp is started."""
register()


@dataclass
class Launch:
    """What one launch did in this process: the folder, each point's report or error."""

    multirun: bool
    folder: Path | None = None
    """The run's folder (a run), or the sweep's (a sweep), once Hydra has made it."""
    reports: list[RunReport] = field(default_factory=list)
    errors: list[QexpError] = field(default_factory=list)
    sweep: SweepEnd | None = None
    ctrl_c: bool = False
    """Ctrl-C stopped it: what arrived is kept (`interrupted` says where, once a job ran)."""

    @property
    def interrupted(self) -> RunInterrupted | None:
        return next((e for e in self.errors if isinstance(e, RunInterrupted)), None)

    @property
    def exit_code(self) -> int:
        """The command line's exit code for what happened (a sweep's: see `sweep_exit_code`)."""
        if self.ctrl_c:
            return RunInterrupted.exit_code
        return max((e.exit_code for e in self.errors), default=0)


_ACTIVE: list[Launch] = []
"""The launch running in this process (Hydra hands its task function only the config). A
point run by a launcher in another process has none and records a launch of its own."""


def task(cfg: DictConfig) -> PointOutcome:
    """Hydra's task function: run one point, its errors as its outcome, never raised.

    Ctrl-C is the exception: what arrived is kept and the whole sweep stops.
    """
    from qexp.run import runner  # here: see qexp.api._LATER

    hydra = HydraConfig.get()
    run_dir = Path(hydra.runtime.output_dir)
    multirun = hydra.mode == RunMode.MULTIRUN
    current = _ACTIVE[-1] if _ACTIVE else Launch(multirun)
    if not multirun:
        current.folder = run_dir
    try:
        _check_fresh(run_dir, "hydra.sweep.dir" if multirun else "hydra.run.dir")
        point = hydra.job.num if multirun else None
        report = runner.run(load(cfg), run_dir, OmegaConf.to_yaml(cfg, resolve=True), point)
    except RunInterrupted as exc:
        log.error("%s", exc)
        exc.folder = run_dir
        current.errors.append(exc)
        note_finished(run_dir, PointOutcome(exc.exit_code, str(exc)))
        raise KeyboardInterrupt from None  # stop the whole sweep, not just this point
    except QexpError as exc:
        log.error("%s", exc)
        exc.folder = run_dir
        current.errors.append(exc)
        if not (run_dir / MANIFEST_FILE).exists() and not isinstance(exc, RunInUse):
            record_refusal(run_dir, exc)  # nothing was planned: status and resume say so
        return _finished(run_dir, PointOutcome(exc.exit_code, str(exc)))
    current.reports.append(report)
    print(runner.summary(report), flush=True)
    return _finished(run_dir, PointOutcome())


def _named_run_dir(args: Sequence[str]) -> Path | None:
    """The run folder the overrides name literally (`hydra.run.dir=PATH`), if they do."""
    named = [a.split("=", 1)[1] for a in args if a.startswith("hydra.run.dir=")]
    if not named or "${" in named[-1]:
        return None
    return Path(named[-1].strip("'\""))


def _check_fresh(run_dir: Path | None, key: str) -> None:
    """A new run never writes over another's jobs. Checked before Hydra runs for a folder
    named on the command line, and again in the task for every folder (the default one
    is always new: `qexp.config.fresh`; a folder named with an interpolation may not be)."""
    if run_dir is not None and (run_dir / MANIFEST_FILE).exists():
        raise ConfigError(
            key,
            str(run_dir.parent if key == "hydra.sweep.dir" else run_dir),
            "a folder holding no run yet (this one holds a run's manifest.json and jobs)",
            f"choose another folder ({key}=..., or run_dir= / sweep_dir= in qexp.api), or "
            f"finish that run with: {command('resume', run_dir)}",
        )


def _finished(run_dir: Path, outcome: PointOutcome) -> PointOutcome:
    """A single run into a sweep's folder (resume runs a missing point so) records itself."""
    if HydraConfig.get().mode == RunMode.RUN:
        note_finished(run_dir, outcome)
    return outcome


def launch(
    overrides: Sequence[str],
    *,
    multirun: bool = False,
    config_dir: Path | str | None = None,
    config_name: str = CONFIG_NAME,
) -> Launch:
    """Run (or, `multirun`, sweep) the config `overrides` compose, as `python -m qexp` does.

    Raises `InputRefused` when Hydra refuses the overrides; every error of a point, and
    Ctrl-C (`Launch.ctrl_c`), is on the launch it returns. What reaches the terminal
    meanwhile is the caller's choice (`kept_process_state`).
    """
    args = selection.expand(overrides)
    current = Launch(multirun)
    _ACTIVE.append(current)
    try:
        if not multirun:
            _check_fresh(_named_run_dir(args), "hydra.run.dir")  # before Hydra writes there
        hydra = _hydra(config_dir)
        if not multirun and _run_composed_once(hydra, config_name, args):
            return current
        mode = hydra.get_mode(config_name=config_name, overrides=args)
        if mode is None:
            mode = RunMode.MULTIRUN if multirun else RunMode.RUN
            args.append(f"hydra.mode={mode.name}")
        elif multirun and mode == RunMode.RUN:
            mode = RunMode.MULTIRUN
            args.append("hydra.mode=MULTIRUN")
        if mode == RunMode.RUN:
            hydra.run(config_name=config_name, task_function=task, overrides=args)
        else:
            LAST_SWEEP.clear()
            hydra.multirun(config_name=config_name, task_function=task, overrides=args)
            current.sweep = LAST_SWEEP[0] if LAST_SWEEP else None
            if current.sweep is not None:
                current.folder = current.sweep.sweep_dir
    except (HydraException, OmegaConfBaseException) as exc:
        raise refused(exc, args) from exc
    except KeyboardInterrupt:
        current.ctrl_c = True
    finally:
        _ACTIVE.remove(current)
        GlobalHydra.instance().clear()
    return current


def _run_composed_once(hydra: Any, config_name: str, args: list[str]) -> bool:
    """`Hydra.run` for a command line that composes as one run, with the config composed
    once: Hydra composes it a first time only to read `hydra.mode` (`Hydra.get_mode`), and
    each composition of qexp's config takes a quarter of a second on one core, before
    anything else can start. False, having run nothing, for a command line Hydra must
    decide itself: a config that asks for a sweep (`hydra.mode: MULTIRUN`), or one that
    does not compose as one run (sweep syntax, or an error Hydra then reports as before).
    """
    try:
        cfg = hydra.compose_config(
            config_name=config_name,
            overrides=args,
            run_mode=RunMode.RUN,
            with_log_configuration=True,
        )
    except (HydraException, OmegaConfBaseException):
        return False
    if cfg.hydra.mode is not None:
        return False  # the config names its mode: `get_mode` and Hydra decide, as before
    # What `launch` otherwise appends before `Hydra.run`, so that .hydra/ reads the same.
    cfg.hydra.mode = RunMode.RUN
    cfg.hydra.overrides.hydra.append("hydra.mode=RUN")
    callbacks = Callbacks(cfg)
    callbacks.on_run_start(config=cfg, config_name=config_name)
    done = run_job(
        hydra_context=HydraContext(config_loader=hydra.config_loader, callbacks=callbacks),
        task_function=task,
        config=cfg,
        job_dir_key="hydra.run.dir",
        job_subdir_key=None,
        configure_logging=True,
    )
    callbacks.on_run_end(config=cfg, config_name=config_name, job_return=done)
    _ = done.return_value  # raises what the task raised, as `Hydra.run` does
    return True


def compose(overrides: Sequence[str], config_dir: Path | str | None = None) -> DictConfig:
    """The config `python -m qexp OVERRIDES` would run, without Hydra's own section."""
    args = selection.expand(overrides)
    try:
        hydra = _hydra(config_dir)
        cfg = hydra.compose_config(
            config_name=CONFIG_NAME,
            overrides=args,
            run_mode=RunMode.RUN,
            with_log_configuration=False,
        )
    except (HydraException, OmegaConfBaseException) as exc:
        raise refused(exc, args) from exc
    finally:
        GlobalHydra.instance().clear()
    with open_dict(cfg):
        del cfg["hydra"]
    return cfg


def _hydra(config_dir: Path | str | None) -> Any:
    """Hydra, set up as `@hydra.main` sets it up for `python -m qexp [--config-dir DIR]`."""
    from hydra._internal.hydra import Hydra
    from hydra._internal.utils import create_automatic_config_search_path
    from hydra.core.config_search_path import SearchPathQuery

    search_path = create_automatic_config_search_path(None, None, str(CONF_DIR))
    if config_dir is not None:
        folder = Path(config_dir).absolute()
        if not folder.is_dir():
            raise InputRefused(
                "config_dir", str(config_dir), f"Additional config directory '{folder}' not found"
            )
        search_path.prepend(
            provider="command-line",
            path=f"file://{folder}",
            anchor=SearchPathQuery(provider="schema"),
        )
    version.setbase(VERSION_BASE)  # as `@hydra.main(version_base=...)` sets it: no chdir
    GlobalHydra.instance().clear()
    return Hydra.create_main_hydra2(task_name=TASK_NAME, config_search_path=search_path)


_OVERRIDE_KEY = re.compile(r"(?:override|Could not (?:override|append to config)) '([^']+)'")
_MISSING = re.compile(r"Could not (?:find|load) '([^'/]+)/([^']+)'")


def refused(exc: Exception, overrides: Sequence[str]) -> InputRefused:
    """Hydra's refusal as qexp's error: Hydra's words (the cause's too), and the key."""
    cause = exc.__cause__
    message = str(exc)
    if isinstance(cause, OmegaConfBaseException) and str(cause) not in message:
        message += "\n" + str(cause)
    message = message.strip()
    key, value = "overrides", cast(Any, list(overrides))
    full_key = getattr(exc, "full_key", None) or getattr(cause, "full_key", None)
    if full_key:
        key = str(full_key)
    elif isinstance(exc, MissingConfigException) and (found := _MISSING.search(message)):
        key, value = found.group(1), found.group(2)
    elif found := _OVERRIDE_KEY.search(message):
        key = found.group(1)
    elif isinstance(exc, OverrideParseException):
        bad = next((o for o in overrides if o.split("=")[0] in message or o in message), None)
        key = bad.split("=")[0].lstrip("+~") if bad else key
    if key != "overrides":
        value = next(
            (o.split("=", 1)[1] for o in overrides if o.split("=")[0].lstrip("+~") == key), value
        )
    return InputRefused(key, value, message)


@contextlib.contextmanager
def kept_process_state(quiet: bool = False) -> Iterator[None]:
    """What a launch changes in the caller's process, put back after it (a notebook lives on).

    Hydra configures logging for each run (a console handler, the run folder's log file),
    and qexp's console rule takes library output over; afterwards the caller's own logging,
    warnings and the IBM client's handler are as they were, and the log file is closed.
    `quiet`: nothing reaches the terminal meanwhile (the log file still gets everything).
    """
    from qexp.run import progress

    root = logging.getLogger()
    watched = [root, *(logging.getLogger(n) for n in ("qexp", "hydra", "qiskit_ibm_runtime"))]
    saved = [(lg, lg.handlers[:], lg.level, lg.propagate, lg.disabled) for lg in watched]
    showwarning = warnings.showwarning
    sink = open(os.devnull, "w") if quiet else None  # noqa: SIM115 - closed below
    try:
        with contextlib.ExitStack() as stack:
            if sink is not None:
                stack.enter_context(contextlib.redirect_stdout(sink))
                stack.enter_context(contextlib.redirect_stderr(sink))
                stack.enter_context(progress.silenced())
            yield
    finally:
        for lg, handlers, level, propagate, disabled in saved:
            for handler in lg.handlers:
                if handler not in handlers:
                    lg.removeHandler(handler)
                    handler.close()
            lg.handlers[:] = handlers
            lg.setLevel(level)
            lg.propagate, lg.disabled = propagate, disabled
        warnings.showwarning = showwarning
        if sink is not None:
            sink.close()
