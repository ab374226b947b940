"""What the service knows: batches (sessions), jobs, tags, and the counts tests read.

Plain records plus one lock. Every change of a job's state goes through `ServiceState`,
so a status poll never sees half a transition. States and field names are the ones the
service's REST API uses (`Queued`, `Running`, `Completed`, `Failed`, `Cancelled`).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from . import billing
from .faults import Ending

PENDING = ("Queued", "Running")
FINAL = ("Completed", "Failed", "Cancelled")


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


class Refused(Exception):
    """The service refuses a request: an HTTP status and a message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Batch:
    """A session; qexp always opens them in `batch` mode, the emulator takes both."""

    id: str
    mode: str
    backend: str
    instance: str | None
    max_ttl: int | None
    created: datetime = field(default_factory=now)
    accepting_jobs: bool = True
    state: str = "open"
    activated_at: datetime | None = None
    closed_at: datetime | None = None
    expired: bool = False

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "backend_name": self.backend,
            "mode": self.mode,
            "state": self.state,
            "accepting_jobs": self.accepting_jobs,
            "max_ttl": self.max_ttl or 28800,
            "active_ttl": self.max_ttl or 28800,
            "interactive_ttl": 1 if self.mode == "batch" else 60,
            "started_at": iso(self.created),
            "activated_at": iso(self.activated_at),
            "closed_at": iso(self.closed_at),
            "elapsed_time": 0,
            "timestamps": [],
            "instance": self.instance,
        }


@dataclass
class Job:
    id: str
    order: int
    program_id: str
    backend: str
    session_id: str | None
    tags: list[str]
    params: dict[str, Any]
    params_json: str
    max_execution_time: int | None
    private: bool
    extra_seconds: float = 0.0
    """How much longer than `--job-seconds` the job runs (finish in any order)."""
    spread: float = 1.0
    """The bill over the usage model (`billing.SPREAD`), drawn when the job is created."""
    model_seconds: float | None = None
    """The documented usage model of the job, once a worker has read it: the service's
    pre-run estimate."""
    planned_seconds: float | None = None
    """How long the job holds its worker once it runs (what a cancellation cuts short)."""
    qpu_seconds: float = 0.0
    """The final bill, once the job has ended."""
    created: datetime = field(default_factory=now)
    status: str = "Queued"
    reason: str | None = None
    reason_code: int | None = None
    running_at: datetime | None = None
    finished_at: datetime | None = None
    result: str | None = None
    deleted: bool = False

    @property
    def final(self) -> bool:
        return self.status in FINAL

    def to_api(self, with_params: bool = False) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "id": self.id,
            "backend": self.backend,
            "state": {
                "status": self.status,
                "reason": self.reason,
                "reason_code": self.reason_code,
            },
            "status": self.status,
            "program": {"id": self.program_id},
            "created": iso(self.created),
            "session_id": self.session_id,
            "tags": list(self.tags),
            "runtime": "",
            "private": self.private,
            "cost": self.max_execution_time or 0,
            "estimated_running_time_seconds": self.model_seconds,
        }
        if with_params and not self.private:  # a private job's inputs are not kept
            answer["params"] = self.params
        return answer

    def to_stats(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "order": self.order,
            "session_id": self.session_id,
            "backend": self.backend,
            "program": self.program_id,
            "tags": list(self.tags),
            "state": self.status,
            "reason_code": self.reason_code,
            "created": iso(self.created),
            "running": iso(self.running_at),
            "finished": iso(self.finished_at),
            "options": received_options(self.program_id, self.params),
            "qpu_seconds": billing.usage(self, now()),
            "estimated_seconds": self.model_seconds,
        }


