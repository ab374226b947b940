"""`python -m qexp.report DIR`: PNG plots and one `report.html` for a run or a sweep.

Writes `DIR/report/` (replacing the PNGs of an earlier report there):

- per run: the measured probabilities of the most frequent outcomes of each circuit with
  their 95% Wilson intervals, the ideal distribution beside them, on one scale for all
  panels (Sampler), or each observable in its own panel, every circuit result's value
  ±1 std with its ideal value marked (Estimator); at most `MAX_PANELS` panels per plot,
  plus distributions across circuits when a run has more;
- per run, where the metrics are known: each metric's mean per width with its named 95%
  interval and its shot-noise reference (readout-mitigated means beside the raw ones), the
  Quantum Volume plot as qiskit-experiments draws it and per width (IBM's two-sigma band,
  a 97.5% lower bound beside it, the exact noiseless mean, the 2/3 line), QED-C's
  volumetric plot (width against depth, coloured by mean normalized fidelity, shot-limited
  cells hatched), the GHZ state fidelity's parity oscillations and mirror RB's decay with
  depth, with the numbers, IBM's verdict, F and the error per layer as tables;
- for a sweep: the headline metric against each swept key, one line per combination of
  the other swept keys (Sampler: success probability where the generator knows the ideal
  outcomes, else the top-outcome probability; Estimator: one panel per observable with
  its ideal value), the metrics per width across the points (one line per combination of
  the settings that vary) and a volumetric plot with one panel per such combination;
- `report.html`: the config, the job table with links to the HDF5 files and each job's
  QPU seconds, estimated and billed (the points' table of a sweep too, with a total),
  every plot.

It only reads the run folders: nothing is re-run. Exits 0 when DIR holds a run folder.
"""

from __future__ import annotations

import argparse
import html
import logging
import math
import re
import textwrap
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from qexp import metrics
from qexp.analysis.aggregate import (
    METRIC_NAMES,
    ghz_fidelity,
    metric_means,
    mirror_rb,
    quantum_volume,
    volume,
)
from qexp.analysis.figures import (
    IDEAL,
    LEGEND_WIDTH,
    MAX_PANELS,
    MEASURED,
    Plot,
    grid,
    hide_unused,
    plot_ghz_fidelity,
    plot_mirror_rb,
    plot_observables,
    plot_quantum_volume,
    plot_quantum_volume_trials,
    plot_volumetric,
    plot_widths,
    save,
    suptitle,
)
from qexp.analysis.show import RunView, circuit_label, read_run, swept_keys, view_spending
from qexp.cli import command, exit_now, setup_logging
from qexp.constants import HYDRA_DIR, SAVED_CONFIG_FILE
from qexp.errors import QexpError
from qexp.store import StoredIdeal, is_complete
from qexp.store.bill import Spending, billed_text, ledger_line, seconds_text
from qexp.store.run_folder import run_dirs
from qexp.sweep import sweep_points
from qexp.version import __version__

REPORT_DIR = "report"
MITIGATED_COLOR = "#DD8452"
REPORT_FILE = "report.html"
MAX_OUTCOMES = 16
"""Bars per counts panel: the most frequent outcomes, measured or ideal."""
SERIES = "series"
"""The column a sweep's tables get for the point's other swept keys (one line each)."""

AXIS_LABELS = {
    "num_qubits": "number of qubits",
    "shots": "shots per circuit",
    "precision": "target precision (standard error)",
    "depth": "circuit depth",
    "count": "circuits per width",
    "reps": "ansatz repetitions",
    "num_points": "parameter sets per circuit",
    "optimization_level": "transpiler optimization level",
    "max_circuits": "circuits per job",
    "seed": "seed",
}


@dataclass
class RunSection:
    view: RunView
    title: str
    plots: list[Plot] = field(default_factory=list)


def build_report(path: Path | str) -> Path:
    """Write `<path>/report/` for a run folder or a sweep folder; return report.html's path."""
    path = Path(path)
    folders = run_dirs(path)
    if not folders:
        raise QexpError(f"{path}: no run folder here (expected .hydra/ or manifest.json)")
    out = path / REPORT_DIR
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    points = sweep_points(path)
    is_sweep = points is not None or folders[0] != path
    sections = []
    for folder in folders:
        view = read_run(folder)
        title = f"Point {folder.name}" if is_sweep else f"Run {folder.name}"
        prefix = f"point-{_slug(folder.name)}-" if is_sweep else ""
        section = RunSection(view, title)
        section.plots = run_plots(view, out, prefix, title)
        sections.append(section)
    views = [s.view for s in sections]
    sweep_plots = plot_sweep(views, out) if is_sweep else []
    missing = len(points) - len(folders) if points is not None else 0
    text = render_html(path, out, sections, sweep_plots, is_sweep, missing)
    report = out / REPORT_FILE
    report.write_text(text, encoding="utf-8")
    return report


# --- per-run plots -----------------------------------------------------------------------


