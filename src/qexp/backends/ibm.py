"""`backend=ibm`: a device of IBM Quantum (or any service speaking its protocol, such as
`python -m qexp.emulator`), reached through the unmodified `QiskitRuntimeService`.

Credentials come only from the environment (`QISKIT_IBM_TOKEN`) or a saved account, never
from the config; the token stays in memory, in the client.
"""

from __future__ import annotations

import shlex
import sys
from typing import Any

from qiskit.providers import BackendV2

from qexp.config.backend import IbmBackendConfig
from qexp.errors import ConfigError

SAVE_ACCOUNT = (
    "from qiskit_ibm_runtime import QiskitRuntimeService; QiskitRuntimeService.save_account("
    'token="<API key>", instance="<CRN>", channel="ibm_quantum_platform", set_as_default=True)'
)
ACCOUNT_HELP = (
    "set QISKIT_IBM_TOKEN (and QISKIT_IBM_INSTANCE) in the environment, or save an account "
    f"once with: {shlex.join([sys.executable, '-c', SAVE_ACCOUNT])}"
)


def runtime_service(**kwargs: Any) -> Any:
    """The one place a `QiskitRuntimeService` is made."""
    from qiskit_ibm_runtime import QiskitRuntimeService

    return QiskitRuntimeService(**kwargs)


def ibm_backend(cfg: IbmBackendConfig, min_num_qubits: int) -> tuple[BackendV2, Any]:
    service = service_for(cfg)
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


def service_for(cfg: IbmBackendConfig) -> Any:
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
