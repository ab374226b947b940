"""qexp: run many circuits as one IBM Runtime Batch, one HDF5 file per job.

`import qexp` stays cheap: the Python API (`qexp.api`: run, sweep, open, resume, plan)
loads on first use. `qexp.run`, `qexp.plan` and `qexp.sweep` are the stages that do the
work, and `qexp.resume` the command; the API's functions of those names live in `qexp.api`
(docs/api.md says why).
"""

from __future__ import annotations

import importlib
from typing import Any

from qexp.version import __version__

__all__ = ["__version__", "api"]


def __getattr__(name: str) -> Any:
    """`qexp.api`, imported the first time it is asked for."""
    if name == "api":
        return importlib.import_module("qexp.api")
    raise AttributeError(f"module 'qexp' has no attribute {name!r}")