def run_plots(view: RunView, out: Path, prefix: str, title: str) -> list[Plot]:
    """The plots of one run folder, written as `<out>/<prefix>*.png`."""
    plots = []
    where = f"{title}: {_run_name(view)}"
    table = view.table
    if view.records:
        path = out / f"{prefix}counts.png"
        plots.append(plot_counts(view.records, view.ideals, path, where, view.mitigated))
        if len(view.records) > MAX_PANELS:
            plots.append(plot_sampler_summary(table, out / f"{prefix}summary.png", where))
    estimated = table
    if table is not None and "primitive" in table:  # a run of both: the Estimator's rows
        estimated = table[table["primitive"] == "estimator"]
    if estimated is not None and len(estimated) and "value" in estimated:
        plots.append(plot_observables(estimated, out / f"{prefix}observables.png", where))
        groups = estimated.groupby(["circuit_index"]).ngroups
        if groups > MAX_PANELS:
            path = out / f"{prefix}estimator-summary.png"
            plots.append(plot_estimator_summary(estimated, path, where))
    if table is not None and "num_qubits" in table and table["circuit_index"].nunique() > 1:
        figures = (
            plot_widths(table, out / f"{prefix}widths.png", where),
            plot_quantum_volume(table, out / f"{prefix}quantum-volume.png", where),
            plot_quantum_volume_trials(table, out / f"{prefix}quantum-volume-trials.png", where),
            plot_volumetric(table, out / f"{prefix}volumetric.png", where),
            plot_ghz_fidelity(table, out / f"{prefix}ghz-fidelity.png", where),
            plot_mirror_rb(table, out / f"{prefix}mirror-rb.png", where),
        )
        plots.extend(plot for plot in figures if plot is not None)
    return plots


@dataclass
class Bars:
    """One counts panel: the outcomes shown, measured with 95% Wilson bounds, and ideal."""

    labels: list[str]
    measured: np.ndarray
    low: np.ndarray
    high: np.ndarray
    ideal: np.ndarray | None
    hidden: int
    """Outcomes measured or likely that are not shown."""
    mitigated: np.ndarray | None = None
    """The readout-mitigated (M3) probability of each outcome shown, where the run has it."""


def counts_bars(
    record: dict[str, Any],
    stored: StoredIdeal | None,
    mitigated: dict[str, float] | None = None,
) -> Bars:
    """The `MAX_OUTCOMES` outcomes most likely measured or ideally, in bitstring order."""
    counts, shots = record["counts"], record["shots"]
    ideal: dict[str, float] = {}
    if stored is not None:
        measured = sorted(counts)  # ascending outcomes, as the file keeps them
        if len(measured) == len(stored.measured):
            ideal.update(zip(measured, map(float, stored.measured), strict=True))
        ideal.update(stored.top)
    candidates = set(counts) | {b for b, q in ideal.items() if q > 0}
    ranked = sorted(candidates, key=lambda b: (-max(counts.get(b, 0) / shots, ideal.get(b, 0)), b))
    labels = sorted(ranked[:MAX_OUTCOMES])
    hits = np.array([counts.get(b, 0) for b in labels], dtype=float)
    low, high = metrics.wilson_interval(hits, shots)
    return Bars(
        labels=labels,
        measured=hits / shots,
        low=np.asarray(low, dtype=float),
        high=np.asarray(high, dtype=float),
        ideal=None if stored is None else np.array([ideal.get(b, 0.0) for b in labels]),
        hidden=len(candidates) - len(labels),
        mitigated=None if mitigated is None else np.array([mitigated.get(b, 0.0) for b in labels]),
    )


def plot_counts(
    records: list[dict[str, Any]],
    ideals: dict[tuple[int, int], StoredIdeal],
    path: Path,
    where: str,
    mitigated: dict[tuple[int, int], dict[str, float]] | None = None,
) -> Plot:
    shown = records[:MAX_PANELS]
    found = mitigated or {}
    keys = [(r["circuit_index"], r["parameter_index"]) for r in shown]
    panels = [counts_bars(r, ideals.get(k), found.get(k)) for r, k in zip(shown, keys, strict=True)]
    tallest = max(
        max([*b.high, *_values(b.ideal), *_values(b.mitigated)], default=0) for b in panels
    )
    top = min(1.05, tallest * 1.12 + 0.02)  # one scale for every panel
    any_ideal = any(b.ideal is not None for b in panels)
    any_mitigated = any(b.mitigated is not None for b in panels)
    fig, axes = grid(len(shown))
    for ax, record, bars in zip(axes, shown, panels, strict=False):
        x = np.arange(len(bars.labels))
        series = [bars.measured, *(s for s in (bars.mitigated, bars.ideal) if s is not None)]
        width = 0.8 / len(series)
        offsets = (np.arange(len(series)) - (len(series) - 1) / 2) * width
        ax.bar(
            x + offsets[0],
            bars.measured,
            width,
            yerr=[bars.measured - bars.low, bars.high - bars.measured],
            color=MEASURED,
            ecolor="black",
            capsize=2,
            error_kw={"linewidth": 0.8},
        )
        if bars.mitigated is not None:
            ax.bar(x + offsets[1], bars.mitigated, width, color=MITIGATED_COLOR)
        if bars.ideal is not None:
            ax.bar(x + offsets[-1], bars.ideal, width, color=IDEAL)
        ax.set_xticks(x, bars.labels, fontsize=_tick_size(bars.labels))
        ax.set_xlim(-0.6, max(len(x), 4) - 0.4)  # one or two bars stay bar-shaped
        if sum(map(len, bars.labels)) + 2 * len(bars.labels) > 36:
            ax.tick_params(axis="x", labelrotation=90)
        ax.set_ylim(0, top)
        ax.set_ylabel("probability")
        ax.set_xlabel("outcome (bitstring)")
        name = f"#{record['circuit_index']} {circuit_label(record['metadata'])}"
        if record["parameter_index"] or _parameterized(records):
            name += f", parameter set {record['parameter_index']}"
        more = f"\n(+{bars.hidden} rarer outcomes not shown)" if bars.hidden > 0 else ""
        ax.set_title(name + more, fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    hide_unused(axes, len(shown))
    handles = [Patch(color=MEASURED, label="measured (bar: 95% Wilson interval)")]
    if any_mitigated:
        handles.append(Patch(color=MITIGATED_COLOR, label="readout-mitigated (M3)"))
    if any_ideal:
        handles.append(Patch(color=IDEAL, label="ideal (noiseless) probability"))
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False)
    cut = f" (first {len(shown)} of {len(records)})" if len(records) > len(shown) else ""
    suptitle(
        fig,
        f"Outcome probabilities, measured{', readout-mitigated' if any_mitigated else ''}"
        f"{' and ideal' if any_ideal else ''}, on one scale{cut}",
        where,
    )
    save(fig, path)
    caption = (
        f"The {MAX_OUTCOMES} most likely bitstrings of each circuit (measured or ideally), "
        "the measured probability with its 95% Wilson interval over shots"
        + (
            ", mthree's readout-mitigated probability (nearest probability distribution, orange)"
            if any_mitigated
            else ""
        )
        + (" beside the ideal distribution (green)" if any_ideal else "")
        + "; every panel on the same scale"
        + (f"; the first {len(shown)} of {len(records)} circuit results" if cut else "")
        + "."
    )
    return Plot(path.name, "Outcome probabilities", caption)


