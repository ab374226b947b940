"""What qexp writes to the terminal: results on stdout, one plain line per message on stderr.

stderr gets `qexp: error: ...`, `qexp: warning: ...`, and progress as `qexp: ...`; a
library's message names the library (`qexp: warning: qiskit: ...`); a message of several
lines indents the rest. Timestamps and logger names go only to the run folder's log file.
`python -m qexp` gets this from conf/hydra/job_logging/qexp.yaml and the `Console`
callback (`qexp.callbacks`), the other commands from `setup()`.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from typing import TextIO

PROG = "qexp"

HARMLESS = {
    "qiskit_ibm_runtime.qiskit_runtime_service": {
        # qexp hands the client the token itself beside `backend.url` (the client takes a
        # URL only so): the saved account is skipped on purpose.
        "Loading account with the given token. A saved account will not be used.",
    },
}
"""Library messages known to be harmless in qexp's use, by logger: kept off the console
(the log file still has them). Matched exactly, so any other message still shows."""


class ConsoleFormatter(logging.Formatter):
    """One plain line per message, no timestamp or logger name; further lines indented."""

    LEVELS = ((logging.ERROR, "error: "), (logging.WARNING, "warning: "))

    def format(self, record: logging.LogRecord) -> str:
        level = next((word for at, word in self.LEVELS if record.levelno >= at), "")
        source = record.name.split(".")[0]
        origin = "" if source in (PROG, "root") else f"{source}: "
        lines = record.getMessage().expandtabs(2).splitlines() or [""]
        text = "\n".join([f"{PROG}: {level}{origin}{lines[0]}", *(f"  {x}" for x in lines[1:])])
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


class HarmlessMessages(logging.Filter):
    """Keeps `HARMLESS` messages off the handler it is attached to."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in HARMLESS.get(record.name, ())


def error(message: str) -> None:
    """A message about the whole command, not one run: to stderr only, never into the log
    file of whichever run configured logging last."""
    record = logging.LogRecord(PROG, logging.ERROR, "", 0, message, None, None)
    print(ConsoleFormatter().format(record), file=sys.stderr, flush=True)


def setup() -> None:
    """The console rule for a `python -m qexp.X` command: qexp at INFO, libraries' warnings."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(ConsoleFormatter())
    handler.addFilter(HarmlessMessages())
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)  # the libraries only when they warn (Qiskit is chatty)
    logging.getLogger(PROG).setLevel(logging.INFO)
    adopt_library_output()


def adopt_library_output() -> None:
    """Library messages through qexp's handlers: one console line, and into the log file.

    qiskit-ibm-runtime prints to the terminal through a handler of its own, in its own
    format, unless QISKIT_IBM_RUNTIME_LOG_FILE sends it to a file (then it is left alone).
    Python warnings become one log line each instead of two lines with a source excerpt.
    """
    runtime = logging.getLogger("qiskit_ibm_runtime")
    screen = [h for h in runtime.handlers if type(h) is logging.StreamHandler]
    for handler in screen:
        runtime.removeHandler(handler)
    if screen:
        runtime.propagate = True
    warnings.showwarning = _log_warning


def import_runtime() -> None:
    """Import qiskit-ibm-runtime (most of a second: a run does it late, beside other work).

    Importing it adds a screen handler of its own: under a qexp command, which has taken
    library output over already, that handler goes too. A program that calls qexp's Python
    API keeps its own logging and warnings as they are."""
    import qiskit_ibm_runtime  # noqa: F401

    if warnings.showwarning is _log_warning:
        adopt_library_output()


def _log_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    if file is not None:  # written to a chosen file: as Python would
        file.write(warnings.formatwarning(message, category, filename, lineno, line))
        return
    logging.getLogger(_package_of(filename)).warning("%s (%s)", message, category.__name__)


def _package_of(filename: str) -> str:
    """The top-level package or module a file belongs to: the logger of its warnings."""
    for name, module in list(sys.modules.items()):
        if "." not in name:
            if getattr(module, "__file__", None) == filename:
                return name
            for folder in getattr(module, "__path__", None) or ():
                if filename.startswith(os.path.join(folder, "")):
                    return name
    return "warnings"
