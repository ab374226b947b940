"""The HDF5 job file: one file per Runtime job, columnar, written atomically, read back exactly.

Pure I/O (no Hydra, no primitives run here). The layout is documented in
docs/hdf5-schema.md; the names used in it are the constants below. Since schema version 2
a file holds one dataset per result field across all its PUBs (not a group per PUB), the
job's logical circuits as one QPY blob, and the table rows `load_table` shows, computed
once here. Version 1 files are still read (`qexp.store.job_file_v1`).

- A job attribute that is None is *not written* (an absent attribute means None);
  readers give None back for the known job attributes in `JOB_ATTRS`.
- Everything is plain HDF5 (numbers, UTF-8 strings, uint8 arrays) plus JSON text: no
  pickles. Circuits are QPY bytes; result metadata is JSON from qiskit-ibm-runtime's
  `RuntimeEncoder`, extended to keep dataclasses such as the executor's `Metadata`.
- The file appears under its final name only when complete (temp file, fsync,
  `os.replace`, fsync of the folder), and the root attribute `complete` is written last.
"""

from __future__ import annotations

import functools
import json
import math
import platform
from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeVar

import h5py
import numpy as np
from h5py.h5d import DatasetID
from qiskit.primitives import BitArray, DataBin, PrimitiveResult, PubResult

from qexp import metrics
from qexp.atomic import atomic_path
from qexp.circuits.base import CircuitSpec
from qexp.circuits.ideal import Ideal
from qexp.constants import HDF5_SCHEMA_VERSION
from qexp.store import h5, rows
from qexp.store.encoding import (
    CIRCUITS_DATASET,
    PlainEncoder,
    dumps_metadata,
    job_attrs,
    load_circuits,
    loads_metadata,
    plain,
    result_type_name,
    result_type_named,
)
from qexp.store.records import (
    CorruptJobFile,
    JobFile,
    JobResults,
    JobTable,
    PubRecord,
    StoredIdeal,
    StoredPub,
)
from qexp.version import __version__

T = TypeVar("T")

# --- names in the file (documented in docs/hdf5-schema.md) ------------------------------
PUBS_GROUP = "pubs"
CIRCUIT_INDEX_DATASET = "circuit_index"
INFO_DATASET = "info"
"""uint8 (gzip): UTF-8 JSON, one object per PUB (metadata, result type, shape, fields...)."""
DATA_GROUP = "data"
"""One dataset per result field, the field's values of every PUB concatenated."""
TABLE_GROUP = "table"
"""The rows `load_table` shows, one per circuit result: a 2-D dataset per numeric dtype
(a row per column) and a dataset per string column (schema 2: a dataset per column)."""
IDEAL_GROUP = "ideal"
"""Sampler: what each row's metrics were computed from, one entry per row with an ideal."""
IDEAL_TOP = 16
"""Likeliest ideal outcomes kept per entry (the report draws them beside the measured)."""

TABLE_ATTRS = (
    "job_index",
    "job_id",
    "backend",
    "primitive",
    "shots",
    "precision",
    "options_json",
    "qpu_seconds",
)
"""The job attributes the table reads (`JobTable.attrs`): each row repeats them, except the
job's options (a column per option) and its bill, `qpu_seconds`, which its rows share."""

VERSION_PACKAGES = ("qiskit", "qiskit-ibm-runtime", "qiskit-aer", "h5py", "numpy")
WRITER_ATTRS = frozenset(
    {"schema_version", "qexp_version", "version_python", "num_pubs", "result_metadata_json"}
    | {f"version_{name.replace('-', '_')}" for name in VERSION_PACKAGES}
    | {"complete"}
)
"""Root attributes `write_job` sets itself; callers may not pass them."""

STR = h5py.string_dtype()
_GZIP = {"compression": "gzip", "compression_opts": 4}


# --- writing -----------------------------------------------------------------------------


