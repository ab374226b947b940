"""What the emulator can do wrong on purpose, and when.

Two families. HTTP faults spoil the next K requests of one route: an error status, a
connection closed with no answer, or a 429 with `Retry-After`; on submission the job can
be created first (the answer is lost after the service acted) or not at all. Job faults
end the job the emulator creates N-th (0 is the first) the way the service ends such a
job: the state, reason code and reason message that the client reads.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

ROUTES = ("submit", "poll", "results", "list", "cancel", "session", "backends", "any")
"""Routes a fault can target. `submit` is `POST /jobs`, `poll` is `GET /jobs/{id}`."""

HTTP_KINDS = ("error", "drop", "throttle")


@dataclass(frozen=True)
class Ending:
    """How the service ends a job: the state and the reason the client reads."""

    status: str
    reason_code: int
    reason: str


ENDINGS: dict[str, Ending] = {
    # The state the service reports, and the check in runtime_job_v2.py that turns
    # code 1305 into RuntimeJobMaxTimeoutError.
    "too-long": Ending("Cancelled", 1305, "Ran too long"),
    # IBM's error code registry, 5XXX: "Failed to run job. Try to run the job again."
    "internal": Ending("Failed", 5203, "Failed to run job."),
    # IBM's error code registry, 1XXX: "Error in the validation process of the job.
    # Check the Job, it is not valid to run on this backend."
    "rejected": Ending("Failed", 1002, "Error in the validation process of the job."),
    # IBM's error code registry, 4XXX. The documentation says queued jobs go to a
    # failed state when a batch reaches its time to live.
    "batch-expired": Ending("Failed", 4001, "Job is part of a session that's been closed"),
    # IBM's error code registry, 5XXX: "Job was canceled."
    "cancelled": Ending("Cancelled", 5202, "Job was canceled."),
}
JOB_KINDS = tuple(ENDINGS)


@dataclass
class HttpFault:
    """Spoil the next `count` requests of `route` (after letting `skip` through)."""

    route: str
    kind: str
    count: int = 1
    status: int = 500
    after: bool = False
    retry_after: float = 1.0
    skip: int = 0

    def __post_init__(self) -> None:
        if self.route not in ROUTES:
            raise ValueError(f"route {self.route!r} is not one of {', '.join(ROUTES)}")
        if self.kind not in HTTP_KINDS:
            raise ValueError(f"kind {self.kind!r} is not one of {', '.join(HTTP_KINDS)}")
        if self.count < 1 or self.skip < 0:
            raise ValueError("count must be >= 1 and skip >= 0")
        if self.after and self.route != "submit":
            raise ValueError("after (job created, answer lost) only applies to route submit")


def parse_http_fault(spec: str) -> HttpFault:
    """`ROUTE=KIND[,count=K][,status=S][,after][,retry_after=T][,skip=N]` -> HttpFault."""
    head, *options = spec.split(",")
    route, sep, kind = head.partition("=")
    if not sep:
        raise ValueError(f"{spec!r}: expected ROUTE=KIND, e.g. submit=error,after")
    values: dict[str, Any] = {}
    for option in options:
        key, _, value = option.partition("=")
        if key == "after":
            values["after"] = True
        elif key in ("count", "status", "skip"):
            values[key] = int(value)
        elif key == "retry_after":
            values[key] = float(value)
        else:
            raise ValueError(f"{spec!r}: unknown option {key!r}")
    return HttpFault(route=route, kind=kind, **values)


def parse_job_fault(spec: str) -> tuple[int, str]:
    """`N=KIND` -> (N, KIND)."""
    order, sep, kind = spec.partition("=")
    if not sep or not order.isdigit() or kind not in ENDINGS:
        raise ValueError(f"{spec!r}: expected N=KIND with KIND one of {', '.join(JOB_KINDS)}")
    return int(order), kind


@dataclass
class FaultPlan:
    """The faults armed now; every method is safe to call from any thread."""

    http: list[HttpFault] = field(default_factory=list)
    jobs: dict[int, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def arm(self, http: Iterable[HttpFault] = (), jobs: Mapping[int, str] | None = None) -> None:
        with self._lock:
            self.http.extend(http)
            self.jobs.update(jobs or {})

    def clear(self) -> None:
        with self._lock:
            self.http.clear()
            self.jobs.clear()

    def take(self, route: str) -> HttpFault | None:
        """The fault that spoils this request of `route`, if one is armed; uses it up."""
        with self._lock:
            for fault in self.http:
                if fault.route not in (route, "any"):
                    continue
                if fault.skip:
                    fault.skip -= 1
                    continue
                fault.count -= 1
                if fault.count == 0:
                    self.http.remove(fault)
                return fault
        return None

    def job_kind(self, order: int) -> str | None:
        with self._lock:
            return self.jobs.get(order)

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "http": [asdict(fault) for fault in self.http],
                "jobs": {str(order): kind for order, kind in sorted(self.jobs.items())},
            }
