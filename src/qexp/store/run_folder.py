"""A run folder from outside: finding run folders, and what a folder says about itself
beyond its manifest (it was a dry run, or refused).

Hydra creates a run's folder before qexp sees the config, so a folder exists even when
nothing was ever planned. The dry-run and refusal records make `qexp.status` and
`qexp.resume` tell the truth about such folders instead of offering to run them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qexp.atomic import write_text
from qexp.constants import DRY_RUN_FILE, HYDRA_DIR, MANIFEST_FILE, MULTIRUN_FILE, REFUSED_FILE
from qexp.errors import ConfigError, QexpError


def is_run_dir(path: Path) -> bool:
    return (path / HYDRA_DIR).is_dir() or (path / MANIFEST_FILE).is_file()


def run_dirs(path: Path) -> list[Path]:
    """`path` itself when it is a run folder, else its run sub-folders in sweep order."""
    path = Path(path)
    if is_run_dir(path):
        return [path]
    found = [p for p in path.iterdir() if p.is_dir() and is_run_dir(p)] if path.is_dir() else []
    return sorted(
        found, key=lambda p: (not p.name.isdigit(), int(p.name) if p.name.isdigit() else 0, p.name)
    )


def sweep_of(run_dir: Path) -> Path | None:
    """The sweep folder `run_dir` is a point of (Hydra wrote its `multirun.yaml`), or None."""
    parent = Path(run_dir).absolute().parent
    return parent if (parent / MULTIRUN_FILE).is_file() else None


def record_dry_run(run_dir: Path, plan: str) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    write_text(run_dir / DRY_RUN_FILE, plan.rstrip() + "\n")


def is_dry_run(run_dir: Path) -> bool:
    return (run_dir / DRY_RUN_FILE).is_file()


def record_refusal(run_dir: Path, exc: QexpError) -> None:
    """Note why the run was refused (nothing was planned or submitted)."""
    record: dict[str, Any] = {"message": str(exc), "exit_code": exc.exit_code}
    if isinstance(exc, ConfigError):
        record |= {"key": exc.key, "value": _plain(exc.value)}
    run_dir.mkdir(parents=True, exist_ok=True)
    write_text(run_dir / REFUSED_FILE, json.dumps(record, indent=1) + "\n")


def clear_refusal(run_dir: Path) -> None:
    """The run was planned after all (its cause is gone): the refusal is history."""
    (run_dir / REFUSED_FILE).unlink(missing_ok=True)


def refusal(run_dir: Path) -> dict[str, Any] | None:
    """The recorded refusal of a run folder, or None."""
    path = run_dir / REFUSED_FILE
    if not path.is_file():
        return None
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return {"message": "refused (the record is unreadable)"}
    return found if isinstance(found, dict) else None


def _plain(value: Any) -> Any:
    try:
        json.dumps(value)
    except TypeError:
        return repr(value)
    return value
