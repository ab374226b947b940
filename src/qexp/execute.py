"""One run's jobs through IBM Runtime Batches: submit all up front, collect as they finish.

Each job is prepared (transpiled) just before it is submitted, so the first job runs
while later partitions are still being transpiled. Finished jobs are handed to
`on_result` in whatever order they end; a failed job is re-submitted alone when its
failure is transient, in a fresh batch when the batch expired, and never when the backend
rejected its input. A failing check cancels everything still outstanding.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from qiskit.primitives import PrimitiveResult

from qexp import failures
from qexp.manifest import Manifest
from qexp.partition import JobPlan

log = logging.getLogger(__name__)


@dataclass
class Policy:
    max_retries: int = 2
    backoff: float = 1.0
    poll_interval: float = 0.02
    local: bool = True
    """Local jobs die with the process and cannot be looked up again; cloud jobs can."""
    cancel_grace: float = 5.0
    """Seconds after a first Ctrl-C in which a second one cancels the jobs still on IBM."""
    polls_per_tick: int = 10
    """Cloud only: status requests per poll interval, taken round-robin over the jobs."""


_abandoned: list[str] = []


def abandoned_local_jobs() -> int:
    """Local jobs left running when a run stopped early: the process need not wait for them."""
    return len(_abandoned)


@dataclass
class Hooks:
    """What the loop needs from the rest of qexp, as plain callables."""

    open_batch: Callable[[], Any]
    prepare: Callable[[JobPlan], Any]
    """JobPlan -> prepared job (ISA PUBs etc.), cached for retries."""
    submit: Callable[[Any, Any, JobPlan, Any], Any]
    """(batch, prepared, plan, ...) -> runtime job; raises when submission fails."""
    on_result: Callable[[JobPlan, Any, Any, PrimitiveResult], str | None]
    """Write the job's file; return a failed check's message, else None."""
    progress: Any = None
    attach: Callable[[str], Any] | None = None
    """Re-attach a submitted cloud job by id (resume); None when jobs cannot be looked up."""


@dataclass
class Outcome:
    stopped: str | None = None
    """Why the run stopped early: a check's message or 'interrupted'; None when it ran out."""


class Interrupted(BaseException):
    """Ctrl-C inside the loop; a BaseException so that no `except Exception` swallows it."""


@dataclass
class _Running:
    plan: JobPlan
    job: Any
    batch: Any


