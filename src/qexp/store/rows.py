"""One row per circuit result: the numbers `load_table` shows, computed once per job.

A job file stores these rows beside the raw results when it is written, so reading a
sweep's table never decodes a bit. The functions are pure: (a PUB's result, what the run
knows about its circuit) -> columns, and older job files get the same rows computed on read.
The metrics come from `qexp.metrics`, the functions `show` and the report use too.

Sampler: one row per parameter set, with `top_outcome`, `top_probability`,
`success_probability`, `num_outcomes` and the metrics against the circuit's ideal
distribution, each with its shot-noise reference (NaN where none is known); a GHZ
parity-oscillation circuit's rows also `parity`. Estimator:
one row per observable and parameter set, with `observable`, `value`, `std`,
`ideal_value`, `error` and `z_score` (error / std). Both: `isa_depth`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from qiskit.primitives import BitArray, PubResult

from qexp import metrics
from qexp.circuits.ideal import Ideal
from qexp.store.records import PubRecord

METRIC_COLUMNS = (
    "success_probability_low",
    "success_probability_high",
    "hellinger_fidelity",
    "normalized_fidelity",
    "heavy_output_probability",
    "heavy_output_probability_low",
    "heavy_output_probability_high",
    "effective_polarization",
    "success_probability_reference",
    "hellinger_fidelity_reference",
    "normalized_fidelity_reference",
    "heavy_output_probability_reference",
    "effective_polarization_reference",
)
"""Sampler metrics against the ideal distribution, after `success_probability` itself, and
what an ideal device scores on each with the row's shots (`metrics.shot_noise_reference`)."""
SAMPLER_COLUMNS = (
    "top_outcome",
    "top_probability",
    "success_probability",
    "num_outcomes",
    *METRIC_COLUMNS,
)
PARITY_KEY, PARITY_COLUMN = "parity_phase", "parity"
"""A circuit whose metadata has `parity_phase` (GHZ parity oscillations) gets `parity`, the
measured <Z...Z>, on each of its rows (`metrics.parity`)."""
ESTIMATOR_COLUMNS = (
    "observable_index",
    "observable",
    "value",
    "std",
    "ideal_value",
    "error",
    "z_score",
)
CIRCUIT_COLUMNS = ("isa_depth",)
"""Per circuit, on every row of either primitive: the depth of the circuit as it ran."""
KEY_COLUMNS = ("circuit_index", "parameter_index")
STRING_COLUMNS = frozenset({"top_outcome", "observable"})


@dataclass(frozen=True)
class KeptIdeal:
    """The ideal one Sampler row was scored against, and its probability at each outcome
    the row measured: what the job file keeps to reproduce the row's metrics."""

    circuit_index: int
    parameter_index: int
    ideal: Ideal
    measured: np.ndarray
    """The ideal probability of each distinct measured outcome, outcomes ascending."""


@dataclass
class Rows:
    """Table rows, column by column, and the ideals the Sampler rows were scored against."""

    columns: dict[str, list[Any]]
    ideals: list[KeptIdeal] = field(default_factory=list)


def pub_rows(result: PubResult, record: PubRecord) -> Rows:
    """The rows of one PUB."""
    if "evs" in result.data:
        return Rows(_estimator_rows(result, record))
    return _sampler_rows(result, record)


def merge(blocks: Sequence[Rows]) -> Rows:
    """Rows of several PUBs, one column list each (columns missing in a block are None)."""
    names: dict[str, None] = {}
    for block in blocks:
        names.update(dict.fromkeys(block.columns))
    merged: dict[str, list[Any]] = {name: [] for name in names}
    for block in blocks:
        columns = block.columns
        size = len(next(iter(columns.values()))) if columns else 0
        for name in names:
            merged[name].extend(columns.get(name, [None] * size))
    return Rows(merged, [kept for block in blocks for kept in block.ideals])


