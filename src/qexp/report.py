"""`python -m qexp.report DIR`: PNG plots and one `report.html` for a run or a sweep.

Writes `DIR/report/` (replacing the PNGs of an earlier report there):

- per run: the measured probabilities of the most frequent outcomes of each circuit
  (Sampler; ideal outcomes highlighted) or its expectation values with ±1 std error bars
  per observable and parameter set (Estimator); at most `MAX_PANELS` circuit panels per
  plot, plus distributions across circuits when a run has more;
- for a sweep: the headline metric against each swept key, one line per combination of
  the other swept keys (Sampler: success probability where the generator knows the ideal
  outcomes, else the top-outcome probability; Estimator: the mean value per observable);
- `report.html`: the config, the job table with links to the HDF5 files, every plot.

It only reads the run folders: nothing is re-run. Exits 0 when DIR holds a run folder.
"""

from __future__ import annotations

import argparse
import html
import logging
import math
import re
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from qexp import __version__
from qexp.cli import command, setup_logging
from qexp.constants import HYDRA_DIR, SAVED_CONFIG_FILE
from qexp.errors import QexpError
from qexp.runs import run_dirs
from qexp.show import RunView, circuit_label, plain_value, read_run, swept_keys
from qexp.store import is_complete
from qexp.sweep import sweep_points

REPORT_DIR = "report"
REPORT_FILE = "report.html"
MAX_PANELS = 24
"""Circuit panels per plot; a run with more circuit results also gets distribution plots."""
MAX_OUTCOMES = 16
"""Bars per counts panel: the most frequent outcomes."""
MAX_OBSERVABLES = 12
DPI = 110
MEASURED, IDEAL = "#4C72B0", "#55A868"

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
class Plot:
    file: str
    title: str
    caption: str = ""


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
    if view.records:
        plots.append(plot_counts(view.records, out / f"{prefix}counts.png", where))
        if len(view.records) > MAX_PANELS:
            plots.append(plot_sampler_summary(view.table, out / f"{prefix}summary.png", where))
    elif view.table is not None and len(view.table) and "value" in view.table:
        plots.append(plot_estimator(view.table, out / f"{prefix}estimator.png", where))
        groups = view.table.groupby(["circuit_index"]).ngroups
        if groups > MAX_PANELS:
            plots.append(plot_estimator_summary(view.table, out / f"{prefix}summary.png", where))
    return plots


def plot_counts(records: list[dict[str, Any]], path: Path, where: str) -> Plot:
    shown = records[:MAX_PANELS]
    fig, axes = _grid(len(shown))
    any_ideal = False
    for ax, record in zip(axes, shown, strict=False):
        shots = record["shots"]
        top = list(record["counts"].items())[:MAX_OUTCOMES]
        labels = [bits for bits, _ in top]
        probabilities = [number / shots for _, number in top]
        ideal = set(record["ideal_outcomes"] or ())
        any_ideal |= bool(ideal)
        colors = [IDEAL if bits in ideal else MEASURED for bits in labels]
        ax.bar(range(len(labels)), probabilities, color=colors, width=0.8)
        ax.set_xticks(range(len(labels)), labels, fontsize=_tick_size(labels))
        ax.set_xlim(-0.6, max(len(labels), 4) - 0.4)  # one or two bars stay bar-shaped
        if sum(map(len, labels)) + 2 * len(labels) > 36:
            ax.tick_params(axis="x", labelrotation=90)
        ax.set_ylim(0, min(1.05, max(probabilities, default=1) * 1.2 + 0.02))
        ax.set_ylabel("probability")
        ax.set_xlabel("outcome (bitstring)")
        name = f"#{record['circuit_index']} {circuit_label(record['metadata'])}"
        if record["parameter_index"] or _parameterized(records):
            name += f", parameter set {record['parameter_index']}"
        more = len(record["counts"]) - len(top)
        ax.set_title(
            name + (f"\n(+{more} rarer outcomes not shown)" if more > 0 else ""), fontsize=9
        )
        ax.grid(axis="y", alpha=0.3)
    _hide_unused(axes, len(shown))
    handles = [Patch(color=MEASURED, label="other outcome" if any_ideal else "measured outcome")]
    if any_ideal:
        handles.insert(0, Patch(color=IDEAL, label="ideal outcome (the generator's expectation)"))
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
    cut = f" (first {len(shown)} of {len(records)})" if len(records) > len(shown) else ""
    _suptitle(
        fig, f"Measured outcome probabilities, top {MAX_OUTCOMES} outcomes per circuit{cut}", where
    )
    _save(fig, path)
    caption = (
        f"Probability of the {MAX_OUTCOMES} most frequent bitstrings of each circuit"
        + (" (green: the generator's ideal outcomes)" if any_ideal else "")
        + (f"; the first {len(shown)} of {len(records)} circuit results" if cut else "")
        + "."
    )
    return Plot(path.name, "Outcome probabilities", caption)


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
    _suptitle(fig, f"Distribution across {len(table)} circuit results", where)
    _save(fig, path)
    return Plot(path.name, "Distribution across circuits", "Histograms over every circuit result.")


