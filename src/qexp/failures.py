"""Classify a job's failure: the class decides whether and how it is retried."""

from __future__ import annotations

TRANSIENT = "transient"
"""Connection, timeout, service errors: re-submit the job alone, with backoff."""
BATCH_EXPIRED = "batch_expired"
"""The batch ran out of time or closed: re-submit the unfinished jobs in a fresh batch."""
INVALID_INPUT = "invalid_input"
"""The backend rejected the input: retrying cannot help."""
CANCELLED = "cancelled"
RETRIED = frozenset({TRANSIENT, BATCH_EXPIRED})

_EXPIRED_WORDS = ("session is closed", "session has expired", "batch has expired", "max ttl")


def classify(exc: BaseException) -> str:
    """Map an exception from submit or result to a failure class."""
    from qiskit_ibm_runtime.exceptions import (
        IBMInputValueError,
        RuntimeInvalidStateError,
        RuntimeJobMaxTimeoutError,
    )

    text = str(exc).lower()
    if isinstance(exc, RuntimeInvalidStateError) or "cancelled" in text or "canceled" in text:
        return CANCELLED
    if isinstance(exc, RuntimeJobMaxTimeoutError) or any(w in text for w in _EXPIRED_WORDS):
        return BATCH_EXPIRED
    if isinstance(exc, IBMInputValueError | ValueError | TypeError | IndexError | KeyError):
        return INVALID_INPUT
    if "Samplex" in type(exc).__name__:  # the executor primitives cannot build this circuit
        return INVALID_INPUT
    return TRANSIENT


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip()
