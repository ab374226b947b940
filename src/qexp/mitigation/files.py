"""The mitigated file, `mitigated/job-NNNNN.h5`: one per Sampler job, beside its raw file.

Derived data, never the raw data: computed from the Sampler job's file and its calibration
job's file (both left untouched) and written atomically, the root attribute `complete` last.
Plain HDF5 (numbers, ASCII bitstrings, JSON text); layout in docs/hdf5-schema.md, "Readout
mitigation".
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from qexp.atomic import atomic_path
from qexp.mitigation.correct import Corrected
from qexp.version import __version__

SCHEMA_VERSION = 2
"""Version of this file's layout (attribute `schema_version`). 2: the normalized fidelity
unclipped, and `<metric>_mitigated_std` (mthree's standard deviation) for probabilities.
A file of an older version is made afresh (it is derived data)."""
CALIBRATION_GROUP = "calibration"
"""`qubits` (k,) and `matrices` (k, 2, 2): the readout matrices the correction used."""
DISTRIBUTIONS_GROUP = "distributions"
"""`outcome`, `quasi`, `probability`: every row's distribution, concatenated (`offsets`)."""
TABLE_GROUP = "table"
"""One dataset per column: the rows `load_table` joins to the Sampler job's rows."""
KEY_COLUMNS = ("circuit_index", "parameter_index")
SUFFIX = "_mitigated"
"""What a metric computed on the mitigated distribution is called: `<metric>_mitigated`."""
OVERHEAD_COLUMN = "mitigation_overhead"
STD_SUFFIX = "_std"
"""A mitigated probability's standard deviation (mthree's): `<metric>_mitigated_std`."""
WITH_STD = ("success_probability", "heavy_output_probability")
"""The metrics that are probabilities, P = (1 + <O>) / 2: mthree's std applies."""
METRICS = (
    "success_probability",
    "hellinger_fidelity",
    "normalized_fidelity",
    "heavy_output_probability",
    "effective_polarization",
)
"""The metrics (`qexp.metrics.distribution_metrics`) in the order the table shows them."""


@dataclass
class MitigatedJob:
    """One Sampler job's mitigated distributions, their metrics, and the calibration used."""

    attrs: dict[str, Any]
    qubits: np.ndarray
    """The calibrated physical qubits."""
    matrices: np.ndarray
    """(k, 2, 2): [q, i, j] = P(read i | prepared j) for qubit `qubits[q]`."""
    rows: dict[str, list[Any]]
    """`circuit_index`, `parameter_index`, `mitigation_overhead` and `<metric>_mitigated`."""
    distributions: list[Corrected]
    """One per row."""
    measured_qubits: list[list[int]]
    """Per row, the physical qubit read into each classical bit (bit 0 first)."""


def write(path: Path, job: MitigatedJob) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, h5py.File(tmp, "w", libver="latest") as f:
        for key, value in job.attrs.items():
            if value is not None:
                f.attrs[key] = value
        f.attrs["schema_version"] = SCHEMA_VERSION
        f.attrs["qexp_version"] = __version__
        cal = f.create_group(CALIBRATION_GROUP)
        cal.create_dataset("qubits", data=np.asarray(job.qubits, dtype=np.int64))
        cal.create_dataset("matrices", data=np.asarray(job.matrices, dtype=float))
        _write_distributions(f.create_group(DISTRIBUTIONS_GROUP), job)
        table = f.create_group(TABLE_GROUP)
        for name, column in job.rows.items():
            dtype = np.int64 if name in KEY_COLUMNS else float
            table.create_dataset(name, data=np.array(column, dtype=dtype))
        table.attrs["columns"] = json.dumps(list(job.rows))  # HDF5 lists them by name
        f.attrs["complete"] = True


def _write_distributions(group: h5py.Group, job: MitigatedJob) -> None:
    found = job.distributions
    outcomes = [o for d in found for o in d.outcomes]
    width = max((len(o) for o in outcomes), default=1)
    options: dict[str, Any] = {"compression": "gzip"} if outcomes else {}
    group.create_dataset("outcome", data=np.array(outcomes, dtype=f"S{width}"), **options)
    for name in ("quasi", "probability"):
        values = [getattr(d, name) for d in found]
        data = np.concatenate(values) if values else np.zeros(0)
        group.create_dataset(name, data=data, **options)
    sizes = [len(d.outcomes) for d in found]
    group.attrs["offsets"] = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    group.attrs["shots"] = np.array([d.shots for d in found], dtype=np.int64)
    group.attrs["measured_qubits"] = json.dumps(job.measured_qubits)


def read_attrs(path: Path) -> dict[str, Any] | None:
    """The file's root attributes; None when it is missing, unreadable or incomplete."""
    try:
        with h5py.File(path, "r") as f:
            if not f.attrs.get("complete", False):
                return None
            return {key: _py(value) for key, value in f.attrs.items()}
    except Exception:
        return None


def read_table(path: Path) -> dict[str, np.ndarray]:
    """The rows `load_table` joins: one array per column."""
    with h5py.File(path, "r") as f:
        table = f[TABLE_GROUP]
        return {name: table[name][()] for name in json.loads(table.attrs["columns"])}


def read(path: Path) -> MitigatedJob:
    with h5py.File(path, "r") as f:
        attrs = {key: _py(value) for key, value in f.attrs.items()}
        table = f[TABLE_GROUP]
        rows = {name: table[name][()].tolist() for name in json.loads(table.attrs["columns"])}
        group = f[DISTRIBUTIONS_GROUP]
        offsets = group.attrs["offsets"]
        outcomes = [o.decode() for o in group["outcome"][()]]
        quasi, probability = group["quasi"][()], group["probability"][()]
        overheads = rows.get(OVERHEAD_COLUMN, [math.nan] * (len(offsets) - 1))
        distributions = [
            Corrected(
                outcomes=outcomes[a:b],
                quasi=quasi[a:b],
                probability=probability[a:b],
                overhead=float(overheads[k]),
                shots=int(group.attrs["shots"][k]),
            )
            for k, (a, b) in enumerate(itertools.pairwise(offsets))
        ]
        return MitigatedJob(
            attrs=attrs,
            qubits=f[CALIBRATION_GROUP]["qubits"][()],
            matrices=f[CALIBRATION_GROUP]["matrices"][()],
            rows=rows,
            distributions=distributions,
            measured_qubits=json.loads(group.attrs["measured_qubits"]),
        )


def merge_rows(blocks: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
    """Rows of several circuits as columns, the metrics in `METRICS` order, then the
    overhead; a metric one circuit lacks is NaN there."""
    found = {name for block in blocks for name in block}
    metrics = [f"{m}{SUFFIX}" for m in METRICS if f"{m}{SUFFIX}" in found]
    stds = [f"{m}{SUFFIX}{STD_SUFFIX}" for m in WITH_STD if f"{m}{SUFFIX}{STD_SUFFIX}" in found]
    names = [*KEY_COLUMNS, *metrics, *stds, OVERHEAD_COLUMN]
    names += sorted(found - set(names))
    return {name: [block.get(name, math.nan) for block in blocks] for name in names}


def _py(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
