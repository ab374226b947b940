"""The service's REST API, as qiskit-ibm-runtime 0.51 calls it (`api/rest/*.py`).

Each route has a name (what faults target and stats count) and a handler that turns a
`Request` into a `Reply`. Paths here are relative to the API prefix (`/api/v1`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import qiskit

from . import auth
from .devices import Device
from .programs import PROGRAMS
from .scheduler import Scheduler
from .state import Refused, ServiceState, iso


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes
    headers: dict[str, str]
    """Names in lower case."""

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"{}")
        except ValueError as error:
            raise Refused(400, f"The request body is not JSON: {error}") from None

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def error(cls, status: int, message: str) -> Reply:
        """An error in IBM Cloud's API shape."""
        return cls(
            status,
            {
                "errors": [{"code": _ERROR_CODES.get(status, "error"), "message": message}],
                "status_code": status,
                "trace": "qexp-emulator",
            },
        )


_ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    409: "conflict",
    429: "too_many_requests",
}

Handler = Callable[..., Reply]

USAGE_ALLOCATION_SECONDS = 10**7
"""The instance's allocation without `--allocation`: far more than any rehearsal uses."""
USAGE_PERIOD = timedelta(days=28)
"""The window an instance's usage is counted over (IBM's rolling 28 days)."""
BILL_API_VERSION = "2026-03-15"
"""From this `IBM-API-Version` on, job metrics carry usage as `qpu_charge_time_seconds`
(the REST API's changelog; qiskit-ibm-runtime 0.51 asks for 2026-04-15)."""


