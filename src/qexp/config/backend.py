"""`backend=`: where the circuits run (aer, fake, ibm, flaky), each kind's schema and checks.

The account for `ibm` is never part of the config: it comes from the environment
(`QISKIT_IBM_TOKEN`) or a saved account, and is checked when the plan connects.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass, field
from typing import Any

from qexp.errors import ConfigError


@dataclass
class AerBackendConfig:
    """The ideal `AerSimulator`."""

    kind: str = "aer"
    method: str = "automatic"
    """AerSimulator method: automatic, statevector, matrix_product_state, stabilizer, ..."""


@dataclass
class FakeBackendConfig:
    """A fake IBM device from `qiskit_ibm_runtime.fake_provider`: noisy local simulation."""

    kind: str = "fake"
    name: str = "FakeManilaV2"
    """Class name in qiskit_ibm_runtime.fake_provider, e.g. FakeManilaV2, FakeTorino."""


@dataclass
class IbmBackendConfig:
    """A real IBM Quantum backend. The account comes from the environment or disk."""

    kind: str = "ibm"
    name: str | None = None
    """Device name such as ibm_torino; unset picks the least busy device that fits."""
    channel: str | None = None
    """ibm_quantum_platform or ibm_cloud; unset uses the saved default account's."""
    instance: str | None = None
    """Instance CRN or name; unset uses the account's default."""
    url: str | None = None
    """The service's API URL, used exactly as given (a private endpoint, or the local
    emulator: `python -m qexp.emulator` prints it); unset uses IBM Quantum's."""


@dataclass
class FlakyBackendConfig:
    """A local backend that fails chosen submissions: rehearse failure handling for free."""

    kind: str = "flaky"
    base: str = "aer"
    """aer, or a fake device name such as FakeManilaV2."""
    fail_submissions: list[int] = field(default_factory=list)
    """0-based numbers of the run's job submissions that fail (retries count too; the count
    goes on across a resume, so a run that failed at submission 0 resumes to completion)."""
    fail_polls: list[int] = field(default_factory=list)
    """0-based numbers of the run's status polls that raise a connection error."""
    fail_results: list[int] = field(default_factory=list)
    """0-based numbers of the run's result fetches that raise a connection error."""


AER_METHODS = (
    "automatic",
    "statevector",
    "density_matrix",
    "stabilizer",
    "matrix_product_state",
    "extended_stabilizer",
)
"""The AerSimulator methods that sample measurements (unitary and superop do not)."""
IBM_CHANNELS = ("ibm_quantum_platform", "ibm_cloud")


@functools.cache
def fake_device_names() -> tuple[str, ...]:
    from qiskit_ibm_runtime import fake_provider
    from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

    return tuple(
        name
        for name in dir(fake_provider)
        if isinstance(cls := getattr(fake_provider, name), type)
        and issubclass(cls, FakeBackendV2)
        and cls is not FakeBackendV2
    )


def check_device(cfg: Any) -> None:
    """A fake device's name names one of the installed runtime's fake devices.

    Asked by the plan when it connects, where the runtime is imported anyway (beside the
    check of QASM files), not with the other values: listing the devices imports it."""
    names = fake_device_names()
    if cfg.kind == "fake" and cfg.name not in names:
        close = difflib.get_close_matches(str(cfg.name), names, n=3, cutoff=0.5)
        hint = f"did you mean {' or '.join(close)}? " if close else ""
        raise ConfigError(
            "backend.name",
            cfg.name,
            f"a device of qiskit_ibm_runtime.fake_provider ({len(names)} exist, e.g. "
            "FakeManilaV2, FakeKolkataV2, FakeSherbrooke, FakeTorino, FakeFez)",
            f"{hint}set backend.name=FakeManilaV2",
        )
    if cfg.kind == "flaky" and cfg.base != "aer" and cfg.base not in names:
        raise ConfigError(
            "backend.base",
            cfg.base,
            "aer or a fake device name such as FakeManilaV2",
            "set backend.base=aer",
        )


def validate(cfg: Any) -> None:
    """Check the backend section's values (the account and a fake device's name are
    checked when the plan connects: `check_device`)."""
    kind = getattr(cfg, "kind", None)
    if kind == "aer":
        if cfg.method not in AER_METHODS:
            raise ConfigError(
                "backend.method",
                cfg.method,
                f"one of {', '.join(AER_METHODS)}",
                "set backend.method=automatic",
            )
    elif kind == "fake":
        if not isinstance(cfg.name, str) or not cfg.name:
            raise ConfigError(
                "backend.name",
                cfg.name,
                "the class name of a fake device, such as FakeManilaV2",
                "set backend.name=FakeManilaV2",
            )
    elif kind == "ibm":
        if cfg.channel is not None and cfg.channel not in IBM_CHANNELS:
            raise ConfigError(
                "backend.channel",
                cfg.channel,
                f"one of {', '.join(IBM_CHANNELS)} or null",
                "set backend.channel=ibm_quantum_platform",
            )
    elif kind == "flaky":
        for key in ("fail_submissions", "fail_polls", "fail_results"):
            if any(n < 0 for n in getattr(cfg, key)):
                raise ConfigError(
                    f"backend.{key}",
                    list(getattr(cfg, key)),
                    "a list of numbers >= 0 (0 is the first)",
                    f"set backend.{key}=[0,2]",
                )
    else:
        raise ConfigError("backend", kind, "one of aer, fake, ibm, flaky", "choose backend=aer")


SCHEMAS: dict[str, type] = {
    "aer": AerBackendConfig,
    "fake": FakeBackendConfig,
    "ibm": IbmBackendConfig,
    "flaky": FlakyBackendConfig,
}
"""Backend kind -> its dataclass schema."""
