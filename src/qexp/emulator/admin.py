"""The emulator's own API under `/_emulator`, for tests: read the counts, arm faults, act
as the service's operators would (cancel a job by hand, end a batch's time to live).

    GET    /_emulator/stats                    jobs, batches, requests, where the key went
    GET    /_emulator/faults                   the faults armed now
    POST   /_emulator/faults                   {"http": [{...HttpFault}], "jobs": {"N": KIND}}
    DELETE /_emulator/faults                   disarm everything
    POST   /_emulator/jobs/{id}/cancel         the service cancels the job (reason 5202)
    POST   /_emulator/sessions/{id}/expire     the batch reaches its time to live now
    POST   /_emulator/allocation               {"seconds": S} sets the instance's usage limit
                                               (null: none); jobs held at the limit run
"""

from __future__ import annotations

import re
from typing import Any

from .faults import ENDINGS, FaultPlan, HttpFault, parse_job_fault
from .ledger import Ledger
from .routes import Reply, Request
from .state import Refused, ServiceState

PREFIX = "/_emulator"


class AdminApi:
    def __init__(self, state: ServiceState, faults: FaultPlan, ledger: Ledger) -> None:
        self.state, self.faults, self.ledger = state, faults, ledger

    def handle(self, request: Request) -> Reply:
        path, method = request.path, request.method
        if (method, path) == ("GET", "/stats"):
            return Reply(200, self.stats())
        if path == "/faults":
            if method == "POST":
                self.arm(request.json())
            elif method == "DELETE":
                self.faults.clear()
            return Reply(200, self.faults.describe())
        if method == "POST" and (found := re.fullmatch(r"/jobs/([^/]+)/cancel", path)):
            job = self.state.job(found[1])
            if not self.state.end(job, ENDINGS["cancelled"], "Job was canceled."):
                raise Refused(409, f"Job {job.id} has already ended: {job.status}.")
            return Reply(200, job.to_stats())
        if method == "POST" and (found := re.fullmatch(r"/sessions/([^/]+)/expire", path)):
            failed = self.state.expire_batch(found[1], ENDINGS["batch-expired"])
            return Reply(200, {"failed": [job.id for job in failed]})
        if (method, path) == ("POST", "/allocation"):
            seconds = request.json().get("seconds")
            if seconds is not None and (not isinstance(seconds, int | float) or seconds < 0):
                raise Refused(400, f"Bad allocation {seconds!r}: seconds >= 0, or null.")
            self.state.set_allocation(None if seconds is None else float(seconds))
            return Reply(200, self.usage())
        raise Refused(404, f"No emulator route {method} {PREFIX}{path}.")

    def usage(self) -> dict[str, Any]:
        return {
            "consumed": self.state.consumed(),
            "allocation": self.state.allocation,
            "limit_reached": self.state.limit_reached(),
        }

    def arm(self, spec: dict[str, Any]) -> None:
        try:
            http = [HttpFault(**fault) for fault in spec.get("http", [])]
            jobs = dict(parse_job_fault(f"{n}={kind}") for n, kind in spec.get("jobs", {}).items())
        except (TypeError, ValueError) as error:
            raise Refused(400, f"Bad fault: {error}") from None
        self.faults.arm(http, jobs)

    def stats(self) -> dict[str, Any]:
        with self.state.lock:
            jobs = [job.to_stats() for job in self.state.jobs.values()]
            batches = [
                {
                    "id": batch.id,
                    "mode": batch.mode,
                    "backend": batch.backend,
                    "state": batch.state,
                    "accepting_jobs": batch.accepting_jobs,
                    "created": batch.to_api()["started_at"],
                }
                for batch in self.state.batches.values()
            ]
        for batch in batches:
            batch["usage"] = self.state.session_usage(batch["id"])
        return {"jobs": jobs, "sessions": batches, "usage": self.usage(), **self.ledger.snapshot()}