def plot_estimator(table: Any, path: Path, where: str) -> Plot:
    circuits = list(table.groupby("circuit_index", sort=True))
    shown = circuits[:MAX_PANELS]
    fig, axes = _grid(len(shown))
    for ax, (index, rows) in zip(axes, shown, strict=False):
        first = rows.iloc[0]
        metadata = {key: plain_value(first[key]) for key in _META if key in rows}
        observables = list(dict.fromkeys(rows.sort_values("observable_index")["observable"]))
        parameterized = rows["parameter_index"].max() > 0
        if parameterized:
            labels = observables[:MAX_OBSERVABLES]
            width = min(0.6, 0.15 * len(labels))
            for position, label in enumerate(labels):
                part = rows[rows["observable"] == label].sort_values("parameter_index")
                shift = (position - (len(labels) - 1) / 2) * width / max(len(labels), 1)
                ax.errorbar(
                    part["parameter_index"] + shift,
                    part["value"],
                    yerr=part["std"],
                    fmt="o",
                    markersize=3,
                    capsize=2,
                    label=str(label),
                )
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel("parameter set (index)")
            ax.legend(fontsize=7, ncols=2, title="observable", title_fontsize=7)
        else:
            shown_labels = observables[:MAX_OBSERVABLES]
            part = rows.set_index("observable").loc[shown_labels]
            ax.errorbar(
                range(len(shown_labels)),
                part["value"],
                yerr=part["std"],
                fmt="o",
                capsize=4,
                color=MEASURED,
                label="value ± 1 std",
            )
            ax.set_xticks(range(len(shown_labels)), [str(x) for x in shown_labels])
            ax.set_xlim(-0.5, len(shown_labels) - 0.5)
            ax.tick_params(axis="x", labelrotation=90 if len(shown_labels) > 5 else 0, labelsize=8)
            ax.set_xlabel("observable (Pauli string, qubit 0 rightmost)")
            ax.legend(fontsize=7)
        ax.axhline(0, color="grey", linewidth=0.6)
        for bound in (-1, 1):
            ax.axhline(bound, color="grey", linewidth=0.6, linestyle="--")
        ax.set_ylim(-1.15, 1.15)
        ax.set_ylabel("expectation value")
        ax.set_title(f"#{index} {circuit_label(metadata)}", fontsize=9)
        ax.grid(alpha=0.3)
    _hide_unused(axes, len(shown))
    cut = f" (first {len(shown)} of {len(circuits)} circuits)" if len(circuits) > len(shown) else ""
    _suptitle(fig, f"Expectation values with ±1 std error bars{cut}", where)
    _save(fig, path)
    return Plot(
        path.name,
        "Expectation values",
        "Each observable's estimated expectation value with its standard error (±1 std)"
        + (f"; the first {len(shown)} of {len(circuits)} circuits" if cut else "")
        + ".",
    )


def plot_estimator_summary(table: Any, path: Path, where: str) -> Plot:
    fig = Figure(figsize=(11, 4), layout="constrained")
    left, right = fig.subplots(1, 2)
    left.hist(table["value"], bins=np.linspace(-1, 1, 41), color=MEASURED)
    left.set_xlabel("expectation value")
    left.set_ylabel("number of estimates")
    left.set_title("Expectation values")
    right.hist(table["std"].dropna(), bins=30, color=IDEAL)
    right.set_xlabel("standard error (std)")
    right.set_ylabel("number of estimates")
    right.set_title("Standard errors")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    circuits = table["circuit_index"].nunique()
    _suptitle(fig, f"Distribution across {circuits} circuits", where)
    _save(fig, path)
    return Plot(path.name, "Distribution across circuits", "Histograms over every estimate.")


# --- sweep plots -------------------------------------------------------------------------


def sweep_metrics(views: list[RunView]) -> list[dict[str, Any]]:
    """Per point (and observable): the headline metric, its ±1 std error and what it is."""
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
        if primitive == "estimator":
            rows = _align_observables(rows)
        for key in keys:
            path = out / f"sweep-{primitive}-{_slug(key)}.png"
            plots.append(_plot_against(rows, key, [k for k in keys if k != key], primitive, path))
    return plots


