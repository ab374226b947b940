"""One row per circuit result: the numbers `load_table` shows, computed once per job.

A job file stores these rows beside the raw results when it is written, so reading a
sweep's table never decodes a bit. The functions are pure: (a PUB's result, what the run
knows about its circuit) -> columns, and older job files get the same rows computed on read.

Sampler: one row per parameter set, with `top_outcome`, `top_probability`,
`success_probability` (NaN where no ideal outcome is known) and `num_outcomes`.
Estimator: one row per observable and parameter set, with `observable`, `value`, `std`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from qiskit.primitives import BitArray, PubResult

SAMPLER_COLUMNS = ("top_outcome", "top_probability", "success_probability", "num_outcomes")
ESTIMATOR_COLUMNS = ("observable_index", "observable", "value", "std")
KEY_COLUMNS = ("circuit_index", "parameter_index")
STRING_COLUMNS = frozenset({"top_outcome", "observable"})


def pub_rows(
    result: PubResult,
    circuit_index: int,
    observables: Sequence[str] | None = None,
    ideal_outcomes: Sequence[str] | None = None,
) -> dict[str, list[Any]]:
    """The rows of one PUB, column by column."""
    if "evs" in result.data:
        return _estimator_rows(result, circuit_index, observables)
    return _sampler_rows(result, circuit_index, ideal_outcomes)


def merge(blocks: Sequence[dict[str, list[Any]]]) -> dict[str, list[Any]]:
    """Rows of several PUBs, one column list each (columns missing in a block are None)."""
    names: dict[str, None] = {}
    for block in blocks:
        names.update(dict.fromkeys(block))
    merged: dict[str, list[Any]] = {name: [] for name in names}
    for block in blocks:
        size = len(next(iter(block.values()))) if block else 0
        for name in names:
            merged[name].extend(block.get(name, [None] * size))
    return merged


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
            found.append((ints, numbers))
    return found


def bitstring(value: Any, num_bits: int) -> str:
    return format(int(value), f"0{num_bits}b") if num_bits else ""


def _sampler_rows(
    result: PubResult, circuit_index: int, ideal_outcomes: Sequence[str] | None
) -> dict[str, list[Any]]:
    bits = joined_bits(result)
    ideal = None
    if ideal_outcomes is not None:
        ideal = [int(s, 2) for s in ideal_outcomes if s and set(s) <= {"0", "1"}]
    columns: dict[str, list[Any]] = {name: [] for name in (*KEY_COLUMNS, *SAMPLER_COLUMNS)}
    for point, (values, numbers) in enumerate(outcomes(bits)):
        total = int(numbers.sum())
        if total == 0:
            continue
        top = int(np.argmax(numbers))
        success = math.nan
        if ideal is not None:
            hits = np.isin(values, np.array(ideal, dtype=values.dtype))
            success = float(numbers[hits].sum()) / total
        columns["circuit_index"].append(circuit_index)
        columns["parameter_index"].append(point)
        columns["top_outcome"].append(bitstring(values[top], bits.num_bits))
        columns["top_probability"].append(float(numbers[top]) / total)
        columns["success_probability"].append(success)
        columns["num_outcomes"].append(len(values))
    return columns


def joined_bits(result: PubResult) -> BitArray:
    """All classical registers as one BitArray, as `SamplerPubResult.join_data()` joins them."""
    fields = [value for value in result.data.values() if isinstance(value, BitArray)]
    if len(fields) == 1:
        return fields[0]
    return BitArray.concatenate_bits(fields)


def _estimator_rows(
    result: PubResult, circuit_index: int, observables: Sequence[str] | None
) -> dict[str, list[Any]]:
    evs = np.asarray(result.data.evs, dtype=float)
    stds = getattr(result.data, "stds", None)  # a DataBin has no .get
    stds = np.full(evs.shape, np.nan) if stds is None else np.broadcast_to(stds, evs.shape)
    labels = tuple(observables or ())
    groups: list[tuple[int, str | None, np.ndarray, np.ndarray]]
    if evs.ndim >= 1 and len(labels) == evs.shape[0] and labels:
        groups = [
            (i, labels[i], evs[i].reshape(-1), stds[i].reshape(-1)) for i in range(len(labels))
        ]
    else:
        label = labels[0] if len(labels) == 1 else None
        groups = [(0, label, evs.reshape(-1), stds.reshape(-1))]
    columns: dict[str, list[Any]] = {name: [] for name in (*KEY_COLUMNS, *ESTIMATOR_COLUMNS)}
    for index, label, values, errors in groups:
        for point in range(values.size):
            columns["circuit_index"].append(circuit_index)
            columns["parameter_index"].append(point)
            columns["observable_index"].append(index)
            columns["observable"].append(label)
            columns["value"].append(float(values[point]))
            columns["std"].append(float(errors[point]))
    return columns
