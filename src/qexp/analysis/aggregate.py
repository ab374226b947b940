"""Per width, over circuits: each metric's mean with its 95% interval, and the Quantum Volume
verdict, as functions of a `load_table` DataFrame.

`show`, the report and a user's notebook call these, and they call `qexp.metrics`, so a
number never differs between them. Both are re-exported by `qexp.results`::

    from qexp.results import load_table, metric_means, quantum_volume
    table = load_table("outputs/2026-11-30/12-00-00")
    quantum_volume(table)   # one row per width: mean HOP, sigma, circuits, passed
    metric_means(table)     # one row per width and metric: mean, 95% interval, how
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np

from qexp import metrics

if TYPE_CHECKING:
    import pandas as pd

SAMPLER_METRICS = {
    "success_probability": "success probability",
    "hellinger_fidelity": "Hellinger fidelity",
    "normalized_fidelity": "normalized fidelity",
    "heavy_output_probability": "heavy-output probability",
    "effective_polarization": "effective polarization",
}
"""Table column -> name, in the order they are shown."""
MITIGATED = "_mitigated"
"""A metric of the readout-mitigated distribution (`mitigation=m3`): `<metric>_mitigated`."""
MITIGATED_METRICS = {f"{m}{MITIGATED}": f"{name} (M3)" for m, name in SAMPLER_METRICS.items()}
ESTIMATOR_METRICS = {"error": "error (measured - ideal)"}
METRIC_NAMES = {**SAMPLER_METRICS, **MITIGATED_METRICS, **ESTIMATOR_METRICS}
"""Every metric `metric_means` gives, by column, with the name tables and figures show."""
WILSON, STUDENT_T, BOOTSTRAP = metrics.WILSON, metrics.STUDENT_T, metrics.BOOTSTRAP
M3_STD = "M3 standard deviation, normal"
"""How an interval was found: the `interval` column of `metric_means`."""
BOUNDS = {
    "success_probability": (0.0, 1.0),
    "hellinger_fidelity": (0.0, 1.0),
    "normalized_fidelity": (-math.inf, 1.0),  # unclipped: below 0 where worse than uniform
    "heavy_output_probability": (0.0, 1.0),
    "effective_polarization": (-math.inf, 1.0),
}
"""The range each metric's mean lies in: its interval is clipped to it."""
QV_GENERATOR = "quantum_volume"
GHZ_GENERATOR, GHZ_PARITY = "ghz", "ghz_parity"
MIRROR_GENERATOR = "mirror"
MEAN_COLUMNS = (
    "metric",
    "observable",
    "num_qubits",
    "mean",
    "low",
    "high",
    "n",
    "interval",
    "reference",
)
SHOT_LIMITED = ("hellinger_fidelity", "normalized_fidelity")
"""Metrics an ideal device scores below 1 with finite shots (their reference says how far)."""
REFERENCE_WARNING = 0.9
"""A reference below this means the shot count, not the device, limits the metric."""


def metric_means(table: pd.DataFrame, by: Sequence[str] | None = None) -> pd.DataFrame:
    """Per group of `by`, width and metric: the mean over circuit results with its 95%
    interval, and `reference`: the mean of what an ideal device scores on the same circuits
    with the same shots (`<metric>_reference`; NaN where the files have none).

    A width with one circuit result gets that result's Wilson interval (a probability over
    shots; fidelities have none: NaN); 2 to 10 results get Student's t interval, more a
    percentile bootstrap over them (`metrics.mean_interval`), which holds the spread between
    circuits; `interval` names the method. Intervals are clipped to the range the metric's
    mean lies in (`BOUNDS`). Readout-mitigated metrics (`<metric>_mitigated`) come as
    metrics of their own beside the raw ones; one mitigated result's interval is mean -+
    1.96 x mthree's standard deviation (`<metric>_mitigated_std`). Estimator errors are
    kept apart per observable (`observable`), never averaged across observables. `by`:
    columns to keep apart (default: `run` when the table holds several runs); circuit
    families and depths are always kept apart (a `generator` or `depth` column when there
    are several).
    """
    import pandas as pd

    keys = _keys(table, by)
    keys += _families(table, keys)
    found: list[dict[str, Any]] = []
    for metric in METRIC_NAMES:
        if metric not in table or not table[metric].notna().any():
            continue
        part = table[table[metric].notna()]
        extra = ["observable"] if metric in ESTIMATOR_METRICS else []
        for group_keys, group in part.groupby(
            [*keys, "num_qubits", *extra], sort=True, dropna=False
        ):
            labels = dict(zip([*keys, "num_qubits", *extra], _tuple(group_keys), strict=True))
            labels.setdefault("observable", None)
            found.append({**labels, "metric": metric, **_mean(group, metric)})
    return pd.DataFrame(found, columns=[*keys, *MEAN_COLUMNS])