def write_job(
    path: Path,
    *,
    attrs: Mapping[str, Any],
    records: Sequence[PubRecord],
    circuits_qpy: bytes,
    result: PrimitiveResult,
) -> None:
    """Write one job's PUBs and result to `path`, atomically, ending with `complete=True`.

    `circuits_qpy` holds the job's logical circuits in PUB order (`dump_circuits`).
    """
    path = Path(path)
    if len(records) != len(result):
        raise ValueError(f"{len(records)} pubs but {len(result)} pub results for {path.name}")
    reserved = WRITER_ATTRS.intersection(attrs)
    if reserved:
        raise ValueError(f"attrs {sorted(reserved)} are set by write_job itself")
    path.parent.mkdir(parents=True, exist_ok=True)
    pub_results = list(result)
    with atomic_path(path) as tmp, h5py.File(tmp, "w", libver="latest") as f:
        _write_root_attrs(f, attrs)
        h5.set_attrs(
            f, {"num_pubs": len(records), "result_metadata_json": dumps_metadata(result.metadata)}
        )
        qpy_ds = _bytes_dataset(f, CIRCUITS_DATASET, circuits_qpy)
        h5.set_attrs(qpy_ds, {"format": "qpy"})
        pubs = f.create_group(PUBS_GROUP)
        h5.plain_dataset(
            pubs, CIRCUIT_INDEX_DATASET, np.array([r.index for r in records], dtype=np.int64)
        )
        info = [_pub_info(r, p) for r, p in zip(records, pub_results, strict=True)]
        _bytes_dataset(pubs, INFO_DATASET, json.dumps(info, cls=PlainEncoder).encode())
        _write_data(f.create_group(DATA_GROUP), pub_results)
        found = rows.merge([rows.pub_rows(p, r) for r, p in zip(records, pub_results, strict=True)])
        _write_table(f.create_group(TABLE_GROUP), found.columns)
        if found.ideals:
            _write_ideals(f.create_group(IDEAL_GROUP), found.ideals)
        h5.set_attrs(f, {"complete": True})


def _write_root_attrs(f: h5py.File, attrs: Mapping[str, Any]) -> None:
    for key, value in attrs.items():
        if value is not None and not isinstance(value, str | bool | int | float | np.generic):
            raise TypeError(f"job attr {key}={value!r}: only str, bool, int, float or None")
    given = {key: value for key, value in attrs.items() if value is not None}  # None: absent
    written = {"schema_version": HDF5_SCHEMA_VERSION, "qexp_version": __version__}
    h5.set_attrs(f, {**given, **written, **package_versions()})  # versions: once per process


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


def _bytes_dataset(group: h5py.Group, name: str, data: bytes) -> h5py.Dataset | DatasetID:
    array = np.frombuffer(data, dtype=np.uint8)
    if not array.size:
        return h5.plain_dataset(group, name, array)
    return group.create_dataset(name, data=array, chunks=(min(array.size, 1 << 16),), **_GZIP)


def _pub_info(record: PubRecord, result: PubResult) -> dict[str, Any]:
    """The per-PUB JSON: everything small about a PUB, in one place."""
    info: dict[str, Any] = {
        "index": record.index,
        "metadata": record.metadata,
        "result_type": result_type_name(result),
        "result_metadata": dumps_metadata(result.metadata),
        "shape": list(result.data.shape),
        "fields": list(result.data),
    }
    optional = {
        "parameter_values": record.parameter_values,
        "parameter_names": record.parameter_names,
        "observables": record.observables,
        "natural_observables": record.natural_observables or None,
        "ideal_outcomes": record.ideal_outcomes,
    }
    info.update({key: value for key, value in optional.items() if value is not None})
    return info


