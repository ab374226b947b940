"""A default run folder of its own: Hydra's `outputs/DATE/TIME` names two runs started in
the same second alike (easily so from a loop in a notebook), and the second run would
write its `.hydra/` into the first's folder before qexp could refuse it."""

from __future__ import annotations

from pathlib import Path


def fresh_folder(path: str) -> str:
    """`path`, or else `path-2`, `path-3`, ...: the first that does not exist yet."""
    candidate, number = path, 1
    while Path(candidate).exists():
        number += 1
        candidate = f"{path}-{number}"
    return candidate
