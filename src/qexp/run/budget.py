"""The QPU-time budget: what was spent plus what is about to be submitted, against
`run.max_qpu_seconds`, and, on IBM Quantum, against the instance's remaining allocation.

Before a run submits anything (a first run, a resume, each point of a sweep, each point
joining a shared batch), qexp prices the jobs it is about to submit (`qexp.plan.estimate`)
and adds what was spent already, read from the ledgers (`qexp.store.bill`): this run's and
every other point's of its sweep, each attempt at its bill, or at its estimate until
billed. Past the cap it refuses, naming both figures, and submits nothing. The check and
the new ledger's reservation of its jobs happen under a lock in the sweep folder, so points
that start together each count the others. Before a retry the same sum is asked again: the
failed attempt may have been billed.

With backend=ibm the instance's usage is read (`QiskitRuntimeService.usage()`) and a run
whose estimate is above the instance's remaining allocation, or whose instance has reached
its limit, is refused before anything is submitted.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from qexp.cli import command
from qexp.errors import QexpError
from qexp.plan import estimate
from qexp.plan.estimate import BudgetExceeded, PlanEstimate
from qexp.plan.partition import JobPlan
from qexp.plan.run_plan import RunPlan
from qexp.store import run_folder
from qexp.store.bill import Spending, folders_spending, spending
from qexp.store.manifest import Manifest

log = logging.getLogger(__name__)

LOCK_FILE = ".budget.lock"
"""In a sweep's folder: held while a point checks the budget and reserves its jobs."""


class AllocationExceeded(QexpError):
    """The instance's remaining allocation is below the run's estimate: nothing submitted."""

    exit_code = 2


def remaining_allocation(plan: RunPlan) -> dict[str, Any] | None:
    """The instance's usage (`usage_remaining_seconds` and the rest) on IBM Quantum, or None
    where there is no instance or it reports no allocation."""
    if plan.service is None:
        return None
    try:
        usage = plan.service.usage() or {}
    except Exception as exc:  # the budget still holds; the service will refuse if it must
        log.warning("the instance's usage cannot be read (%s); its allocation is not checked", exc)
        return None
    return usage if usage.get("usage_remaining_seconds") is not None else None


def price(plan: RunPlan, jobs: list[JobPlan], usage: dict[str, Any] | None) -> PlanEstimate | None:
    """The estimate of `jobs` when something must be held against it (a cap, an allocation);
    None where the backend is not priced or nothing is."""
    if not plan.priced or not jobs or (plan.policy.max_qpu_seconds is None and usage is None):
        return None
    return estimate.estimate(plan, jobs)


def check_allocation(
    plan: RunPlan, found: PlanEstimate | None, usage: dict[str, Any] | None
) -> None:
    """Refuse a run the instance has no time left for."""
    if usage is None or found is None:
        return
    remaining = float(usage["usage_remaining_seconds"])
    assert found.qpu_seconds is not None
    if not usage.get("usage_limit_reached") and found.qpu_seconds <= remaining:
        return
    consumed = usage.get("usage_consumed_seconds")
    allotted = usage.get("usage_limit_seconds", usage.get("usage_allocation_seconds"))
    raise AllocationExceeded(
        f"the instance has {remaining:.1f} s of QPU time left ({consumed} of {allotted} s "
        f"used this period), and the jobs about to be submitted are estimated at "
        f"{found.qpu_seconds:.1f} s ({found.jobs} jobs on {plan.backend_name}); nothing was "
        "submitted. Fix: run fewer circuits or shots (see the plan with run.dry_run=true), "
        "wait for the instance's usage period to renew, or ask its administrator to raise "
        "its allocation; then resume."
    )


@contextlib.contextmanager
def admission(run_dir: Path) -> Iterator[Spending]:
    """What the other points of `run_dir`'s sweep have spent and reserved, with the sweep's
    budget lock held until the caller has checked and reserved its own (outside a sweep:
    nothing, and no lock)."""
    sweep_dir = run_folder.sweep_of(run_dir)
    if sweep_dir is None:
        yield Spending()
        return
    with open(sweep_dir / LOCK_FILE, "a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield elsewhere(run_dir, sweep_dir)
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def elsewhere(run_dir: Path, sweep_dir: Path | None) -> Spending:
    """The spending of the other points of the sweep (none outside a sweep)."""
    if sweep_dir is None:
        return Spending()
    here = Path(run_dir).absolute()
    others = [d for d in run_folder.run_dirs(sweep_dir) if d.absolute() != here]
    return folders_spending(others)


def check_cap(plan: RunPlan, found: PlanEstimate | None, spent: Spending, run_dir: Path) -> None:
    """Refuse when what was spent plus the estimate of the jobs about to be submitted would
    pass `run.max_qpu_seconds`."""
    cap = plan.policy.max_qpu_seconds
    if cap is None or found is None:
        return
    assert found.qpu_seconds is not None
    total = spent.committed + found.qpu_seconds
    if total <= cap:
        return
    raise BudgetExceeded(
        f"estimated QPU time {found.qpu_seconds:.1f} s ({found.jobs} jobs, {found.executions} "
        f"executions on {plan.backend_name}) plus {spent.committed:.1f} s {_spent_where(spent)} "
        f"makes {total:.1f} s, which exceeds the budget run.max_qpu_seconds={cap:g}; nothing "
        f"was submitted. Fix: raise the cap (`{_raise(run_dir, total)}`), or run fewer "
        "circuits or shots (see the plan with run.dry_run=true)."
    )


def admit_retry(plan: RunPlan, manifest: Manifest, run_dir: Path, job: JobPlan) -> str | None:
    """Why a retry of `job` may not be submitted, or None: the run's and its sweep's
    spending (which counts the retry at its estimate) against the cap."""
    cap = plan.policy.max_qpu_seconds
    if cap is None or not plan.priced:
        return None
    total = elsewhere(run_dir, run_folder.sweep_of(run_dir)) + spending(manifest)
    if total.committed <= cap:
        return None
    estimate_ = manifest.jobs[job.index].estimate or 0.0
    return (
        f"submitting it again (~{estimate_:.1f} s) would bring the QPU time spent and "
        f"committed to {total.committed:.1f} s ({total.billed:.1f} s billed so far), above "
        f"run.max_qpu_seconds={cap:g}. Fix: raise the cap (`{_raise(run_dir, total.committed)}`)"
    )


def _spent_where(spent: Spending) -> str:
    """`already spent (X s billed, Y s reserved by jobs still to submit)`."""
    details = []
    if spent.billed:
        details.append(f"{spent.billed:.1f} s of it billed")
    if spent.to_submit:
        details.append(f"{spent.to_submit:.1f} s reserved by jobs still to submit")
    return "already spent" + (f" ({', '.join(details)})" if details else "")


def _raise(run_dir: Path, total: float) -> str:
    """The command that resumes the run (its sweep) with a cap that lets it through."""
    where = run_folder.sweep_of(run_dir) or run_dir
    return f"{command('resume', where)} --max-qpu-seconds {math.ceil(total)}"
