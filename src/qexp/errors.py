"""The errors qexp reports to users, each one message that says what to do."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class QexpError(Exception):
    """An error a user can act on: printed as one message, never as a traceback."""

    exit_code = 1
    folder: Path | None = None
    """The run or sweep folder the error happened in, when one exists (set by `qexp.api`,
    so that a caller can open, inspect or resume what was kept)."""


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


class InputRefused(ConfigError):
    """A command line Hydra refused (unknown key, wrong type, missing choice): Hydra's own
    message, with the key it names."""

    def __init__(self, key: str, value: Any, message: str) -> None:
        self.key, self.value, self.allowed, self.fix = key, value, message, None
        Exception.__init__(self, message)

    def __reduce__(self) -> tuple:
        return (type(self), (self.key, self.value, self.allowed))


class RunError(QexpError):
    """The run started but did not finish completely (failed, cancelled or interrupted jobs)."""


class QexpWarning(UserWarning):
    """Warnings qexp itself raises; the test suite turns them into errors."""


class RunInterrupted(RunError):
    """Ctrl-C: what arrived is kept; the message says how to resume."""

    exit_code = 130


class SweepFailed(RunError):
    """A sweep ended with points not done; each point's own error is in its folder."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