def _write_data(group: h5py.Group, results: Sequence[PubResult]) -> None:
    """One dataset per field name, holding that field of every PUB that has it."""
    names: dict[str, None] = {}
    for result in results:
        names.update(dict.fromkeys(result.data))
    for position, name in enumerate(names):
        holders = [k for k, r in enumerate(results) if name in r.data]
        values = [results[k].data[name] for k in holders]
        ds_name = name if name and "/" not in name and name != "." else f"_field_{position}"
        if all(isinstance(v, BitArray) for v in values):
            ds = _bits_column(group, ds_name, values)
        elif _numeric_column_ok(values):
            ds = _array_column(group, ds_name, values)
        else:  # anything else a DataBin may hold, as RuntimeEncoder JSON
            ds = _bytes_dataset(group, ds_name, dumps_metadata(values).encode())
            h5.set_attrs(ds, {"kind": "json"})
        h5.set_attrs(ds, {"field": name})
        if len(holders) != len(results):
            h5.set_attrs(ds, {"pubs": np.array(holders, dtype=np.int64)})


def _bits_column(group: h5py.Group, name: str, values: list[BitArray]) -> h5py.Dataset:
    """Packed bits of every PUB, one row per shot, padded on the left to the widest PUB."""
    width = max(v.array.shape[-1] for v in values)
    blocks = []
    for v in values:
        flat = np.asarray(v.array, dtype=np.uint8).reshape(-1, v.array.shape[-1])
        if flat.shape[1] < width:
            flat = np.pad(flat, ((0, 0), (width - flat.shape[1], 0)))
        blocks.append(flat)
    data = np.concatenate(blocks) if blocks else np.zeros((0, width), dtype=np.uint8)
    ds = _array(group, name, data)
    h5.set_attrs(
        ds,
        {
            "kind": "BitArray",
            "offsets": _offsets([len(b) for b in blocks]),
            "num_bits": np.array([v.num_bits for v in values], dtype=np.int64),
            "shapes": json.dumps([list(v.array.shape[:-1]) for v in values]),
        },
    )
    return ds


def _numeric_column_ok(values: list[Any]) -> bool:
    arrays = [v for v in values if isinstance(v, np.ndarray) and v.dtype.kind in "biufc"]
    return len(arrays) == len(values) and len({a.dtype for a in arrays}) == 1


def _array_column(group: h5py.Group, name: str, values: list[np.ndarray]) -> h5py.Dataset:
    """Numeric arrays of every PUB, flattened and concatenated, with each one's shape."""
    flat = [np.ascontiguousarray(v).reshape(-1) for v in values]
    ds = _array(group, name, np.concatenate(flat))
    shapes = json.dumps([list(v.shape) for v in values])
    h5.set_attrs(
        ds, {"kind": "ndarray", "offsets": _offsets([a.size for a in flat]), "shapes": shapes}
    )
    return ds


def _array(group: h5py.Group, name: str, data: np.ndarray) -> h5py.Dataset | DatasetID:
    """A dataset, gzip-compressed and chunked unless it is empty."""
    if data.size == 0:
        return h5.plain_dataset(group, name, data)
    return group.create_dataset(name, data=data, chunks=True, **_GZIP)


def _offsets(sizes: Sequence[int]) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)]).astype(np.int64)


def _write_table(group: h5py.Group, columns: Mapping[str, list[Any]]) -> None:
    """Numbers in one 2-D dataset per dtype (a row per column, its names in `columns`, as
    pandas' own HDF5 blocks are laid out), each string column a dataset of its own. HDF5
    spends 0.1 to 0.2 ms on every dataset whatever it holds: a table of 20 columns took 20
    datasets (schema 2), most of a small job's file and of reading a sweep's table."""
    blocks: dict[np.dtype, list[tuple[str, np.ndarray]]] = {}
    for name, column in columns.items():
        if name in rows.STRING_COLUMNS:
            data = np.array(["" if v is None else v for v in column], dtype=STR)
            ds = h5.plain_dataset(group, name, data)
            if any(v is None for v in column):
                h5.set_attrs(ds, {"none": np.array([v is None for v in column])})
        else:
            data = np.array([math.nan if v is None else v for v in column])
            blocks.setdefault(data.dtype, []).append((name, data))
    for dtype, found in blocks.items():
        values = np.stack([data for _, data in found])
        if values.shape[1] > 64:
            block: Any = group.create_dataset(dtype.name, data=values, **_GZIP)
        else:
            block = h5.plain_dataset(group, dtype.name, values)
        h5.set_attrs(block, {"columns": np.array([name for name, _ in found], dtype=STR)})


