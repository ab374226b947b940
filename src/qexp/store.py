"""The HDF5 job file: one file per Runtime job, written atomically, read back exactly.

Pure I/O (no Hydra, no primitives run here). The layout is documented in
docs/hdf5-schema.md; the names used in it are the constants below. Conventions:

- A job attribute that is None is *not written* (an absent attribute means None);
  `read_job` gives None back for the known job attributes in `JOB_ATTRS`.
- Everything is plain HDF5 (numbers, UTF-8 strings, uint8 arrays) plus JSON text: no
  pickles. Circuits are QPY bytes; result metadata is JSON from qiskit-ibm-runtime's
  `RuntimeEncoder`, extended to keep dataclasses such as the executor's `Metadata`.
- The file appears under its final name only when complete (temp file, fsync,
  `os.replace`, fsync of the folder), and the root attribute `complete` is written last.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import io
import json
import platform
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeVar

import h5py
import numpy as np
from qiskit import QuantumCircuit, qpy
from qiskit.primitives import BitArray, DataBin, PrimitiveResult, PubResult, SamplerPubResult
from qiskit_ibm_runtime import RuntimeDecoder, RuntimeEncoder
from qiskit_ibm_runtime.results import EstimatorPubResult

from qexp import __version__
from qexp.atomic import atomic_path
from qexp.circuits.base import CircuitSpec
from qexp.constants import HDF5_SCHEMA_VERSION
from qexp.errors import QexpError, QexpWarning

T = TypeVar("T")

# --- names in the file (documented in docs/hdf5-schema.md) ------------------------------
PUB_GROUP_PREFIX = "pub_"
DATA_GROUP = "data"
CIRCUIT_DATASET = "circuit_qpy"
PARAMETERS_DATASET = "parameter_values"
OBSERVABLES_DATASET = "observables"
NATURAL_OBSERVABLES_DATASET = "natural_observables"
IDEAL_OUTCOMES_DATASET = "ideal_outcomes"
METADATA_ATTR_PREFIX = "meta_"
"""Scalar entries of `circuit.metadata` are copied to pub attributes `meta_<key>`."""

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
)
"""Job attributes the runner passes to `write_job`; absent ones read back as None."""

VERSION_PACKAGES = ("qiskit", "qiskit-ibm-runtime", "qiskit-aer", "h5py", "numpy")
WRITER_ATTRS = frozenset(
    {"schema_version", "qexp_version", "version_python", "num_pubs", "result_metadata_json"}
    | {f"version_{name.replace('-', '_')}" for name in VERSION_PACKAGES}
    | {"complete"}
)
"""Root attributes `write_job` sets itself; callers may not pass them."""

_RESULT_TYPES: dict[str, type[PubResult]] = {
    "SamplerPubResult": SamplerPubResult,
    "EstimatorPubResult": EstimatorPubResult,
    "PubResult": PubResult,
}
_STR = h5py.string_dtype()
_DATACLASS_TAG = "__qexp_dataclass__"
_DATACLASS_MODULES = frozenset({"qiskit", "qiskit_ibm_runtime", "qiskit_aer", "samplomatic"})


class CorruptJobFile(QexpError):
    """A job file that cannot be trusted: truncated, unfinished, or from a newer qexp."""

    def __init__(self, path: Path | str, why: str) -> None:
        self.path, self.why = Path(path), why
        super().__init__(
            f"Job file {path} is unusable: {why}. Delete it and finish the run with "
            f"`python -m qexp.resume RUN_DIR` to re-run its job."
        )


@dataclass(frozen=True)
class StoredPub:
    """One PUB of a job: which circuit of the run it is and what was submitted."""

    index: int
    """Global circuit index in the run."""
    spec: CircuitSpec
    observables: tuple[str, ...] | None = None
    """Estimator only: the logical (unmapped) Pauli strings, in PUB order."""


@dataclass(frozen=True)
class JobFile:
    """Everything `read_job` gets back from one job file."""

    attrs: dict[str, Any]
    pubs: list[StoredPub]
    result: PrimitiveResult


# --- writing -----------------------------------------------------------------------------


def write_job(
    path: Path,
    *,
    attrs: Mapping[str, Any],
    pubs: Sequence[StoredPub],
    result: PrimitiveResult,
) -> None:
    """Write one job's PUBs and result to `path`, atomically, ending with `complete=True`."""
    path = Path(path)
    if len(pubs) != len(result):
        raise ValueError(f"{len(pubs)} pubs but {len(result)} pub results for {path.name}")
    reserved = WRITER_ATTRS.intersection(attrs)
    if reserved:
        raise ValueError(f"attrs {sorted(reserved)} are set by write_job itself")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        _write_root_attrs(f, attrs)
        f.attrs["num_pubs"] = len(pubs)
        f.attrs["result_metadata_json"] = _dumps_metadata(result.metadata)
        for position, (pub, pub_result) in enumerate(zip(pubs, result, strict=True)):
            group = f.create_group(pub_group_name(position))
            _write_pub(group, pub)
            _write_pub_result(group, pub_result)
        f.attrs["complete"] = True
        f.flush()