def _align_observables(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per-observable rows if every point measured the same observables, else their mean."""
    by_point: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_point.setdefault(row["point"], []).append(row)
    label_sets = {frozenset(str(r["observable"]) for r in group) for group in by_point.values()}
    if len(label_sets) == 1:
        return rows
    merged = []
    for group in by_point.values():
        errors = np.array([r["error"] for r in group])
        merged.append(
            {
                **group[0],
                "observable": "mean over observables",
                "metric": float(np.mean([r["metric"] for r in group])),
                "error": float(np.sqrt((errors**2).sum()) / len(group)),
            }
        )
    return merged


def _plot_against(
    rows: list[dict[str, Any]], key: str, others: list[str], primitive: str, path: Path
) -> Plot:
    fig = Figure(figsize=(7.5, 4.8), layout="constrained")
    ax = fig.subplots()
    values = [r["overrides"].get(key) for r in rows]
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    categories = sorted({_fmt(v) for v in values}) if not numeric else []
    position = {c: i for i, c in enumerate(categories)}
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        combo = tuple(_fmt(row["overrides"].get(k)) for k in others)
        groups.setdefault((combo, str(row["observable"])), []).append(row)
    kinds = sorted({r["kind"] for r in rows})
    mixed = len(kinds) > 1
    titled = len(others) == 1 and primitive == "sampler"
    ordered = sorted(groups.items(), key=lambda item: item[0])
    for number, ((combo, observable), group) in enumerate(ordered):
        color = f"C{number % 10}"
        if numeric:
            group.sort(key=lambda r: r["overrides"].get(key))
            xs = [float(r["overrides"].get(key)) for r in group]
        else:  # categories side by side, slightly apart so that error bars do not overlap
            shift = (number - (len(ordered) - 1) / 2) * min(0.08, 0.4 / len(ordered))
            group.sort(key=lambda r: position[_fmt(r["overrides"].get(key))])
            xs = [position[_fmt(r["overrides"].get(key))] + shift for r in group]
        parts = [] if primitive == "sampler" else [observable]
        if combo:
            parts.append(
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
            label=" · ".join(parts) or None,
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
    if not numeric:
        ax.set_xticks(range(len(categories)), categories)
        ax.set_xlim(-0.5, len(categories) - 0.5)
    elif all(float(v).is_integer() for v in values):
        ax.set_xticks(sorted({int(v) for v in values}))
    ax.set_xlabel(_axis_label(key))
    if primitive == "sampler":
        ax.set_ylabel("probability" if mixed else kinds[0])
        ax.set_ylim(0, 1.05)
        what = " / ".join(kinds)
    else:
        ax.set_ylabel("expectation value")
        ax.set_ylim(-1.1, 1.1)
        ax.axhline(0, color="grey", linewidth=0.6)
        what = "expectation value"
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if mixed:
        for kind, face in (("success probability", "black"), ("top-outcome probability", "white")):
            handles.append(
                Line2D([], [], marker="o", color="black", markerfacecolor=face, linestyle="none")
            )
            labels.append(kind + (" (ideal outcomes known)" if face == "black" else ""))
    if handles:
        title = others[0] if titled else ("observable" if primitive == "estimator" else None)
        ax.legend(handles, labels, fontsize=8, title=title, title_fontsize=8)
    fig.suptitle(
        f"{what.capitalize()} vs {_axis_label(key)}\n(mean per sweep point, error bars ±1 std)",
        fontsize=11,
    )
    _save(fig, path)
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
    for section in sections:
        parts.append(_section_html(section, path, out, is_sweep))
    parts.append(f"<script>{IMAGES_SCRIPT}</script>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _points_table(sections: list[RunSection], keys: list[str]) -> str:
    e = html.escape
    head = "".join(f"<th>{e(k)}</th>" for k in ["point", *keys, "jobs done", "headline"])
    rows = []
    for section in sections:
        view = section.view
        manifest = view.manifest
        done = f"{manifest.counts()['done']}/{len(manifest.jobs)}" if manifest else "-"
        headline = view.headline()
        cells = [f'<a href="#{_anchor(view)}">{e(view.run_dir.name)}</a>']
        cells += [e(_fmt(view.overrides.get(k, "-"))) for k in keys]
        cells += [e(done), e(f"{headline[0]} {headline[1]:.3f}" if headline else "-")]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


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
            f"<code>{e((last.job_id or '-') if last else '-')}</code>",
            link,
        ]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{h}</th>" for h in ("job", "status", "attempts", "job id", "file"))
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _figure(plot: Plot) -> str:
    e = html.escape
    return (
        f'<figure><img src="{e(quote(plot.file))}" alt="{e(plot.title)}">'
        f"<figcaption>{e(plot.caption or plot.title)}</figcaption></figure>"
    )


# --- helpers -----------------------------------------------------------------------------

_META = ("generator", "num_qubits", "ansatz", "reps", "depth", "index_in_width", "file")


def _grid(panels: int) -> tuple[Figure, list[Any]]:
    panels = max(panels, 1)
    cols = min(4, panels)
    rows = math.ceil(panels / cols)
    fig = Figure(figsize=(max(7.0, 4.2 * cols), 3.4 * rows + 1.2), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel().tolist()
    return fig, axes


def _hide_unused(axes: Sequence[Any], used: int) -> None:
    for ax in axes[used:]:
        ax.set_visible(False)


def _suptitle(fig: Figure, title: str, where: str) -> None:
    chars = max(40, int(fig.get_figwidth() * 11))
    fig.suptitle(textwrap.fill(title, chars) + "\n" + textwrap.fill(where, chars), fontsize=11)


def _save(fig: Figure, path: Path) -> None:
    fig.savefig(path, dpi=DPI)


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
    sys.exit(main())
