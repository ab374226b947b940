"""The backends `backend=` chooses (schemas: `qexp.config.backend`), built for a run.

`aer` is the ideal local simulator (`offload.LocalSimulator`), `fake` a noisy local copy of
an IBM device simulated on the qubits each circuit touches (`local_device`), `flaky` a local
backend that fails chosen calls (`flaky`), `ibm` a real device reached through
`QiskitRuntimeService` (`ibm`; also the local emulator of the service, `qexp.emulator`).
"""

from __future__ import annotations

import functools
from typing import Any

from qiskit.providers import BackendV2

from qexp.config.backend import check_device


def connect(cfg: Any, min_num_qubits: int = 1) -> tuple[BackendV2, Any]:
    """Build the backend: `(backend, service)`; `service` is None for local backends."""
    if cfg.kind in ("fake", "flaky"):
        check_device(cfg)
    if cfg.kind == "aer":
        return _local("aer", cfg.method), None
    if cfg.kind == "fake":
        return _local("fake", cfg.name), None
    if cfg.kind == "flaky":
        from qexp.backends.flaky import flaky_backend

        return flaky_backend(cfg.base, cfg.fail_submissions, cfg.fail_polls, cfg.fail_results), None
    from qexp.backends.ibm import ibm_backend

    return ibm_backend(cfg, min_num_qubits)


@functools.cache
def _local(kind: str, choice: str) -> BackendV2:
    """A local backend, built once per process: the points of a sweep share it (a fake
    device's data and the noise models built so far; FakeTorino alone takes seconds to
    load). It holds nothing of a run: a job's options live on the runtime's copy of it,
    and the plan that lends it its worker processes takes them back when it closes."""
    if kind == "aer":
        from qexp.backends.offload import LocalSimulator

        return LocalSimulator(method=choice)
    from qexp.backends.local_device import local_device

    return local_device(choice)


def describe(backend: BackendV2) -> str:
    return getattr(backend, "name", type(backend).__name__)
