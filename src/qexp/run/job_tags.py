"""Finding a run's jobs on IBM Quantum again: their tags, lookups, duplicates.

Every job qexp submits to IBM Quantum carries tags naming its run, its index, its attempt
and, in a sweep, its point. They let qexp (and the user, with
`service.jobs(job_tags=[...])`) find jobs whose ids never reached the manifest: a
submission whose answer was lost, a process killed between submitting and saving, and the
silent copies the client makes when it re-sends a request that had in fact gone through.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

PREFIX = "qexp"


@dataclass(frozen=True)
class JobTag:
    """What a job's tags say about it."""

    run: str
    index: int
    attempt: int | None = None


def tags(run_id: str, index: int, attempt: int, point: int | None = None) -> list[str]:
    found = [f"{PREFIX}-run:{run_id}", f"{PREFIX}-job:{index}", f"{PREFIX}-attempt:{attempt}"]
    if point is not None:
        found.append(f"{PREFIX}-point:{point}")
    return found


def parse(job_tags: Iterable[str]) -> JobTag | None:
    """The run, index and attempt in a job's tags; None for a job qexp did not tag."""
    values = {}
    for tag in job_tags or ():
        key, _, value = str(tag).partition(":")
        if key.startswith(f"{PREFIX}-") and value:
            values[key.removeprefix(f"{PREFIX}-")] = value
    try:
        attempt = values.get("attempt")
        return JobTag(values["run"], int(values["job"]), int(attempt) if attempt else None)
    except (KeyError, ValueError):
        return None


def run_jobs(service: Any, run_id: str, backend_name: str | None = None) -> list[Any]:
    """Every job of the run on the service, oldest first (one paginated list request)."""
    found = service.jobs(job_tags=[f"{PREFIX}-run:{run_id}"], backend_name=backend_name, limit=None)
    return sorted(found, key=lambda job: str(getattr(job, "creation_date", "") or ""))


def by_index(jobs: Iterable[Any], run_id: str) -> dict[int, list[Any]]:
    """The run's jobs grouped by job index, each group oldest first."""
    grouped: dict[int, list[Any]] = {}
    for job in jobs:
        tag = parse(getattr(job, "tags", ()))
        if tag is not None and tag.run == run_id:
            grouped.setdefault(tag.index, []).append(job)
    return grouped


def attempt_of(job: Any) -> int | None:
    tag = parse(getattr(job, "tags", ()))
    return None if tag is None else tag.attempt