def _write_ideals(group: h5py.Group, kept: Sequence[rows.KeptIdeal]) -> None:
    """Per Sampler row with an ideal: its scalars, its probability at each measured
    outcome, its likeliest outcomes, and a stabilizer form's checks (the ideal itself, at
    any width, in n**2 bits). A dense ideal is never kept whole: its metrics need only its
    probabilities at the measured outcomes."""
    ideals = [k.ideal for k in kept]
    scalars: dict[str, Any] = {
        "circuit_index": np.array([k.circuit_index for k in kept], dtype=np.int64),
        "parameter_index": np.array([k.parameter_index for k in kept], dtype=np.int64),
        "form": _ascii(["dense" if i.is_dense else "stabilizer" for i in ideals]),
        "num_bits": np.array([i.num_bits for i in ideals], dtype=np.int64),
        "uniform_fidelity": np.array([i.uniform_fidelity for i in ideals]),
        "median": np.array([math.nan if i.median is None else i.median for i in ideals]),
        "support_fraction": np.array([i.support_fraction for i in ideals]),
    }
    for name, data in scalars.items():
        h5.plain_dataset(group, name, data)
    h5.set_attrs(group, {"top_limit": IDEAL_TOP})
    _ragged(group, "measured", [np.asarray(k.measured, dtype=float) for k in kept])
    top = [i.likeliest(IDEAL_TOP) for i in ideals]
    width = max(i.num_bits for i in ideals)
    labels = [
        [rows.bitstring(x, i.num_bits) for x, _ in t] for i, t in zip(ideals, top, strict=True)
    ]
    _ragged(group, "top_outcomes", [_ascii(found, width) for found in labels])
    _ragged(group, "top_probabilities", [np.array([p for _, p in t], dtype=float) for t in top])
    if any(i.checks is not None for i in ideals):
        size = (width + 7) // 8
        checks, parities = [], []
        for i in ideals:
            a = np.zeros((0, i.num_bits), np.uint8) if i.checks is None else i.checks
            packed = np.packbits(a, axis=1, bitorder="little")
            checks.append(np.pad(packed, ((0, 0), (0, size - packed.shape[1]))))
            parities.append(np.zeros(0, np.uint8) if i.parities is None else i.parities)
        _ragged(group, "checks", checks)
        _ragged(group, "parities", parities)


def _ascii(texts: Sequence[str], width: int = 0) -> np.ndarray:
    """Fixed-length ASCII strings: no heap object per string, and they compress."""
    return np.array(texts, dtype=f"S{max(width, *map(len, texts), 1)}")


def _ragged(group: h5py.Group, name: str, blocks: Sequence[np.ndarray]) -> h5py.Dataset:
    """Blocks of varying length as one dataset, block i at `ds[offsets[i]:offsets[i + 1]]`."""
    data = np.concatenate(blocks) if blocks else np.zeros(0)
    if data.size > 64:
        ds = group.create_dataset(name, data=data, **_GZIP, shuffle=True)
    else:
        ds = h5.plain_dataset(group, name, data)
    h5.set_attrs(ds, {"offsets": _offsets([len(b) for b in blocks])})
    return ds


