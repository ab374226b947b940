"""Reading job files of schema version 1: one HDF5 group per PUB.

qexp writes version 2 (`qexp.store.job_file`); these readers keep every older run readable. The
version 1 layout is described in docs/hdf5-schema.md.
"""

from __future__ import annotations

from typing import Any

import h5py
import numpy as np
from qiskit.primitives import BitArray, DataBin, PrimitiveResult, PubResult

from qexp.circuits.base import CircuitSpec
from qexp.store.encoding import job_attrs, load_circuits, loads_metadata, result_type_named
from qexp.store.records import JobFile, JobResults, PubRecord, StoredPub

PUB_GROUP_PREFIX = "pub_"
DATA_GROUP = "data"
CIRCUIT_DATASET = "circuit_qpy"
PARAMETERS_DATASET = "parameter_values"
OBSERVABLES_DATASET = "observables"
NATURAL_OBSERVABLES_DATASET = "natural_observables"
IDEAL_OUTCOMES_DATASET = "ideal_outcomes"


def pub_group_name(position: int) -> str:
    """`pub_00003`: the group of the PUB at `position` within its job."""
    return f"{PUB_GROUP_PREFIX}{position:05d}"


def read_job(f: h5py.File) -> JobFile:
    found = read_results(f)
    pubs = []
    for position, record in enumerate(found.records):
        group = f[pub_group_name(position)]
        (circuit,) = load_circuits(group[CIRCUIT_DATASET][()])
        spec = CircuitSpec(
            circuit=circuit,
            parameter_values=record.parameter_values,
            observables=record.natural_observables,
            ideal_outcomes=record.ideal_outcomes,
        )
        pubs.append(StoredPub(index=record.index, spec=spec, observables=record.observables))
    metadata = loads_metadata(f.attrs["result_metadata_json"])
    return JobFile(attrs=found.attrs, pubs=pubs, result=PrimitiveResult(found.results, metadata))


def read_results(f: h5py.File) -> JobResults:
    records, results = [], []
    for position in range(int(f.attrs["num_pubs"])):
        group = f[pub_group_name(position)]
        records.append(_record(group))
        results.append(_pub_result(group))
    return JobResults(attrs=job_attrs(f), records=records, results=results)


def _record(group: h5py.Group) -> PubRecord:
    import json

    parameters = group.get(PARAMETERS_DATASET)
    names = None if parameters is None else parameters.attrs.get("parameter_names")
    return PubRecord(
        index=int(group.attrs["circuit_index"]),
        metadata=json.loads(group.attrs.get("metadata_json") or "{}"),
        parameter_values=None if parameters is None else np.asarray(parameters[()]),
        parameter_names=None if names is None else tuple(str(n) for n in names.astype(str)),
        observables=_strings(group, OBSERVABLES_DATASET),
        natural_observables=_strings(group, NATURAL_OBSERVABLES_DATASET) or (),
        ideal_outcomes=_strings(group, IDEAL_OUTCOMES_DATASET),
    )


def _pub_result(group: h5py.Group) -> PubResult:
    data_group = group[DATA_GROUP]
    by_field = {ds.attrs["field"]: ds for ds in data_group.values() if "field" in ds.attrs}
    fields = {name: _read_field(by_field[name]) for name in data_group.attrs["field_names"]}
    shape = tuple(int(n) for n in data_group.attrs["shape"])
    result_type = result_type_named(group.attrs["result_type"])
    metadata = loads_metadata(group.attrs["result_metadata_json"])
    return result_type(DataBin(shape=shape, **fields), metadata=metadata)


def _read_field(ds: h5py.Dataset) -> Any:
    kind = ds.attrs["kind"]
    if kind == "BitArray":
        return BitArray(ds[()], int(ds.attrs["num_bits"]))
    if kind == "ndarray":
        return np.asarray(ds[()])
    if kind == "json":
        return loads_metadata(ds.asstr()[()])
    raise ValueError(f"data field {ds.name} has unknown kind {kind!r}")


def _strings(group: h5py.Group, name: str) -> tuple[str, ...] | None:
    if name not in group:
        return None
    return tuple(group[name].asstr()[()])
