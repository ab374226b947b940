"""How a job file's contents become bytes and JSON: circuits as QPY, metadata as JSON, result
types by name, root attributes as plain Python. Shared by every version's reader."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

import h5py
import numpy as np
from qiskit.primitives import PubResult

CIRCUITS_DATASET = "circuits"
"""uint8: the job's logical circuits, in PUB order, as one QPY file."""

JOB_ATTRS = (
    "job_index",
    "job_id",
    "batch_id",
    "backend",
    "primitive",
    "implementation",
    "shots",
    "precision",
    "submitted",
    "finished",
    "config_yaml",
    "num_circuits_in_run",
    "seed",
    "attempt",
    "options_json",
    "options_finalized_json",
    "qpu_seconds",
    "qpu_estimate",
    "service_estimate",
)
"""Job attributes the runner passes to `write_job`; absent ones read back as None.
`qpu_seconds` is what the service billed the job (absent on local backends, which bill
nothing), `qpu_estimate` qexp's estimate of it, `service_estimate` the service's."""


def dump_circuits(circuits: Sequence[Any]) -> bytes:
    """The QPY bytes of `circuits`, with metadata kept as plain JSON."""
    from qiskit import qpy

    buffer = io.BytesIO()
    qpy.dump(list(circuits), buffer, metadata_serializer=PlainEncoder)
    return buffer.getvalue()


def result_type_name(pub_result: PubResult) -> str:
    """The most specific class name of `pub_result` that the reader can rebuild."""
    from qexp.store.result_codec import RESULT_TYPES

    for cls in type(pub_result).__mro__:
        if RESULT_TYPES.get(cls.__name__) is cls:
            return cls.__name__
    raise TypeError(f"{type(pub_result).__name__} is not a PubResult")


def result_type_named(name: str) -> type[PubResult]:
    """The PubResult class a file names (`result_type_name`)."""
    from qexp.store.result_codec import RESULT_TYPES

    return RESULT_TYPES[name]


# --- JSON --------------------------------------------------------------------------------


class PlainEncoder(json.JSONEncoder):
    """Plain JSON for circuit metadata: numpy scalars and arrays become numbers and lists."""

    def default(self, o: Any) -> Any:
        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
        return super().default(o)


def dumps_metadata(value: Any) -> str:
    from qexp.store.result_codec import MetadataEncoder

    return json.dumps(value, cls=MetadataEncoder)


def loads_metadata(text: str) -> Any:
    from qexp.store.result_codec import MetadataDecoder

    return json.loads(text, cls=MetadataDecoder)


# --- reading -----------------------------------------------------------------------------


def job_attrs(f: h5py.File) -> dict[str, Any]:
    attrs: dict[str, Any] = {key: None for key in JOB_ATTRS}
    attrs.update({key: plain(value) for key, value in f.attrs.items()})
    return attrs


def load_circuits(data: np.ndarray) -> list[Any]:
    return load_circuits_bytes(np.asarray(data, dtype=np.uint8).tobytes())


def load_circuits_bytes(data: bytes) -> list[Any]:
    """The circuits of a QPY blob (`dump_circuits`), checked to be circuits."""
    from qiskit import QuantumCircuit, qpy

    circuits = qpy.load(io.BytesIO(data))
    if not all(isinstance(c, QuantumCircuit) for c in circuits):
        raise ValueError(f"{CIRCUITS_DATASET} holds programs that are not circuits")
    return list(circuits)


def plain(value: Any) -> Any:
    """An h5py attribute value as plain Python (str, int, float, bool or list)."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    return value
