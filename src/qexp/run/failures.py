"""How a job ended badly, decided from its final state and the service's reason.

qexp acts on the cause, never on words in an exception's text alone. Each kind, how the
job ended, and what qexp does:

- `unreachable`: a status poll or result fetch failed (connection, 5xx, timeout). Ask the
  same job again, with backoff; never re-submit it.
- `not_submitted`: the submission failed and no job was created. Submit again, with backoff.
- `internal`: the service (or the local simulator) failed the job for its own reasons.
  Re-submit it alone, up to `run.max_retries`.
- `batch_ended`: its batch ended (time to live reached, or it refuses new jobs). The
  unfinished jobs go into one fresh batch.
- `too_long`: it ran past its maximum execution time (code 1305). Not retried: it would run
  just as long again.
- `rejected`: the service or the backend rejected its input. Not retried.
- `cancelled`: cancelled by the service or by hand, not by qexp. Not retried; the reason is
  kept.
- `check_failed`: a user's check failed or raised. The data is kept; the run stops.
- `over_budget`: a retry would take the QPU time spent past `run.max_qpu_seconds`. Not
  submitted; resume submits it once the cap is raised.

IBM's reason codes are listed at https://quantum.cloud.ibm.com/docs/errors (1xxx) and in
qiskit-ibm-runtime's own error registry (docs/errors.rst: 4xxx and 5xxx). A code qexp does
not know counts as rejected: not retried, never paid for twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

UNREACHABLE = "unreachable"
NOT_SUBMITTED = "not_submitted"
INTERNAL = "internal"
BATCH_ENDED = "batch_ended"
TOO_LONG = "too_long"
REJECTED = "rejected"
CANCELLED = "cancelled"
CHECK_FAILED = "check_failed"
OVER_BUDGET = "over_budget"

RESUBMITTED = frozenset({NOT_SUBMITTED, INTERNAL, BATCH_ENDED})
"""Kinds after which the job is submitted again (within `run.max_retries`)."""

MAX_TIME_CODE = 1305
"""The service cancelled the job for running past its maximum execution time."""
TOO_LONG_CODES = frozenset({MAX_TIME_CODE, 5201})
"""Ran past a time limit (5201: "Job timed out after {} seconds")."""
BATCH_ENDED_CODES = frozenset({4001})
"""4001: "Job is part of a session that's been closed" (closed, or its time to live
reached, before the job ran)."""
CANCELLED_CODES = frozenset({5202})
"""5202: "Job was canceled."."""
INTERNAL_CODES = frozenset({1000, 1006, 1008, 1010, 1011, 1012, 5203, 5204})
"""Errors of the service itself whose documented fix is to run the job again (1000 "API
Internal error", 1006/1008/1010/1011 "Retry the action", 1012 too many jobs running at
once, 5203 "Failed to run job.", 5204 the simulator failed)."""

_CODE = re.compile(r"Error code (\d+)")


@dataclass(frozen=True)
class Failure:
    kind: str
    message: str
    code: int | None = None
    delay: float | None = None
    """Seconds the service asked to wait before trying again (429 with Retry-After)."""

    @property
    def resubmit(self) -> bool:
        return self.kind in RESUBMITTED


def of_submission(exc: BaseException) -> Failure:
    """A submission that raised: rejected input, a closed batch, or no job created.

    A connection that broke mid-request is ambiguous on IBM Quantum (the job may exist);
    the caller looks it up by its tags before submitting again.
    """
    from qiskit_ibm_runtime.exceptions import IBMInputValueError

    message = describe(exc)
    status = http_status(exc)
    if isinstance(exc, IBMInputValueError | ValueError | TypeError) or status in (400, 422):
        return Failure(REJECTED, message)
    if status in (401, 403):
        return Failure(REJECTED, f"{message} (the service refused the credentials)")
    if status == 409 or _closed_batch(exc):
        return Failure(BATCH_ENDED, message)
    if status == 429:  # throttled: no job was created; wait as long as the service asks
        return Failure(NOT_SUBMITTED, message, delay=retry_after(exc) or 1.0)
    return Failure(NOT_SUBMITTED, message)


def of_job(job: Any, exc: BaseException | None) -> Failure:
    """A job in a final state other than done, from its status and the service's reason."""
    status = job_status(job)
    reason, code = _reason(job, exc)
    from qiskit_ibm_runtime.exceptions import RuntimeJobMaxTimeoutError

    if code in TOO_LONG_CODES or isinstance(exc, RuntimeJobMaxTimeoutError):
        return Failure(TOO_LONG, reason, code or MAX_TIME_CODE)
    if status == "CANCELLED" or code in CANCELLED_CODES:
        return Failure(CANCELLED, reason, code)
    if code is not None:
        if code in BATCH_ENDED_CODES:
            return Failure(BATCH_ENDED, reason, code)
        if code in INTERNAL_CODES:
            return Failure(INTERNAL, reason, code)
        return Failure(REJECTED, reason, code)
    return _local(exc, reason)


def of_request(exc: BaseException) -> Failure:
    """A status poll or a result fetch that raised: the job itself is fine."""
    return Failure(UNREACHABLE, describe(exc))


def _local(exc: BaseException | None, reason: str) -> Failure:
    """A local job's own exception (local jobs carry no reason code)."""
    from qiskit_ibm_runtime.exceptions import IBMInputValueError

    if exc is None:
        return Failure(INTERNAL, reason)
    if _closed_batch(exc):
        return Failure(BATCH_ENDED, reason)
    if isinstance(exc, ConnectionError | TimeoutError | OSError | MemoryError):
        return Failure(INTERNAL, reason)
    if isinstance(exc, IBMInputValueError | ValueError | TypeError | IndexError | KeyError):
        return Failure(REJECTED, reason)
    return Failure(INTERNAL, reason)


def _reason(job: Any, exc: BaseException | None) -> tuple[str, int | None]:
    """The service's reason text and code for a failed job, as the client read them."""
    code = getattr(job, "_reason_code", None)
    reason = getattr(job, "_reason", None)
    text = reason or (describe(exc) if exc is not None else "")
    if code is None and (found := _CODE.search(text or "")):
        code = int(found.group(1))
    return (text or "no reason given"), (int(code) if code is not None else None)


def job_status(job: Any) -> str:
    """`DONE`, `ERROR`, `CANCELLED`, ...: the name of a local JobStatus, or the cloud string."""
    status = job.status()
    return str(getattr(status, "name", status)).upper()


def http_status(exc: BaseException) -> int | None:
    """The HTTP status of the request behind `exc` (its cause chain), if any."""
    for seen in _chain(exc):
        status = getattr(seen, "status_code", None)
        if isinstance(status, int) and status > 0:
            return status
        response_status = getattr(getattr(seen, "response", None), "status_code", None)
        if isinstance(response_status, int):
            return response_status
    return None


def retry_after(exc: BaseException) -> float | None:
    """The `Retry-After` seconds of the response behind `exc`, if it sent one."""
    for seen in _chain(exc):
        headers = getattr(getattr(seen, "response", None), "headers", None) or {}
        value = headers.get("Retry-After") if hasattr(headers, "get") else None
        if value is not None:
            try:
                return max(0.0, float(value))
            except ValueError:
                return None
    return None


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _closed_batch(exc: BaseException) -> bool:
    from qiskit_ibm_runtime.exceptions import IBMRuntimeError

    return isinstance(exc, IBMRuntimeError) and "session is closed" in str(exc).lower()


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip()
