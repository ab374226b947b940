"""`backend=flaky`: a local backend that fails chosen job submissions.

It rehearses qexp's retry, resume and reporting before QPU time is spent. The failure goes
through the real local Batch path: the runtime copies the backend once per submission (on
the v2 path, which `flaky` therefore uses), the copy of a chosen submission raises from
`run()` in the job's worker thread, and the error surfaces from `job.result()` as a
cloud job's failure would.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable
from typing import Any

from qiskit.providers import BackendV2


class InjectedFailure(ConnectionError):
    """A failure `backend=flaky` injected on purpose; classified as transient."""


def flaky_backend(base: str, fail_submissions: Iterable[int]) -> BackendV2:
    """A subclass instance of the base backend whose chosen submissions fail."""
    if base == "aer":
        from qiskit_aer import AerSimulator

        backend = type("FlakyAerSimulator", (_FlakyMixin, AerSimulator), {})()
    else:  # a fake device, simulated as backend=fake simulates it
        from qiskit_ibm_runtime import fake_provider

        from qexp.local_device import LocalDevice

        backend = type(f"Flaky{base}", (_FlakyMixin, LocalDevice), {})(
            getattr(fake_provider, base)()
        )
    backend._qexp_fail = frozenset(fail_submissions)
    backend._qexp_count = 0
    backend._qexp_lock = threading.Lock()
    backend._qexp_doomed = None
    return backend


class _FlakyMixin:
    """Counts the per-submission copies; the copy for a doomed submission fails to run."""

    _qexp_fail: frozenset[int]
    _qexp_count: int
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