def pub_group_name(position: int) -> str:
    """`pub_00003`: the group of the PUB at `position` within its job."""
    return f"{PUB_GROUP_PREFIX}{position:05d}"


def _write_root_attrs(f: h5py.File, attrs: Mapping[str, Any]) -> None:
    for key, value in attrs.items():
        if value is None:
            continue  # None is stored as an absent attribute
        if not isinstance(value, str | bool | int | float | np.generic):
            raise TypeError(f"job attr {key}={value!r}: only str, bool, int, float or None")
        f.attrs[key] = value
    f.attrs["schema_version"] = HDF5_SCHEMA_VERSION
    f.attrs["qexp_version"] = __version__
    for name, value in package_versions().items():  # looked up once per process
        f.attrs[name] = value


@functools.cache
def package_versions() -> dict[str, str]:
    """`version_<package>` -> installed version, for the packages a result depends on."""
    versions = {"version_python": platform.python_version()}
    for name in VERSION_PACKAGES:
        try:
            versions[f"version_{name.replace('-', '_')}"] = version(name)
        except PackageNotFoundError:
            versions[f"version_{name.replace('-', '_')}"] = "not installed"
    return versions


def _write_pub(group: h5py.Group, pub: StoredPub) -> None:
    spec = pub.spec
    metadata = dict(spec.circuit.metadata or {})
    group.attrs["circuit_index"] = pub.index
    group.attrs["metadata_json"] = json.dumps(metadata, cls=_PlainEncoder)
    for key, value in metadata.items():
        if isinstance(value, str | bool | int | float | np.number | np.bool_):
            group.attrs[f"{METADATA_ATTR_PREFIX}{key}"] = value
    buffer = io.BytesIO()
    qpy.dump(spec.circuit, buffer, metadata_serializer=_PlainEncoder)
    qpy_ds = group.create_dataset(
        CIRCUIT_DATASET, data=np.frombuffer(buffer.getvalue(), dtype=np.uint8)
    )
    qpy_ds.attrs["qpy_version"] = qpy.QPY_VERSION
    if spec.parameter_values is not None:
        ds = group.create_dataset(PARAMETERS_DATASET, data=np.asarray(spec.parameter_values))
        ds.attrs["parameter_names"] = np.array(
            [p.name for p in spec.circuit.parameters], dtype=_STR
        )
    if pub.observables is not None:
        group.create_dataset(OBSERVABLES_DATASET, data=np.array(pub.observables, dtype=_STR))
    if spec.observables:
        group.create_dataset(
            NATURAL_OBSERVABLES_DATASET, data=np.array(spec.observables, dtype=_STR)
        )
    if spec.ideal_outcomes is not None:
        group.create_dataset(IDEAL_OUTCOMES_DATASET, data=np.array(spec.ideal_outcomes, dtype=_STR))