def quantum_volume(table: pd.DataFrame, by: Sequence[str] | None = None) -> pd.DataFrame:
    """IBM's Quantum Volume verdict per width (`metrics.quantum_volume_verdict`) from the
    heavy-output probabilities of the table's `quantum_volume` circuits.

    Columns: `num_qubits`, `num_circuits` (what the verdict rests on; the protocol asks for
    at least 100), `mean`, `sigma`, `lower` (mean - 2 sigma), `above_threshold` (lower >
    2/3), `enough_circuits` and `passed` (both: IBM's verdict); beside them
    `lower_bound`, a one-sided 97.5% lower confidence bound of the mean without the
    binomial assumption, and `lower_bound_method` (bootstrap over circuits; Student's t for
    10 circuits or fewer); `ideal_mean`, what a noiseless device's mean is on the same
    circuits, exactly (the mean of their ideal heavy-output masses; NaN for older files).
    `by`: as for `metric_means`.
    """
    import pandas as pd

    keys = _keys(table, by)
    columns = [*keys, "num_qubits", "num_circuits", "mean", "sigma", "lower"]
    columns += ["above_threshold", "enough_circuits", "passed"]
    columns += ["lower_bound", "lower_bound_method", "ideal_mean"]
    if "heavy_output_probability" not in table or "generator" not in table:
        return pd.DataFrame([], columns=columns)
    part = table[(table["generator"] == QV_GENERATOR) & table["heavy_output_probability"].notna()]
    found = []
    for group_keys, group in part.groupby([*keys, "num_qubits"], sort=True):
        verdict = metrics.quantum_volume_verdict(group["heavy_output_probability"].to_numpy())
        found.append(
            [
                *_tuple(group_keys),
                verdict.num_circuits,
                verdict.mean,
                verdict.sigma,
                verdict.lower,
                verdict.above_threshold,
                verdict.enough_circuits,
                verdict.passed,
                verdict.lower_bound,
                verdict.lower_bound_method,
                _reference(group, "heavy_output_probability"),
            ]
        )
    return pd.DataFrame(found, columns=columns)


def volumetric_cells(
    table: pd.DataFrame, by: Sequence[str] = (), metric: str = "normalized_fidelity"
) -> pd.DataFrame | None:
    """QED-C's volumetric cells: per group of `by`, generator, width and depth setting, the
    mean ISA depth (`depth_mean`), the mean normalized fidelity (`fidelity`, unclipped; of
    the readout-mitigated distributions with `metric="normalized_fidelity_mitigated"`), its
    shot-noise reference (`reference`) and the number of circuit results (`results`)."""
    needed = {metric, "isa_depth", "num_qubits", "generator"}
    if not needed <= set(table.columns):
        return None
    part = table[table[metric].notna() & table["isa_depth"].notna()]
    if part.empty:
        return None
    reference = f"{metric.removesuffix(MITIGATED)}{metrics.REFERENCE_SUFFIX}"
    if reference not in part:
        part = part.assign(**{reference: math.nan})
    keys = [*by, "generator", "num_qubits", *(["depth"] if "depth" in part else [])]
    return (
        part.groupby(keys, dropna=False, sort=True)
        .agg(
            depth_mean=("isa_depth", "mean"),
            fidelity=(metric, "mean"),
            reference=(reference, "mean"),
            results=(metric, "size"),
        )
        .reset_index()
    )