def _values(bars: np.ndarray | None) -> list[float]:
    return [] if bars is None else list(bars)


def plot_sampler_summary(table: Any, path: Path, where: str) -> Plot:
    success = table["success_probability"].dropna()
    panels = 2 if len(success) else 1
    fig = Figure(figsize=(5.5 * panels, 4), layout="constrained")
    axes = fig.subplots(1, panels, squeeze=False)[0]
    bins = np.linspace(0, 1, 41)
    axes[0].hist(table["top_probability"], bins=bins, color=MEASURED)
    axes[0].set_xlabel("top-outcome probability")
    axes[0].set_ylabel("number of circuit results")
    axes[0].set_title("Most frequent outcome")
    if panels == 2:
        axes[1].hist(success, bins=bins, color=IDEAL)
        axes[1].set_xlabel("success probability (ideal outcomes)")
        axes[1].set_ylabel("number of circuit results")
        axes[1].set_title("Probability of the ideal outcomes")
    for ax in axes:
        ax.grid(alpha=0.3)
    suptitle(fig, f"Distribution across {len(table)} circuit results", where)
    save(fig, path)
    return Plot(path.name, "Distribution across circuits", "Histograms over every circuit result.")


def plot_estimator_summary(table: Any, path: Path, where: str) -> Plot:
    fig = Figure(figsize=(11, 4), layout="constrained")
    left, right = fig.subplots(1, 2)
    errors = table["error"].dropna() if "error" in table else []
    if len(errors):  # comparable across observables, unlike the values themselves
        left.hist(errors, bins=41, color=MEASURED)
        left.set_xlabel("error: measured - ideal expectation value")
        left.set_title("Errors against the ideal values")
    else:
        left.hist(table["value"], bins=np.linspace(-1, 1, 41), color=MEASURED)
        left.set_xlabel("expectation value")
        left.set_title("Expectation values")
    left.set_ylabel("number of estimates")
    right.hist(table["std"].dropna(), bins=30, color=IDEAL)
    right.set_xlabel("standard error (std)")
    right.set_ylabel("number of estimates")
    right.set_title("Standard errors")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    circuits = table["circuit_index"].nunique()
    suptitle(fig, f"Distribution across {circuits} circuits", where)
    save(fig, path)
    return Plot(path.name, "Distribution across circuits", "Histograms over every estimate.")


# --- sweep plots -------------------------------------------------------------------------


def sweep_metrics(views: list[RunView]) -> list[dict[str, Any]]:
    """Per point (and observable): the headline metric, its ±1 std error and what it is
    (Estimator: one row per observable, with the mean of its ideal values)."""
    rows = []
    for view in views:
        table = view.table
        if table is None or not len(table):
            continue
        base = {"point": view.run_dir.name, "overrides": view.overrides}
        if "value" in table and table["value"].notna().any():
            part = table[table["value"].notna()]
            for label, group in part.groupby("observable", sort=False, dropna=False):
                rows.append(
                    {
                        **base,
                        "primitive": "estimator",
                        "observable": label,
                        "metric": float(group["value"].mean()),
                        "error": float(np.sqrt((group["std"] ** 2).sum()) / len(group)),
                        "ideal": _mean_or_nan(group.get("ideal_value")),
                        "kind": "expectation value",
                    }
                )
        if "top_probability" in table and table["top_probability"].notna().any():
            part = table[table["top_probability"].notna()]
            success = part["success_probability"]
            known = bool(success.notna().all())
            p = success if known else part["top_probability"]
            shots = part["shots"].fillna(0).to_numpy()
            variance = np.where(shots > 0, p * (1 - p) / np.maximum(shots, 1), 0.0)
            rows.append(
                {
                    **base,
                    "primitive": "sampler",
                    "observable": None,
                    "metric": float(p.mean()),
                    "error": float(np.sqrt(variance.sum()) / len(part)),
                    "kind": "success probability" if known else "top-outcome probability",
                }
            )
    return rows


