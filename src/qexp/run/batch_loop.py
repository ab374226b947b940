"""One run's jobs through IBM Runtime Batches: prepare ahead, submit, collect as they finish.

Partitions are prepared (generated and transpiled) in worker processes a few jobs ahead,
and each job is submitted the moment it is ready. Finished jobs are handed to a writer
thread in whatever order they end, so the loop keeps polling while files are written.
What happens when something goes wrong depends on its cause (`qexp.run.failures`): a failed
poll or fetch is asked again, never re-submitted; a job the service failed internally is
re-submitted alone; jobs of an ended batch go into one fresh batch; rejected, too-long and
cancelled jobs are not retried. A failing check cancels everything still outstanding.
Every job that ends on IBM Quantum has its bill read and recorded (`qexp.run.bill`), and a
retry is submitted only if the budget still allows it.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import BrokenExecutor, Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from qexp.plan.partition import JobPlan
from qexp.plan.prepare import WorkersStopped
from qexp.run import failures
from qexp.run.failures import Failure
from qexp.store.manifest import Manifest

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
    max_running: int | None = None
    """Local only: jobs in flight at once, from submission until their file is written
    (which bounds the results held in memory, whatever the run's size)."""
    max_poll_backoff: float = 60.0
    """Longest wait before asking again about a job whose status request failed."""
    give_up_asking: float = 900.0
    """Seconds of failed requests about one job after which the run stops asking; the job
    stays `submitted`, for resume to re-attach."""
    bill_wait: float = 30.0
    """Seconds the run waits, after its last job, for bills the service is still computing
    (resume reads the ones still pending)."""


_abandoned: list[str] = []


def abandoned_local_jobs() -> int:
    """Local jobs left running when a run stopped early: the process need not wait for them."""
    return len(_abandoned)


@dataclass
class Hooks:
    """What the loop needs from the rest of qexp, as plain callables."""

    open_batch: Callable[[], Any]
    prepare: Callable[[JobPlan], Future]
    """JobPlan -> a future prepared job (ISA PUBs and file records)."""
    submit: Callable[[Any, Any, JobPlan], Any]
    """(batch, prepared, plan) -> runtime job; raises when submission fails."""
    write: Callable[[JobPlan, Any, Any, Any], Future]
    """(plan, prepared, runtime job, result) -> a future of a failed check's message."""
    lookahead: int = 1
    """Partitions to prepare ahead of submission."""
    close_batch: Callable[[Any], None] = lambda batch: batch.close()
    """End a batch the loop is done with (a batch shared by a sweep's points stays open)."""
    progress: Any = None
    attach: Callable[[str], Any] | None = None
    """Re-attach a submitted cloud job by id (resume); None when jobs cannot be looked up."""
    find: Callable[[JobPlan], list[Any]] | None = None
    """The service's jobs already created for a job's next attempt (by its tags); None
    when local."""
    duplicates: Callable[[], list[tuple[int, Any]]] | None = None
    """The run's jobs on the service that no attempt holds (index, job); None when local."""
    bill: Callable[[int, Any], bool] | None = None
    """Read and record the bill of a job that ended (index, runtime job); True when the
    bill is final. None when local: local jobs bill nothing."""
    admit: Callable[[JobPlan], str | None] | None = None
    """Before a retry: why the budget refuses it, or None to submit it."""


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
    next_poll: float = 0.0
    request_failures: int = 0
    failing_since: float | None = None
    final: bool = False
    """Its status was final and done; only the result fetch is left."""


@dataclass
class _Unbilled:
    """A job that ended whose bill the service was still computing."""

    index: int
    job: Any
    due: float


@dataclass(order=True)
class _Retry:
    due: float
    index: int
    plan: JobPlan = field(compare=False)


class BatchLoop:
    """Drives the jobs of one run to a final state, keeping the manifest current."""

    def __init__(self, manifest: Manifest, hooks: Hooks, policy: Policy) -> None:
        self.manifest, self.hooks, self.policy = manifest, hooks, policy
        self.queue: deque[JobPlan] = deque()
        self.preparing: dict[int, tuple[JobPlan, Future]] = {}
        self.ready: dict[int, tuple[JobPlan, Any]] = {}
        self.prepared: dict[int, Any] = {}
        self.retries: list[_Retry] = []
        self.running: dict[int, _Running] = {}
        self.writing: dict[int, Future] = {}
        self.batch: Any = None
        self.fresh_batch_needed = False
        self.interrupts = 0
        self._poll_cursor = 0
        self._stop: str | None = None
        self.unreachable: list[int] = []
        """Jobs the loop stopped asking about (still submitted)."""
        self._unchecked = 0
        """Cloud submissions made since the last look for duplicates."""
        self._next_collect = 0.0
        self.unbilled: dict[str, _Unbilled] = {}
        """Jobs that ended with a bill not final yet, by job id: asked again later."""
        self.retrying: set[int] = set()
        """Jobs waiting to be submitted again: the budget is asked before each."""

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
                        self._collect(every_job=True)  # whatever arrived is kept
                        self._drain_writes()
                    self._offer_cancel()
                    self._cancel_outstanding(self._should_cancel())
                with contextlib.suppress(Interrupted):
                    self._settle_bills(0.0 if self.interrupts else self.policy.bill_wait)
            finally:
                with contextlib.suppress(Interrupted):
                    self._drain_writes()
                self.manifest.flush()
                for _, future in self.preparing.values():
                    future.cancel()
                self._close_batch()
        return outcome

    # --- the loop -------------------------------------------------------------------------
    def _busy(self) -> bool:
        return bool(
            self.queue or self.preparing or self.ready or self.running or self.retries
        ) or bool(self.writing)

    def _loop(self) -> str | None:
        while self._busy():
            self._check_interrupt()
            self._release_due_retries()
            self._prepare_ahead()
            progressed = self._harvest_prepared()
            progressed |= self._submit_ready()
            if self._unchecked and not (self.ready or self.preparing or self.queue):
                self._cancel_duplicates()
            if time.monotonic() >= self._next_collect:  # a poll tick, however busy the loop
                self._next_collect = time.monotonic() + self.policy.poll_interval
                self._collect()
                self._read_due_bills()
                self.manifest.write_due()
            progressed |= self._harvest_writes()
            if self._stop:
                return self._stop
            if not progressed:
                time.sleep(self._pause())
        return None

    def _pause(self) -> float:
        if self.retries and not (self.running or self.preparing or self.writing):
            return max(0.0, min(self.policy.poll_interval * 10, self.retries[0].due - time.time()))
        if self.preparing or self.writing:  # their results arrive between poll ticks
            return min(0.01, self.policy.poll_interval)
        return max(0.0, min(self.policy.poll_interval, self._next_collect - time.monotonic()))

    def _prepare_ahead(self) -> None:
        while self.queue and len(self.preparing) + len(self.ready) < self.hooks.lookahead:
            plan = self.queue.popleft()
            if plan.index in self.prepared:
                self.ready[plan.index] = (plan, self.prepared[plan.index])
            else:
                self.preparing[plan.index] = (plan, self.hooks.prepare(plan))

    def _harvest_prepared(self) -> bool:
        done = [i for i, (_, future) in self.preparing.items() if future.done()]
        for index in done:
            plan, future = self.preparing.pop(index)
            try:
                prepared = future.result()
            except BrokenExecutor as exc:  # the workers died (killed): no job's fault
                raise WorkersStopped(exc) from exc
            except Exception as exc:  # e.g. a circuit the transpiler cannot map: never retried
                self.manifest.submitted(plan.index, None, None)
                self.manifest.finished(
                    plan.index, "failed", failures.describe(exc), failures.REJECTED
                )
                self._progress("failed", plan.index)
                log.error("job %d cannot be prepared (not submitted): %s", plan.index, exc)
                continue
            self.prepared[index] = prepared
            self.ready[index] = (plan, prepared)
        return bool(done)

    def _submit_ready(self) -> bool:
        submitted = False
        for index in sorted(self.ready):
            limit = self.policy.max_running
            if limit is not None and len(self.running) + len(self.writing) >= limit:
                break
            plan, prepared = self.ready.pop(index)
            self._submit(plan, prepared)
            submitted = True
        return submitted

    def _submit(self, plan: JobPlan, prepared: Any) -> None:
        if plan.index in self.retrying:
            self.retrying.discard(plan.index)
            refusal = self.hooks.admit(plan) if self.hooks.admit else None
            if refusal is not None:
                self.manifest.submitted(plan.index, None, None)
                self.manifest.finished(plan.index, "failed", refusal, failures.OVER_BUDGET)
                self._progress("failed", plan.index)
                log.error("job %d not submitted again: %s", plan.index, refusal)
                return
        batch = self._current_batch()
        try:
            job = self.hooks.submit(batch, prepared, plan)
        except Exception as exc:
            failure = failures.of_submission(exc)
            if failure.kind == failures.REJECTED and _refuses_jobs(batch):
                failure = Failure(failures.BATCH_ENDED, failure.message)
            ambiguous = failure.kind == failures.NOT_SUBMITTED and failure.delay is None
            if ambiguous and self._adopt(plan, batch):
                return  # the submission went through after all: never pay twice
            self.manifest.submitted(plan.index, None, _batch_id(batch))
            self._failed(plan, failure, batch)
            return
        self._started(plan, job, batch)
        log.info("job %d submitted: %s (%d PUBs)", plan.index, job.job_id(), len(plan.circuits))

    def _started(self, plan: JobPlan, job: Any, batch: Any) -> None:
        self.manifest.submitted(plan.index, job.job_id(), _batch_id(batch))
        self._unchecked += 1
        self.running[plan.index] = _Running(plan, job, batch)
        self._progress("submitted", plan.index)

    def _adopt(self, plan: JobPlan, batch: Any) -> bool:
        """After a failed submission on IBM Quantum, look the job up by its tags: a request
        whose answer was lost may still have created it. Adopt one; cancel duplicates."""
        if self.hooks.find is None:
            return False
        try:
            found = self.hooks.find(plan)
        except Exception as exc:
            log.warning("job %d: looking it up by its tags failed (%s)", plan.index, exc)
            return False
        if not found:
            return False
        keep, *extra = found
        for duplicate in extra:
            with contextlib.suppress(Exception):
                duplicate.cancel()
            log.warning("job %d: cancelled duplicate %s", plan.index, duplicate.job_id())
        self._started(plan, keep, batch)
        log.warning(
            "job %d: its submission failed, but the service had created it: adopted %s",
            plan.index,
            keep.job_id(),
        )
        return True

    def _cancel_duplicates(self) -> None:
        """Look once for jobs the service holds that no attempt recorded (the client re-sent
        a submission that had gone through), cancel those still to run and record them."""
        self._unchecked = 0
        if self.hooks.duplicates is None:
            return
        try:
            found = self.hooks.duplicates()
        except Exception as exc:
            log.warning("looking for duplicate jobs failed (%s); will look again", exc)
            return
        recorded = self.manifest.info.setdefault("duplicates", [])
        seen = {d["job_id"] for d in recorded}
        for index, job in found:
            if job.job_id() in seen:
                continue
            try:
                job.cancel()
                what = "cancelled"
            except Exception as exc:  # finished already: paid for, and said so
                what = f"not cancelled ({failures.describe(exc)})"
            recorded.append({"job": index, "job_id": job.job_id(), "outcome": what})
            self._bill(index, job)  # billed for what it ran before the cancel
            log.warning(
                "job %d: the service holds a duplicate %s (the client re-sent a submission "
                "that had gone through): %s",
                index,
                job.job_id(),
                what,
            )
        if found:
            self.manifest.save()

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

    # --- collecting -----------------------------------------------------------------------
    def _collect(self, every_job: bool = False) -> None:
        """Ask the jobs due for a poll; hand finished ones to the writer."""
        for index in self._due_for_poll(every_job):
            running = self.running[index]
            if not running.final:
                try:
                    status = failures.job_status(running.job)
                except Exception as exc:
                    self._unreachable(running, exc)
                    continue
                running.failing_since = None
                if status in ("ERROR", "CANCELLED"):
                    self._ended(running)
                if status != "DONE":
                    continue
                running.final = True
            try:
                result = running.job.result()
            except Exception as exc:  # the job is done: only fetching its result failed
                self._unreachable(running, exc)
                continue
            self.running.pop(index)
            self._bill(index, running.job)  # before its file is written, which keeps it
            prepared = self._prepared_for(running.plan)
            self.writing[index] = self.hooks.write(running.plan, prepared, running.job, result)

    def _prepared_for(self, plan: JobPlan) -> Any:
        """The job's prepared records (a re-attached job is prepared now, for its file)."""
        if plan.index not in self.prepared:
            self.prepared[plan.index] = self.hooks.prepare(plan).result()
        return self.prepared[plan.index]

    def _due_for_poll(self, every_job: bool) -> list[int]:
        """Local jobs: all (a poll is free). Cloud jobs: a few per tick, round-robin, since
        each status poll is a request to IBM Quantum; a job whose last request failed waits."""
        now = time.monotonic()
        running = [i for i in sorted(self.running) if self.running[i].next_poll <= now]
        limit = self.policy.polls_per_tick
        if every_job or self.policy.local or len(running) <= limit:
            return running
        start = self._poll_cursor % len(running)
        self._poll_cursor = start + limit
        return (running[start:] + running[:start])[:limit]

    def _unreachable(self, running: _Running, exc: BaseException) -> None:
        """A poll or fetch failed: ask the same job again later, never re-submit it."""
        now = time.monotonic()
        running.failing_since = running.failing_since or now
        if now - running.failing_since > self.policy.give_up_asking:
            self.running.pop(running.plan.index)
            self.unreachable.append(running.plan.index)
            log.error(
                "job %d: the service did not answer about it for %.0f s (%s); it stays "
                "submitted, and resume re-attaches it",
                running.plan.index,
                now - running.failing_since,
                failures.describe(exc),
            )
            return
        running.request_failures += 1
        wait = min(
            self.policy.max_poll_backoff,
            max(self.policy.poll_interval, self.policy.backoff)
            * 2 ** (running.request_failures - 1),
        )
        running.next_poll = time.monotonic() + wait
        log.warning(
            "job %d: asking the service about it failed (%s); asking again in %.1f s",
            running.plan.index,
            failures.describe(exc),
            wait,
        )

    def _ended(self, running: _Running) -> None:
        """A job in a final state other than done: its exception says no more than its
        status and the service's reason, which `failures.of_job` reads."""
        self.running.pop(running.plan.index, None)
        error: BaseException | None = None
        try:
            running.job.result()
        except Exception as exc:
            error = exc
        self._bill(running.plan.index, running.job)  # failed and cancelled jobs are billed too
        self._failed(running.plan, failures.of_job(running.job, error), running.batch)

    # --- bills -----------------------------------------------------------------------------
    def _bill(self, index: int, job: Any) -> None:
        """Record what the service bills the job that ended; ask again later if pending."""
        if self.hooks.bill is None or self.hooks.bill(index, job):
            self.unbilled.pop(job.job_id(), None)
            return
        due = time.monotonic() + max(self.policy.poll_interval, self.policy.backoff)
        self.unbilled[job.job_id()] = _Unbilled(index, job, due)

    def _read_due_bills(self) -> None:
        """Ask again for a few pending bills each tick (each is a request to the service)."""
        now = time.monotonic()
        due = [u for u in self.unbilled.values() if u.due <= now]
        for unbilled in due[: self.policy.polls_per_tick]:
            self._bill(unbilled.index, unbilled.job)

    def _settle_bills(self, wait: float) -> None:
        """Wait up to `wait` seconds for the bills still pending; the ledger keeps the rest
        as pending, for resume to read."""
        deadline = time.monotonic() + wait
        while self.unbilled and time.monotonic() < deadline:
            self._check_interrupt()
            self._read_due_bills()
            time.sleep(min(0.5, self.policy.poll_interval))
        if self.unbilled:
            log.warning(
                "%d job(s) ended with a bill the service is still computing; it is recorded "
                "as pending, and resume reads it",
                len(self.unbilled),
            )

    def _harvest_writes(self) -> bool:
        done = [i for i, future in self.writing.items() if future.done()]
        for index in done:
            message = self.writing.pop(index).result()  # a write that raised ends the run
            self.manifest.finished(index, "done")
            self.prepared.pop(index, None)
            self._progress("done", index)
            if message and not self._stop:
                log.error("check failed on job %d: %s", index, message)
                self._stop = f"check failed on job {index}: {message}"
        return bool(done)

    def _drain_writes(self) -> None:
        while self.writing:
            self._harvest_writes()
            if self.writing:
                time.sleep(0.005)

    # --- failures -------------------------------------------------------------------------
    def _failed(self, plan: JobPlan, failure: Failure, batch: Any = None) -> None:
        tries = len(self._attempts(plan))
        retry = failure.resubmit and tries <= self.policy.max_retries
        status = "pending" if retry else "failed"
        if failure.kind == failures.CANCELLED:
            status = "cancelled"
        self.manifest.finished(plan.index, status, failure.message, failure.kind)
        if not retry:
            self._progress("failed", plan.index)
            why = f"gave up after {tries} tries" if failure.resubmit else _not_retried(failure.kind)
            log.error(
                "job %d %s (%s, %s): %s", plan.index, status, failure.kind, why, failure.message
            )
            return
        self.retrying.add(plan.index)
        delay = max(self.policy.backoff * 2 ** (tries - 1), failure.delay or 0.0)
        if failure.kind == failures.BATCH_ENDED and (batch is None or batch is self.batch):
            self.fresh_batch_needed = True  # once per ended batch, not once per job in it
            delay = 0.0
        log.warning(
            "job %d failed (%s): %s; re-submitting %s in %.1f s (retry %d of %d)",
            plan.index,
            failure.kind,
            failure.message,
            "in a fresh batch" if failure.kind == failures.BATCH_ENDED else "alone",
            delay,
            tries,
            self.policy.max_retries,
        )
        heapq.heappush(self.retries, _Retry(time.time() + delay, plan.index, plan))

    def _release_due_retries(self) -> None:
        while self.retries and self.retries[0].due <= time.time():
            self.queue.append(heapq.heappop(self.retries).plan)

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
                self.hooks.close_batch(self.batch)
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
        why = f"cancelled by qexp: {self._stop}" if self._stop else "cancelled by qexp (Ctrl-C)"
        for index, running in sorted(self.running.items()):
            if cancel_remote:
                try:
                    running.job.cancel()
                except Exception as exc:
                    log.warning("cancelling job %d failed: %s", index, exc)
                self._bill(index, running.job)  # what it ran before the cancel
            if cancel_remote or self.policy.local:
                if self.policy.local:
                    _abandoned.append(running.job.job_id())
                self.manifest.finished(index, "cancelled", why, failures.CANCELLED)
        waiting = [*self.queue, *(p for p, _ in self.preparing.values())]
        waiting += [p for p, _ in self.ready.values()] + [r.plan for r in self.retries]
        for plan in waiting:
            if cancel_remote and self.manifest.jobs[plan.index].status == "pending":
                self.manifest.set_status(plan.index, "cancelled")  # never submitted
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


def _refuses_jobs(batch: Any) -> bool:
    """Whether an IBM Quantum batch says it takes no more jobs (its time to live is up, or
    it was closed): asked of the service, not guessed from an error's text."""
    if _batch_id(batch) is None:
        return False
    try:
        details = batch.details() or {}
    except Exception:
        return False
    return details.get("accepting_jobs") is False or details.get("state") == "closed"


def _not_retried(kind: str) -> str:
    return {
        failures.TOO_LONG: (
            "not retried: it would run just as long again; raise run.max_execution_time "
            "(seconds of QPU time per job) or put fewer circuits in a job "
            "(partition.max_circuits)"
        ),
        failures.REJECTED: "not retried: the input was rejected",
        failures.CANCELLED: "not retried: cancelled outside qexp",
    }.get(kind, "not retried")


def _batch_id(batch: Any) -> str | None:
    return getattr(batch, "session_id", None) if batch is not None else None
