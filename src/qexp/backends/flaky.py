"""`backend=flaky`: a local backend that fails chosen submissions, polls and fetches.

It rehearses qexp's retry, resume and reporting before QPU time is spent.
- A failed submission goes through the real local Batch path: the runtime copies the
  backend once per submission (on the v2 path, which `flaky` therefore uses), the copy of a
  chosen submission raises from `run()` in the job's worker thread, and the error surfaces
  from `job.result()` as a cloud job's failure would. The submission count is kept in the
  run's manifest, so it goes on across a resume.
- A failed status poll or result fetch raises a connection error from the job handle the
  run holds (`watch`), as a dropped connection to IBM Quantum would: the job itself is fine,
  and qexp must ask again rather than submit it again.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable
from typing import Any

from qiskit.providers import BackendV2


class InjectedFailure(ConnectionError):
    """A failure `backend=flaky` injected on purpose; classified as transient."""


def flaky_backend(
    base: str,
    fail_submissions: Iterable[int],
    fail_polls: Iterable[int] = (),
    fail_results: Iterable[int] = (),
) -> BackendV2:
    """A subclass instance of the base backend whose chosen submissions fail."""
    if base == "aer":
        from qiskit_aer import AerSimulator

        backend = type("FlakyAerSimulator", (_FlakyMixin, AerSimulator), {})()
    else:  # a fake device, simulated as backend=fake simulates it
        from qiskit_ibm_runtime import fake_provider

        from qexp.backends.local_device import LocalDevice

        backend = type(f"Flaky{base}", (_FlakyMixin, LocalDevice), {})(
            getattr(fake_provider, base)()
        )
    backend._qexp_fail = frozenset(fail_submissions)
    backend._qexp_count = 0
    backend._qexp_requests = {
        "poll": _Counter(frozenset(fail_polls)),
        "result": _Counter(frozenset(fail_results)),
    }
    backend._qexp_lock = threading.Lock()
    backend._qexp_doomed = None
    return backend


class _FlakyMixin:
    """Counts the per-submission copies; the copy for a doomed submission fails to run."""

    _qexp_fail: frozenset[int]
    _qexp_count: int
    _qexp_requests: dict[str, _Counter]
    _qexp_doomed: int | None
    _qexp_lock: threading.Lock

    @property
    def submissions(self) -> int:
        """How many submissions this backend has seen."""
        return self._qexp_count

    def __deepcopy__(self, memo: dict) -> Any:
        with self._qexp_lock:
            number = self._qexp_count
            self._qexp_count += 1
        if number not in self._qexp_fail:
            return self  # shared, so the counter survives the runtime's per-job copy
        doomed = copy.copy(self)
        doomed._qexp_doomed = number
        return doomed

    def run(self, *args: Any, **kwargs: Any) -> Any:
        if self._qexp_doomed is not None:
            raise InjectedFailure(f"backend=flaky failed submission {self._qexp_doomed} on purpose")
        return super().run(*args, **kwargs)  # type: ignore[misc]


SUBMISSIONS_KEY = "flaky_submissions"
"""Where the manifest keeps the submission count, so that it goes on across a resume."""


def restore(backend: Any, info: dict[str, Any]) -> None:
    """Go on counting submissions from where the run's manifest says it stopped."""
    if isinstance(backend, _FlakyMixin):
        backend._qexp_count = int(info.get(SUBMISSIONS_KEY, 0))


def remember(backend: Any, info: dict[str, Any]) -> None:
    """Note the submission count in the manifest's info (saved with the next change)."""
    if isinstance(backend, _FlakyMixin):
        info[SUBMISSIONS_KEY] = backend.submissions


def watch(backend: Any, job: Any) -> Any:
    """The job handle the run polls: `backend=flaky` makes chosen polls and fetches fail."""
    if isinstance(backend, _FlakyMixin):
        return _FlakyJob(job, backend._qexp_requests)
    return job


class _Counter:
    """Numbers the run's requests of one kind; the chosen ones fail."""

    def __init__(self, fail: frozenset[int]) -> None:
        self.fail, self.count, self.lock = fail, 0, threading.Lock()

    def next_fails(self) -> int | None:
        with self.lock:
            number, self.count = self.count, self.count + 1
        return number if number in self.fail else None


class _FlakyJob:
    """A job handle whose chosen status polls and result fetches drop their connection."""

    def __init__(self, job: Any, requests: dict[str, _Counter]) -> None:
        self._job, self._requests = job, requests

    def status(self) -> Any:
        if (number := self._requests["poll"].next_fails()) is not None:
            raise InjectedFailure(f"backend=flaky dropped status poll {number} on purpose")
        return self._job.status()

    def result(self, *args: Any, **kwargs: Any) -> Any:
        if (number := self._requests["result"].next_fails()) is not None:
            raise InjectedFailure(f"backend=flaky dropped result fetch {number} on purpose")
        return self._job.result(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._job, name)