def _write_pub_result(group: h5py.Group, pub_result: PubResult) -> None:
    group.attrs["result_type"] = _result_type_name(pub_result)
    group.attrs["result_metadata_json"] = _dumps_metadata(pub_result.metadata)
    data = pub_result.data
    data_group = group.create_group(DATA_GROUP, track_order=True)
    data_group.attrs["shape"] = np.asarray(data.shape, dtype=np.int64)
    data_group.attrs["field_names"] = np.array(list(data), dtype=_STR)
    for position, (name, value) in enumerate(data.items()):
        ds_name = name if name and "/" not in name and name != "." else f"_field_{position}"
        if isinstance(value, BitArray):
            ds = _array_dataset(data_group, ds_name, value.array)
            ds.attrs["kind"] = "BitArray"
            ds.attrs["num_bits"] = value.num_bits
        elif isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
            ds = _array_dataset(data_group, ds_name, value)
            ds.attrs["kind"] = "ndarray"
        else:  # anything else a DataBin may hold, as RuntimeEncoder JSON
            ds = data_group.create_dataset(ds_name, data=_dumps_metadata(value), dtype=_STR)
            ds.attrs["kind"] = "json"
        ds.attrs["field"] = name


def _array_dataset(group: h5py.Group, name: str, array: np.ndarray) -> h5py.Dataset:
    """A dataset, gzip-compressed and chunked unless it is a scalar or empty."""
    array = np.ascontiguousarray(array)
    if array.ndim == 0 or array.size == 0:
        return group.create_dataset(name, data=array)
    return group.create_dataset(
        name, data=array, compression="gzip", compression_opts=4, chunks=True
    )


def _result_type_name(pub_result: PubResult) -> str:
    """The most specific class name of `pub_result` that `read_job` can rebuild."""
    for cls in type(pub_result).__mro__:
        if _RESULT_TYPES.get(cls.__name__) is cls:
            return cls.__name__
    raise TypeError(f"{type(pub_result).__name__} is not a PubResult")


# --- JSON --------------------------------------------------------------------------------


class _PlainEncoder(json.JSONEncoder):
    """Plain JSON for circuit metadata: numpy scalars and arrays become numbers and lists."""

    def default(self, o: Any) -> Any:
        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
        return super().default(o)


class _MetadataEncoder(RuntimeEncoder):
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


class _MetadataDecoder(RuntimeDecoder):
    """RuntimeDecoder, plus the dataclasses `_MetadataEncoder` tags."""

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


def _dumps_metadata(value: Any) -> str:
    return json.dumps(value, cls=_MetadataEncoder)


def _loads_metadata(text: str) -> Any:
    return json.loads(text, cls=_MetadataDecoder)


# --- reading -----------------------------------------------------------------------------


def is_complete(path: Path | str) -> bool:
    """True if `path` is a readable job file whose `complete` attribute is set. Never raises."""
    try:
        with h5py.File(path, "r") as f:
            return bool(f.attrs.get("complete", False))
    except Exception:
        return False


def read_job(path: Path | str) -> JobFile:
    """Read a job file back: attributes, the PUBs' circuits, and the exact PrimitiveResult.

    Raises CorruptJobFile for a truncated or unreadable file, one without `complete`,
    or one written with a newer schema than this qexp knows.
    """
    return read_checked(Path(path), _read_open)


def read_checked(path: Path, read: Callable[[h5py.File], T]) -> T:
    """`read(f)` on the open job file once its header is checked; failures of a damaged
    file become CorruptJobFile (a missing file stays FileNotFoundError)."""
    try:
        f = h5py.File(path, "r")
    except FileNotFoundError:
        raise
    except Exception as exc:
        raise CorruptJobFile(path, f"not a readable HDF5 file ({exc})") from exc
    with f:
        _check_header(path, f)
        try:
            return read(f)
        except CorruptJobFile:
            raise
        except Exception as exc:
            raise CorruptJobFile(path, f"{type(exc).__name__}: {exc}") from exc


