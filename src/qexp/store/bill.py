"""What a run cost, from its ledger alone: the seconds the service billed, and qexp's
estimates standing in for what it has not billed yet.

The service bills each attempt (`Attempt.qpu_seconds`, final once `bill == "final"`); qexp
estimated each job (`JobEntry.estimate`). The budget counts an attempt at its bill once the
bill is final, and at its job's estimate until then: a job in flight, a bill the service
is still computing, and every job on a local fake device (which bills nothing, so that a
rehearsal counts as the real run would). Jobs still to submit are counted at their
estimate too, as reserved: a point of a sweep that plans its jobs holds their cost against
the cap before it submits, so points starting together cannot overspend it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from qexp.constants import MANIFEST_FILE
from qexp.store.manifest import JobEntry, Manifest

FINAL = "final"
PENDING = "pending"
UNREAD = "unread"
"""Bill states of an attempt: final, still computed by the service, or not read (the
request failed); None means the service was never asked (a local job)."""
SERVICE = "service"
"""`manifest.info["billing"]` of a run whose jobs a service bills; `none` on local backends."""


@dataclass(frozen=True)
class Spending:
    """A run's (or a sweep's) QPU seconds: billed, and estimated where not billed."""

    billed: float = 0.0
    """Final bills, in seconds: every attempt's and every duplicate's."""
    bills: int = 0
    """Attempts (and duplicates) with a final bill."""
    unbilled: float = 0.0
    """qexp's estimates of the attempts that ran without a final bill (yet)."""
    unbilled_attempts: int = 0
    to_submit: float = 0.0
    """qexp's estimates of the jobs still to submit."""
    estimated: float = 0.0
    """qexp's estimate of the run: each priced job once."""
    priced: int = 0
    """Jobs with an estimate."""
    billing: bool = False
    """Whether a service bills these jobs (False on local backends, which bill nothing)."""

    @property
    def spent(self) -> float:
        """What the budget counts as spent: the bills, and estimates for the unbilled."""
        return self.billed + self.unbilled

    @property
    def committed(self) -> float:
        """Spent, plus what the jobs still to submit are expected to cost."""
        return self.spent + self.to_submit

    def __add__(self, other: Spending) -> Spending:
        return Spending(
            billed=self.billed + other.billed,
            bills=self.bills + other.bills,
            unbilled=self.unbilled + other.unbilled,
            unbilled_attempts=self.unbilled_attempts + other.unbilled_attempts,
            to_submit=self.to_submit + other.to_submit,
            estimated=self.estimated + other.estimated,
            priced=self.priced + other.priced,
            billing=self.billing or other.billing,
        )

    def cell(self) -> str:
        """`billed / ~estimated` seconds for a table cell; `-` for what is not known."""
        if not (self.billing or self.priced):
            return "-"
        billed = f"{self.billed:.3f}" if self.billing else "-"
        estimated = f"~{self.estimated:.2f}" if self.priced else "-"
        return f"{billed} / {estimated}"

    def describe(self) -> str:
        """One line: billed against estimated, and what is not billed yet."""
        estimate = f"~{self.estimated:.2f} s estimated" if self.priced else "not estimated"
        if not self.billing:
            priced = f"{estimate}; " if self.priced else ""
            return f"QPU time: {priced}nothing billed (a local backend)"
        text = f"QPU time: {self.billed:.3f} s billed ({self.bills} bill(s)) against {estimate}"
        if self.priced and self.estimated > 0 and self.bills:
            text += f" ({self.billed / self.estimated:.2f}x)"
        if self.unbilled_attempts:
            text += (
                f"; {self.unbilled_attempts} attempt(s) not billed yet "
                f"(~{self.unbilled:.2f} s estimated)"
            )
        return text


def spending(manifest: Manifest) -> Spending:
    """The run's spending, from its ledger."""
    duplicates = manifest.info.get("duplicates", [])
    asked = any(a.bill for job in manifest.jobs for a in job.attempts)
    found = Spending(billing=manifest.info.get("billing", "service" if asked else "") == SERVICE)
    for job in manifest.jobs:
        found += job_spending(job)
    for duplicate in duplicates:
        if duplicate.get("bill") == FINAL:
            found += Spending(billed=float(duplicate.get("qpu_seconds") or 0.0), bills=1)
    return found


def job_spending(job: JobEntry) -> Spending:
    """One job's spending: each attempt at its bill, or at the job's estimate until billed."""
    estimate = job.estimate or 0.0
    billed, bills, unbilled, unbilled_attempts = 0.0, 0, 0.0, 0
    for attempt in job.attempts:
        if attempt.bill == FINAL:
            billed += attempt.qpu_seconds or 0.0
            bills += 1
        elif attempt.job_id is not None:
            unbilled += estimate
            unbilled_attempts += 1
    return Spending(
        billed=billed,
        bills=bills,
        unbilled=unbilled,
        unbilled_attempts=unbilled_attempts,
        to_submit=estimate if job.status == "pending" else 0.0,
        estimated=estimate,
        priced=int(job.estimate is not None),
    )


def job_billed(job: JobEntry) -> float:
    """The seconds the service billed the job, every attempt's final bill; NaN when it was
    never asked (a local job, or none submitted)."""
    asked = [a for a in job.attempts if a.bill is not None]
    if not asked:
        return math.nan
    return sum(a.qpu_seconds or 0.0 for a in asked if a.bill == FINAL)


def final_bills(run_dir: Path) -> dict[str, float]:
    """Each attempt's final bill by job id, from the run's ledger ({} without a readable one)."""
    try:
        manifest = Manifest.load(run_dir)
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return {
        attempt.job_id: float(attempt.qpu_seconds or 0.0)
        for job in manifest.jobs
        for attempt in job.attempts
        if attempt.job_id and attempt.bill == FINAL
    }


def folders_spending(run_dirs: Iterable[Path]) -> Spending:
    """The sum over several run folders (a sweep's points); a folder without a readable
    ledger has spent nothing qexp knows of."""
    total = Spending()
    for run_dir in run_dirs:
        if not (run_dir / MANIFEST_FILE).is_file():
            continue
        try:
            total += spending(Manifest.load(run_dir))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return total


# --- as the commands show it -----------------------------------------------------------
def seconds_text(value: float | None, prefix: str = "") -> str:
    """QPU seconds as a table cell: `-` where there are none."""
    return "-" if value is None or math.isnan(value) else f"{prefix}{value:.3f}"


def billed_text(job: JobEntry) -> str:
    """What the service billed the job (every attempt), and whether a bill is pending."""
    text = seconds_text(job_billed(job))
    if any(a.bill == PENDING for a in job.attempts):
        text = "pending" if text == "-" else f"{text} (pending)"
    return text


def ledger_line(manifest: Manifest) -> str:
    """The run's QPU time, billed against estimated, and each batch's usage as reported."""
    line = spending(manifest).describe()
    usage = {k: v for k, v in manifest.info.get("batch_usage", {}).items() if v is not None}
    if usage:
        line += "; batch usage " + ", ".join(f"{v:.3f} s ({k})" for k, v in usage.items())
    return line
