"""The transpile cache: ISA circuits on disk, keyed by what determines them.

An entry's key is a digest of the logical circuit (`qexp.circuits.identity.digest`), the
backend target's fingerprint, the optimization level, the transpiler seed and the Qiskit
version. A second run, or a sweep point that changes only shots, primitive options or
partitioning, finds every ISA circuit here and transpiles nothing. An entry is a QPY file
written atomically; one that cannot be read back as exactly one circuit is ignored, deleted
and rebuilt, never trusted. The folder is capped in size: when a run ends above the cap,
the least recently used entries are removed (a run that wrote nothing leaves it alone, and
one process scans it at most every `PRUNE_EVERY` seconds, so a sweep's points do not each
scan it).
"""

from __future__ import annotations

import hashlib
import io
import os
import time
from pathlib import Path

from qiskit import QuantumCircuit, qpy
from qiskit import __version__ as qiskit_version

from qexp.atomic import atomic_path

PRUNE_EVERY = 30.0
"""Seconds between two scans of the folder for its size, in one process: the points of a
sweep each add a few entries, and a scan stats every entry."""

SUBDIR = "transpile"
SUFFIX = ".qpy"
ENV_DIR = "QEXP_CACHE_DIR"


def default_dir() -> Path:
    """$QEXP_CACHE_DIR, else $XDG_CACHE_HOME/qexp, else ~/.cache/qexp."""
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "qexp"


class TranspileCache:
    """ISA circuits by key, in `<root>/transpile/ab/<key>.qpy`."""

    def __init__(self, root: Path | str, context: str) -> None:
        """`context`: what every key shares in one run (target, level, seed)."""
        self.folder = Path(root).expanduser() / SUBDIR
        self.context = f"{context}|qiskit {qiskit_version}|qpy {qpy.QPY_VERSION}"

    def key(self, digest: str) -> str:
        return hashlib.sha256(f"{digest}|{self.context}".encode()).hexdigest()[:40]

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}{SUFFIX}"

    def get(self, key: str) -> QuantumCircuit | None:
        """The cached ISA circuit, or None when absent or unreadable (then removed)."""
        path = self.path(key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        try:
            (circuit,) = qpy.load(io.BytesIO(data))
            if not isinstance(circuit, QuantumCircuit):
                raise TypeError(type(circuit).__name__)
        except Exception:
            path.unlink(missing_ok=True)  # corrupt: rebuilt by the caller, never trusted
            return None
        os.utime(path)  # recently used: evicted last
        return circuit

    def put(self, key: str, circuit: QuantumCircuit) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        qpy.dump(circuit, buffer)
        try:
            with atomic_path(path, durable=False) as tmp:
                tmp.write_bytes(buffer.getvalue())
        except OSError:
            pass  # a cache that cannot be written is only a slower run

    def prune_now(self, max_bytes: int) -> int:
        """`prune`, unless this process pruned this folder less than `PRUNE_EVERY` ago."""
        last = _PRUNED.get(self.folder)
        if last is not None and time.monotonic() - last < PRUNE_EVERY:
            return 0
        _PRUNED[self.folder] = time.monotonic()
        return self.prune(max_bytes)

    def prune(self, max_bytes: int) -> int:
        """Delete the least recently used entries until the cache fits; return how many."""
        entries = []
        for sub in self.folder.glob("??"):
            for path in sub.glob(f"*{SUFFIX}"):
                try:
                    stat = path.stat()
                except OSError:
                    continue
                entries.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in entries)
        removed = 0
        for _, size, path in sorted(entries):
            if total <= max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size
            removed += 1
        return removed


_PRUNED: dict[Path, float] = {}
"""When this process last scanned each cache folder."""
