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
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
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
    _check_header,
    _read_pub_result,
    pub_group_name,
    read_job,
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
