"""A stand-in for QiskitRuntimeService: the network is closed here, so the cloud path is
tested at the service seam (`qexp.backends.runtime_service`).

It resolves the account exactly as the real service does (environment or saved account,
raising AccountNotFoundError when there is none), then hands out a local backend, so jobs
run through the real local Batch path. Run as a script, it patches the seam and runs
`python -m qexp` with the given overrides.
"""

from __future__ import annotations

import sys
from typing import Any

from qiskit_aer import AerSimulator
from qiskit_ibm_runtime.accounts import AccountManager


class StandInService:
    instances: list[StandInService] = []

    def __init__(self, channel: str | None = None, instance: str | None = None, **_: Any):
        self.account = AccountManager.get(channel=channel)  # raises AccountNotFoundError
        self.instance = instance
        self.jobs: dict[str, Any] = {}
        self.backend_names: list[str | None] = []
        StandInService.instances.append(self)

    def backend(self, name: str) -> Any:
        self.backend_names.append(name)
        if name != "ibm_standin":
            raise ValueError(f"no backend named {name!r}; this instance has: ibm_standin")
        return AerSimulator()

    def least_busy(self, **kwargs: Any) -> Any:
        self.backend_names.append(None)
        return AerSimulator()

    def job(self, job_id: str) -> Any:
        return self.jobs[job_id]


def install() -> None:
    import qexp.backends

    qexp.backends.runtime_service = StandInService


if __name__ == "__main__":
    install()
    from qexp.__main__ import main

    sys.exit(main())
