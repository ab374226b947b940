"""Jobs run in the background: a small pool of workers takes queued jobs in order.

A job holds its worker for at least `job_seconds` plus a seeded random extra delay, so
jobs leave the queue in order but finish in any order, and a queue forms as on a real
device. The job faults armed for its order number decide how it ends. While the instance
has used its allocation, queued jobs stay queued (running ones finish), as on the service.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
import traceback

from . import billing
from .devices import Device
from .faults import ENDINGS, Ending, FaultPlan
from .programs import run_program
from .state import Job, ServiceState

log = logging.getLogger(__name__)

SIMULATION_FAILED = Ending("Failed", 5204, "Error raised when execution on AER failed.")
"""IBM's error code registry, 5XXX: what the service reports when the simulation raised."""


class Scheduler:
    def __init__(
        self,
        state: ServiceState,
        devices: dict[str, Device],
        faults: FaultPlan,
        job_seconds: float,
        workers: int = 2,
        seed: int = 0,
    ) -> None:
        self.state, self.devices, self.faults = state, devices, faults
        self.job_seconds = job_seconds
        self._queue: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self._rng = random.Random(seed)
        self._bills = random.Random(f"qexp-emulator-bills-{seed}")
        self._rng_lock = threading.Lock()
        for index in range(workers):
            threading.Thread(target=self._work, name=f"worker-{index}", daemon=True).start()

    def extra_seconds(self) -> float:
        """The random part of the next job's duration, drawn in creation order."""
        with self._rng_lock:
            return self._rng.uniform(0, self.job_seconds)

    def spread(self) -> float:
        """The next job's bill over its usage model, drawn in creation order."""
        with self._rng_lock:
            return self._bills.uniform(*billing.SPREAD)

    def submit(self, job: Job) -> None:
        self._queue.put(job)

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            try:
                self._run(job)
            except Exception:  # a bug or a bad program: the job fails, the worker lives on
                log.exception("job %s raised", job.id)
                self.state.end(job, SIMULATION_FAILED, traceback.format_exc())

    def _run(self, job: Job) -> None:
        kind = self.faults.job_kind(job.order)
        if kind == "batch-expired" and job.session_id:
            self.state.expire_batch(job.session_id, ENDINGS[kind])  # this job was queued
            return
        if kind in ("batch-expired", "rejected"):  # ended before it runs
            self.state.end(job, ENDINGS[kind], _text(ENDINGS[kind]))
            return
        self._estimate(job)
        self._hold_at_the_limit(job)
        if not self.state.start(job):  # cancelled, or failed with its batch, while queued
            return
        self._arm_time_to_live(job)
        deadline = time.monotonic() + self.job_seconds + job.extra_seconds
        result = None
        if kind is None:
            result = run_program(job.program_id, job.params_json, self.devices[job.backend])
        time.sleep(max(0.0, deadline - time.monotonic()))
        if kind is None and result is not None:
            self.state.complete(job, result)
        elif kind is not None:
            self.state.end(job, ENDINGS[kind], _text(ENDINGS[kind]))

    def _estimate(self, job: Job) -> None:
        """The service's estimate of the job, read from its program as it validates it."""
        job.planned_seconds = self.job_seconds + job.extra_seconds
        try:
            job.model_seconds = billing.model_seconds(
                job.program_id, job.params_json, self.devices[job.backend]
            )
        except Exception:  # its run will fail and say why; an unread job is billed nothing
            log.exception("job %s: its usage cannot be estimated", job.id)

    def _hold_at_the_limit(self, job: Job) -> None:
        """A queued job waits while the instance has used its allocation."""
        with self.state.allocation_changed:
            while self.state.limit_reached() and job.status == "Queued":
                self.state.allocation_changed.wait(timeout=1.0)

    def _arm_time_to_live(self, job: Job) -> None:
        """A batch opened with `max_time` expires that many seconds after it became active."""
        batch = self.state.batches.get(job.session_id or "")
        if batch and batch.max_ttl and batch.activated_at == job.running_at:
            timer = threading.Timer(
                batch.max_ttl, self.state.expire_batch, (batch.id, ENDINGS["batch-expired"])
            )
            timer.daemon = True
            timer.start()


def _text(ending: Ending) -> str:
    """What `GET /jobs/{id}/results` answers for a job that did not complete."""
    return f"Error code {ending.reason_code}; {ending.reason}"