def _check_header(path: Path, f: h5py.File) -> None:
    if not bool(f.attrs.get("complete", False)):
        raise CorruptJobFile(path, "it lacks the `complete` attribute (writing was interrupted)")
    schema = f.attrs.get("schema_version")
    if schema is None:
        raise CorruptJobFile(path, "it has no schema_version attribute")
    if int(schema) > HDF5_SCHEMA_VERSION:
        raise CorruptJobFile(
            path,
            f"schema_version {int(schema)} is newer than {HDF5_SCHEMA_VERSION}, the newest this "
            f"qexp {__version__} reads; upgrade qexp to read it",
        )


def _read_open(f: h5py.File) -> JobFile:
    attrs = {key: None for key in JOB_ATTRS}
    attrs.update({key: _py(value) for key, value in f.attrs.items()})
    num_pubs = int(f.attrs["num_pubs"])
    pubs, pub_results = [], []
    for position in range(num_pubs):
        group = f[pub_group_name(position)]
        pubs.append(_read_pub(group))
        pub_results.append(read_pub_result(group))
    metadata = _loads_metadata(f.attrs["result_metadata_json"])
    return JobFile(attrs=attrs, pubs=pubs, result=PrimitiveResult(pub_results, metadata))


def _read_pub(group: h5py.Group) -> StoredPub:
    circuit = _load_circuit(group[CIRCUIT_DATASET][()])
    parameters = group.get(PARAMETERS_DATASET)
    spec = CircuitSpec(
        circuit=circuit,
        parameter_values=None if parameters is None else parameters[()],
        observables=_strings(group, NATURAL_OBSERVABLES_DATASET) or (),
        ideal_outcomes=_strings(group, IDEAL_OUTCOMES_DATASET),
    )
    return StoredPub(
        index=int(group.attrs["circuit_index"]),
        spec=spec,
        observables=_strings(group, OBSERVABLES_DATASET),
    )


def _load_circuit(data: np.ndarray) -> QuantumCircuit:
    circuits = qpy.load(io.BytesIO(np.asarray(data, dtype=np.uint8).tobytes()))
    if len(circuits) != 1 or not isinstance(circuits[0], QuantumCircuit):
        raise ValueError(f"{CIRCUIT_DATASET} holds {len(circuits)} programs, expected 1 circuit")
    return circuits[0]


def _strings(group: h5py.Group, name: str) -> tuple[str, ...] | None:
    ds = group.get(name)
    return None if ds is None else tuple(ds.asstr()[()])


def read_pub_result(group: h5py.Group) -> PubResult:
    data_group = group[DATA_GROUP]
    by_field = {ds.attrs["field"]: ds for ds in data_group.values() if "field" in ds.attrs}
    fields = {name: _read_field(by_field[name]) for name in data_group.attrs["field_names"]}
    shape = tuple(int(n) for n in data_group.attrs["shape"])
    result_type = _RESULT_TYPES[group.attrs["result_type"]]
    metadata = _loads_metadata(group.attrs["result_metadata_json"])
    return result_type(DataBin(shape=shape, **fields), metadata=metadata)


def _read_field(ds: h5py.Dataset) -> Any:
    kind = ds.attrs["kind"]
    if kind == "BitArray":
        return BitArray(ds[()], int(ds.attrs["num_bits"]))
    if kind == "ndarray":
        return np.asarray(ds[()])
    if kind == "json":
        return _loads_metadata(ds.asstr()[()])
    raise ValueError(f"data field {ds.name} has unknown kind {kind!r}")


def _py(value: Any) -> Any:
    """An h5py attribute value as plain Python (str, int, float, bool or list)."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray):
        return [_py(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    return value
