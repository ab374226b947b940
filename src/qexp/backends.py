"""Backend kinds chosen by `backend=`: aer, fake and ibm, each its schema beside it.

`aer` is the ideal local simulator, `fake` a noisy local copy of an IBM device (simulated
on the qubits each circuit touches: `qexp.local_device`), `ibm` a real device reached
through `QiskitRuntimeService`. Credentials for `ibm` come only from
the environment (`QISKIT_IBM_TOKEN`) or a saved account, never from the config.
"""

from __future__ import annotations

import difflib
import functools
import shlex
import sys
from dataclasses import dataclass, field
from typing import Any

from qiskit.providers import BackendV2

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
SAVE_ACCOUNT = (
    "from qiskit_ibm_runtime import QiskitRuntimeService; QiskitRuntimeService.save_account("
    'token="<API key>", instance="<CRN>", channel="ibm_quantum_platform", set_as_default=True)'
)
ACCOUNT_HELP = (
    "set QISKIT_IBM_TOKEN (and QISKIT_IBM_INSTANCE) in the environment, or save an account "
    f"once with: {shlex.join([sys.executable, '-c', SAVE_ACCOUNT])}"
)


def runtime_service(**kwargs: Any) -> Any:
    """The seam to IBM Quantum: tests replace it with a stand-in service."""
    from qiskit_ibm_runtime import QiskitRuntimeService

    return QiskitRuntimeService(**kwargs)


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


def validate(cfg: Any) -> None:
    """Check the backend section's values (the account is checked in `connect`)."""
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
        names = fake_device_names()
        if cfg.name not in names:
            close = difflib.get_close_matches(str(cfg.name), names, n=3, cutoff=0.5)
            hint = f"did you mean {' or '.join(close)}? " if close else ""
            raise ConfigError(
                "backend.name",
                cfg.name,
                f"a device of qiskit_ibm_runtime.fake_provider ({len(names)} exist, e.g. "
                "FakeManilaV2, FakeKolkataV2, FakeSherbrooke, FakeTorino, FakeFez)",
                f"{hint}set backend.name=FakeManilaV2",
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
        if cfg.base != "aer" and cfg.base not in fake_device_names():
            raise ConfigError(
                "backend.base",
                cfg.base,
                "aer or a fake device name such as FakeManilaV2",
                "set backend.base=aer",
            )
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


def connect(cfg: Any, min_num_qubits: int = 1) -> tuple[BackendV2, Any]:
    """Build the backend: `(backend, service)`; `service` is None for local backends."""
    if cfg.kind == "aer":
        from qexp.offload import LocalSimulator

        return LocalSimulator(method=cfg.method), None
    if cfg.kind == "fake":
        from qexp.local_device import local_device

        return local_device(cfg.name), None
    if cfg.kind == "flaky":
        from qexp.flaky import flaky_backend

        return flaky_backend(cfg.base, cfg.fail_submissions, cfg.fail_polls, cfg.fail_results), None
    return _ibm_backend(cfg, min_num_qubits)


def _ibm_backend(cfg: IbmBackendConfig, min_num_qubits: int) -> tuple[BackendV2, Any]:
    service = _service(cfg)
    if cfg.name:
        try:
            return service.backend(cfg.name), service
        except Exception as exc:  # the service says which names exist
            raise ConfigError(
                "backend.name",
                cfg.name,
                f"a backend of your instance ({exc})",
                "set backend.name=null to take the least busy one, or name one that "
                "QiskitRuntimeService().backends() lists",
            ) from exc
    return service.least_busy(operational=True, simulator=False, min_num_qubits=min_num_qubits), (
        service
    )


def _service(cfg: IbmBackendConfig) -> Any:
    """The runtime service, its account found as the client finds it (environment, then a
    saved account); the token stays in memory, in the client, and nowhere else."""
    from qiskit_ibm_runtime.accounts import AccountManager
    from qiskit_ibm_runtime.accounts.exceptions import AccountNotFoundError

    kwargs: dict[str, Any] = {
        k: v for k, v in (("channel", cfg.channel), ("instance", cfg.instance)) if v
    }
    try:
        if cfg.url:  # the client takes a URL only beside a token
            account = AccountManager.get(channel=cfg.channel)
            kwargs.setdefault("channel", account.channel)
            kwargs.setdefault("instance", account.instance)
            # it rewrites URLs for crn: instances unless a resolver keeps them as given
            kwargs.update(token=account.token, url=cfg.url, url_resolver=_url_as_given)
        return runtime_service(**{k: v for k, v in kwargs.items() if v is not None})
    except AccountNotFoundError as exc:
        raise ConfigError(
            "backend", "ibm", "an IBM Quantum account, and none was found", ACCOUNT_HELP
        ) from exc
    except Exception as exc:  # refused credentials, an unreachable service
        where = cfg.url or "IBM Quantum"
        raise ConfigError(
            "backend",
            "ibm",
            f"an IBM Quantum service that accepts your account; {where} answered: "
            f"{_first_line(exc)}",
            "check QISKIT_IBM_TOKEN (a valid API key) and QISKIT_IBM_INSTANCE, and "
            "backend.url when set",
        ) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _url_as_given(url: str, *_: Any, **__: Any) -> str:
    return url


def describe(backend: BackendV2) -> str:
    return getattr(backend, "name", type(backend).__name__)
