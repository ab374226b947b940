"""The errors qexp reports to users, each one message that says what to do."""

from __future__ import annotations

from typing import Any


class QexpError(Exception):
    """An error a user can act on: printed as one message, never as a traceback."""

    exit_code = 1


class ConfigError(QexpError):
    """Bad input, found before anything is submitted.

    The message names the config key, the bad value, what is allowed and how to fix it.
    """

    exit_code = 2

    def __init__(self, key: str, value: Any, allowed: str, fix: str | None = None) -> None:
        self.key, self.value, self.allowed, self.fix = key, value, allowed, fix
        message = f"{key}={value!r} is not valid: {allowed}."
        if fix:
            message += f" Fix: {fix}"
        super().__init__(message)

    def __reduce__(self) -> tuple:
        """Rebuilt from its parts when it crosses from a worker process."""
        return (type(self), (self.key, self.value, self.allowed, self.fix))


class RunError(QexpError):
    """The run started but did not finish completely (failed, cancelled or interrupted jobs)."""


class QexpWarning(UserWarning):
    """Warnings qexp itself raises; the test suite turns them into errors."""


class RunInterrupted(RunError):
    """Ctrl-C: what arrived is kept; the message says how to resume."""

    exit_code = 130