class BatchLoop:
    """Drives the jobs of one run to a final state, keeping the manifest current."""

    def __init__(self, manifest: Manifest, hooks: Hooks, policy: Policy) -> None:
        self.manifest, self.hooks, self.policy = manifest, hooks, policy
        self.prepared: dict[int, Any] = {}
        self.queue: deque[JobPlan] = deque()
        self.retries: list[tuple[float, int, JobPlan]] = []
        self.running: dict[int, _Running] = {}
        self.batch: Any = None
        self.fresh_batch_needed = False
        self.interrupts = 0
        self._poll_cursor = 0

    def run(self, plans: Sequence[JobPlan], attach: Sequence[tuple[JobPlan, str]] = ()) -> Outcome:
        self.queue.extend(plans)
        outcome = Outcome()
        with self._sigint_counter():
            try:
                try:
                    for plan, job_id in attach:
                        self._attach(plan, job_id)
                    outcome.stopped = self._loop()
                except Interrupted:
                    outcome.stopped = "interrupted"
                if outcome.stopped:
                    with contextlib.suppress(Interrupted):
                        self._collect_finished(every_job=True)  # whatever arrived is kept
                    self._offer_cancel()
                    self._cancel_outstanding(self._should_cancel())
            finally:
                self._close_batch()
        return outcome

    # --- the loop -------------------------------------------------------------------------
    def _loop(self) -> str | None:
        while self.queue or self.running or self.retries:
            self._check_interrupt()
            self._release_due_retries()
            if self.queue:
                self._submit(self.queue.popleft())
            stop = self._collect_finished()
            if stop:
                return stop
            if not self.queue:
                time.sleep(self._pause())
        return None

    def _pause(self) -> float:
        if self.retries and not self.running:
            return max(0.0, min(self.policy.poll_interval * 10, self.retries[0][0] - time.time()))
        return self.policy.poll_interval

    def _submit(self, plan: JobPlan) -> None:
        if plan.index not in self.prepared:
            try:
                self.prepared[plan.index] = self.hooks.prepare(plan)
            except Exception as exc:  # e.g. a circuit the transpiler cannot map: never retried
                self.manifest.submitted(plan.index, None, None)
                self.manifest.finished(
                    plan.index, "failed", failures.describe(exc), failures.INVALID_INPUT
                )
                self._progress("failed", plan.index)
                log.error("job %d cannot be prepared (not submitted): %s", plan.index, exc)
                return
        batch = self._current_batch()
        try:
            job = self.hooks.submit(
                batch, self.prepared[plan.index], plan, len(self._attempts(plan))
            )
        except Exception as exc:
            self.manifest.submitted(plan.index, None, _batch_id(batch))
            self._failed(plan, exc, batch)
            return
        self.manifest.submitted(plan.index, job.job_id(), _batch_id(batch))
        self.running[plan.index] = _Running(plan, job, batch)
        self._progress("submitted", plan.index)
        log.info("job %d submitted: %s (%d PUBs)", plan.index, job.job_id(), len(plan.circuits))

    def _attach(self, plan: JobPlan, job_id: str) -> None:
        """Collect a job submitted before a crash instead of paying for it twice."""
        try:
            assert self.hooks.attach is not None
            job = self.hooks.attach(job_id)
        except Exception as exc:
            log.warning(
                "job %d (%s) cannot be re-attached (%s); re-submitting", plan.index, job_id, exc
            )
            self.queue.append(plan)
            return
        self.running[plan.index] = _Running(plan, job, None)
        self._progress("submitted", plan.index)
        log.info("job %d re-attached: %s", plan.index, job_id)

    def _collect_finished(self, every_job: bool = False) -> str | None:
        """Write every finished job; return the first failed check's message, if any."""
        stop = None
        polled = sorted(self.running) if every_job else self._due_for_poll()
        for index in [i for i in polled if _finished(self.running[i].job)]:
            stop = self._finish(self.running.pop(index)) or stop
        return stop

    def _due_for_poll(self) -> list[int]:
        """Local jobs: all (a poll is free). Cloud jobs: a few per tick, round-robin, since
        each status poll is a request to IBM Quantum."""
        running = sorted(self.running)
        limit = self.policy.polls_per_tick
        if self.policy.local or len(running) <= limit:
            return running
        start = self._poll_cursor % len(running)
        self._poll_cursor = start + limit
        return (running[start:] + running[:start])[:limit]

    def _finish(self, running: _Running) -> str | None:
        plan, job = running.plan, running.job
        try:
            result = job.result()
        except Exception as exc:
            self._failed(plan, exc, running.batch)
            return None
        message = self.hooks.on_result(plan, self.prepared.get(plan.index), job, result)
        self.manifest.finished(plan.index, "done")
        self.prepared.pop(plan.index, None)
        self._progress("done", plan.index)
        if message:
            log.error("check failed on job %d: %s", plan.index, message)
            return f"check failed on job {plan.index}: {message}"
        return None

    def _failed(self, plan: JobPlan, exc: BaseException, batch: Any = None) -> None:
        kind = failures.classify(exc)
        error = failures.describe(exc)
        tries = len(self._attempts(plan))
        retry = kind in failures.RETRIED and (tries <= self.policy.max_retries)
        status = "pending" if retry else "failed"
        if kind == failures.CANCELLED:
            status = "cancelled"
        self.manifest.finished(plan.index, status, error, kind)
        if not retry:
            self._progress("failed", plan.index)
            why = "not retried" if kind not in failures.RETRIED else f"gave up after {tries} tries"
            log.error("job %d %s (%s, %s): %s", plan.index, status, kind, why, error)
            return
        delay = self.policy.backoff * 2 ** (tries - 1)
        if kind == failures.BATCH_EXPIRED and (batch is None or batch is self.batch):
            self.fresh_batch_needed = True  # once per expired batch, not once per job in it
        log.warning(
            "job %d failed (%s): %s; re-submitting alone in %.1f s (retry %d of %d)",
            plan.index,
            kind,
            error,
            delay,
            tries,
            self.policy.max_retries,
        )
        heapq.heappush(self.retries, (time.time() + delay, plan.index, plan))

    def _release_due_retries(self) -> None:
        while self.retries and self.retries[0][0] <= time.time():
            _, _, plan = heapq.heappop(self.retries)
            self.queue.append(plan)

    # --- batches, interrupts, cancellation -----------------------------------------------
    def _current_batch(self) -> Any:
        if self.batch is None or self.fresh_batch_needed:
            self._close_batch()
            self.batch = self.hooks.open_batch()
            self.fresh_batch_needed = False
        return self.batch

    def _close_batch(self) -> None:
        if self.batch is not None:
            try:
                self.batch.close()
            except Exception as exc:  # closing must never lose collected results
                log.warning("closing the batch failed: %s", exc)
            self.batch = None

    def _offer_cancel(self) -> None:
        """After one Ctrl-C, cloud jobs keep running (resume re-attaches them); a second
        Ctrl-C within the grace period cancels them."""
        if self.interrupts != 1 or not self.running or self.policy.local:
            return
        log.warning(
            "%d job(s) still run on IBM Quantum and can be re-attached by resume; press "
            "Ctrl-C again within %.0f s to cancel them",
            len(self.running),
            self.policy.cancel_grace,
        )
        deadline = time.monotonic() + self.policy.cancel_grace
        with contextlib.suppress(Interrupted):
            while self.interrupts == 1 and time.monotonic() < deadline:
                time.sleep(0.05)

    def _cancel_outstanding(self, cancel_remote: bool) -> None:
        for index, running in sorted(self.running.items()):
            if cancel_remote:
                try:
                    running.job.cancel()
                except Exception as exc:
                    log.warning("cancelling job %d failed: %s", index, exc)
            if cancel_remote or self.policy.local:
                if self.policy.local:
                    _abandoned.append(running.job.job_id())
                self.manifest.finished(index, "cancelled", "cancelled by qexp", failures.CANCELLED)
        for plan in list(self.queue) + [plan for _, _, plan in self.retries]:
            if cancel_remote and self.manifest.jobs[plan.index].status == "pending":
                self.manifest.set_status(plan.index, "cancelled")
        self.running.clear()

    def _should_cancel(self) -> bool:
        """Jobs are cancelled on a failed check and on a second Ctrl-C."""
        return self.interrupts != 1

    @contextmanager
    def _sigint_counter(self) -> Iterator[None]:
        previous = signal.getsignal(signal.SIGINT)

        def handler(signum: int, frame: Any) -> None:
            self.interrupts += 1
            if self.interrupts >= 2:
                raise Interrupted

        try:
            signal.signal(signal.SIGINT, handler)
        except ValueError:  # not the main thread: leave signals alone
            yield
            return
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def _check_interrupt(self) -> None:
        if self.interrupts:
            raise Interrupted

    def _attempts(self, plan: JobPlan) -> list:
        return self.manifest.jobs[plan.index].attempts

    def _progress(self, event: str, index: int) -> None:
        if self.hooks.progress is not None:
            self.hooks.progress.update(event, index)


def _finished(job: Any) -> bool:
    """`done()` never turns True for a failed local job: ask for any final state."""
    return bool(job.in_final_state())


def _batch_id(batch: Any) -> str | None:
    return getattr(batch, "session_id", None) if batch is not None else None
