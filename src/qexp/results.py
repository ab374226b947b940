"""The public reader: a run's results back as Qiskit objects, one per circuit.

Usage::

    from qexp.results import load_job, load_run
    results = load_run("outputs/2025-01-01/12-00-00")  # one PubResult per circuit, in order
    counts = results[0].data.meas.get_counts()          # Sampler: one BitArray per register
    evs = results[0].data.evs                           # Estimator: expectation values
    first = load_job("outputs/2025-01-01/12-00-00/jobs/job-00000.h5")  # a PrimitiveResult

`load_run(run_dir, partial=True)` puts None where a circuit has no result yet instead of
raising IncompleteRun. Job files are plain HDF5 (docs/hdf5-schema.md) and need no qexp to read.

For a run folder or a whole sweep (`multirun/DATE/TIME`)::

    from qexp.results import iter_circuits, counts, load_table
    for c in iter_circuits("multirun/2025-01-01/12-00-00"):  # one job file at a time
        c.run_dir, c.index, c.metadata, c.job_index, c.result
    counts("outputs/...")      # [{"circuit_index": 0, "parameter_index": 0, "counts": {...}}, ...]
    table = load_table("multirun/2025-01-01/12-00-00")  # pandas: one row per circuit result

`load_table` reads only attributes and result datasets (no QPY circuit is decoded), one PUB
at a time, so a sweep of many runs loads in about the time h5py takes to open the files.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np
from qiskit.primitives import BitArray, PrimitiveResult, PubResult

from qexp.constants import HYDRA_DIR, JOBS_DIR
from qexp.errors import QexpError, QexpWarning
from qexp.runs import run_dirs
from qexp.store import (
    DATA_GROUP,
    IDEAL_OUTCOMES_DATASET,
    OBSERVABLES_DATASET,
    PARAMETERS_DATASET,
    CorruptJobFile,
    JobFile,
    pub_group_name,
    read_checked,
    read_job,
    read_pub_result,
)

if TYPE_CHECKING:
    import pandas as pd

JOB_FILE_GLOB = "job-*.h5"


class IncompleteRun(QexpError):
    """Some circuits of a run have no result yet."""

    def __init__(self, run_dir: Path, missing: Iterable[int], num_circuits: int | None) -> None:
        self.run_dir, self.missing, self.num_circuits = run_dir, tuple(missing), num_circuits
        if num_circuits is None:
            what = f"no job files in {run_dir / JOBS_DIR}"
        else:
            what = (
                f"{len(self.missing)} of {num_circuits} circuits have no result "
                f"(circuit indices {format_indices(self.missing)})"
            )
        super().__init__(
            f"Run {run_dir} is incomplete: {what}. Finish it with "
            f"`python -m qexp.resume {run_dir}`, or pass partial=True to read what is there."
        )


def load_job(path: Path | str) -> PrimitiveResult:
    """The PrimitiveResult stored in one job file, exactly as the primitive returned it."""
    return read_job(path).result


def job_paths(run_dir: Path | str) -> list[Path]:
    """The run's job files, in job order (temp files of interrupted writes are not included)."""
    return sorted((Path(run_dir) / JOBS_DIR).glob(JOB_FILE_GLOB))


def read_jobs(run_dir: Path | str, *, skip_corrupt: bool = False) -> list[JobFile]:
    """Every job file of a run; unusable ones raise, or are skipped with a warning."""
    jobs = []
    for path in job_paths(run_dir):
        try:
            jobs.append(read_job(path))
        except CorruptJobFile as exc:
            if not skip_corrupt:
                raise
            warnings.warn(f"skipping {path.name}: {exc.why}", QexpWarning, stacklevel=2)
    return jobs


def load_run(run_dir: Path | str, *, partial: bool = False) -> list[PubResult | None]:
    """One PubResult per circuit of the run, in global circuit order.

    Raises IncompleteRun when circuits are missing, unless `partial` (then None stands in
    for each missing circuit, and unusable job files are skipped with a QexpWarning).
    """
    run_dir = Path(run_dir)
    jobs = read_jobs(run_dir, skip_corrupt=partial)
    if not jobs:
        if partial:
            return []
        raise IncompleteRun(run_dir, (), None)
    results = _by_circuit(run_dir, jobs)
    missing = [index for index, result in enumerate(results) if result is None]
    if missing and not partial:
        raise IncompleteRun(run_dir, missing, len(results))
    return results