def is_complete(path: Path | str) -> bool:
    """True if `path` is a readable job file whose `complete` attribute is set. Never raises."""
    try:
        with h5py.File(path, "r") as f:
            return bool(f.attrs.get("complete", False))
    except Exception:
        return False


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
    header = h5.get_attrs(f, ("complete", "schema_version"))
    if not bool(header.get("complete", False)):
        raise CorruptJobFile(path, "it lacks the `complete` attribute (writing was interrupted)")
    schema = header.get("schema_version")
    if schema is None:
        raise CorruptJobFile(path, "it has no schema_version attribute")
    if int(schema) > HDF5_SCHEMA_VERSION:
        raise CorruptJobFile(
            path,
            f"schema_version {int(schema)} is newer than {HDF5_SCHEMA_VERSION}, the newest this "
            f"qexp {__version__} reads; upgrade qexp to read it",
        )


def schema_version(f: h5py.File) -> int:
    return int(h5.get_attrs(f, ("schema_version",))["schema_version"])


def read_job(path: Path | str) -> JobFile:
    """Read a job file back: attributes, the PUBs' circuits, and the exact PrimitiveResult.

    Raises CorruptJobFile for a truncated or unreadable file, one without `complete`,
    or one written with a newer schema than this qexp knows.
    """
    return read_checked(Path(path), _read_job)


def read_results(path: Path | str) -> JobResults:
    """A job file's attributes, PUB records and pub results, without decoding circuits."""
    return read_checked(Path(path), _read_results)


def read_table(path: Path | str) -> JobTable:
    """A job file's table rows (computed on read for version 1 files)."""
    return read_checked(Path(path), _read_table)


def read_ideals(path: Path | str) -> list[StoredIdeal]:
    """What a job file keeps of the ideals its Sampler rows were scored against, in row
    order; empty for files without them (Estimator jobs, files before metrics)."""
    return read_checked(Path(path), _read_ideals)


def _read_job(f: h5py.File) -> JobFile:
    if schema_version(f) == 1:
        from qexp.store import job_file_v1

        return job_file_v1.read_job(f)
    found = _read_results(f)
    circuits = load_circuits(f[CIRCUITS_DATASET][()])
    if len(circuits) != len(found.records):
        raise ValueError(f"{len(circuits)} circuits for {len(found.records)} PUBs")
    pubs = [
        StoredPub(
            index=record.index,
            spec=CircuitSpec(
                circuit=circuit,
                parameter_values=record.parameter_values,
                observables=record.natural_observables,
                ideal_outcomes=record.ideal_outcomes,
            ),
            observables=record.observables,
        )
        for record, circuit in zip(found.records, circuits, strict=True)
    ]
    metadata = loads_metadata(f.attrs["result_metadata_json"])
    return JobFile(attrs=found.attrs, pubs=pubs, result=PrimitiveResult(found.results, metadata))


def _read_results(f: h5py.File) -> JobResults:
    if schema_version(f) == 1:
        from qexp.store import job_file_v1

        return job_file_v1.read_results(f)
    info = _read_info(f)
    records = [_record(entry) for entry in info]
    fields: list[dict[str, Any]] = [{} for _ in info]
    for ds in f[DATA_GROUP].values():
        holders = ds.attrs.get("pubs")
        positions = range(len(info)) if holders is None else [int(k) for k in holders]
        for position, value in zip(positions, _read_column(ds), strict=True):
            fields[position][str(ds.attrs["field"])] = value
    results = []
    for entry, values in zip(info, fields, strict=True):
        data = DataBin(
            shape=tuple(entry["shape"]), **{name: values[name] for name in entry["fields"]}
        )
        result_type = result_type_named(entry["result_type"])
        results.append(result_type(data, metadata=loads_metadata(entry["result_metadata"])))
    return JobResults(attrs=job_attrs(f), records=records, results=results)


def _read_info(f: h5py.File) -> list[dict[str, Any]]:
    info = json.loads(f[PUBS_GROUP][INFO_DATASET][()].tobytes())
    num_pubs = int(h5.get_attrs(f, ("num_pubs",))["num_pubs"])
    if len(info) != num_pubs:
        raise ValueError(f"{len(info)} PUB entries for num_pubs={num_pubs}")
    return info


