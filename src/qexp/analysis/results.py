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

`load_table` reads the rows each job file stores when it is written (no circuit, no bit
is decoded), so a sweep of many runs loads in about the time h5py takes to open the files.
Each row carries its metrics against the circuit's ideal answer (docs/metrics.md); per
width, over circuits::

    from qexp.results import ghz_fidelity, metric_means, mirror_rb, quantum_volume
    quantum_volume(table)   # IBM's verdict per width, and how many circuits it rests on
    metric_means(table)     # each metric's mean per width, with its 95% interval
    ghz_fidelity(table)     # GHZ state fidelity per width (circuits.parity=true)
    mirror_rb(table)        # mirror RB's error per layer per width, fitted across depths
"""

from __future__ import annotations

import functools
import json
import math
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from qiskit.primitives import PrimitiveResult, PubResult

from qexp.analysis.aggregate import ghz_fidelity as ghz_fidelity  # re-exported
from qexp.analysis.aggregate import metric_means as metric_means  # re-exported
from qexp.analysis.aggregate import mirror_rb as mirror_rb  # re-exported
from qexp.analysis.aggregate import quantum_volume as quantum_volume  # re-exported
from qexp.cli import command
from qexp.constants import HYDRA_DIR, JOBS_DIR, OVERRIDES_FILE
from qexp.errors import QexpError, QexpWarning
from qexp.plan.options import flatten
from qexp.store import (
    TABLE_ATTRS,
    CorruptJobFile,
    JobFile,
    JobResults,
    JobTable,
    StoredIdeal,
    read_ideals,
    read_job,
    read_results,
    read_table,
    rows,
)
from qexp.store.bill import final_bills
from qexp.store.run_folder import run_dirs
from qexp.text import format_indices

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CircuitResult",
    "IncompleteRun",
    "counts",
    "export_counts_json",
    "export_table_csv",
    "format_indices",
    "ghz_fidelity",
    "iter_circuits",
    "job_paths",
    "load_ideals",
    "load_job",
    "load_run",
    "load_table",
    "metric_means",
    "mirror_rb",
    "quantum_volume",
    "read_jobs",
    "read_table_csv",
    "run_overrides",
]

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
            f"`{command('resume', run_dir)}`, or pass partial=True to read what is there."
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


def load_run(run_dir: Path | str, *, partial: bool = False, primitive: str | None = None) -> Any:
    """One PubResult per circuit of the run, in global circuit order.

    A run of both primitives (`primitive=[sampler,estimator]`) gives a dict: primitive name
    -> its list, each in circuit order (`load_run(d)["estimator"][3]` is circuit 3's
    Estimator result); `primitive="sampler"` gives that primitive's list alone.
    Raises IncompleteRun when circuits are missing, unless `partial` (then None stands in
    for each missing circuit, and unusable job files are skipped with a QexpWarning).
    """
    run_dir = Path(run_dir)
    jobs = [
        found
        for path in job_paths(run_dir)
        if (found := _read_or_skip(read_results, path, partial)) is not None
    ]
    kinds = list(dict.fromkeys(job.attrs.get("primitive") for job in jobs))
    if primitive is not None:
        jobs = [job for job in jobs if job.attrs.get("primitive") == primitive]
    elif len(kinds) > 1:
        return {kind: load_run(run_dir, partial=partial, primitive=kind) for kind in kinds}
    if not jobs:
        if partial:
            return []
        raise IncompleteRun(run_dir, (), None)
    results = _by_circuit(run_dir, jobs)
    missing = [index for index, result in enumerate(results) if result is None]
    if missing and not partial:
        raise IncompleteRun(run_dir, missing, len(results))
    return results


def _by_circuit(run_dir: Path, jobs: list[JobResults]) -> list[PubResult | None]:
    """Place every pub result at its global circuit index; None where none was found."""
    counts = {job.attrs["num_circuits_in_run"] for job in jobs}
    if len(counts) != 1 or None in counts:
        raise QexpError(
            f"Job files in {run_dir / JOBS_DIR} disagree on num_circuits_in_run ({counts}): "
            "they come from different runs. Keep one run's files per folder."
        )
    results: list[PubResult | None] = [None] * int(counts.pop())
    for job in jobs:
        for record, pub_result in zip(job.records, job.results, strict=True):
            if not 0 <= record.index < len(results) or results[record.index] is not None:
                raise QexpError(
                    f"Job {job.attrs['job_index']} in {run_dir} holds circuit index "
                    f"{record.index}, which is out of range or stored twice."
                )
            results[record.index] = pub_result
    return results


# --- a run or a whole sweep, circuit by circuit ------------------------------------------

INFO_COLUMNS = (
    "backend",
    "primitive",
    "shots",
    "precision",
    "job_index",
    "job_id",
    "qpu_seconds",
    "circuit_index",
    "parameter_index",
)
SAMPLER_COLUMNS = rows.SAMPLER_COLUMNS
ESTIMATOR_COLUMNS = rows.ESTIMATOR_COLUMNS
STRING_COLUMNS = frozenset(
    {"run", "run_dir", "job_id", "generator", "backend", "primitive", *rows.STRING_COLUMNS}
)
"""Table columns that hold text even when it looks like a number (bitstrings, run names)."""
OPTIONS_ATTR = "options_json"
"""The job attribute holding the runtime options its primitive was given (JSON)."""
OPTION_COLUMN = "primitive.options.{}"
"""Each option any job of the folder set gets a column, named as its config key."""
QPU_SECONDS = "qpu_seconds"
_JOB_COLUMNS = tuple(key for key in TABLE_ATTRS if key not in (OPTIONS_ATTR, QPU_SECONDS))
_FLOAT_COLUMNS = (
    "shots",
    "precision",
    QPU_SECONDS,
    "top_probability",
    "success_probability",
    *rows.METRIC_COLUMNS,
    "value",
    "std",
    "ideal_value",
    "error",
    "z_score",
)
_RESERVED = frozenset(
    {"run", "run_dir", *INFO_COLUMNS, *SAMPLER_COLUMNS, *ESTIMATOR_COLUMNS, *rows.CIRCUIT_COLUMNS}
)


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

    Runs come in sweep order (`qexp.store.run_folder.run_dirs`); within a run, job files in
    job order and each job's PUBs in submission order. One job file is read (without decoding its
    QPY circuits) and closed before its circuits are yielded. A run without job files
    yields nothing; an unusable file raises CorruptJobFile, or is skipped with a QexpWarning
    when `skip_corrupt`.
    """
    for run_dir in run_dirs(Path(path)):
        for job_path in job_paths(run_dir):
            found = _read_or_skip(read_results, job_path, skip_corrupt)
            if found is None:
                continue
            for record, result in zip(found.records, found.results, strict=True):
                yield CircuitResult(
                    run_dir=run_dir,
                    index=record.index,
                    metadata=record.metadata,
                    job_index=found.attrs["job_index"],
                    job_id=found.attrs["job_id"],
                    result=result,
                    job_file=job_path,
                    observables=record.observables,
                    ideal_outcomes=record.ideal_outcomes,
                    parameter_values=record.parameter_values,
                )


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
    for run_dir in run_dirs(Path(path)):
        found = [
            (found.attrs, record, result)
            for job_path in job_paths(run_dir)
            if (found := _read_or_skip(read_results, job_path, skip_corrupt)) is not None
            for record, result in zip(found.records, found.results, strict=True)
        ]
        found.sort(key=lambda item: item[1].index)
        for attrs, record, result in found:
            if "evs" in result.data:
                continue
            bits = rows.joined_bits(result)
            for point, (values, numbers) in enumerate(rows.outcomes(bits)):
                order = sorted(range(len(values)), key=lambda i: (-numbers[i], values[i]))
                records.append(
                    {
                        "run": run_dir.name,
                        "run_dir": str(run_dir),
                        "circuit_index": record.index,
                        "parameter_index": point,
                        "job_index": attrs["job_index"],
                        "job_id": attrs["job_id"],
                        "shots": int(numbers.sum()),
                        "metadata": record.metadata,
                        "ideal_outcomes": None
                        if record.ideal_outcomes is None
                        else list(record.ideal_outcomes),
                        "counts": {
                            rows.bitstring(values[i], bits.num_bits): int(numbers[i]) for i in order
                        },
                    }
                )
    return records


