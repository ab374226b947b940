"""A run's mitigated files: made once a Sampler job and its calibration job are both done.

`manifest.json` pairs them: per circuit range, the job of primitive `sampler` and the job
`calibration` of the same circuits. `complete(run_dir)` writes the mitigated file of every
pair whose two files are complete and whose mitigated file is missing or was made from other
jobs (resume re-ran one). It runs at the end of every run and resume, and `load_table` calls
it on the first read of a run that lacks them. The raw files are only read.
"""

from __future__ import annotations

import json
import logging
import math
import warnings
from dataclasses import dataclass, replace
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from qexp import metrics
from qexp.circuits.base import CircuitSpec
from qexp.circuits.ideal import MAX_EXACT_QUBITS, Ideal, as_clifford
from qexp.constants import CALIBRATION, CALIBRATION_DIR, MANIFEST_FILE, MITIGATED_DIR
from qexp.constants import job_file_name as _file_name
from qexp.errors import QexpWarning
from qexp.mitigation import calibration, correct, files
from qexp.store import job_file, rows
from qexp.store.manifest import JobEntry, Manifest, now

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pair:
    sampler: JobEntry
    calibration: JobEntry


def pairs(manifest: Manifest) -> list[Pair]:
    """Each Sampler job with the calibration job of its circuit range."""
    calibrations = {
        tuple(job.circuits): job for job in manifest.jobs if job.primitive == CALIBRATION
    }
    return [
        Pair(job, calibrations[tuple(job.circuits)])
        for job in manifest.jobs
        if job.primitive == "sampler" and tuple(job.circuits) in calibrations
    ]


def path_of(run_dir: Path, job_index: int) -> Path:
    """The mitigated file of Sampler job `job_index`."""
    return run_dir / MITIGATED_DIR / _file_name(job_index)


def complete(run_dir: Path, manifest: Manifest | None = None) -> int:
    """Write every mitigated file that is due; return how many were written."""
    if manifest is None:
        if not (run_dir / MANIFEST_FILE).is_file():
            return 0
        manifest = Manifest.load(run_dir)
    written = 0
    for pair in pairs(manifest):
        path = path_of(run_dir, pair.sampler.index)
        if _up_to_date(path, pair) or not _both_done(run_dir, pair):
            continue
        files.write(path, mitigate(run_dir, pair))
        written += 1
    if written:
        log.info("readout mitigation: %d jobs mitigated (%s)", written, run_dir / MITIGATED_DIR)
    return written


def _up_to_date(path: Path, pair: Pair) -> bool:
    attrs = files.read_attrs(path)
    if attrs is None or int(attrs.get("schema_version", 1)) < files.SCHEMA_VERSION:
        return False  # an older layout is made afresh: derived data, the raw files stay
    made_from = (attrs.get("job_id"), attrs.get("calibration_job_id"))
    return made_from == (_job_id(pair.sampler), _job_id(pair.calibration))


def _job_id(entry: JobEntry) -> str | None:
    return entry.last.job_id if entry.last else None


def _both_done(run_dir: Path, pair: Pair) -> bool:
    return all(job_file.is_complete(run_dir / job.file) for job in (pair.sampler, pair.calibration))


def mitigate(run_dir: Path, pair: Pair) -> files.MitigatedJob:
    """The Sampler job's distributions corrected with its calibration job's matrices."""
    sampler = job_file.read_job(run_dir / pair.sampler.file)
    cal = job_file.read_results(run_dir / pair.calibration.file)
    states = np.array([calibration.state_of(r.metadata["prepared"]) for r in cal.records])
    qubits = [int(q) for q in cal.records[0].metadata["physical_qubits"]]
    counts = [metrics.tally(rows.joined_bits(result))[0] for result in cal.results]
    matrices = calibration.matrices(states, counts)
    mit = correct.mitigator(qubits, matrices)
    measured = json.loads(cal.attrs[calibration.MEASURED_QUBITS_ATTR])
    max_exact = _max_exact_qubits(sampler.attrs.get("config_yaml"))
    blocks, found, read_from = [], [], []
    for pub, result in zip(sampler.pubs, sampler.result, strict=True):
        bits = rows.joined_bits(result)
        mapping = measured.get(str(pub.index))
        if mapping is None or len(mapping) != bits.num_bits:
            continue  # mid-circuit readout, or not calibrated: no mitigated row
        ideals = _ideals(pub.spec, max_exact)
        for point, tallied in enumerate(metrics.tally(bits)):
            if tallied.shots == 0:
                continue
            fixed = correct.correct(mit, tallied, bits.num_bits, mapping)
            row: dict[str, Any] = {
                "circuit_index": pub.index,
                "parameter_index": point,
                files.OVERHEAD_COLUMN: fixed.overhead,
            }
            ideal = ideals[point] if ideals and point < len(ideals) else None
            if ideal is not None and ideal.num_bits == bits.num_bits:
                values = np.array([int(o, 2) for o in fixed.outcomes], dtype=_dtype(bits.num_bits))
                scores = metrics.distribution_metrics(values, fixed.probability, ideal)
                row |= {f"{name}{files.SUFFIX}": value for name, value in scores.items()}
                row |= {
                    f"{name}{files.SUFFIX}{files.STD_SUFFIX}": fixed.probability_std
                    for name in files.WITH_STD
                    if name in scores
                }
            blocks.append(row)
            found.append(fixed)
            read_from.append(mapping)
    attrs = {
        "job_index": pair.sampler.index,
        "job_id": sampler.attrs.get("job_id"),
        "batch_id": sampler.attrs.get("batch_id"),
        "calibration_job_index": pair.calibration.index,
        "calibration_job_id": cal.attrs.get("job_id"),
        "calibration_batch_id": cal.attrs.get("batch_id"),
        "calibration_method": cal.attrs.get("calibration_method"),
        "calibration_shots": cal.attrs.get("shots"),
        "mitigation": "m3",
        "version_mthree": version("mthree"),
        "created": now(),
    }
    return files.MitigatedJob(
        attrs=attrs,
        qubits=np.array(qubits),
        matrices=matrices,
        rows=files.merge_rows(blocks),
        distributions=found,
        measured_qubits=read_from,
    )


