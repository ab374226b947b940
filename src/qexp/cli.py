"""What every qexp command shares: its console, the commands it tells the user to run, its exit.

Messages go to stderr, one plain line each, results to stdout (`qexp.console`). A command a
message tells the user to run comes from `command()`, so that it works when pasted.
"""

from __future__ import annotations

import logging
import os
import re
import shlex
import shutil
import sys
from pathlib import Path

COMMANDS = {
    "run": ("qexp", "qexp"),
    "resume": ("qexp-resume", "qexp.resume"),
    "status": ("qexp-status", "qexp.status"),
    "show": ("qexp-show", "qexp.show"),
    "report": ("qexp-report", "qexp.report"),
    "emulator": ("qexp-emulator", "qexp.emulator"),
}
"""Each command: its console script, and the module `python -m` runs."""


def command(name: str = "run", *args: object) -> str:
    """The command line that runs qexp's `name` command on `args`, as it works when pasted.

    The console script when the one found on PATH belongs to this very installation, else
    this interpreter by its full path: a bare `python` can be another one without qexp.
    """
    script, module = COMMANDS[name]
    found = shutil.which(script)
    words = [script] if found and _same_interpreter(found) else [sys.executable, "-m", module]
    return shlex.join([*words, *map(str, args)])


def _same_interpreter(script: str) -> bool:
    """Whether a console script runs this very interpreter: the same file in the same folder
    (a venv's python3 is its python; the system's python it links to is another install)."""
    interpreter = _shebang_interpreter(script)
    if not interpreter:
        return False
    here, there = Path(sys.executable).absolute(), Path(interpreter)
    try:
        return there.parent.samefile(here.parent) and there.samefile(here)
    except OSError:
        return False


def _shebang_interpreter(script: str) -> str | None:
    """The interpreter pip wrote into a console script: `#!/path/python`, or for a long
    path `#!/bin/sh` followed by `'''exec' "/path/python" "$0" "$@"`."""
    try:
        with open(script, "rb") as file:
            head = file.read(1024).decode(errors="replace").splitlines()
    except OSError:
        return None
    if not head or not head[0].startswith("#!"):
        return None
    if head[0].strip() == "#!/bin/sh" and len(head) > 1:
        found = re.match(r"""'''exec' "?(.+?)"? "\$0" """, head[1])
        return found.group(1) if found else None
    try:
        words = shlex.split(head[0][2:])
    except ValueError:  # unbalanced quotes: not a shebang pip wrote
        return None
    return words[0] if words else None


def setup_logging() -> None:
    """The console rule for a `python -m qexp.X` command (a run's own is set by Hydra)."""
    from qexp.console import setup

    setup()


def exit_now(code: int) -> None:
    """Exit; skip waiting for local jobs a stopped run abandoned (their results are unwanted).

    Everything alive now is frozen out of the garbage collector first: the interpreter's
    last collections would otherwise walk every object Qiskit, Hydra and the runtime made,
    about half a second of a run's exit (docs/performance.md). Exit handlers, thread joins
    and log flushes run as usual.
    """
    import gc

    gc.freeze()
    execute = sys.modules.get("qexp.run.batch_loop")  # only a run has jobs to abandon
    if execute is not None and execute.abandoned_local_jobs():
        sys.stdout.flush()
        sys.stderr.flush()
        logging.shutdown()
        os._exit(code)
    sys.exit(code)


def emulator() -> None:
    """The `qexp-emulator` console script: whatever `python -m qexp.emulator` runs."""
    import runpy

    runpy.run_module("qexp.emulator", run_name="__main__", alter_sys=True)