def load_ideals(
    run_dir: Path | str, *, skip_corrupt: bool = False
) -> dict[tuple[int, int], StoredIdeal]:
    """(circuit index, parameter index) -> what the run's job files keep of the ideal each
    Sampler row was scored against: its probability at every measured outcome (ascending,
    as in `counts`), its likeliest outcomes, its scalars (docs/hdf5-schema.md, `ideal/`)."""
    found = {}
    for job_path in job_paths(run_dir):
        ideals = _read_or_skip(read_ideals, job_path, skip_corrupt) or []
        for ideal in ideals:
            found[ideal.circuit_index, ideal.parameter_index] = ideal
    return found


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
      `job_id`, `qpu_seconds`, `circuit_index`, `parameter_index` (0 for an unparameterized
      circuit). `qpu_seconds` is the QPU time the service billed the job that produced the
      row, shared evenly among that job's rows: summing it over any set of whole jobs (a
      run, a sweep point) gives what those jobs were billed. NaN where nothing was billed
      (local backends bill nothing; a bill the service had not settled). Failed attempts
      and duplicates are billed too but have no rows: a run's whole bill is in
      `manifest.json` and `qexp.status`;
    - Sampler: `top_outcome` (the most frequent bitstring; ties go to the smallest),
      `top_probability`, `success_probability` (the probability of the generator's ideal
      outcomes, NaN where it knows none) and `num_outcomes` (distinct bitstrings seen);
    - Estimator: `observable_index`, `observable` (the Pauli string), `value` and `std`.

    The rows are stored in each job file when it is written, so this reads a few small
    datasets per file and never decodes a circuit or a bit; from
    `PARALLEL_READ_MIN_FILES` files on, one worker process per core reads them.
    """
    import pandas as pd

    from qexp.mitigation import runs as mitigation_runs

    runs = [(run_dir, job_paths(run_dir)) for run_dir in run_dirs(Path(path))]
    with _TableReader([p for _, paths in runs for p in paths]) as reader:
        overrides = {run_dir: run_overrides(run_dir) for run_dir, _ in runs}  # meanwhile
        bills = {run_dir: final_bills(run_dir) for run_dir, _ in runs}
        blocks: list[tuple[Path, dict[str, Any], JobTable]] = []
        for run_dir, paths in runs:
            tables = [t for p in paths if (t := reader.table(p, skip_corrupt)) is not None]
            tables = mitigation_runs.join(run_dir, tables)  # `<metric>_mitigated` columns
            tables.sort(key=lambda t: _first(t.columns.get("circuit_index")))
            blocks += [(run_dir, overrides[run_dir], table) for table in tables]
    return _frame(pd, blocks, bills)


PARALLEL_READ_MIN_FILES = 16
"""From this many job files on, `load_table` reads them in worker processes, one per core."""


class _TableReader:
    """Job files' tables, read in forked worker processes when there are many.

    Reading a table is mostly HDF5's own per-object work (about 0.1 ms per dataset or
    attribute), which holds h5py's lock: threads would take turns, processes do not. The
    workers are forked, so only while this process runs no thread of its own (a script, a
    command; not a Jupyter kernel, whose threads make it read in-process) and never hold a
    file open when it forks.
    """

    def __init__(self, paths: list[Path]) -> None:
        self._futures: dict[Path, Any] = {}
        self._pool: Any = None
        workers = _read_workers(len(paths))
        if workers < 2:
            return
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
        size = max(1, math.ceil(len(paths) / (4 * workers)))  # a few chunks each: balance
        for start in range(0, len(paths), size):
            chunk = paths[start : start + size]
            future = self._pool.submit(_read_tables, chunk)
            self._futures.update((p, (future, k)) for k, p in enumerate(chunk))

    def table(self, path: Path, skip_corrupt: bool) -> JobTable | None:
        """The file's table; a damaged file raises CorruptJobFile, or is warned about and
        skipped (None) with `skip_corrupt`."""
        if path in self._futures:
            future, k = self._futures[path]
            found = future.result()[k]
        else:
            found = _read_tables([path])[0]
        if not isinstance(found, CorruptJobFile):
            return found
        if not skip_corrupt:
            raise found
        warnings.warn(f"skipping {path}: {found.why}", QexpWarning, stacklevel=4)
        return None

    def __enter__(self) -> _TableReader:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _read_workers(num_files: int) -> int:
    """Worker processes for reading `num_files` files: none for a few, and none while
    another Python thread runs (it could hold h5py's lock, or a file, when this process
    forks). Idle native pools (BLAS, OpenMP) do not count: the workers only read HDF5."""
    import os
    import threading

    if num_files < PARALLEL_READ_MIN_FILES or threading.active_count() > 1:
        return 0
    try:
        return min(len(os.sched_getaffinity(0)), math.ceil(num_files / PARALLEL_READ_MIN_FILES))
    except AttributeError:  # not Linux: no fork to rely on
        return 0


def _read_tables(paths: list[Path]) -> list[JobTable | CorruptJobFile]:
    """In a worker: each file's table, or why it cannot be trusted (warned about at home)."""
    found: list[JobTable | CorruptJobFile] = []
    for path in paths:
        try:
            found.append(read_table(path))
        except CorruptJobFile as exc:
            found.append(exc)
    return found


