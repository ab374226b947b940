"""`run.batch=shared`: every point of a sweep in one IBM Quantum batch.

Jobs that run close together see the same calibration; a sweep whose points each open a
batch of their own queues them hours apart on a busy device. With `run.batch=shared` the
first point to submit opens the batch and records its id in the sweep folder
(`batch.json`, written atomically under an `fcntl` lock, since points may start at once
under a parallel launcher); later points join it with `Batch.from_id`. A point that finds
the recorded batch closed or expired opens a fresh one for the points still to come, and
says so. No point closes the shared batch: it ends when its time to live runs out, or when
you close it (`Batch.from_id(id, service).close()`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from qexp.atomic import write_text
from qexp.store.manifest import now

log = logging.getLogger(__name__)

BATCH_FILE = "batch.json"
LOCK_FILE = ".batch.lock"
MODES = ("per_point", "shared")


def open_shared(sweep_dir: Path, service: Any, open_batch: Callable[[], Any]) -> Any:
    """The sweep's batch: the recorded one while it takes jobs, else a fresh one, recorded."""
    with _locked(sweep_dir):
        recorded = _read(sweep_dir)
        if recorded is not None:
            batch = _join(recorded["id"], service)
            if batch is not None:
                log.info("joined the sweep's batch %s", recorded["id"])
                return batch
            log.warning(
                "the sweep's batch %s is closed or expired; opening a fresh one for the "
                "points still to come",
                recorded["id"],
            )
        batch = open_batch()
        history = [*(recorded or {}).get("previous", []), *([recorded["id"]] if recorded else [])]
        record = {"id": batch.session_id, "created": now(), "previous": history}
        write_text(sweep_dir / BATCH_FILE, json.dumps(record, indent=1) + "\n")
        log.info("opened the sweep's batch %s (run.batch=shared)", batch.session_id)
        return batch


def _join(session_id: str, service: Any) -> Any:
    """The recorded batch, if it still takes jobs; None otherwise."""
    from qiskit_ibm_runtime import Batch

    try:
        batch = Batch.from_id(session_id, service)
        details = batch.details() or {}
    except Exception as exc:
        log.warning("the sweep's batch %s cannot be joined (%s)", session_id, exc)
        return None
    if details.get("accepting_jobs") is False or details.get("state") == "closed":
        return None
    return batch


def _read(sweep_dir: Path) -> dict[str, Any] | None:
    path = sweep_dir / BATCH_FILE
    if not path.is_file():
        return None
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    return found if isinstance(found, dict) and found.get("id") else None


@contextlib.contextmanager
def _locked(sweep_dir: Path) -> Iterator[None]:
    sweep_dir.mkdir(parents=True, exist_ok=True)
    with open(sweep_dir / LOCK_FILE, "a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
