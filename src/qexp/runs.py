"""Find the run folders under a path: one run, or every point of a multirun sweep."""

from __future__ import annotations

from pathlib import Path

from qexp.constants import HYDRA_DIR, MANIFEST_FILE


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