def _first(column: Any) -> float:
    return float(column[0]) if column is not None and len(column) else math.inf


def _frame(
    pd: Any,
    blocks: list[tuple[Path, dict[str, Any], JobTable]],
    bills: dict[Path, dict[str, float]] | None = None,
) -> pd.DataFrame:
    """Columns assembled block by block (one block per job file), then one DataFrame.

    `bills`: final bills by job id per run folder, from its ledger; a job's bill there is
    newer than its file's (settled after the file was written)."""
    override_keys: dict[str, None] = {}
    meta_keys: dict[str, None] = {"generator": None, "num_qubits": None}
    result_keys: dict[str, None] = {}
    for _, overrides, table in blocks:
        override_keys.update(dict.fromkeys(overrides))
        for metadata in table.metadata.values():
            meta_keys.update(dict.fromkeys(metadata))
        result_keys.update(dict.fromkeys(k for k in table.columns if k not in rows.KEY_COLUMNS))
    chosen = [_options(table.attrs.get(OPTIONS_ATTR)) for _, _, table in blocks]
    option_names = {key: OPTION_COLUMN.format(key) for found in chosen for key in found}
    kinds = {"estimator" if "value" in t.columns else "sampler" for _, _, t in blocks}
    meta_names = {key: f"circuit.{key}" if key in _RESERVED else key for key in meta_keys}
    override_names = {key: f"\0{key}" for key in override_keys}  # clashes resolved below
    result_names = [*(SAMPLER_COLUMNS if "sampler" in kinds or not kinds else ())]
    result_names += [*(ESTIMATOR_COLUMNS if "estimator" in kinds else ())]
    result_names += [k for k in result_keys if k not in result_names]
    names = ["run", "run_dir", *override_names.values(), *meta_names.values(), *INFO_COLUMNS]
    names += option_names.values()
    data: dict[str, Any] = {name: [] for name in names}
    chunks: dict[str, list[Any]] = {name: [] for name in result_names}
    for (run_dir, overrides, table), options in zip(blocks, chosen, strict=True):
        index = np.asarray(table.columns.get("circuit_index", []), dtype=np.int64)
        n = len(index)
        for key, name in option_names.items():
            data[name] += [_cell(options.get(key))] * n
        data["run"] += [run_dir.name] * n
        data["run_dir"] += [str(run_dir)] * n
        for key, name in override_names.items():
            data[name] += [overrides.get(key)] * n
        metas = [table.metadata.get(int(i), {}) for i in index]
        for key, name in meta_names.items():
            cells = [m.get(key) for m in metas]  # mostly plain already: _cell only the rest
            data[name] += [v if type(v) in _PLAIN else _cell(v) for v in cells]
        for key in _JOB_COLUMNS:
            data[key] += [table.attrs.get(key)] * n
        billed = (bills or {}).get(run_dir, {}).get(table.attrs.get("job_id") or "")
        billed = table.attrs.get(QPU_SECONDS) if billed is None else billed
        data[QPU_SECONDS] += [math.nan if billed is None else float(billed) / n] * n
        data["circuit_index"] += index.tolist()
        data["parameter_index"] += np.asarray(
            table.columns["parameter_index"], dtype=np.int64
        ).tolist()
        for key in result_names:
            values = table.columns.get(key)
            if values is None:
                values = [None] * n if key in rows.STRING_COLUMNS else np.full(n, math.nan)
            chunks[key].append(values)
    for key, parts in chunks.items():  # numbers stay arrays: no Python float per cell
        numeric = all(isinstance(p, np.ndarray) and p.dtype.kind in "biuf" for p in parts)
        data[key] = np.concatenate(parts) if numeric and parts else [v for p in parts for v in p]
    table = pd.DataFrame(data, columns=[*names, *result_names])
    if len(table):
        for column in [*override_names.values(), *meta_names.values(), *option_names.values()]:
            table[column] = _numeric_if_possible(table[column])
        for column in ("num_outcomes", "observable_index", "isa_depth"):
            if column in table and table[column].notna().all():
                table[column] = table[column].astype(np.int64)
    for column in _FLOAT_COLUMNS:
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