def plot_sweep(views: list[RunView], out: Path) -> list[Plot]:
    metrics = sweep_metrics(views)
    plots = []
    for primitive in ("sampler", "estimator"):
        rows = [r for r in metrics if r["primitive"] == primitive]
        if not rows:
            continue
        points = {r["point"] for r in rows}
        subset = [v for v in views if v.run_dir.name in points]
        keys = swept_keys(subset) if len(subset) > 1 else []
        for key in keys:
            path = out / f"sweep-{primitive}-{_slug(key)}.png"
            others = [k for k in keys if k != key]
            if primitive == "sampler":
                plots.append(_plot_against(rows, key, others, path))
            else:
                plots.append(_plot_observables_against(rows, key, others, path))
    table = sweep_table(views)
    if table is not None:
        where = f"Sweep of {len(views)} points"
        series = SERIES if table[SERIES].nunique() > 1 else None
        lines = "combination of the settings that vary between the points (but the width)"
        figures = [
            plot_widths(table, out / "sweep-widths.png", where, series, lines),
            plot_volumetric(table, out / "sweep-volumetric.png", where, series),
        ]
        plots.extend(plot for plot in figures if plot is not None)
    return plots


def sweep_table(views: list[RunView]) -> Any:
    """Every point's table in one, with `series`: the point's values of the settings that
    vary between the points, except the width (`varying_settings`): one line each in the
    per-width figure, one panel each in the volumetric plot, never averaged together.
    None if nothing ran."""
    import pandas as pd

    keys = varying_settings(views)
    parts = []
    for view in views:
        if view.table is None or not len(view.table):
            continue
        settings = _settings(view)
        label = ", ".join(f"{k}={_fmt(settings[k])}" for k in keys if k in settings)
        parts.append(view.table.assign(**{SERIES: label or "all points"}))
    if not parts:
        return None
    return pd.concat(parts, ignore_index=True)


NOT_SETTINGS = ("seed", "run.", "circuits.num_qubits")
"""What varies between points without being a setting of the experiment: the seed (more
random circuits of the same kind, averaged on purpose), how the run ran (`run.*`), and the
width (each figure's own axis)."""


def varying_settings(views: list[RunView]) -> list[str]:
    """The settings whose value differs between the runs: the swept overrides, then any
    other key of the runs' saved configs that differs (runs gathered in one folder without
    a sweep), in that order. A group chosen differently (`circuits=ghz,random`) counts once,
    by its name, not by each key only one choice has."""
    found = [k for k in swept_keys(views) if not _not_a_setting(k)]
    flats = [_flatten(view.config) for view in views]
    names = {k.removesuffix(".name") for k in _differing(flats) if k.endswith(".name")}
    for key in _differing(flats):
        group = key.rsplit(".", 1)[0] if "." in key else key
        if _not_a_setting(key) or any(_covers(o, key) for o in found):
            continue
        if group in names and not key.endswith(".name") and not all(key in f for f in flats):
            continue  # a key of one choice of a group whose choice differs
        if key.endswith(".name") and any(_covers(o, group) for o in found):
            continue
        found.append(key)
    return found


def _settings(view: RunView) -> dict[str, Any]:
    """The run's settings by key: its overrides over its flattened config."""
    return {**_flatten(view.config), **view.overrides}


def _not_a_setting(key: str) -> bool:
    key = key.removeprefix("override.").lstrip("+~")
    return any(key == k or key.startswith(k) for k in NOT_SETTINGS)


def _covers(override: str, key: str) -> bool:
    """Whether the override `override` (a key or a group) sets `key`."""
    override = override.removeprefix("override.").lstrip("+~")
    return key == override or key.startswith(override + ".")


def _differing(flats: list[dict[str, Any]]) -> list[str]:
    keys: dict[str, None] = {}
    for flat in flats:
        keys.update(dict.fromkeys(flat))
    return [k for k in keys if len({_fmt(f.get(k)) for f in flats}) > 1]


def _flatten(config: Any, prefix: str = "") -> dict[str, Any]:
    """A nested config as {dotted key: value}; lists kept whole."""
    if not isinstance(config, dict):
        return {prefix: config} if prefix else {}
    flat: dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        flat |= _flatten(value, name) if isinstance(value, dict) else {name: value}
    return flat


def _positions(rows: list[dict[str, Any]], key: str) -> tuple[bool, list[str]]:
    """Whether `key`'s values are numbers, else its categories in order."""
    values = [r["overrides"].get(key) for r in rows]
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    return numeric, ([] if numeric else sorted({_fmt(v) for v in values}))