class ServiceApi:
    """The runtime API over the service's state, its devices and its scheduler."""

    def __init__(
        self, state: ServiceState, devices: dict[str, Device], scheduler: Scheduler
    ) -> None:
        self.state, self.devices, self.scheduler = state, devices, scheduler
        self.routes: list[tuple[str, re.Pattern[str], str, Handler]] = [
            ("GET", re.compile(r"/backends"), "backends", self.list_backends),
            (
                "GET",
                re.compile(r"/backends/([^/]+)/(configuration|properties|status)"),
                "backends",
                self.backend_document,
            ),
            ("GET", re.compile(r"/instances/usage"), "usage", self.usage),
            ("POST", re.compile(r"/sessions"), "session", self.open_session),
            ("GET", re.compile(r"/sessions/([^/]+)"), "session", self.session_details),
            ("PATCH", re.compile(r"/sessions/([^/]+)"), "session", self.close_session),
            ("DELETE", re.compile(r"/sessions/([^/]+)/close"), "session", self.cancel_session),
            ("POST", re.compile(r"/jobs"), "submit", self.submit),
            ("GET", re.compile(r"/jobs"), "list", self.list_jobs),
            ("GET", re.compile(r"/jobs/([^/]+)"), "poll", self.job_details),
            ("DELETE", re.compile(r"/jobs/([^/]+)"), "delete", self.delete_job),
            ("GET", re.compile(r"/jobs/([^/]+)/results"), "results", self.job_results),
            ("POST", re.compile(r"/jobs/([^/]+)/cancel"), "cancel", self.cancel_job),
            ("GET", re.compile(r"/jobs/([^/]+)/logs"), "logs", self.job_logs),
            ("GET", re.compile(r"/jobs/([^/]+)/metrics"), "metrics", self.job_metrics),
            ("PUT", re.compile(r"/jobs/([^/]+)/tags"), "tags", self.replace_tags),
        ]

    def match(self, method: str, path: str) -> tuple[str, Callable[[Request], Reply]] | None:
        """(route name, handler bound to the path's parameters), or None."""
        for route_method, pattern, name, handler in self.routes:
            found = pattern.fullmatch(path)
            if found and route_method == method:
                return name, partial(_call, handler, found.groups())
        return None

    # --- backends ------------------------------------------------------------------
    def list_backends(self, request: Request) -> Reply:
        return Reply(200, {"devices": [self._summary(device) for device in self.devices.values()]})

    def _summary(self, device: Device) -> dict[str, Any]:
        return {
            "name": device.name,
            "status": {"name": "online", "reason": "available"},
            "is_simulator": False,
            "qubits": device.num_qubits,
            "physical_qubits": device.num_qubits,
            "queue_length": self._queued(device.name),
            "processor_type": device.configuration.get("processor_type", {}),
        }

    def backend_document(self, request: Request, name: str, document: str) -> Reply:
        device = self._device(name)
        if request.arg("calibration_id") is not None:  # the emulator keeps no calibrations
            raise Refused(404, f"Calibration {request.arg('calibration_id')} not found.")
        if document == "configuration":
            return Reply(200, device.configuration)
        if document == "properties":
            return Reply(200, device.properties or {})
        return Reply(
            200,
            {
                "state": True,
                "status": "active",
                "message": "available",
                "length_queue": self._queued(name),
                "backend_version": device.configuration.get("backend_version", "0.0.0"),
            },
        )

    def _device(self, name: str | None) -> Device:
        if name not in self.devices:
            raise Refused(404, f"Backend {name} not found.")
        return self.devices[name]

    def _queued(self, name: str) -> int:
        return len(self.state.find_jobs(backend=name, pending=True))

    def usage(self, request: Request) -> Reply:
        """The instance's usage this period against its allocation; with `--allocation`, a
        limit (`usage_limit_seconds`) that holds new jobs in the queue once reached."""
        consumed = self.state.consumed()
        limit = self.state.allocation
        allotted = USAGE_ALLOCATION_SECONDS if limit is None else limit
        body: dict[str, Any] = {
            "instance_id": auth.INSTANCE,
            "plan_id": auth.PLAN_ID,
            "usage_consumed_seconds": consumed,
            "usage_period": {
                "start_time": iso(self.state.started),
                "end_time": iso(self.state.started + USAGE_PERIOD),
            },
            "usage_allocation_seconds": allotted,
            "usage_remaining_seconds": round(max(0.0, allotted - consumed), 3),
            "usage_limit_reached": self.state.limit_reached(),
        }
        if limit is not None:
            body["usage_limit_seconds"] = limit
        return Reply(200, body)

    # --- sessions ------------------------------------------------------------------
    def open_session(self, request: Request) -> Reply:
        payload = request.json()
        device = self._device(payload.get("backend"))
        mode = payload.get("mode", "dedicated")
        if mode not in ("batch", "dedicated"):
            raise Refused(400, f"Unknown session mode {mode!r}: use batch or dedicated.")
        batch = self.state.open_batch(
            mode, device.name, payload.get("instance"), payload.get("max_ttl")
        )
        return Reply(200, batch.to_api())

    def session_details(self, request: Request, batch_id: str) -> Reply:
        """The session as the service describes it; `elapsed_time` is its usage (what
        `Batch.usage()` reads): for a batch, the sum of its jobs' usage."""
        details = self.state.batch(batch_id).to_api()
        return Reply(200, {**details, "elapsed_time": self.state.session_usage(batch_id)})

    def close_session(self, request: Request, batch_id: str) -> Reply:
        if request.json().get("accepting_jobs") is False:
            self.state.close_batch(batch_id)
        else:
            self.state.batch(batch_id)
        return Reply(204)

    def cancel_session(self, request: Request, batch_id: str) -> Reply:
        self.state.cancel_batch(batch_id)
        return Reply(204)

    # --- jobs ----------------------------------------------------------------------
    def submit(self, request: Request) -> Reply:
        payload = request.json()
        program_id = payload.get("program_id")
        if program_id not in PROGRAMS:
            raise Refused(404, f"Program {program_id} not found.")
        device = self._device(payload.get("backend"))
        session_id = payload.get("session_id")
        if session_id and self.state.batch(session_id).backend != device.name:
            raise Refused(400, f"Session {session_id} runs on another backend.")
        params = payload.get("params") or {}
        params_json = json.dumps(params)
        with self.state.lock:  # order number, extra delay and place in the queue agree
            job = self.state.create_job(
                program_id=program_id,
                backend=device.name,
                session_id=session_id,
                tags=list(payload.get("tags") or []),
                params=params,
                params_json=params_json,
                max_execution_time=payload.get("cost"),
                private=bool(payload.get("private", False)),
            )
            job.extra_seconds = self.scheduler.extra_seconds()
            job.spread = self.scheduler.spread()
            self.scheduler.submit(job)
        return Reply(200, {"id": job.id, "backend": job.backend})

    def list_jobs(self, request: Request) -> Reply:
        pending = request.arg("pending")
        jobs = self.state.find_jobs(
            tags=request.query.get("tags", []),
            session_id=request.arg("session_id"),
            backend=request.arg("backend"),
            program=request.arg("program"),
            pending=None if pending is None else pending == "true",
            created_after=_moment(request.arg("created_after")),
            created_before=_moment(request.arg("created_before")),
            descending=request.arg("sort") != "ASC",
        )
        offset = int(request.arg("offset") or 0)
        limit = int(request.arg("limit") or 200)
        page = jobs[offset : offset + limit]
        with_params = request.arg("exclude_params") != "true"
        return Reply(
            200,
            {
                "jobs": [job.to_api(with_params) for job in page],
                "count": len(jobs),
                "limit": limit,
                "offset": offset,
            },
        )

    def job_details(self, request: Request, job_id: str) -> Reply:
        job = self.state.job(job_id)
        return Reply(200, job.to_api(with_params=request.arg("exclude_params") != "true"))

    def delete_job(self, request: Request, job_id: str) -> Reply:
        self.state.delete(job_id)
        return Reply(204)

    def job_results(self, request: Request, job_id: str) -> Reply:
        job = self.state.job(job_id)
        if not job.final:
            raise Refused(404, f"Job {job_id} has no results yet: it is {job.status}.")
        if job.private and job.status == "Completed":  # a private job's results are read once
            return Reply(200, self.state.take_result(job))
        return Reply(200, job.result or f"Job {job_id} was {job.status.lower()}.")

    def cancel_job(self, request: Request, job_id: str) -> Reply:
        self.state.cancel(self.state.job(job_id))
        return Reply(204)

    def job_logs(self, request: Request, job_id: str) -> Reply:
        self.state.job(job_id)
        return Reply(200, "")

    def job_metrics(self, request: Request, job_id: str) -> Reply:
        """Timestamps and usage, shaped by the API version the client asks for: from
        2026-03-15 `usage` holds `qpu_charge_time_seconds` and a `status` that stays
        `pending` until the bill is final (what `RuntimeJobV2.usage()` reads); before, the
        usage was `quantum_seconds`, `seconds` and `bss.seconds`."""
        job = self.state.job(job_id)
        seconds, final = self.state.bill(job)
        answer: dict[str, Any] = {
            "timestamps": {
                "created": iso(job.created),
                "running": iso(job.running_at),
                "finished": iso(job.finished_at),
            },
            "qiskit_version": qiskit.__version__,
        }
        if request.headers.get("ibm-api-version", "") >= BILL_API_VERSION:
            status = "completed" if final else "pending"
            answer["usage"] = {"qpu_charge_time_seconds": seconds, "status": status}
        else:
            answer["usage"] = {"quantum_seconds": seconds, "seconds": seconds}
            answer["bss"] = {"seconds": seconds}
        return Reply(200, answer)

    def replace_tags(self, request: Request, job_id: str) -> Reply:
        self.state.retag(job_id, list(request.json().get("tags") or []))
        return Reply(204)


def _call(handler: Handler, params: tuple[str, ...], request: Request) -> Reply:
    return handler(request, *params)


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