def _record(entry: dict[str, Any]) -> PubRecord:
    params = entry.get("parameter_values")
    return PubRecord(
        index=int(entry["index"]),
        metadata=entry.get("metadata") or {},
        parameter_values=None if params is None else np.asarray(params, dtype=float),
        parameter_names=_tuple(entry.get("parameter_names")),
        observables=_tuple(entry.get("observables")),
        natural_observables=_tuple(entry.get("natural_observables")) or (),
        ideal_outcomes=_tuple(entry.get("ideal_outcomes")),
    )


def _tuple(value: Any) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


def _read_column(ds: h5py.Dataset) -> list[Any]:
    """The per-PUB values of one field dataset."""
    kind = ds.attrs["kind"]
    if kind == "json":
        return loads_metadata(ds[()].tobytes().decode())
    data = ds[()]
    offsets = ds.attrs["offsets"]
    shapes = json.loads(ds.attrs["shapes"])
    values: list[Any] = []
    for k, shape in enumerate(shapes):
        block = data[offsets[k] : offsets[k + 1]]
        if kind == "BitArray":
            num_bits = int(ds.attrs["num_bits"][k])
            width = math.ceil(num_bits / 8)
            packed = np.ascontiguousarray(block[:, block.shape[1] - width :])
            values.append(BitArray(packed.reshape(*shape, width), num_bits))
        elif kind == "ndarray":
            values.append(block.reshape(shape))
        else:
            raise ValueError(f"data field {ds.name} has unknown kind {kind!r}")
    return values


def _read_table(f: h5py.File) -> JobTable:
    version = schema_version(f)
    if version == 1:
        from qexp.store import job_file_v1

        return table_from_results(job_file_v1.read_results(f))
    table = f[TABLE_GROUP]
    if version == 2 and "top_outcome" in table and "hellinger_fidelity" not in table:
        return table_from_results(_read_results(f))  # written before the metrics were
    columns = _read_columns(table)
    if "hellinger_fidelity" in columns and "normalized_fidelity_reference" not in columns:
        _unclip_normalized_fidelity(f, columns)
    if "error" in columns and "std" in columns and "z_score" not in columns:  # older files
        errors, stds = np.asarray(columns["error"], float), np.asarray(columns["std"], float)
        columns["z_score"] = metrics.z_score(errors, stds)
    info = _read_info(f)
    metadata = {int(entry["index"]): entry.get("metadata") or {} for entry in info}
    return JobTable(attrs=_table_attrs(f), columns=columns, metadata=metadata)


def _read_columns(table: h5py.Group) -> dict[str, np.ndarray | list[Any]]:
    """The table's columns by name, in name order: from its blocks (schema 3) or from one
    dataset each (schema 2), through h5py's low-level calls (a sweep reads thousands)."""
    columns: dict[str, np.ndarray | list[Any]] = {}
    group_id = table.id
    for raw in group_id:
        dataset_id = h5py.h5d.open(group_id, raw)
        if dataset_id.dtype.kind == "O":  # a string column, opened once
            values: list[Any] = list(h5py.Dataset(dataset_id).asstr()[()])
            none = h5.get_attrs(dataset_id, ("none",)).get("none")
            if none is not None:
                values = [None if gone else v for v, gone in zip(values, none, strict=True)]
            columns[raw.decode()] = values
            continue
        data = np.empty(dataset_id.shape, dataset_id.dtype)
        if data.size:
            dataset_id.read(h5py.h5s.ALL, h5py.h5s.ALL, data)
        if dataset_id.rank == 2:  # a block: one row per column
            names = h5.get_attrs(dataset_id, ("columns",))["columns"]
            columns.update(zip((str(n) for n in names), data, strict=True))
        else:
            columns[raw.decode()] = data
    return dict(sorted(columns.items()))