GHZ_COLUMNS = (
    "num_qubits",
    "fidelity",
    "std",
    "population",
    "population_std",
    "coherence",
    "coherence_std",
    "offset",
    "phases",
)


def ghz_fidelity(table: pd.DataFrame, by: Sequence[str] | None = None) -> pd.DataFrame:
    """The GHZ state fidelity per width (`metrics.ghz_fidelity`, Monz et al. 2011) where the
    run has the parity-oscillation circuits (`circuits.parity=true`): `fidelity` with its
    `std`, the `population` (the GHZ circuit's success probability) and the `coherence`
    (the fitted parity amplitude), each with its std, the oscillation's `offset` and how
    many `phases` it rests on. `by`: as for `metric_means`."""
    import pandas as pd

    keys = _keys(table, by)
    needed = {"generator", "parity", "parity_phase", "success_probability", "shots"}
    if not needed <= set(table.columns):
        return pd.DataFrame([], columns=[*keys, *GHZ_COLUMNS])
    population = table[(table["generator"] == GHZ_GENERATOR) & table["success_probability"].notna()]
    parities = table[(table["generator"] == GHZ_PARITY) & table["parity"].notna()]
    found = []
    for group_keys, oscillation in parities.groupby([*keys, "num_qubits"], sort=True):
        labels = dict(zip([*keys, "num_qubits"], _tuple(group_keys), strict=True))
        mask = np.ones(len(population), dtype=bool)
        for key, value in labels.items():
            mask &= (population[key] == value).to_numpy()
        ghz = population[mask]
        if len(ghz) != 1 or len(oscillation) < 3:
            continue
        width = int(labels["num_qubits"])
        result = metrics.ghz_fidelity(
            float(ghz["success_probability"].iloc[0]),
            int(ghz["shots"].iloc[0]),
            oscillation["parity_phase"].to_numpy(dtype=float),
            oscillation["parity"].to_numpy(dtype=float),
            oscillation["shots"].to_numpy(dtype=float),
            width,
        )
        found.append(
            {
                **labels,
                "fidelity": result.fidelity,
                "std": result.std,
                "population": result.population,
                "population_std": result.population_std,
                "coherence": result.coherence,
                "coherence_std": result.coherence_std,
                "offset": result.offset,
                "phases": len(oscillation),
            }
        )
    return pd.DataFrame(found, columns=[*keys, *GHZ_COLUMNS])


MIRROR_COLUMNS = (
    "num_qubits",
    "error_per_layer",
    "error_per_layer_std",
    "p",
    "p_std",
    "amplitude",
    "amplitude_std",
    "depths",
    "circuits",
)


def mirror_rb(table: pd.DataFrame, by: Sequence[str] | None = None) -> pd.DataFrame:
    """Mirror randomized benchmarking per width (Proctor et al. 2022): the fit of the
    effective polarization against benchmark depth, A p^d (`metrics.fit_decay`), and the
    error per layer r = (4^n - 1) / 4^n (1 - p), each with its standard deviation; how many
    `depths` and `circuits` it rests on. Files of the older mirror circuits (depth counted
    forward layers only, no `two_qubit_gate_density`) are left out. `by`: as for
    `metric_means`."""
    import pandas as pd

    keys = _keys(table, by)
    needed = {"generator", "depth", "effective_polarization", "two_qubit_gate_density"}
    if not needed <= set(table.columns):
        return pd.DataFrame([], columns=[*keys, *MIRROR_COLUMNS])
    part = table[
        (table["generator"] == MIRROR_GENERATOR)
        & table["effective_polarization"].notna()
        & table["two_qubit_gate_density"].notna()
    ]
    found = []
    for group_keys, group in part.groupby([*keys, "num_qubits"], sort=True):
        labels = dict(zip([*keys, "num_qubits"], _tuple(group_keys), strict=True))
        width = int(labels["num_qubits"])
        decay = metrics.fit_decay(
            group["depth"].to_numpy(dtype=float),
            group["effective_polarization"].to_numpy(dtype=float),
            width,
        )
        if decay is None:
            continue
        found.append(
            {
                **labels,
                "error_per_layer": decay.error_per_layer,
                "error_per_layer_std": decay.error_per_layer_std,
                "p": decay.p,
                "p_std": decay.p_std,
                "amplitude": decay.amplitude,
                "amplitude_std": decay.amplitude_std,
                "depths": int(group["depth"].nunique()),
                "circuits": len(group),
            }
        )
    return pd.DataFrame(found, columns=[*keys, *MIRROR_COLUMNS])