def outcomes(bits: BitArray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per parameter set: the distinct outcomes (as integers, sorted) and their counts."""
    shape = bits.shape
    points = math.prod(shape)
    packed = np.asarray(bits.array, dtype=np.uint8)
    shots, num_bytes = packed.shape[-2], packed.shape[-1]
    rows = packed.reshape(points, shots, num_bytes)
    mask = (1 << bits.num_bits) - 1
    found = []
    if num_bytes <= 8:
        wide = np.zeros((points, shots, 8), dtype=np.uint8)
        wide[..., 8 - num_bytes :] = rows
        values = wide.view(">u8")[..., 0].astype(np.uint64) & np.uint64(mask)
        for point in range(points):
            found.append(np.unique(values[point], return_counts=True))
    else:  # more than 64 bits: Python integers
        for point in range(points):
            unique, numbers = np.unique(rows[point], axis=0, return_counts=True)
            ints = np.array(
                [int.from_bytes(r.tobytes(), "big") & mask for r in unique], dtype=object
            )
            order = np.argsort(ints)  # byte rows sort as big-endian integers; kept explicit
            found.append((ints[order], numbers[order]))
    return found


def bitstring(value: Any, num_bits: int) -> str:
    return format(int(value), f"0{num_bits}b") if num_bits else ""


def _sampler_rows(result: PubResult, record: PubRecord) -> Rows:
    bits = joined_bits(result)
    tallies = outcomes(bits)
    ideals = _ideals(record, bits.num_bits, len(tallies))
    named = _named_outcomes(record, bits.num_bits) if ideals is None else None
    columns: dict[str, list[Any]] = {
        name: [] for name in (*KEY_COLUMNS, *SAMPLER_COLUMNS, *CIRCUIT_COLUMNS)
    }
    if PARITY_KEY in record.metadata:  # a GHZ parity-oscillation circuit
        columns[PARITY_COLUMN] = []
    kept = []
    for point, (values, numbers) in enumerate(tallies):
        total = int(numbers.sum())
        if total == 0:
            continue
        top = int(np.argmax(numbers))
        scores: dict[str, float] = dict.fromkeys(("success_probability", *METRIC_COLUMNS), math.nan)
        counts = metrics.Counts(values, numbers)
        if ideals is not None:
            ideal = ideals[point]
            q = ideal.probability(values)
            success = True if record.ideal_outcomes else None
            scores |= metrics.sampler_metrics(counts, ideal, success=success, q=q)
            seed = (record.index, point)  # the same circuit, the same reference
            scores |= metrics.shot_noise_reference(ideal, total, seed=seed, success=success)
            kept.append(KeptIdeal(record.index, point, ideal, q))
        elif named is not None:  # outcomes that are not equally likely: their share only
            hits = np.isin(values, np.array(named, dtype=values.dtype))
            scores |= _share("success_probability", int(numbers[hits].sum()), total)
        columns["circuit_index"].append(record.index)
        columns["parameter_index"].append(point)
        columns["top_outcome"].append(bitstring(values[top], bits.num_bits))
        columns["top_probability"].append(float(numbers[top]) / total)
        columns["num_outcomes"].append(len(values))
        columns["isa_depth"].append(record.isa_depth)
        for name, value in scores.items():
            columns[name].append(value)
        if PARITY_COLUMN in columns:
            columns[PARITY_COLUMN].append(metrics.parity(counts))
    return Rows(columns, kept)


def _ideals(record: PubRecord, num_bits: int, points: int) -> list[Ideal] | None:
    """The ideal of each parameter point: the record's, else (older files) the generator's
    named outcomes taken as equally likely, which they are for GHZ, QFT and mirror circuits."""
    if record.ideals is not None:
        found = list(record.ideals)
        if len(found) == points and all(i.num_bits == num_bits for i in found):
            return found
        return None
    named = _named_outcomes(record, num_bits)
    uniform = None if named is None else Ideal.uniform_over(named, num_bits)
    return None if uniform is None else [uniform] * points


def _named_outcomes(record: PubRecord, num_bits: int) -> list[int] | None:
    if record.ideal_outcomes is None:
        return None
    found = [int(s, 2) for s in record.ideal_outcomes if s and set(s) <= {"0", "1"}]
    return [x for x in found if x >> num_bits == 0] or None


def _share(name: str, hits: int, total: int) -> dict[str, float]:
    low, high = metrics.wilson_interval(hits, total)
    return {name: hits / total, f"{name}_low": float(low), f"{name}_high": float(high)}


def joined_bits(result: PubResult) -> BitArray:
    """All classical registers as one BitArray, as `SamplerPubResult.join_data()` joins them."""
    fields = [value for value in result.data.values() if isinstance(value, BitArray)]
    if len(fields) == 1:
        return fields[0]
    return BitArray.concatenate_bits(fields)


def _estimator_rows(result: PubResult, record: PubRecord) -> dict[str, list[Any]]:
    evs = np.asarray(result.data.evs, dtype=float)
    stds = getattr(result.data, "stds", None)  # a DataBin has no .get
    stds = np.full(evs.shape, np.nan) if stds is None else np.broadcast_to(stds, evs.shape)
    labels = tuple(record.observables or ())
    ideal = None if record.ideal_values is None else np.asarray(record.ideal_values, dtype=float)
    groups: list[tuple[int, str | None, np.ndarray, np.ndarray]]
    if evs.ndim >= 1 and len(labels) == evs.shape[0] and labels:
        groups = [
            (i, labels[i], evs[i].reshape(-1), stds[i].reshape(-1)) for i in range(len(labels))
        ]
    else:
        label = labels[0] if len(labels) == 1 else None
        groups = [(0, label, evs.reshape(-1), stds.reshape(-1))]
        ideal = ideal if ideal is not None and ideal.shape[0] == 1 else None
    columns: dict[str, list[Any]] = {
        name: [] for name in (*KEY_COLUMNS, *ESTIMATOR_COLUMNS, *CIRCUIT_COLUMNS)
    }
    for index, label, values, errors in groups:
        exact = np.full(values.size, np.nan)
        if ideal is not None and index < ideal.shape[0] and ideal[index].size == values.size:
            exact = ideal[index].reshape(-1)
        found = metrics.estimator_metrics(values, exact, errors)
        for point in range(values.size):
            columns["circuit_index"].append(record.index)
            columns["parameter_index"].append(point)
            columns["observable_index"].append(index)
            columns["observable"].append(label)
            columns["value"].append(float(values[point]))
            columns["std"].append(float(errors[point]))
            columns["ideal_value"].append(float(found["ideal_value"][point]))
            columns["error"].append(float(found["error"][point]))
            columns["z_score"].append(float(found["z_score"][point]))
            columns["isa_depth"].append(record.isa_depth)
    return columns