def _by_circuit(run_dir: Path, jobs: list[JobFile]) -> list[PubResult | None]:
    """Place every pub result at its global circuit index; None where none was found."""
    counts = {job.attrs["num_circuits_in_run"] for job in jobs}
    if len(counts) != 1 or None in counts:
        raise QexpError(
            f"Job files in {run_dir / JOBS_DIR} disagree on num_circuits_in_run ({counts}): "
            "they come from different runs. Keep one run's files per folder."
        )
    results: list[PubResult | None] = [None] * int(counts.pop())
    for job in jobs:
        for pub, pub_result in zip(job.pubs, job.result, strict=True):
            if not 0 <= pub.index < len(results) or results[pub.index] is not None:
                raise QexpError(
                    f"Job {job.attrs['job_index']} in {run_dir} holds circuit index "
                    f"{pub.index}, which is out of range or stored twice."
                )
            results[pub.index] = pub_result
    return results


def format_indices(indices: Iterable[int]) -> str:
    """`0-3, 7, 9-10`: sorted indices with consecutive runs collapsed."""
    ranges: list[list[int]] = []
    for index in sorted(indices):
        if ranges and index == ranges[-1][1] + 1:
            ranges[-1][1] = index
        else:
            ranges.append([index, index])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges)


# --- a run or a whole sweep, circuit by circuit ------------------------------------------

OVERRIDES_FILE = "overrides.yaml"
"""Hydra's list of a run's task overrides, in `<run>/.hydra/`."""

INFO_COLUMNS = (
    "backend",
    "primitive",
    "shots",
    "precision",
    "job_index",
    "job_id",
    "circuit_index",
    "parameter_index",
)
SAMPLER_COLUMNS = ("top_outcome", "top_probability", "success_probability", "num_outcomes")
ESTIMATOR_COLUMNS = ("observable_index", "observable", "value", "std")
STRING_COLUMNS = frozenset(
    {"run", "run_dir", "job_id", "top_outcome", "observable", "generator", "backend", "primitive"}
)
"""Table columns that hold text even when it looks like a number (bitstrings, run names)."""
_RESERVED = frozenset({"run", "run_dir", *INFO_COLUMNS, *SAMPLER_COLUMNS, *ESTIMATOR_COLUMNS})


@dataclass(frozen=True)
class CircuitResult:
    """One circuit's result and where it comes from, as `iter_circuits` yields it."""

    run_dir: Path
    index: int
    """Global circuit index in its run."""
    metadata: dict[str, Any]
    """The circuit's metadata: generator, num_qubits, seed and the generator's parameters."""
    job_index: int
    job_id: str | None
    result: PubResult
    """The PubResult exactly as the primitive returned it."""
    job_file: Path
    observables: tuple[str, ...] | None = None
    """Estimator: the PUB's logical Pauli strings, in the order of the first axis of evs."""
    ideal_outcomes: tuple[str, ...] | None = None
    parameter_values: np.ndarray | None = field(default=None, compare=False)


def iter_circuits(path: Path | str, *, skip_corrupt: bool = False) -> Iterator[CircuitResult]:
    """Every circuit result under `path`, a run folder or a sweep folder, lazily.

    Runs come in sweep order (`qexp.runs.run_dirs`); within a run, job files in job order
    and each job's PUBs in submission order. One job file is read (without decoding its
    QPY circuits) and closed before its circuits are yielded. A run without job files
    yields nothing; an unusable file raises CorruptJobFile, or is skipped with a QexpWarning
    when `skip_corrupt`.
    """
    for run_dir in run_dirs(Path(path)):
        for job_path in job_paths(run_dir):
            try:
                circuits = read_checked(
                    job_path, partial(_circuits, job_path=job_path, run_dir=run_dir)
                )
            except CorruptJobFile as exc:
                if not skip_corrupt:
                    raise
                warnings.warn(f"skipping {job_path}: {exc.why}", QexpWarning, stacklevel=2)
                continue
            yield from circuits