def _xs(group: list[dict[str, Any]], key: str, numeric: bool, categories: list[str], shift: float):
    """The group sorted along `key`, and its x positions (categories slightly apart)."""
    if numeric:
        group.sort(key=lambda r: r["overrides"].get(key))
        return [float(r["overrides"].get(key)) for r in group]
    position = {c: i for i, c in enumerate(categories)}
    group.sort(key=lambda r: position[_fmt(r["overrides"].get(key))])
    return [position[_fmt(r["overrides"].get(key))] + shift for r in group]


def _key_axis(ax: Any, rows: list[dict[str, Any]], key: str) -> None:
    numeric, categories = _positions(rows, key)
    values = [r["overrides"].get(key) for r in rows]
    if not numeric:
        ax.set_xticks(range(len(categories)), categories)
        ax.set_xlim(-0.5, len(categories) - 0.5)
    elif all(float(v).is_integer() for v in values):
        ax.set_xticks(sorted({int(v) for v in values}))
    ax.set_xlabel(_axis_label(key))


def _plot_against(rows: list[dict[str, Any]], key: str, others: list[str], path: Path) -> Plot:
    """Sampler: the headline probability per point against `key`."""
    fig = Figure(figsize=(7.5, 4.8), layout="constrained")
    ax = fig.subplots()
    numeric, categories = _positions(rows, key)
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(_fmt(row["overrides"].get(k)) for k in others), []).append(row)
    kinds = sorted({r["kind"] for r in rows})
    mixed = len(kinds) > 1
    titled = len(others) == 1
    ordered = sorted(groups.items(), key=lambda item: item[0])
    for number, (combo, group) in enumerate(ordered):
        color = f"C{number % 10}"
        shift = (number - (len(ordered) - 1) / 2) * min(0.08, 0.4 / len(ordered))
        xs = _xs(group, key, numeric, categories, shift)
        label = None
        if combo:
            label = (
                combo[0]
                if titled
                else ", ".join(f"{k}={v}" for k, v in zip(others, combo, strict=True))
            )
        ax.errorbar(
            xs,
            [r["metric"] for r in group],
            yerr=[r["error"] for r in group],
            color=color,
            capsize=3,
            linestyle="-" if numeric and len(group) > 1 else "none",
            label=label,
        )
        for x, row in zip(xs, group, strict=True):
            hollow = row["kind"] == "top-outcome probability" and mixed
            ax.plot(
                [x],
                [row["metric"]],
                marker="o",
                markersize=7,
                color=color,
                markerfacecolor="white" if hollow else color,
                linestyle="none",
            )
    _key_axis(ax, rows, key)
    ax.set_ylabel("probability" if mixed else kinds[0])
    ax.set_ylim(0, 1.05)
    what = " / ".join(kinds)
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if mixed:
        for kind, face in (("success probability", "black"), ("top-outcome probability", "white")):
            handles.append(
                Line2D([], [], marker="o", color="black", markerfacecolor=face, linestyle="none")
            )
            labels.append(kind + (" (ideal outcomes known)" if face == "black" else ""))
    if handles:  # long combinations of settings go below the axes, wrapped
        labels = [textwrap.fill(text, LEGEND_WIDTH) for text in labels]
        lines = sum(text.count("\n") + 1 for text in labels) / min(2, len(handles))
        fig.set_figheight(fig.get_figheight() + 0.17 * lines)
        fig.legend(
            handles,
            labels,
            fontsize=8,
            title=others[0] if titled else None,
            title_fontsize=8,
            loc="outside lower center",
            ncols=min(2, len(handles)),
        )
    fig.suptitle(
        f"{what.capitalize()} vs {_axis_label(key)}\n(mean per sweep point, error bars ±1 std)",
        fontsize=11,
    )
    save(fig, path)
    caption = (
        f"Sweep: {what} (mean over each point's circuit results; error bars ±1 std from shot "
        f"noise) against {key}"
        + (f", one series per value of {', '.join(others)}" if others else "")
        + (
            "; filled markers: success probability (the generator knows the ideal outcomes), "
            "hollow: probability of the most frequent outcome"
            if mixed
            else ""
        )
        + "."
    )
    return Plot(path.name, f"{what} vs {key}", caption)