def _ideals(spec: CircuitSpec, max_exact: int) -> list[Ideal] | None:
    """The ideal distribution per parameter point, in the form the generator gives it: one
    known bitstring (QFT, mirror), a stabilizer state (GHZ, Clifford), else what
    `circuits.ideal` computes from the stored circuit."""
    outcomes = spec.ideal_outcomes
    if outcomes and len(outcomes) == 1 and spec.parameter_values is None:
        return [Ideal.basis_state(int(outcomes[0], 2), len(outcomes[0]))]
    clifford = as_clifford(spec.circuit)
    if clifford is not None:
        return [Ideal.from_clifford(clifford)]
    return spec.ideals(max_exact)


def _max_exact_qubits(config_yaml: str | None) -> int:
    if not config_yaml:
        return MAX_EXACT_QUBITS
    import yaml

    settings = yaml.safe_load(config_yaml) or {}
    return int((settings.get("metrics") or {}).get("max_exact_qubits", MAX_EXACT_QUBITS))


def _dtype(num_bits: int) -> Any:
    return np.uint64 if num_bits <= 64 else object


# --- readers --------------------------------------------------------------------------------


def join(run_dir: Path, tables: list[job_file.JobTable]) -> list[job_file.JobTable]:
    """`load_table`'s job tables with the mitigated columns beside the raw ones (NaN where a
    row has none); mitigated files still due are made first. A run without calibration jobs
    is returned as it is."""
    if not (run_dir / CALIBRATION_DIR).is_dir():
        return tables
    try:
        complete(run_dir)
    except Exception as exc:  # the raw table is still worth showing
        warnings.warn(
            f"{run_dir}: readout mitigation failed ({type(exc).__name__}: {exc}); the "
            "_mitigated columns are missing",
            QexpWarning,
            stacklevel=3,
        )
    return [_joined(run_dir, table) for table in tables]


def _joined(run_dir: Path, table: job_file.JobTable) -> job_file.JobTable:
    path = path_of(run_dir, int(table.attrs["job_index"]))
    if table.attrs.get("primitive") != "sampler" or not job_file.is_complete(path):
        return table
    extra = files.read_table(path)
    where = {
        (int(c), int(p)): k
        for k, (c, p) in enumerate(
            zip(extra["circuit_index"], extra["parameter_index"], strict=True)
        )
    }
    keys = zip(table.columns["circuit_index"], table.columns["parameter_index"], strict=True)
    positions = [where.get((int(c), int(p))) for c, p in keys]
    columns = dict(table.columns)
    for name, values in extra.items():
        if name not in files.KEY_COLUMNS:
            columns[name] = np.array(
                [math.nan if k is None else float(values[k]) for k in positions]
            )
    return replace(table, columns=columns)


def load_mitigated(run_dir: Path | str) -> list[dict[str, Any]]:
    """Every mitigated distribution of a run, in circuit order: one record per circuit and
    parameter point with `circuit_index`, `parameter_index`, `job_index`, `quasi` and
    `probabilities` ({bitstring: value}, qubit 0 rightmost), `mitigation_overhead`, `shots`
    and `measured_qubits` (the physical qubit read into each classical bit)."""
    run_dir = Path(run_dir)
    complete(run_dir)
    records = []
    for path in sorted((run_dir / MITIGATED_DIR).glob("job-*.h5")):
        job = files.read(path)
        for k, found in enumerate(job.distributions):
            records.append(
                {
                    "circuit_index": int(job.rows["circuit_index"][k]),
                    "parameter_index": int(job.rows["parameter_index"][k]),
                    "job_index": int(job.attrs["job_index"]),
                    "quasi": dict(zip(found.outcomes, found.quasi.tolist(), strict=True)),
                    "probabilities": {
                        o: p
                        for o, p in zip(found.outcomes, found.probability.tolist(), strict=True)
                        if p > 0
                    },
                    "mitigation_overhead": found.overhead,
                    "shots": found.shots,
                    "measured_qubits": job.measured_qubits[k],
                }
            )
    records.sort(key=lambda r: (r["circuit_index"], r["parameter_index"]))
    return records
