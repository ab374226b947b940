"""The run's job ledger, `manifest.json`: every job, its circuits, status and attempts.

It is rewritten atomically after every change, so a crash at any instant leaves a
consistent ledger that still holds every job id ever submitted. Resume and status read it.
It is also the run's bill: qexp's estimate of each job's QPU seconds, and what the service
billed each attempt (`qexp.store.bill` adds it up).
Beside it, `circuits.jsonl` records the digest of every circuit of a job before the job is
first submitted (appended, never rewritten), so resume can tell whether the config still
gives the circuits that ran.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from qexp.atomic import write_text
from qexp.constants import (
    CALIBRATION,
    CALIBRATION_DIR,
    CIRCUITS_FILE,
    JOBS_DIR,
    MANIFEST_FILE,
    MANIFEST_SCHEMA_VERSION,
    job_file_name,
)
from qexp.version import __version__

STATUSES = ("pending", "submitted", "done", "failed", "cancelled")


class PlannedJob(Protocol):
    """A job as the ledger first records it (`qexp.plan.partition.JobPlan` is one)."""

    @property
    def index(self) -> int: ...

    @property
    def circuits(self) -> Sequence[int]: ...

    @property
    def primitive(self) -> str:
        """The primitive's name in a run of several; empty in a run of one."""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class Attempt:
    """One submission of a job."""

    job_id: str | None
    """None when the submission itself failed."""
    batch_id: str | None
    submitted: str
    finished: str | None = None
    error: str | None = None
    error_class: str | None = None
    """transient, batch_expired, invalid_input, cancelled or check_failed."""
    qpu_seconds: float | None = None
    """What the service billed this attempt (its job's usage); None until read, and for
    jobs on a local backend, which bill nothing."""
    bill: str | None = None
    """`final`, or `pending` while the service is still computing the usage; None: the
    service was not asked (a local job, or no job was created)."""
    service_estimate: float | None = None
    """The service's own estimate of the job's usage before it ran (`usage_estimation`)."""