def received_options(program_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """The options a job arrived with: a v2 primitive's own (the service applies them), or
    for the `executor` program the client-side primitive's options, which the client has
    already built into the program (twirling, DD, TREX, ZNE), beside the executor's own."""
    if program_id != "executor":
        chosen = dict(params.get("options") or {})
        if params.get("resilience_level") is not None:
            chosen["resilience_level"] = params["resilience_level"]
        return chosen
    found: dict[str, Any] = {"executor": params.get("options") or {}}
    try:
        passthrough = params["quantum_program"]["passthrough_data"]
        primitive = _unwrapped(passthrough)["post_processor"]["options"]
    except (KeyError, TypeError):
        return found
    found["primitive"] = {
        k: v for k, v in primitive.items() if k not in ("simulator", "environment")
    }
    return found


def _unwrapped(data: Any) -> Any:
    """Passthrough data as plain nested dicts (the executor's model may wrap each level)."""
    if isinstance(data, dict) and set(data) == {"value"}:
        return _unwrapped(data["value"])
    if isinstance(data, dict):
        return {k: _unwrapped(v) for k, v in data.items()}
    return data


@dataclass
class ServiceState:
    """All batches and jobs, in creation order, behind one lock."""

    jobs: dict[str, Job] = field(default_factory=dict)
    batches: dict[str, Batch] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    bill_delay: float = 0.0
    """Seconds after a job ends before its bill is final (`--bill-delay`)."""
    allocation: float | None = None
    """The instance's usage limit in seconds (`--allocation`); None: no limit."""
    started: datetime = field(default_factory=now)
    """The start of the usage period the instance's usage counts."""
    allocation_changed: threading.Condition = field(init=False)
    """Notified when usage or the allocation changes: jobs held at the limit look again."""

    def __post_init__(self) -> None:
        self.allocation_changed = threading.Condition(self.lock)

    # --- usage ---------------------------------------------------------------------
    def bill(self, job: Job) -> tuple[float, bool]:
        """(the job's usage so far, whether that bill is final), as its metrics say."""
        with self.lock:
            moment, ended = now(), job.finished_at
            waited = (moment - ended).total_seconds() if ended is not None else -1.0
            return billing.usage(job, moment), job.final and waited >= self.bill_delay

    def session_usage(self, batch_id: str) -> float:
        """A batch's usage: the sum of its jobs'. A dedicated session's: the wall time from
        its first job's start to its last job's end (or now)."""
        with self.lock:
            batch = self.batch(batch_id)
            jobs = [job for job in self.jobs.values() if job.session_id == batch_id]
            if batch.mode == "batch":
                return round(sum(billing.usage(job, now()) for job in jobs), 3)
            if batch.activated_at is None:
                return 0.0
            ends = [job.finished_at or now() for job in jobs if job.running_at is not None]
            return round((max(ends) - batch.activated_at).total_seconds(), 3)

    def consumed(self) -> float:
        """The instance's usage: every job's, a dedicated session counted as a whole."""
        with self.lock:
            sessions = {b.id for b in self.batches.values() if b.mode != "batch"}
            jobs = sum(
                billing.usage(job, now())
                for job in self.jobs.values()
                if job.session_id not in sessions
            )
            return round(jobs + sum(self.session_usage(s) for s in sessions), 3)

    def limit_reached(self) -> bool:
        with self.lock:
            return self.allocation is not None and self.consumed() >= self.allocation

    def set_allocation(self, seconds: float | None) -> None:
        with self.lock:
            self.allocation = seconds
            self.allocation_changed.notify_all()

    # --- batches -------------------------------------------------------------------
    def open_batch(
        self, mode: str, backend: str, instance: str | None, max_ttl: int | None
    ) -> Batch:
        with self.lock:
            batch = Batch(_new_id(), mode, backend, instance, max_ttl)
            self.batches[batch.id] = batch
            return batch

    def batch(self, batch_id: str) -> Batch:
        with self.lock:
            if batch_id not in self.batches:
                raise Refused(404, f"Session {batch_id} not found.")
            return self.batches[batch_id]

    def close_batch(self, batch_id: str) -> None:
        """The client's `close()`: no new jobs; those in it run to the end."""
        with self.lock:
            batch = self.batch(batch_id)
            batch.accepting_jobs = False
            self._settle(batch)

    def cancel_batch(self, batch_id: str) -> None:
        """The client's `cancel()`: no new jobs, and every job not yet finished cancelled."""
        with self.lock:
            batch = self.batch(batch_id)
            batch.accepting_jobs = False
            for job in self.jobs.values():
                if job.session_id == batch_id and not job.final:
                    self._end(job, "Cancelled", None, None)
            self._settle(batch)

    def expire_batch(self, batch_id: str, ending: Ending) -> list[Job]:
        """The batch reached its time to live: queued jobs fail, running ones go on."""
        with self.lock:
            batch = self.batch(batch_id)
            if batch.state == "closed":  # ended before its time to live
                return []
            batch.accepting_jobs = False
            batch.expired = True
            failed = [
                job
                for job in self.jobs.values()
                if job.session_id == batch_id and job.status == "Queued"
            ]
            for job in failed:
                self._end(job, ending.status, ending.reason_code, ending.reason)
            self._settle(batch)
            return failed

    def _settle(self, batch: Batch) -> None:
        """A batch that takes no jobs is closed once none of its jobs is pending."""
        pending = any(j.session_id == batch.id and not j.final for j in self.jobs.values())
        if not batch.accepting_jobs and not pending and batch.state != "closed":
            batch.state = "closed"
            batch.closed_at = now()

    # --- jobs ----------------------------------------------------------------------
    def create_job(self, **fields: Any) -> Job:
        with self.lock:
            session_id = fields.get("session_id")
            if session_id:
                batch = self.batch(session_id)
                if not batch.accepting_jobs:
                    why = "reached its time to live" if batch.expired else "been closed"
                    raise Refused(
                        400, f"Session {session_id} has {why} and no longer accepts jobs."
                    )
            job = Job(id=_new_id(), order=len(self.jobs), **fields)
            self.jobs[job.id] = job
            return job

    def job(self, job_id: str) -> Job:
        with self.lock:
            job = self.jobs.get(job_id)
            if job is None or job.deleted:
                raise Refused(404, f"Job {job_id} not found.")
            return job

    def retag(self, job_id: str, tags: list[str]) -> None:
        with self.lock:
            self.job(job_id).tags = tags

    def delete(self, job_id: str) -> None:
        with self.lock:
            job = self.job(job_id)
            if not job.final:
                raise Refused(409, f"Job {job_id} is {job.status}: cancel it before deleting it.")
            job.deleted = True

    def start(self, job: Job) -> bool:
        """Queued -> Running; False if the job was ended meanwhile."""
        with self.lock:
            if job.status != "Queued":
                return False
            job.status, job.running_at = "Running", now()
            if job.session_id:
                batch = self.batches[job.session_id]
                batch.state = "active"
                batch.activated_at = batch.activated_at or job.running_at
            return True

    def complete(self, job: Job, result: str) -> None:
        with self.lock:
            if not job.final:
                job.result = result
                self._end(job, "Completed", None, None)

    def take_result(self, job: Job) -> str:
        """The result, which is then forgotten (the service keeps a private job's once)."""
        with self.lock:
            result, job.result = job.result or "", ""
            return result

    def end(self, job: Job, ending: Ending, text: str | None = None) -> bool:
        """End a pending job as `ending` says; False if it had already ended."""
        with self.lock:
            if job.final:
                return False
            job.result = text
            self._end(job, ending.status, ending.reason_code, ending.reason)
            return True

    def cancel(self, job: Job) -> None:
        """The client's `cancel()`: 409 once the job has ended, as the service answers."""
        with self.lock:
            if job.final:
                raise Refused(409, f"Job {job.id} cannot be cancelled: it is {job.status}.")
            self._end(job, "Cancelled", None, None)

    def _end(self, job: Job, status: str, code: int | None, reason: str | None) -> None:
        moment = now()
        job.qpu_seconds = billing.final_bill(job, code, status == "Completed", moment)
        job.status, job.reason_code, job.reason, job.finished_at = status, code, reason, moment
        if job.session_id and job.session_id in self.batches:
            self._settle(self.batches[job.session_id])
        self.allocation_changed.notify_all()

    def find_jobs(
        self,
        tags: Iterable[str] = (),
        session_id: str | None = None,
        backend: str | None = None,
        program: str | None = None,
        pending: bool | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        descending: bool = True,
    ) -> list[Job]:
        """The jobs that match every filter given, newest first unless told otherwise."""
        with self.lock:
            jobs = [
                job
                for job in self.jobs.values()
                if not job.deleted
                and set(tags) <= set(job.tags)
                and (session_id is None or job.session_id == session_id)
                and (backend is None or job.backend == backend)
                and (program is None or job.program_id == program)
                and (pending is None or (job.status in PENDING) == pending)
                and (created_after is None or job.created >= created_after)
                and (created_before is None or job.created <= created_before)
            ]
        return jobs[::-1] if descending else jobs


def _new_id() -> str:
    """An id shaped like the service's: 20 lower-case alphanumerics."""
    return uuid.uuid4().hex[:20]
