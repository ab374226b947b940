"""Job files written off the submission path: one writer thread, each result on disk first.

A result is written (atomically) the moment the loop hands it over, before the job's check
runs and before the manifest calls the job done; the loop meanwhile keeps polling and
submitting. When a run ends for any reason, every result already handed over is written
before the run returns.

Where the run has worker processes, a worker writes the file while the writer thread waits
for it. HDF5 holds this process's GIL for all its work (about 18 ms per job file however
small the job), and with many small jobs that work alone kept the loop, the runtime's job
threads and the writer taking turns on one core. A worker that cannot take a file (the
pool gone or shut down) leaves it to the writer thread, which still holds the result.
"""

from __future__ import annotations

import logging
import pickle
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from qiskit.primitives import PrimitiveResult

from qexp.backends.offload import Unavailable
from qexp.plan.checks import JobCheck
from qexp.plan.partition import JobPlan
from qexp.plan.prepare import PreparedJob
from qexp.store import job_file
from qexp.store.bill import FINAL
from qexp.store.manifest import Attempt, Manifest, now

log = logging.getLogger(__name__)

WRITES_ELSEWHERE = 2
"""Job files in the workers' hands at once: one per worker of a 2-core run keeps both busy."""


class JobWriter:
    """Writes each job's HDF5 file as its result arrives, then runs the check on it."""

    def __init__(
        self,
        manifest: Manifest,
        run_dir: Path,
        attrs: Callable[[JobPlan], dict[str, Any]],
        check: JobCheck | None,
        elsewhere: Callable[..., Any] | None = None,
    ):
        """`attrs(job)`: what the job's file says about its run and its primitive.
        `elsewhere(fn, *args, **kwargs)`: runs `fn` in a worker process
        (`qexp.plan.prepare.Preparer.call`)."""
        self.manifest, self.run_dir, self.attrs = manifest, run_dir, attrs
        self.check, self.elsewhere = check, elsewhere
        threads = 1 if elsewhere is None else WRITES_ELSEWHERE
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="qexp-writer")
        self._checking = threading.Lock()
        """Checks run one at a time, as a user's check may assume."""

    def write(
        self, job: JobPlan, prepared: PreparedJob, runtime_job: Any, result: PrimitiveResult
    ) -> Future[str | None]:
        """A future of the failed check's message (None when the check passed or is unset)."""
        entry = self.manifest.jobs[job.index]
        attempt = entry.attempts[-1] if entry.attempts else None
        attrs = {
            **self.attrs(job),
            **prepared.file_attrs,
            "job_index": job.index,
            "job_id": runtime_job.job_id(),
            "batch_id": (attempt.batch_id if attempt else None) or "",
            "submitted": attempt.submitted if attempt else now(),
            "attempt": len(entry.attempts),
            "qpu_estimate": entry.estimate,
            **_bill_attrs(attempt),
        }
        return self.pool.submit(self._write, self.run_dir / entry.file, attrs, prepared, result)

    def _write(
        self, path: Path, attrs: dict[str, Any], prepared: PreparedJob, result: PrimitiveResult
    ) -> str | None:
        written = {
            "attrs": {**attrs, "finished": now()},
            "records": prepared.records,
            "circuits_qpy": prepared.circuits_qpy,
            "result": result,
        }
        try:
            if self.elsewhere is None:
                raise Unavailable("no worker processes")
            self.elsewhere(_write_sent, _sendable(path, written))
        except Unavailable as exc:
            log.debug("job file %s written in this process: %s", path.name, exc)
            job_file.write_job(path, **written)
        if self.check is None or not self.check.applies_to(attrs["primitive"]):
            return None
        try:
            with self._checking:
                verdict = self.check.verdict(result, prepared.records, prepared.circuits_qpy)
        except Exception as exc:  # a user's check that crashes fails, it does not crash qexp
            return f"the check raised {type(exc).__name__}: {exc}"
        return None if verdict.ok else verdict.message

    def close(self) -> None:
        self.pool.shutdown(wait=True)


def _sendable(path: Path, written: dict[str, Any]) -> bytes:
    """`write_job`'s arguments pickled here, so that a result a worker cannot take (a
    primitive's metadata holding something pickle cannot write) is known before it is sent,
    apart from an error of the write itself."""
    try:
        return pickle.dumps((path, written), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        raise Unavailable(f"the result cannot be sent: {exc!r}") from exc


def _write_sent(payload: bytes) -> None:
    """In a worker process: `write_job` with the arguments `_sendable` pickled."""
    path, written = pickle.loads(payload)
    job_file.write_job(path, **written)


def _bill_attrs(attempt: Attempt | None) -> dict[str, Any]:
    """What the service billed this attempt, when its bill was final before the file was
    written (a later bill is in the manifest, which `load_table` reads first)."""
    if attempt is None:
        return {}
    final = attempt.bill == FINAL
    return {
        "qpu_seconds": attempt.qpu_seconds if final else None,
        "service_estimate": attempt.service_estimate,
    }