@dataclass
class JobEntry:
    index: int
    circuits: list[int]
    status: str = "pending"
    file: str = ""
    attempts: list[Attempt] = field(default_factory=list)
    primitive: str = ""
    """In a run of several primitives, the one this job runs."""
    estimate: float | None = None
    """qexp's estimate of the QPU seconds one attempt costs (`qexp.plan.cost`); None where
    the backend has no QPU time, or before it was priced."""

    @property
    def last(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None

    def attempt(self, job_id: str) -> Attempt | None:
        """The attempt that created the service's job `job_id`."""
        return next((a for a in self.attempts if a.job_id == job_id), None)


class Manifest:
    """In-memory ledger mirrored to `<run_dir>/manifest.json` on every change (see `lag`)."""

    def __init__(self, path: Path, jobs: list[JobEntry], info: dict[str, Any]) -> None:
        self.path, self.jobs, self.info = path, jobs, info
        self.recorded: set[int] = set()
        """Jobs whose circuit digests this process has recorded."""
        self._texts: dict[int, str] = {}
        """Each job's entry as written last, by job index: a transition re-encodes only
        the job it changed (the ledger is rewritten at every transition, and encoding
        every entry each time grew with the square of the jobs)."""
        self.ids_durable = True
        """Whether a submission waits until the ledger is on the disk. A service's job id
        is the only handle on a paid job; a local job dies with its process, so its
        submission needs only the rename (what a killed process leaves is whole)."""
        self.lag = 0.0
        """Seconds a transition that need not be durable may wait to be written, folded
        into the next write: a run of many fast local jobs would otherwise rewrite the
        ledger twice per job. Resume trusts the job files, so a lagging ledger loses
        nothing; `write_due` and `flush` bound the wait."""
        self._written = 0.0
        self._held = False

    @classmethod
    def create(
        cls,
        run_dir: Path,
        plans: Sequence[PlannedJob],
        info: dict[str, Any],
        estimates: dict[int, float] | None = None,
    ) -> Manifest:
        """A new ledger of `plans`, saved; `estimates`: qexp's QPU seconds per job index."""
        jobs = [
            JobEntry(
                p.index,
                list(p.circuits),
                file=f"{_folder(p.primitive)}/{job_file_name(p.index)}",
                primitive=p.primitive,
                estimate=(estimates or {}).get(p.index),
            )
            for p in plans
        ]
        manifest = cls(run_dir / MANIFEST_FILE, jobs, {"created": now(), **info})
        manifest.save()
        return manifest

    @classmethod
    def load(cls, run_dir: Path) -> Manifest:
        data = json.loads((run_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
        for derived in ("counts", "batches", "updated", "schema_version", "qexp_version"):
            data.pop(derived, None)
        jobs = [
            JobEntry(
                index=j["index"],
                circuits=_circuits(j["circuits"]),
                status=j["status"],
                file=j["file"],
                attempts=[Attempt(**a) for a in j["attempts"]],
                primitive=j.get("primitive", ""),
                estimate=j.get("estimate"),
            )
            for j in data.pop("jobs")
        ]
        return cls(run_dir / MANIFEST_FILE, jobs, data)

    def save(self, durable: bool = True, changed: int | None = None) -> None:
        """Rewrite the file (atomically). `durable` also waits until it is on the disk:
        needed where it holds a job id no other file holds; a job's end can wait for the
        next durable write, since resume trusts the job file over the ledger's status.
        `changed`: the one job changed since the last save (None: any may have)."""
        if changed is None:
            self._texts.clear()
        else:
            self._texts.pop(changed, None)
        self._write(durable)

    def _transition(self, index: int, durable: bool) -> None:
        self._texts.pop(index, None)
        if durable or time.monotonic() >= self._written + self.lag:
            self._write(durable)
        else:
            self._held = True

    def write_due(self) -> None:
        """Write the transitions held back once they have waited `lag` seconds."""
        if self._held and time.monotonic() >= self._written + self.lag:
            self._write(durable=False)

    def flush(self) -> None:
        """Write the transitions held back, now."""
        if self._held:
            self._write(durable=False)

    def _write(self, durable: bool) -> None:
        data = {
            **self.info,
            "schema_version": MANIFEST_SCHEMA_VERSION,
            "qexp_version": __version__,
            "updated": now(),
            "counts": self.counts(),
            "batches": self.batches(),
        }
        entries = [self._text(job) for job in self.jobs]
        text = json.dumps(data, indent=1)[:-2]  # without the closing "\n}"
        jobs = "[\n" + ",\n".join(entries) + "\n ]" if entries else "[]"
        write_text(self.path, f'{text},\n "jobs": {jobs}\n}}\n', durable)
        self._written, self._held = time.monotonic(), False

    def _text(self, job: JobEntry) -> str:
        """The job's entry as `json.dumps` of the whole ledger writes it (indent 1, at the
        depth of the `jobs` list)."""
        if job.index not in self._texts:
            lines = json.dumps(_entry(job), indent=1).splitlines()
            self._texts[job.index] = "\n".join(f"  {line}" for line in lines)
        return self._texts[job.index]

    @property
    def run_dir(self) -> Path:
        return self.path.parent

    def batches(self) -> list[str]:
        """Every batch a job of this run went through, in order of first use."""
        ids = (a.batch_id for job in self.jobs for a in job.attempts if a.batch_id)
        return list(dict.fromkeys(ids))

    def counts(self) -> dict[str, int]:
        return {s: sum(job.status == s for job in self.jobs) for s in STATUSES}

    # Transitions: each one saves, so the file on disk is never behind (but for `lag`).
    def submitted(self, index: int, job_id: str | None, batch_id: str | None) -> None:
        job = self.jobs[index]
        job.attempts.append(Attempt(job_id=job_id, batch_id=batch_id, submitted=now()))
        job.status = "submitted"
        self._transition(index, durable=self.ids_durable)

    def finished(
        self, index: int, status: str, error: str | None = None, cls: str | None = None
    ) -> None:
        job = self.jobs[index]
        if job.last is not None:
            job.last.finished, job.last.error, job.last.error_class = now(), error, cls
        job.status = status
        self._transition(index, durable=False)

    def set_status(self, index: int, status: str) -> None:
        self.jobs[index].status = status
        self._transition(index, durable=False)

    def set_estimates(self, estimates: dict[int, float]) -> None:
        """qexp's estimate of each priced job's QPU seconds, as the budget counted them."""
        for index, seconds in estimates.items():
            self.jobs[index].estimate = seconds
        self.save()

    def billed(
        self,
        index: int,
        job_id: str,
        seconds: float | None,
        status: str,
        service_estimate: float | None = None,
    ) -> None:
        """Record what the service bills the attempt that created `job_id` (`status`: final,
        pending or unread); a duplicate the client made keeps its bill under `duplicates`."""
        attempt = self.jobs[index].attempt(job_id)
        if attempt is not None:
            attempt.qpu_seconds, attempt.bill = seconds, status
            if service_estimate is not None:
                attempt.service_estimate = service_estimate
        else:
            duplicates = self.info.get("duplicates", [])
            duplicate = next((d for d in duplicates if d["job_id"] == job_id), None)
            if duplicate is None:
                return
            duplicate.update(qpu_seconds=seconds, bill=status)
        self.save()


def _folder(kind: str) -> str:
    """Calibration jobs' files apart from the experiment's, which readers of results list."""
    return CALIBRATION_DIR if kind == CALIBRATION else JOBS_DIR


def _entry(job: JobEntry) -> dict[str, Any]:
    """A job as stored: a contiguous circuit range as {"start", "stop"}, so the ledger
    stays small (and cheap to rewrite) for runs of many thousands of circuits."""
    data = asdict(job)
    if not job.primitive:
        del data["primitive"]  # a run of one primitive: its name is in the run's info
    circuits = job.circuits
    if circuits and circuits == list(range(circuits[0], circuits[-1] + 1)):
        data["circuits"] = {"start": circuits[0], "stop": circuits[-1] + 1}
    return data


def _circuits(stored: Any) -> list[int]:
    if isinstance(stored, dict):
        return list(range(int(stored["start"]), int(stored["stop"])))
    return [int(i) for i in stored]


def what_resume_does(manifest: Manifest) -> str:
    """One line: what `qexp.resume` would do with this run, from its ledger."""
    counts = manifest.counts()
    again = counts["pending"] + counts["failed"] + counts["cancelled"]
    parts = []
    if counts["submitted"]:
        parts.append(f"re-attach {counts['submitted']} submitted job(s)")
    if again:
        parts.append(f"submit {again} job(s) again (their checks run again)")
    if not parts:
        return "resume has nothing left to do"
    return "resume would " + " and ".join(parts) + f" (done jobs are kept: {counts['done']})"


def record_digests(
    manifest: Manifest, job_index: int, circuits: Sequence[int], digests: Sequence[str]
) -> None:
    """Append the job's circuit digests to `circuits.jsonl` once, before it is submitted
    (on the disk first where the ledger's submissions are: `Manifest.ids_durable`)."""
    if job_index in manifest.recorded:
        return
    line = json.dumps({"job": job_index, "circuits": list(circuits), "digests": list(digests)})
    with open(manifest.run_dir / CIRCUITS_FILE, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        if manifest.ids_durable:
            handle.flush()
            os.fsync(handle.fileno())
    manifest.recorded.add(job_index)


def recorded_digests(run_dir: Path) -> dict[int, str]:
    """Circuit index -> digest, as recorded before each job's first submission.

    A line cut short by a crash is ignored (its job was never submitted).
    """
    path = run_dir / CIRCUITS_FILE
    found: dict[int, str] = {}
    if not path.is_file():
        return found
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
            found.update(zip(entry["circuits"], entry["digests"], strict=True))
        except (ValueError, KeyError, TypeError):
            continue
    return found