def _options(text: str | None) -> dict[str, Any]:
    """A job's runtime options by dotted key (`twirling.enable_gates`); none in files
    written before options existed."""
    if not text:
        return {}
    try:
        return flatten(json.loads(text))
    except ValueError:
        return {}


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
    import yaml

    lines = [str(line) for line in yaml.safe_load(file.read_text(encoding="utf-8")) or []]
    return _parse_overrides(lines)


def _parse_overrides(lines: list[str]) -> dict[str, Any]:
    try:
        parsed = _overrides_parser().parse_overrides(lines)
    except Exception:  # not Hydra's grammar: fall back to key=value text
        return {
            line.split("=", 1)[0].lstrip("+~"): _cell(line.split("=", 1)[1])
            for line in lines
            if "=" in line and not line.startswith("~")
        }
    result: dict[str, Any] = {}
    selected: list[str] = []  # primitive=[sampler,estimator], as qexp spells it for Hydra
    for override, line in zip(parsed, lines, strict=True):
        if override.is_delete():
            continue
        if override.key_or_group == "primitive" and override.package:
            selected.append(str(override.value()))
            result["primitive"] = f"[{','.join(selected)}]"
            continue
        value = override.value()
        if not isinstance(value, str | int | float | bool) and value is not None:
            value = line.split("=", 1)[1] if "=" in line else str(value)
        result[override.key_or_group] = value
    return result


@functools.cache
def _overrides_parser() -> Any:
    """Hydra's own override parser, built once (building it costs more than parsing)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    return OverridesParser.create()


def _read_or_skip(read: Any, job_path: Path, skip_corrupt: bool) -> Any:
    try:
        return read(job_path)
    except CorruptJobFile as exc:
        if not skip_corrupt:
            raise
        warnings.warn(f"skipping {job_path}: {exc.why}", QexpWarning, stacklevel=3)
        return None


_PLAIN = frozenset({type(None), str, int, float, bool})
"""The types `_cell` gives back as they are, exactly (subclasses, numpy's among them, go
through `_cell`, which decides)."""


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
    kind = pd.api.types.infer_dtype(column, skipna=True)  # one pass in C
    if kind in ("integer", "floating", "mixed-integer-float", "decimal", "empty"):
        return pd.to_numeric(column)
    return column
