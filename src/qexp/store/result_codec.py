"""Result types and result metadata as JSON: the parts of a job file that need the runtime.

Result metadata is stored as JSON from qiskit-ibm-runtime's `RuntimeEncoder`, extended to
keep dataclasses such as the executor's `Metadata`. Importing the runtime takes most of a
second, so this lives apart from `qexp.store.job_file`: the worker processes, which build job
records but never write or read a file, and the start of a run, which forks them before
the runtime is imported, do without it.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import warnings
from typing import Any

from qiskit.primitives import PubResult, SamplerPubResult
from qiskit_ibm_runtime import RuntimeDecoder, RuntimeEncoder
from qiskit_ibm_runtime.results import EstimatorPubResult

from qexp.errors import QexpWarning

RESULT_TYPES: dict[str, type[PubResult]] = {
    "SamplerPubResult": SamplerPubResult,
    "EstimatorPubResult": EstimatorPubResult,
    "PubResult": PubResult,
}
"""The PubResult classes a job file may name, by name."""
_DATACLASS_TAG = "__qexp_dataclass__"
_DATACLASS_MODULES = frozenset({"qiskit", "qiskit_ibm_runtime", "qiskit_aer", "samplomatic"})


class MetadataEncoder(RuntimeEncoder):
    """RuntimeEncoder, plus dataclasses (the executor's `Metadata`) and a last-resort repr."""

    def default(self, obj: Any) -> Any:
        try:
            return super().default(obj)
        except TypeError:
            pass
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            cls = type(obj)
            fields = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.init}
            return {_DATACLASS_TAG: f"{cls.__module__}:{cls.__qualname__}", "__value__": fields}
        warnings.warn(
            f"result metadata holds a {type(obj).__name__} that cannot be stored as JSON; "
            "its repr() is stored instead",
            QexpWarning,
            stacklevel=2,
        )
        return repr(obj)


class MetadataDecoder(RuntimeDecoder):
    """RuntimeDecoder, plus the dataclasses `MetadataEncoder` tags."""

    def decode(self, s: str) -> Any:  # type: ignore[override]
        # Skip RuntimeDecoder.decode's post-processing of job *inputs* ("program"/"params").
        return json.JSONDecoder.decode(self, s)

    def object_hook(self, obj: Any) -> Any:
        if _DATACLASS_TAG in obj:
            return _rebuild_dataclass(obj[_DATACLASS_TAG], obj["__value__"])
        return super().object_hook(obj)


def _rebuild_dataclass(qualified: str, fields: dict[str, Any]) -> Any:
    """The dataclass instance `module:Class(**fields)`, or `fields` if it cannot be rebuilt."""
    module_name, _, qualname = qualified.partition(":")
    if module_name.split(".")[0] not in _DATACLASS_MODULES:
        return fields
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        if not (isinstance(obj, type) and dataclasses.is_dataclass(obj)):
            return fields
        return obj(**fields)
    except (ImportError, AttributeError, TypeError):
        return fields
