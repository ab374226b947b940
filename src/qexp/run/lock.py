"""One owner per run folder: an OS lock held for as long as a run or resume works in it.

The lock is `flock` on `<run>/.qexp.lock`, which the kernel releases when the process ends,
however it ends (kill -9 included), so a stale lock file never blocks anyone. The file
holds the owner's pid, for messages and for `qexp.status`.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from qexp.errors import QexpError

LOCK_FILE = ".qexp.lock"


class RunInUse(QexpError):
    """Another process is running or resuming this folder."""

    def __init__(self, run_dir: Path, pid: int | None) -> None:
        self.run_dir, self.pid = run_dir, pid
        who = f"process {pid}" if pid else "another process"
        super().__init__(
            f"{run_dir} is in use by {who} (a run or resume is working in it). Wait for it "
            "to finish, or stop it, then try again."
        )


class RunLock:
    """Hold the run folder's lock: `with RunLock(run_dir): ...`; raises RunInUse at once."""

    def __init__(self, run_dir: Path) -> None:
        self.path = Path(run_dir) / LOCK_FILE
        self.fd: int | None = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RunInUse(self.path.parent, _pid(self.path)) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def holder(run_dir: Path) -> int | None:
    """The pid of the process working in `run_dir` now, or None when nobody is."""
    path = Path(run_dir) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _pid(path) or -1
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip() or 0) or None
    except (OSError, ValueError):
        return None