def _plot_observables_against(
    rows: list[dict[str, Any]], key: str, others: list[str], path: Path
) -> Plot:
    """Estimator: one panel per observable, its mean value per point against `key` with
    the mean of its ideal values marked; observables are never averaged together."""
    labels = list(dict.fromkeys(str(r["observable"]) for r in rows))
    shown = labels[:MAX_PANELS]
    fig, axes = grid(len(shown))
    numeric, categories = _positions(rows, key)
    combos = sorted({tuple(_fmt(r["overrides"].get(k)) for k in others) for r in rows})
    known = False
    for ax, label in zip(axes, shown, strict=False):
        mine = [r for r in rows if str(r["observable"]) == label]
        for number, combo in enumerate(combos):
            group = [r for r in mine if tuple(_fmt(r["overrides"].get(k)) for k in others) == combo]
            if not group:
                continue
            shift = (number - (len(combos) - 1) / 2) * min(0.08, 0.4 / len(combos))
            xs = _xs(group, key, numeric, categories, shift)
            name = ", ".join(f"{k}={v}" for k, v in zip(others, combo, strict=True)) or None
            ax.errorbar(
                xs,
                [r["metric"] for r in group],
                yerr=[r["error"] for r in group],
                fmt="o-" if numeric and len(group) > 1 else "o",
                color=f"C{number % 10}",
                capsize=3,
                label=name,
            )
            ideal = [r["ideal"] for r in group]
            if not all(math.isnan(v) for v in ideal):
                known = True
                ax.scatter(xs, ideal, marker="_", s=260, color=IDEAL, linewidths=2.5, zorder=3)
        _key_axis(ax, rows, key)
        ax.set_ylim(-1.15, 1.15)
        ax.axhline(0, color="grey", linewidth=0.6)
        ax.set_title(label, fontsize=9, family="monospace")
        ax.set_ylabel("expectation value")
        ax.grid(alpha=0.3)
    hide_unused(axes, len(shown))
    handles, texts = axes[0].get_legend_handles_labels()
    if not handles:
        handles.append(Line2D([], [], marker="o", color="C0"))
        texts.append("mean measured value ± 1 std")
    if known:
        handles.append(Line2D([], [], marker="_", markersize=14, color=IDEAL, linestyle="none"))
        texts.append("ideal value")
    if handles:
        fig.legend(handles, texts, loc="outside lower center", ncols=min(4, len(handles)))
    cut = f" (first {len(shown)} of {len(labels)} observables)" if len(labels) > len(shown) else ""
    fig.suptitle(
        f"Expectation value vs {_axis_label(key)}, one panel per observable{cut}\n"
        "(mean over each point's results, error bars ±1 std)",
        fontsize=11,
    )
    save(fig, path)
    return Plot(
        path.name,
        f"expectation values vs {key}",
        f"Sweep: each observable in its own panel, its mean value over each point's circuit "
        f"results (error bars ±1 std from the estimates' standard errors) against {key}"
        + (" with the ideal value marked in green" if known else "")
        + (f", one series per value of {', '.join(others)}" if others else "")
        + "; values of different observables are never averaged together.",
    )


def _mean_or_nan(column: Any) -> float:
    if column is None or not column.notna().any():
        return math.nan
    return float(column.mean())


# --- HTML --------------------------------------------------------------------------------

CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; }
table { border-collapse: collapse; margin: .5em 0 1em; font-size: .9em; }
th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: left; }
th { background: #f3f3f3; }
pre { background: #f7f7f7; padding: .8em; overflow-x: auto; font-size: .85em; }
figure { margin: 1em 0 2em; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: .9em; }
.done { color: #1a7f37; } .failed { color: #cf222e; } .cancelled { color: #9a6700; }
.essentials span { margin-right: 1.5em; } .note { color: #9a6700; }
"""

IMAGES_SCRIPT = """
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var loaded = images.filter(function (i) { return i.complete && i.naturalWidth > 0; });
  document.body.setAttribute("data-images-loaded", loaded.length + "/" + images.length);
});
"""


def render_html(
    path: Path,
    out: Path,
    sections: list[RunSection],
    sweep_plots: list[Plot],
    is_sweep: bool,
    missing_points: int,
) -> str:
    e = html.escape
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>qexp report: {e(str(path))}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>qexp report: {e(str(path))}</h1>",
        f"<p>{'Sweep of ' + str(len(sections)) + ' points' if is_sweep else 'One run'}; "
        f"written {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} by qexp {e(__version__)} "
        "from the run folders' files (nothing was re-run).</p>",
    ]
    if is_sweep:
        views = [s.view for s in sections]
        keys = swept_keys(views)
        parts.append("<h2>Sweep</h2>")
        if missing_points:
            parts.append(f'<p class="note">{missing_points} point(s) never started.</p>')
        parts.append(_points_table(sections, keys))
        parts.extend(_figure(plot) for plot in sweep_plots)
        table = sweep_table(views)
        if table is not None:
            series = [SERIES] if table[SERIES].nunique() > 1 else []
            parts.append(_means_html(metric_means(table, by=series), series))
    for section in sections:
        parts.append(_section_html(section, path, out, is_sweep))
    parts.append(f"<script>{IMAGES_SCRIPT}</script>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _points_table(sections: list[RunSection], keys: list[str]) -> str:
    e = html.escape
    columns = ["point", *keys, "jobs done", "QPU s billed / est.", "headline"]
    head = "".join(f"<th>{e(k)}</th>" for k in columns)
    rows = []
    for section in sections:
        view = section.view
        manifest = view.manifest
        done = f"{manifest.counts()['done']}/{len(manifest.jobs)}" if manifest else "-"
        headline = view.headline()
        cells = [f'<a href="#{_anchor(view)}">{e(view.run_dir.name)}</a>']
        cells += [e(_fmt(view.overrides.get(k, "-"))) for k in keys]
        cells += [e(done), e(view_spending(view).cell())]
        cells += [e(f"{headline[0]} {headline[1]:.3f}" if headline else "-")]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    spent = sum((view_spending(s.view) for s in sections), Spending())
    total = ["<b>total</b>", *[""] * len(keys), "", f"<b>{e(spent.cell())}</b>", ""]
    rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in total) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table><p>{e(spent.describe())}</p>"


def _section_html(section: RunSection, path: Path, out: Path, is_sweep: bool) -> str:
    e = html.escape
    view = section.view
    overrides = " ".join(f"{k}={_fmt(v)}" for k, v in view.overrides.items())
    title = section.title + (f": {overrides}" if is_sweep and overrides else "")
    parts = [f'<section id="{_anchor(view)}">', f"<h2>{e(title)}</h2>"]
    parts.append(f"<p>folder <code>{e(str(view.run_dir))}</code></p>")
    parts.append(
        '<p class="essentials">'
        + "".join(f"<span><b>{e(k)}</b> {e(v)}</span>" for k, v in view.essentials().items())
        + "</p>"
    )
    for problem in view.problems:
        parts.append(f'<p class="note">{e(problem)}</p>')
    parts.append("<h3>Jobs</h3>")
    parts.append(_jobs_html(view, out))
    if section.plots:
        parts.append("<h3>Plots</h3>")
        parts.extend(_figure(plot) for plot in section.plots)
    else:
        parts.append('<p class="note">No circuit results to plot yet.</p>')
    if view.table is not None and len(view.table) and "num_qubits" in view.table:
        parts.append(_means_html(metric_means(view.table, by=[]), []))
        parts.append(_volume_html(quantum_volume(view.table, by=[])))
        parts.append(_ghz_html(ghz_fidelity(view.table, by=[])))
        parts.append(_mirror_html(mirror_rb(view.table, by=[])))
    config = view.run_dir / HYDRA_DIR / SAVED_CONFIG_FILE
    parts.append("<h3>Config</h3>")
    if config.is_file():
        parts.append(
            f"<details{'' if is_sweep else ' open'}><summary>the composed config, "
            f"<code>{e(HYDRA_DIR)}/{e(SAVED_CONFIG_FILE)}</code></summary>"
            f"<pre>{e(config.read_text(encoding='utf-8'))}</pre></details>"
        )
    else:
        parts.append('<p class="note">no .hydra/config.yaml in this folder</p>')
    parts.append("</section>")
    return "\n".join(parts)


def _means_html(means: Any, keys: list[str]) -> str:
    """Each metric's mean per width with its 95% interval, as a table."""
    if means.empty:
        return ""
    e = html.escape
    names = METRIC_NAMES
    keys = [*keys, *(["generator"] if "generator" in means and "generator" not in keys else [])]
    referenced = bool(means["reference"].notna().any())
    head = [*keys, "metric", "qubits", "mean", "95% interval", "results", "interval"]
    head += ["noiseless device, same shots"] if referenced else []
    rows = []
    for row in means.to_dict("records"):
        name = names[row["metric"]] + (f" {row['observable']}" if row["observable"] else "")
        interval = "-" if math.isnan(row["low"]) else f"[{row['low']:.3f}, {row['high']:.3f}]"
        cells = [*(str(row[k]) for k in keys), name, str(row["num_qubits"])]
        cells += [f"{row['mean']:.3f}", interval, str(row["n"]), row["interval"] or "-"]
        if referenced:
            cells.append("-" if math.isnan(row["reference"]) else f"{row['reference']:.3f}")
        rows.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>")
    header = "".join(f"<th>{e(h)}</th>" for h in head)
    note = (
        "<p>Noiseless device, same shots: the shot-noise reference, what an ideal device "
        "scores on the same circuits with the run's shots. Means are of unclipped values.</p>"
        if referenced
        else ""
    )
    return (
        f'<h3>Metrics per width</h3>{note}<table class="means"><tr>{header}</tr>'
        f"{''.join(rows)}</table>"
    )


def _volume_html(verdicts: Any) -> str:
    """IBM's Quantum Volume verdict per width, as a table."""
    if verdicts.empty:
        return ""
    e = html.escape
    head = ["qubits", "circuits", "mean HOP", "sigma", "mean - 2 sigma", "verdict"]
    head += ["97.5% lower bound", "its method"]
    rows = []
    for row in verdicts.itertuples(index=False):
        if row.passed:
            verdict = "passed"
        elif not row.enough_circuits:
            verdict = (
                "above" if row.above_threshold else "not above"
            ) + " 2/3; fewer than 100 circuits"
        else:
            verdict = "failed"
        cells = [str(row.num_qubits), str(row.num_circuits), f"{row.mean:.3f}"]
        cells += [f"{row.sigma:.3f}", f"{row.lower:.3f}", verdict]
        bound = "-" if math.isnan(row.lower_bound) else f"{row.lower_bound:.3f}"
        cells += [bound, row.lower_bound_method or "-"]
        rows.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>")
    achieved = volume(verdicts)
    summary = f"Quantum Volume {achieved}" if achieved else "no width passes"
    header = "".join(f"<th>{e(h)}</th>" for h in head)
    return (
        "<h3>Quantum Volume</h3><p>IBM's rule: a width passes when the mean heavy-output "
        "probability minus two sigma (sigma = sqrt(mean (1 - mean) / circuits), binomial "
        "over circuits) exceeds 2/3 on at least 100 circuits. Beside it, a one-sided 97.5% "
        "lower confidence bound of the mean without that binomial assumption (bootstrap "
        "over circuits; Student's t for 10 circuits or fewer); the verdict is IBM's. "
        f'<b class="volume">{e(summary)}</b>.</p>'
        f'<table class="volume"><tr>{header}</tr>{"".join(rows)}</table>'
    )


def _ghz_html(found: Any) -> str:
    """The GHZ state fidelity per width, with its two halves, as a table."""
    if found.empty:
        return ""
    e = html.escape
    head = ["qubits", "fidelity F", "populations P", "coherence C", "phases"]
    rows = []
    for row in found.itertuples(index=False):
        cells = [
            str(row.num_qubits),
            f"{row.fidelity:.3f} ± {row.std:.3f}",
            f"{row.population:.3f} ± {row.population_std:.3f}",
            f"{row.coherence:.3f} ± {row.coherence_std:.3f}",
            str(row.phases),
        ]
        rows.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>")
    header = "".join(f"<th>{e(h)}</th>" for h in head)
    return (
        "<h3>GHZ state fidelity</h3><p>F = (P(0...0) + P(1...1))/2 + C/2 (Monz et al. 2011), "
        "C the fitted amplitude of the parity oscillation; ± one standard deviation from "
        f'shot noise.</p><table class="ghz"><tr>{header}</tr>{"".join(rows)}</table>'
    )


def _mirror_html(fits: Any) -> str:
    """Mirror RB's error per layer per width, as a table."""
    if fits.empty:
        return ""
    e = html.escape
    head = ["qubits", "error per layer r", "decay p", "amplitude A", "depths", "circuits"]
    rows = []
    for row in fits.itertuples(index=False):
        cells = [
            str(row.num_qubits),
            f"{row.error_per_layer:.5f} ± {row.error_per_layer_std:.5f}",
            f"{row.p:.5f} ± {row.p_std:.5f}",
            f"{row.amplitude:.3f} ± {row.amplitude_std:.3f}",
            str(row.depths),
            str(row.circuits),
        ]
        rows.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>")
    header = "".join(f"<th>{e(h)}</th>" for h in head)
    return (
        "<h3>Mirror randomized benchmarking</h3><p>Effective polarization fitted as A p^d "
        "against benchmark depth d; error per layer r = (4^n - 1)/4^n (1 - p) (Proctor et "
        "al. 2022); ± one standard deviation from the fit.</p>"
        f'<table class="mirror"><tr>{header}</tr>{"".join(rows)}</table>'
    )


def _jobs_html(view: RunView, out: Path) -> str:
    e = html.escape
    if view.manifest is None:
        return '<p class="note">no manifest.json: no job was planned</p>'
    rows = []
    for job in view.manifest.jobs:
        file = view.run_dir / job.file
        last = job.last
        if is_complete(file):
            href = quote(_relative(file, out))
            link = f'<a href="{e(href)}">{e(job.file)}</a>'
        else:
            link = "-"
        error = f" ({last.error_class}: {last.error})" if last and last.error else ""
        cells = [
            e(str(job.index)),
            f'<span class="{e(job.status)}">{e(job.status + error)}</span>',
            e(str(len(job.attempts))),
            e(seconds_text(job.estimate, "~")),
            e(billed_text(job)),
            f"<code>{e((last.job_id or '-') if last else '-')}</code>",
            link,
        ]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    columns = ("job", "status", "attempts", "QPU s est.", "QPU s billed", "job id", "file")
    head = "".join(f"<th>{h}</th>" for h in columns)
    bill = f"<p>{e(ledger_line(view.manifest))}</p>"
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>{bill}"


def _figure(plot: Plot) -> str:
    e = html.escape
    return (
        f'<figure><img src="{e(quote(plot.file))}" alt="{e(plot.title)}">'
        f"<figcaption>{e(plot.caption or plot.title)}</figcaption></figure>"
    )


# --- helpers -----------------------------------------------------------------------------

_META = ("generator", "num_qubits", "ansatz", "reps", "depth", "index_in_width", "file")


def _tick_size(labels: list[str]) -> float:
    width = max(map(len, labels), default=1)
    return 8 if width <= 6 else 7 if width <= 10 else 6


def _parameterized(records: list[dict[str, Any]]) -> bool:
    return any(r["parameter_index"] for r in records)


def _run_name(view: RunView) -> str:
    essentials = view.essentials()
    return (
        f"{essentials['generator']} on {essentials['backend']}, "
        f"{essentials['primitive']}, {essentials['shots/precision']}"
    )


def _axis_label(key: str) -> str:
    last = key.removeprefix("override.").split(".")[-1]
    if last in AXIS_LABELS:
        return AXIS_LABELS[last]
    if key == "circuits":
        return "circuit family (generator)"
    return key


def _fmt(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "x"


def _anchor(view: RunView) -> str:
    return "point-" + _slug(view.run_dir.name)


def _relative(file: Path, start: Path) -> str:
    import os

    return Path(os.path.relpath(file.resolve(), start.resolve())).as_posix()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=command("report"), description=__doc__)
    parser.add_argument("dir", type=Path, help="a run folder or a multirun (sweep) folder")
    args = parser.parse_args(argv)
    setup_logging()
    try:
        report = build_report(args.dir)
    except QexpError as exc:
        logging.getLogger("qexp").error("%s", exc)
        return 1
    print(f"report: {report}")
    print(f"  plots: {len(list(report.parent.glob('*.png')))} PNG files in {report.parent}")
    return 0


if __name__ == "__main__":
    exit_now(main())
