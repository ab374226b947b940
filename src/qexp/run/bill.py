"""Reading the bill: what IBM Quantum says each job used, asked once the job has ended.

For every attempt that created a job on the service, qexp asks for the job's usage when it
has ended (done, failed or cancelled: those are billed too) and records it in the
manifest, and in the job's file when it has one. The seconds are what
`RuntimeJobV2.usage()` returns, the `usage.qpu_charge_time_seconds` of the job's metrics;
qexp reads `metrics()` itself because `usage()` answers 0 both for a bill of 0 s and for a
bill the service is still computing (`usage.status` is `pending`), and a pending bill must
be asked again, not recorded as free. Beside it, once per attempt, the service's own
estimate from before the job ran (`usage_estimation`). Nothing here is ever computed by
qexp: a bill is data, as counts are.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from qexp.run import failures
from qexp.store.bill import FINAL, PENDING, SERVICE, UNREAD
from qexp.store.manifest import Manifest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Bill:
    """One job's usage as the service reports it."""

    seconds: float | None
    status: str
    """`final`, `pending` (the service is still computing it) or `unread` (asking failed)."""
    service_estimate: float | None = None

    @property
    def final(self) -> bool:
        return self.status == FINAL


def read(job: Any, with_estimate: bool = True) -> Bill:
    """Ask the service for `job`'s usage (one request; two with its estimate)."""
    try:
        usage = (job.metrics() or {}).get("usage") or {}
    except Exception as exc:
        log.warning("job %s: reading its usage failed (%s)", job.job_id(), failures.describe(exc))
        return Bill(None, UNREAD)
    seconds = usage.get("qpu_charge_time_seconds")
    status = PENDING if usage.get("status", PENDING) == PENDING else FINAL
    estimate = None
    if with_estimate:
        try:
            estimate = (job.usage_estimation or {}).get("quantum_seconds")
        except Exception as exc:
            log.warning("job %s: reading the service's estimate failed (%s)", job.job_id(), exc)
    return Bill(
        None if seconds is None else float(seconds),
        status,
        None if estimate is None else float(estimate),
    )


def record(manifest: Manifest, index: int, job: Any) -> Bill:
    """Read `job`'s bill and keep it in the ledger under job `index`."""
    known = manifest.jobs[index].attempt(job.job_id())
    found = read(job, with_estimate=known is None or known.service_estimate is None)
    manifest.billed(index, job.job_id(), found.seconds, found.status, found.service_estimate)
    return found


def settle(manifest: Manifest, service: Any) -> int:
    """Ask again for every bill the ledger lacks (a run stopped before it asked, or while the
    service was still computing it); returns how many are still not final."""
    if manifest.info.get("billing") != SERVICE:
        return 0
    open_bills = [
        (job.index, attempt.job_id)
        for job in manifest.jobs
        for attempt in job.attempts
        if attempt.job_id and attempt.bill != FINAL
    ]
    duplicates = manifest.info.get("duplicates", [])
    open_bills += [(d["job"], d["job_id"]) for d in duplicates if d.get("bill") != FINAL]
    left = 0
    for index, job_id in open_bills:
        try:
            left += not record(manifest, index, service.job(job_id)).final
        except Exception as exc:
            log.warning("job %s: its bill cannot be read (%s)", job_id, failures.describe(exc))
            left += 1
    return left


def batch_usage(service: Any, batch_id: str) -> float | None:
    """The batch's usage as the service reports it (`Batch.usage()`: the sum of its jobs')."""
    from qiskit_ibm_runtime import Batch

    try:
        found = Batch.from_id(batch_id, service).usage()
    except Exception as exc:
        log.warning("batch %s: reading its usage failed (%s)", batch_id, failures.describe(exc))
        return None
    return None if found is None else float(found)