def counts(path: Path | str, *, skip_corrupt: bool = False) -> list[dict[str, Any]]:
    """Measured counts of every sampler circuit under `path` (a run or a sweep folder).

    One record per circuit and parameter set (a parameterized PUB gives one per point,
    `parameter_index` 0, 1, ...; an unparameterized one has `parameter_index` 0), in run,
    circuit and parameter order: `run`, `run_dir`, `circuit_index`, `parameter_index`,
    `job_index`, `job_id`, `shots`, `metadata`, `ideal_outcomes` and `counts` (bitstring ->
    count, most frequent first, as `BitArray.get_counts()` counts them; several classical
    registers are joined as `join_data()` joins them). Estimator circuits have no counts.
    """
    records = []
    for run_dir, info, pub in _scan(path, skip_corrupt):
        for point, (values, numbers) in enumerate(pub.outcomes):
            order = sorted(range(len(values)), key=lambda i: (-numbers[i], values[i]))
            records.append(
                {
                    "run": run_dir.name,
                    "run_dir": str(run_dir),
                    "circuit_index": pub.circuit_index,
                    "parameter_index": point,
                    "job_index": info["job_index"],
                    "job_id": info["job_id"],
                    "shots": int(numbers.sum()),
                    "metadata": pub.metadata,
                    "ideal_outcomes": None
                    if pub.ideal_outcomes is None
                    else list(pub.ideal_outcomes),
                    "counts": {_bitstring(values[i], pub.num_bits): int(numbers[i]) for i in order},
                }
            )
    return records


def export_counts_json(path: Path | str, out: Path | str, *, skip_corrupt: bool = False) -> Path:
    """Write `counts(path)` to the JSON file `out` (a list of records); return `out`."""
    from qexp.atomic import write_text

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text(out, json.dumps(counts(path, skip_corrupt=skip_corrupt), indent=1) + "\n")
    return out


def load_table(path: Path | str, *, skip_corrupt: bool = False) -> pd.DataFrame:
    """One row per circuit result under `path` (a run folder or a whole sweep) as a DataFrame.

    Rows: one per circuit and parameter set for the Sampler; one per circuit, observable and
    parameter set for the Estimator. Columns, in order:

    - `run` (the run folder's name, e.g. the sweep point `3`) and `run_dir` (its path);
    - the run's overrides from `.hydra/overrides.yaml`, one column per key (e.g.
      `circuits`, `circuits.num_qubits`), listed in `table.attrs["overrides"]`. A key that
      names another column too is kept once when both agree on every row (`primitive`),
      else named `override.<key>` (`backend=fake` -> `override.backend`);
    - the circuit metadata (`generator`, `num_qubits`, `seed`, `depth`, ...; a key that
      clashes with the columns below is named `circuit.<key>`);
    - `backend`, `primitive`, `shots`, `precision` (NaN where not set), `job_index`,
      `job_id`, `circuit_index`, `parameter_index` (0 for an unparameterized circuit);
    - Sampler: `top_outcome` (the most frequent bitstring; ties go to the smallest),
      `top_probability`, `success_probability` (the probability of the generator's ideal
      outcomes, NaN where it knows none) and `num_outcomes` (distinct bitstrings seen);
    - Estimator: `observable_index`, `observable` (the Pauli string), `value` and `std`.

    Only attributes and result datasets are read, one PUB at a time; no circuit is decoded.
    """
    import pandas as pd

    rows: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = []
    override_keys: dict[str, None] = {}
    meta_keys: dict[str, None] = {"generator": None, "num_qubits": None}
    kinds = set()
    for run_dir, info, pub in _scan(path, skip_corrupt, with_overrides=True):
        overrides = info["overrides"]
        override_keys.update(dict.fromkeys(overrides))
        meta = {key: _cell(value) for key, value in pub.metadata.items()}
        meta_keys.update(dict.fromkeys(meta))
        fixed: dict[str, Any] = {"run": run_dir.name, "run_dir": str(run_dir)}
        fixed |= {key: info[key] for key in INFO_COLUMNS[:6]}
        fixed["circuit_index"] = pub.circuit_index
        for result in _pub_rows(pub):
            kinds.add("estimator" if "value" in result else "sampler")
            rows.append((overrides, meta, {**fixed, **result}))
    meta_names = {key: f"circuit.{key}" if key in _RESERVED else key for key in meta_keys}
    # Overrides first under private names; a clash with another column is resolved below.
    override_names = {key: f"\0{key}" for key in override_keys}
    columns = ["run", "run_dir", *override_names.values(), *meta_names.values(), *INFO_COLUMNS]
    if "sampler" in kinds or not kinds:
        columns += SAMPLER_COLUMNS
    if "estimator" in kinds:
        columns += ESTIMATOR_COLUMNS
    records = []
    for overrides, meta, fixed in rows:
        record = {override_names[key]: value for key, value in overrides.items()}
        record |= {meta_names[key]: value for key, value in meta.items()}
        record |= fixed
        records.append(record)
    table = pd.DataFrame.from_records(records, columns=columns)
    if len(table):
        for column in [*override_names.values(), *meta_names.values()]:
            table[column] = _numeric_if_possible(table[column])
    for column in ("shots", "precision", "top_probability", "success_probability", "value", "std"):
        if column in table:
            table[column] = pd.to_numeric(table[column]).astype(float)
    renames, merged = {}, []
    for key, private in override_names.items():
        if key not in table.columns:
            renames[private] = key
        elif _same_values(table[private], table[key]):
            merged.append(private)  # e.g. `primitive=estimator` and the job's primitive
        else:
            renames[private] = f"override.{key}"
    table = table.drop(columns=merged).rename(columns=renames)
    table.attrs["overrides"] = [
        renames.get(private, key) for key, private in override_names.items()
    ]
    return table