def volume(verdicts: pd.DataFrame) -> int | None:
    """2**n for the widest passing width n (Cross et al. 2019), None when none passes."""
    passed = verdicts[verdicts["passed"]]
    return None if passed.empty else 2 ** int(passed["num_qubits"].max())


def _mean(group: pd.DataFrame, metric: str) -> dict[str, Any]:
    return _interval(group, metric) | {"reference": _reference(group, metric)}


def _reference(group: pd.DataFrame, metric: str) -> float:
    """The mean shot-noise reference (a mitigated metric: its raw metric's, the same shots)."""
    column = f"{metric.removesuffix(MITIGATED)}{metrics.REFERENCE_SUFFIX}"
    if column not in group or not group[column].notna().any():
        return math.nan
    return float(group[column].mean())


def shot_noise_limits(means: pd.DataFrame) -> pd.DataFrame:
    """The rows of `metric_means` where a noiseless device would score below
    `REFERENCE_WARNING` with the run's shots: there the shot count limits the number."""
    limited = means["metric"].isin(SHOT_LIMITED) & (means["reference"] < REFERENCE_WARNING)
    return means[limited]


def _interval(group: pd.DataFrame, metric: str) -> dict[str, Any]:
    values = group[metric].to_numpy(dtype=float)
    bounds = BOUNDS.get(metric.removesuffix(MITIGATED), metrics.UNBOUNDED)
    if len(values) > 1:
        estimate = metrics.mean_interval(values, bounds=bounds)
        return {
            "mean": estimate.value,
            "low": estimate.low,
            "high": estimate.high,
            "n": len(values),
            "interval": metrics.interval_method(len(values)),
        }
    std = f"{metric}_std"
    if std in group and not math.isnan(sigma := float(group[std].iloc[0])):
        half = NormalDist().inv_cdf(1 - (1 - metrics.CONFIDENCE) / 2) * sigma
        low_value, high_value = np.clip([values[0] - half, values[0] + half], *bounds)
        return {
            "mean": float(values[0]),
            "low": float(low_value),
            "high": float(high_value),
            "n": 1,
            "interval": M3_STD,
        }
    low, high = f"{metric}_low", f"{metric}_high"
    if low in group and high in group:
        row = group.iloc[0]
        return {
            "mean": float(values[0]),
            "low": float(row[low]),
            "high": float(row[high]),
            "n": 1,
            "interval": WILSON,
        }
    return {"mean": float(values[0]), "low": math.nan, "high": math.nan, "n": 1, "interval": ""}


def _keys(table: pd.DataFrame, by: Sequence[str] | None) -> list[str]:
    if by is not None:
        return list(by)
    return ["run"] if "run" in table and table["run"].nunique() > 1 else []


FAMILY_COLUMNS = ("generator", "depth")
"""What makes circuits of one width different kinds of circuit: the family, and the depth
(mirror RB runs several per width)."""


def _families(table: pd.DataFrame, keys: list[str]) -> list[str]:
    """`generator` and `depth` where the table holds several (GHZ circuits and their parity
    oscillations, a sweep over generators, mirror circuits of several depths): their means
    are never pooled."""
    found = []
    for column in FAMILY_COLUMNS:
        if column in table and column not in keys and table[column].nunique() > 1:
            found.append(column)
    return found


def _tuple(keys: Any) -> tuple[Any, ...]:
    values = keys if isinstance(keys, tuple) else (keys,)
    return tuple(v.item() if isinstance(v, np.generic) else v for v in values)