def _unclip_normalized_fidelity(f: h5py.File, columns: dict[str, Any]) -> None:
    """A file written before the shot-noise references kept QED-C's clipped normalized
    fidelity: the unclipped value, which means over circuits use, is computed again from
    the row's Hellinger fidelity and its ideal's F_uniform (`ideal/uniform_fidelity`)."""
    if IDEAL_GROUP not in f or "normalized_fidelity" not in columns:
        return
    group = f[IDEAL_GROUP]
    floors = {
        (int(c), int(p)): float(u)
        for c, p, u in zip(
            group["circuit_index"][()],
            group["parameter_index"][()],
            group["uniform_fidelity"][()],
            strict=True,
        )
    }
    keys = zip(columns["circuit_index"], columns["parameter_index"], strict=True)
    fidelities = np.asarray(columns["hellinger_fidelity"], dtype=float)
    normalized = np.array(columns["normalized_fidelity"], dtype=float)
    for row, key in enumerate(keys):
        floor = floors.get((int(key[0]), int(key[1])))
        if floor is not None and not math.isnan(fidelities[row]):
            normalized[row] = metrics.rescaled(float(fidelities[row]), floor)
    columns["normalized_fidelity"] = normalized


def _table_attrs(f: h5py.File) -> dict[str, Any]:
    """The job attributes a table row shows (absent ones are None)."""
    found = h5.get_attrs(f, TABLE_ATTRS)
    return {key: plain(found[key]) if key in found else None for key in TABLE_ATTRS}


def _read_ideals(f: h5py.File) -> list[StoredIdeal]:
    if schema_version(f) == 1 or IDEAL_GROUP not in f:
        return []
    group = f[IDEAL_GROUP]
    scalars = {name: group[name][()] for name in _IDEAL_SCALARS}
    forms = [form.decode() for form in group["form"][()]]
    measured = _ragged_blocks(group["measured"])
    outcomes = _ragged_blocks(group["top_outcomes"])
    chances = _ragged_blocks(group["top_probabilities"])
    checks = _ragged_blocks(group["checks"]) if "checks" in group else None
    parities = _ragged_blocks(group["parities"]) if "parities" in group else None
    found = []
    for k, form in enumerate(forms):
        n = int(scalars["num_bits"][k])
        ideal = None
        if form == "stabilizer" and checks is not None and parities is not None:
            bits = np.unpackbits(checks[k], axis=1, bitorder="little")[:, :n]
            ideal = Ideal.stabilizer(bits.reshape(-1, n), parities[k])
        found.append(
            StoredIdeal(
                circuit_index=int(scalars["circuit_index"][k]),
                parameter_index=int(scalars["parameter_index"][k]),
                form=form,
                num_bits=n,
                uniform_fidelity=float(scalars["uniform_fidelity"][k]),
                median=float(scalars["median"][k]),
                support_fraction=float(scalars["support_fraction"][k]),
                measured=measured[k],
                top={x.decode(): float(q) for x, q in zip(outcomes[k], chances[k], strict=True)},
                ideal=ideal,
            )
        )
    return found


_IDEAL_SCALARS = (
    "circuit_index",
    "parameter_index",
    "num_bits",
    "uniform_fidelity",
    "median",
    "support_fraction",
)


def _ragged_blocks(ds: h5py.Dataset) -> list[Any]:
    data = ds[()]
    offsets = ds.attrs["offsets"]
    return [data[offsets[i] : offsets[i + 1]] for i in range(len(offsets) - 1)]


def table_from_results(found: JobResults) -> JobTable:
    """Table rows computed from results: for files that do not store them (version 1, and
    version 2 files written before the metrics, scored where the generator named its
    ideal outcomes)."""
    blocks = [
        rows.pub_rows(result, record)
        for record, result in zip(found.records, found.results, strict=True)
    ]
    merged = rows.merge(blocks).columns
    columns: dict[str, np.ndarray | list[Any]] = {
        name: list(values)
        if name in rows.STRING_COLUMNS
        else np.array([math.nan if v is None else v for v in values])
        for name, values in merged.items()
    }
    metadata = {record.index: record.metadata for record in found.records}
    return JobTable(attrs=found.attrs, columns=columns, metadata=metadata)