def export_table_csv(path: Path | str, out: Path | str, *, skip_corrupt: bool = False) -> Path:
    """Write `load_table(path)` to the CSV file `out`; `read_table_csv(out)` reads it back."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    load_table(path, skip_corrupt=skip_corrupt).to_csv(out, index=False)
    return out


def read_table_csv(path: Path | str) -> pd.DataFrame:
    """A table written by `export_table_csv`, with bitstrings and run names kept as text."""
    import pandas as pd

    header = pd.read_csv(path, nrows=0).columns
    dtypes = {column: str for column in header if column in STRING_COLUMNS}
    options: dict[str, Any] = {}
    major, minor = (int(part) for part in re.findall(r"\d+", pd.__version__)[:2])
    if (major, minor) < (3, 1):  # since 3.1 every float is read back exactly by default
        options["float_precision"] = "round_trip"
    return pd.read_csv(path, dtype=dtypes, **options)


def run_overrides(run_dir: Path | str) -> dict[str, Any]:
    """The run's command-line overrides, key -> value, from `.hydra/overrides.yaml`.

    Values are parsed as Hydra parses them (`2` is an int, `ghz` a string); lists and
    other non-scalar values are kept as their text. Deletions (`~key`) are left out; a run
    started without Hydra (no file) has none.
    """
    file = Path(run_dir) / HYDRA_DIR / OVERRIDES_FILE
    if not file.is_file():
        return {}
    from omegaconf import OmegaConf

    lines = [str(line) for line in OmegaConf.to_container(OmegaConf.load(file)) or []]
    return _parse_overrides(lines)


def _parse_overrides(lines: list[str]) -> dict[str, Any]:
    try:
        from hydra.core.override_parser.overrides_parser import OverridesParser

        parsed = OverridesParser.create().parse_overrides(lines)
    except Exception:  # not Hydra's grammar: fall back to key=value text
        return {
            line.split("=", 1)[0].lstrip("+~"): _cell(line.split("=", 1)[1])
            for line in lines
            if "=" in line and not line.startswith("~")
        }
    result: dict[str, Any] = {}
    for override, line in zip(parsed, lines, strict=True):
        if override.is_delete():
            continue
        value = override.value()
        if not isinstance(value, str | int | float | bool) and value is not None:
            value = line.split("=", 1)[1] if "=" in line else str(value)
        result[override.key_or_group] = value
    return result


# --- reading job files without decoding circuits -----------------------------------------


@dataclass
class _PubScan:
    """What the table and counts need from one PUB group."""

    circuit_index: int
    metadata: dict[str, Any]
    ideal_outcomes: tuple[str, ...] | None
    observables: tuple[str, ...] | None
    num_bits: int = 0
    outcomes: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    """Sampler: per parameter set, (distinct outcomes as integers, their counts), sorted."""
    evs: np.ndarray | None = None
    stds: np.ndarray | None = None


def _job_info(f: h5py.File) -> dict[str, Any]:
    info = {
        key: _attr(f.attrs, key)
        for key in ("job_index", "job_id", "backend", "primitive", "shots", "precision")
    }
    info["num_pubs"] = int(f.attrs["num_pubs"])
    return info


def _circuits(f: h5py.File, job_path: Path, run_dir: Path) -> list[CircuitResult]:
    info = _job_info(f)
    circuits = []
    for position in range(info["num_pubs"]):
        group = f[pub_group_name(position)]
        parameters = group.get(PARAMETERS_DATASET)
        circuits.append(
            CircuitResult(
                run_dir=run_dir,
                index=int(group.attrs["circuit_index"]),
                metadata=json.loads(_attr(group.attrs, "metadata_json") or "{}"),
                job_index=info["job_index"],
                job_id=info["job_id"],
                result=read_pub_result(group),
                job_file=job_path,
                observables=_strings(group, OBSERVABLES_DATASET),
                ideal_outcomes=_strings(group, IDEAL_OUTCOMES_DATASET),
                parameter_values=None if parameters is None else parameters[()],
            )
        )
    return circuits


def _scan(
    path: Path | str, skip_corrupt: bool, with_overrides: bool = False
) -> Iterator[tuple[Path, dict[str, Any], _PubScan]]:
    """(run_dir, job info, PUB summary) per PUB: runs in sweep order, then circuit order.

    A run's job files are read one after the other (one PUB's data at a time); only the
    small per-PUB summaries are kept until the run is sorted into circuit order.
    """
    for run_dir in run_dirs(Path(path)):
        overrides = run_overrides(run_dir) if with_overrides else {}
        jobs = []
        for job_path in job_paths(run_dir):
            try:
                jobs.append(read_checked(job_path, _scan_job))
            except CorruptJobFile as exc:
                if not skip_corrupt:
                    raise
                warnings.warn(f"skipping {job_path}: {exc.why}", QexpWarning, stacklevel=3)
        # Job files hold contiguous circuits in most runs; sort so rows follow circuit order.
        pairs = [(info, pub) for info, pubs in jobs for pub in pubs]
        pairs.sort(key=lambda pair: pair[1].circuit_index)
        for info, pub in pairs:
            yield run_dir, {**info, "overrides": overrides}, pub


def _scan_job(f: h5py.File) -> tuple[dict[str, Any], list[_PubScan]]:
    """The PUB summaries of one open job file: a few attributes and the result datasets."""
    info = _job_info(f)
    pubs = []
    for position in range(info["num_pubs"]):
        group = f[pub_group_name(position)]
        pub = _PubScan(
            circuit_index=int(group.attrs["circuit_index"]),
            metadata=json.loads(_attr(group.attrs, "metadata_json") or "{}"),
            ideal_outcomes=None,
            observables=None,
        )
        fields = _fields(group[DATA_GROUP])
        bit_fields = [ds for ds in fields.values() if ds.attrs["kind"] == "BitArray"]
        if bit_fields:  # shape (*pub shape, shots, bytes): the pub's shape comes with it
            pub.num_bits, pub.outcomes = _outcomes(bit_fields, bit_fields[0].shape[:-2])
            pub.ideal_outcomes = _strings(group, IDEAL_OUTCOMES_DATASET)
        elif "evs" in fields:
            pub.evs = np.asarray(fields["evs"][()], dtype=float)
            if "stds" in fields:
                pub.stds = np.asarray(fields["stds"][()], dtype=float)
            pub.observables = _strings(group, OBSERVABLES_DATASET)
        pubs.append(pub)
    return info, pubs


def _fields(data: h5py.Group) -> dict[str, h5py.Dataset]:
    """Field name -> dataset, in the DataBin's field order, without listing the group.

    `store.write_job` names each dataset after its field, or `_field_<i>` when the field
    name is no valid HDF5 name; only when neither exists is the group searched.
    """
    fields = {}
    for position, name in enumerate(data.attrs["field_names"]):
        name = name.decode() if isinstance(name, bytes) else str(name)
        valid = name and "/" not in name and name != "."
        ds_name = name if valid else f"_field_{position}"
        if ds_name in data:
            fields[name] = data[ds_name]
        else:
            fields[name] = next(d for d in data.values() if d.attrs.get("field") == name)
    return fields


def _outcomes(
    datasets: list[h5py.Dataset], shape: tuple[int, ...]
) -> tuple[int, list[tuple[np.ndarray, np.ndarray]]]:
    """num_bits and, per parameter set, the distinct outcomes (as integers) with counts."""
    if len(datasets) == 1:
        packed, num_bits = datasets[0][()], int(datasets[0].attrs["num_bits"])
    else:  # several classical registers: join them as SamplerPubResult.join_data() does
        joined = BitArray.concatenate_bits(
            [BitArray(ds[()], int(ds.attrs["num_bits"])) for ds in datasets]
        )
        packed, num_bits = joined.array, joined.num_bits
    points = math.prod(shape)
    shots, num_bytes = packed.shape[-2], packed.shape[-1]
    rows = np.asarray(packed, dtype=np.uint8).reshape(points, shots, num_bytes)
    mask = (1 << num_bits) - 1
    outcomes = []
    if num_bytes <= 8:
        wide = np.zeros((points, shots, 8), dtype=np.uint8)
        wide[..., 8 - num_bytes :] = rows
        values = wide.view(">u8")[..., 0].astype(np.uint64) & np.uint64(mask)
        for point in range(points):
            outcomes.append(np.unique(values[point], return_counts=True))
    else:  # more than 64 bits: Python integers
        for point in range(points):
            unique, numbers = np.unique(rows[point], axis=0, return_counts=True)
            ints = np.array(
                [int.from_bytes(r.tobytes(), "big") & mask for r in unique], dtype=object
            )
            outcomes.append((ints, numbers))
    return num_bits, outcomes


def _pub_rows(pub: _PubScan) -> Iterator[dict[str, Any]]:
    """The table's result columns for each parameter set (and observable) of one PUB."""
    if pub.evs is not None:
        evs = pub.evs
        stds = (
            np.full(evs.shape, np.nan) if pub.stds is None else np.broadcast_to(pub.stds, evs.shape)
        )
        labels = pub.observables or ()
        groups: list[tuple[int, str | None, Any, Any]]
        if evs.ndim >= 1 and len(labels) == evs.shape[0] and len(labels) > 0:
            groups = [
                (i, labels[i], evs[i].reshape(-1), stds[i].reshape(-1)) for i in range(len(labels))
            ]
        else:
            label = labels[0] if len(labels) == 1 else None
            groups = [(0, label, evs.reshape(-1), stds.reshape(-1))]
        for index, label, values, errors in groups:
            for point in range(values.size):
                yield {
                    "parameter_index": point,
                    "observable_index": index,
                    "observable": label,
                    "value": float(values[point]),
                    "std": float(errors[point]),
                }
        return
    ideal = None
    if pub.ideal_outcomes is not None:
        ideal = [int(s, 2) for s in pub.ideal_outcomes if s and set(s) <= {"0", "1"}]
    for point, (values, numbers) in enumerate(pub.outcomes):
        total = int(numbers.sum())
        if total == 0:
            continue
        top = int(np.argmax(numbers))
        success = math.nan
        if ideal is not None:
            hits = np.isin(values, np.array(ideal, dtype=values.dtype))
            success = float(numbers[hits].sum()) / total
        yield {
            "parameter_index": point,
            "top_outcome": _bitstring(values[top], pub.num_bits),
            "top_probability": float(numbers[top]) / total,
            "success_probability": success,
            "num_outcomes": len(values),
        }


def _bitstring(value: Any, num_bits: int) -> str:
    return format(int(value), f"0{num_bits}b") if num_bits else ""


def _attr(attrs: h5py.AttributeManager, key: str) -> Any:
    value = attrs.get(key)
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.generic):
        return value.item()
    return value


def _strings(group: h5py.Group, name: str) -> tuple[str, ...] | None:
    if name not in group:  # cheaper than group.get, which raises inside for a missing name
        return None
    return tuple(group[name].asstr()[()])


def _cell(value: Any) -> Any:
    """A metadata or override value as a table cell: scalars as they are, others as JSON."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    try:
        return json.dumps(value)
    except TypeError:
        return str(value)


def _same_values(a: pd.Series, b: pd.Series) -> bool:
    return [str(v) for v in a] == [str(v) for v in b]


def _numeric_if_possible(column: pd.Series) -> pd.Series:
    """A column of numbers and Nones as numbers (None -> NaN); any other column unchanged."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(column):
        return column
    values = [v for v in column if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return pd.to_numeric(column)
    return column
