"""The report's figures of merit: per-width means with their 95% intervals, the Quantum
Volume plot, the volumetric plot, and Estimator values beside their ideal values.

Each takes a `load_table` DataFrame and writes one PNG; the numbers come from
`qexp.analysis.aggregate` and `qexp.metrics`, as in `show`. The drawing helpers the report's other
plots share live here too.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from qexp.analysis.aggregate import (
    BOOTSTRAP,
    FAMILY_COLUMNS,
    GHZ_PARITY,
    M3_STD,
    MITIGATED,
    MITIGATED_METRICS,
    QV_GENERATOR,
    REFERENCE_WARNING,
    SAMPLER_METRICS,
    STUDENT_T,
    WILSON,
    ghz_fidelity,
    metric_means,
    mirror_rb,
    quantum_volume,
    volumetric_cells,
)
from qexp.metrics import QV_THRESHOLD, REFERENCE_SUFFIX

DPI = 110
MEASURED, IDEAL, THRESHOLD = "#4C72B0", "#55A868", "#C44E52"
MAX_PANELS = 24
"""Panels per figure (circuits, observables)."""
MAX_RESULTS = 60
"""Points per Estimator panel: the first circuit results of each observable."""
REFERENCE_LABEL = "noiseless device, same shots"
MITIGATED_LABEL = "readout-mitigated (M3)"
PANEL = "panel"
LEGEND_WIDTH = 48
"""Characters per line of a legend entry (a sweep's settings can be long)."""
LINE = "line"
IDEAL_HOP = (1 + math.log(2)) / 2
"""Heavy-output probability of an ideal device on wide Quantum Volume circuits."""
GENERATOR_MARKERS = ("s", "o", "D", "^", "v", "P", "X", "h")


@dataclass
class Plot:
    file: str
    title: str
    caption: str = ""


# --- per width ------------------------------------------------------------------------------


def plot_widths(
    table: Any, path: Path, where: str, series: str | None = None, lines: str = ""
) -> Plot | None:
    """Each Sampler metric's mean per width with its 95% interval, one panel per metric,
    the readout-mitigated mean beside the raw one where the run has it; one line per value
    of the column `series` (a sweep's other keys), if given, which `lines` says in words
    for the caption."""
    means = metric_means(table, by=[series] if series else [])
    means = means[means["metric"].isin([*SAMPLER_METRICS, *MITIGATED_METRICS])]
    if means.empty:
        return None
    families = [c for c in FAMILY_COLUMNS if c in means]
    if families:  # several circuit families or depths: one line each
        columns = ([series] if series else []) + families
        texts = [
            ", ".join(text for c, v in zip(columns, values, strict=True) if (text := _part(c, v)))
            for values in zip(*(means[c] for c in columns), strict=True)
        ]
        means, series = means.assign(**{LINE: texts}), LINE
    if series and means[series].nunique() < 2:  # one line needs no legend
        means, series = means.drop(columns=series), None
    names = [m for m in SAMPLER_METRICS if m in set(means["metric"])]
    mitigated = bool(means["metric"].isin(list(MITIGATED_METRICS)).any())
    fig = Figure(figsize=(max(7.0, 4.2 * len(names)), 4.6), layout="constrained")
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    labels = sorted(means[series].unique(), key=_natural) if series else [None]
    referenced = False
    for ax, metric in zip(axes, names, strict=True):
        part = means[means["metric"].isin([metric, metric + MITIGATED])]
        for number, label in enumerate(labels):
            color = f"C{number % 10}" if series else MEASURED
            for variant in ("", MITIGATED):
                line = part[part["metric"] == metric + variant]
                line = line if label is None else line[line[series] == label]
                if line.empty:
                    continue
                shift = (number - (len(labels) - 1) / 2) * min(0.08, 0.4 / len(labels))
                shift += 0.12 if variant else 0.0  # mitigated just right of raw
                x = line["num_qubits"].to_numpy(dtype=float) + shift
                named = label if label is not None or not mitigated else "raw counts"
                _errorbar(ax, x, line, color, variant, named)
                reference = line["reference"].to_numpy(dtype=float)
                if not variant and np.isfinite(reference).any():
                    referenced = True
                    ax.plot(
                        x,
                        reference,
                        linestyle="--",
                        marker="_",
                        color=color if series else "grey",
                        alpha=0.8,
                        label=None if series else REFERENCE_LABEL,
                    )
        if metric == "heavy_output_probability":
            ax.axhline(QV_THRESHOLD, color=THRESHOLD, linestyle="--", label="2/3")
        ax.set_title(SAMPLER_METRICS[metric], fontsize=10)
        ax.set_xlabel("number of qubits")
        ax.set_ylim(min(0.0, *(part["low"].dropna()), *(part["reference"].dropna())) - 0.02, 1.05)
        ax.set_xticks(sorted({int(n) for n in part["num_qubits"]}))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("mean over circuit results")
    handles, texts = _legend(axes)
    if series and referenced:
        handles.append(Line2D([], [], linestyle="--", color="grey"))
        texts.append(REFERENCE_LABEL + " (dashed, same colour)")
    if series and mitigated:
        handles.append(
            Line2D([], [], marker="s", markerfacecolor="white", color="grey", linestyle="-.")
        )
        texts.append(MITIGATED_LABEL + " (same colour)")
    if handles:
        texts = [textwrap.fill(text, LEGEND_WIDTH) for text in texts]
        ncols = min(4, len(handles))
        height = sum(text.count("\n") + 1 for text in texts) / ncols  # lines of legend
        fig.set_figheight(fig.get_figheight() + 0.17 * max(0.0, height - 1))  # room for it
        fig.legend(handles, texts, loc="outside lower center", ncols=ncols)
    suptitle(fig, "Metrics per width: mean with its 95% interval", where)
    save(fig, path)
    return Plot(
        path.name,
        "Metrics per width",
        "Mean over each width's circuit results with its 95% interval, found as "
        + _methods(means["interval"])
        + " (a single circuit's fidelity has none), clipped to the range the metric lies in"
        + (f"; one line per {lines or series}" if series else "")
        + (
            "; dashed: the shot-noise reference, what a noiseless device scores on the same "
            "circuits with the same shots (fidelities are biased low by finite shots)"
            if referenced
            else ""
        )
        + (
            "; hollow squares, dash-dotted, beside each raw mean: the same metric of the "
            "readout-mitigated (M3) distributions"
            if mitigated
            else ""
        )
        + ". Normalized fidelities are averaged unclipped (they can be below 0).",
    )


def _natural(label: Any) -> list[Any]:
    """Sort key: `depth 2` before `depth 16` (numbers compare as numbers)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(label))]


def _part(column: str, value: Any) -> str:
    """`mirror`, `depth 8`: how a line's setting, family or depth reads in a legend (no
    depth where a family has none)."""
    if column == "depth":
        return "" if pd.isna(value) else f"depth {int(value)}"
    return str(value)


def _errorbar(ax: Any, x: np.ndarray, line: Any, color: str, variant: str, label: Any) -> None:
    """One line of means with their intervals: raw (filled circles) or mitigated (hollow
    squares, dash-dotted)."""
    mean = line["mean"].to_numpy(dtype=float)
    # a percentile interval need not hold the mean exactly (rounding, skew)
    below = np.clip(np.nan_to_num(mean - line["low"].to_numpy(dtype=float)), 0, None)
    above = np.clip(np.nan_to_num(line["high"].to_numpy(dtype=float) - mean), 0, None)
    many = len(x) > 1
    text = None if label is None else str(label)
    if variant:
        text = MITIGATED_LABEL if label in (None, "raw counts") else None
    ax.errorbar(
        x,
        mean,
        yerr=[below, above],
        fmt=("s-." if many else "s") if variant else ("o-" if many else "o"),
        color=color,
        markerfacecolor="white" if variant else color,
        capsize=3,
        label=text,
    )


# --- Quantum Volume ---------------------------------------------------------------------------


def plot_quantum_volume(table: Any, path: Path, where: str) -> Plot | None:
    """Heavy-output probability per width: each circuit a point, the mean with IBM's
    two-sigma band, the one-sided 97.5% lower bound beside it, the exact mean of a noiseless
    device on the same circuits, the 2/3 threshold (Cross et al. 2019)."""
    verdicts = quantum_volume(table, by=[])
    if verdicts.empty:
        return None
    part = _qv_rows(table)
    fig = Figure(figsize=(7.5, 4.8), layout="constrained")
    ax = fig.subplots()
    jitter = np.random.default_rng(0)
    for verdict in verdicts.itertuples(index=False):
        width = verdict.num_qubits
        hops = part[part["num_qubits"] == width]["heavy_output_probability"].to_numpy()
        x = width + jitter.uniform(-0.18, 0.18, hops.size)
        ax.scatter(x, hops, s=12, color=MEASURED, alpha=0.5, linewidths=0)
        low, high = _two_sigma(verdict.mean, verdict.sigma)
        ax.fill_between([width - 0.3, width + 0.3], low, high, color="grey", alpha=0.3)
        ax.hlines(verdict.mean, width - 0.3, width + 0.3, color="black", linewidth=2)
        if not math.isnan(verdict.lower_bound):
            ax.plot([width + 0.34], [verdict.lower_bound], marker="^", color="black", ms=6)
        if not math.isnan(verdict.ideal_mean):
            ax.hlines(verdict.ideal_mean, width - 0.3, width + 0.3, color=IDEAL, linewidth=2)
        status = "passed" if verdict.passed else "failed"
        if not verdict.enough_circuits:
            status = "< 100 circuits"
        ax.annotate(
            f"{verdict.num_circuits} circuits\n{status}",
            (width, high),
            xytext=(0, 6),
            textcoords="offset points",
            ha="center",
            fontsize=8,
        )
    ax.axhline(QV_THRESHOLD, color=THRESHOLD, linestyle="--")
    exact = bool(verdicts["ideal_mean"].notna().any())
    if not exact:  # older files: only the large-width limit is known
        ax.axhline(IDEAL_HOP, color="grey", linestyle=":")
    ax.set_xticks([int(n) for n in verdicts["num_qubits"]])
    ax.set_xlabel("number of qubits (width = depth)")
    ax.set_ylabel("heavy-output probability")
    ax.set_ylim(0.3, 1.1)
    ax.grid(alpha=0.3)
    handles = [
        Line2D([], [], marker="o", color=MEASURED, linestyle="none", label="one circuit"),
        Line2D([], [], color="black", linewidth=2, label="mean"),
        Patch(color="grey", alpha=0.3, label="mean ± 2 sigma (binomial, IBM), in [0, 1]"),
        Line2D([], [], marker="^", color="black", linestyle="none", label="97.5% lower bound"),
        Line2D([], [], color=THRESHOLD, linestyle="--", label="threshold 2/3"),
    ]
    if exact:
        handles.append(Line2D([], [], color=IDEAL, linewidth=2, label="noiseless device (exact)"))
    else:
        handles.append(Line2D([], [], color="grey", linestyle=":", label="(1 + ln 2)/2"))
    ax.legend(handles=handles, fontsize=7, loc="lower left", ncols=2)
    suptitle(fig, "Quantum Volume: heavy-output probability per width", where)
    save(fig, path)
    methods = sorted(set(verdicts["lower_bound_method"]) - {""})
    return Plot(
        path.name,
        "Quantum Volume",
        "Heavy-output probability of each Quantum Volume circuit (points), the mean per width "
        "(black) with IBM's two-sigma band (grey: sigma = sqrt(mean (1 - mean) / circuits), "
        "binomial over circuits, clipped to [0, 1]); a width passes when the band's lower "
        "edge clears 2/3 (red) on at least 100 circuits (IBM's rule, Cross et al. 2019). "
        "Triangle: a one-sided 97.5% lower bound of the mean without the binomial assumption"
        + (f" ({' / '.join(methods)})" if methods else "")
        + ". "
        + (
            "Green: the exact mean heavy-output probability of a noiseless device on the "
            "same circuits, from their ideal distributions (about 0.80, 0.85, 0.83 at 2, 3, "
            "4 qubits; (1 + ln 2)/2 = 0.85 only for wide circuits)."
            if exact
            else "Dotted: (1 + ln 2)/2, a noiseless device's mean on wide circuits."
        ),
    )


def plot_quantum_volume_trials(table: Any, path: Path, where: str) -> Plot | None:
    """As qiskit-experiments draws Quantum Volume: per width, each circuit's heavy-output
    probability against the number of circuits so far, the cumulative mean with its
    two-sigma band, the 2/3 threshold; here also the exact noiseless mean."""
    verdicts = quantum_volume(table, by=[])
    if verdicts.empty:
        return None
    part = _qv_rows(table)
    widths = [int(n) for n in verdicts["num_qubits"]]
    fig, axes = grid(len(widths))
    for ax, width in zip(axes, widths, strict=False):
        rows = part[part["num_qubits"] == width].sort_values(["circuit_index", "run"])
        hops = rows["heavy_output_probability"].to_numpy(dtype=float)
        trials = np.arange(1, hops.size + 1)
        cumulative = np.cumsum(hops) / trials
        low, high = _two_sigma(cumulative, np.sqrt(cumulative * (1 - cumulative) / trials))
        ax.scatter(trials, hops, s=8, color="grey", label="one circuit")
        ax.fill_between(trials, low, high, color="lightgrey", alpha=0.6, label="2 sigma")
        ax.plot(trials, cumulative, color=THRESHOLD, label="cumulative mean")
        ax.axhline(QV_THRESHOLD, color="black", linestyle="--", linewidth=1, label="2/3")
        reference = f"heavy_output_probability{REFERENCE_SUFFIX}"
        if reference in rows and rows[reference].notna().any():
            exact = np.cumsum(rows[reference].to_numpy(dtype=float)) / trials
            ax.plot(trials, exact, color=IDEAL, linestyle=":", label="noiseless (exact)")
        ax.set_title(f"{width} qubits: {hops.size} circuits", fontsize=9)
        ax.set_xlabel("number of circuits")
        ax.set_ylabel("heavy-output probability")
        ax.set_ylim(max(0.0, min(low.min(), hops.min()) - 0.05), 1.0)
        ax.grid(alpha=0.3)
    hide_unused(axes, len(widths))
    handles, texts = _legend(axes)
    fig.legend(handles, texts, loc="outside lower center", ncols=min(5, len(handles)))
    suptitle(fig, "Quantum Volume: cumulative heavy-output probability", where)
    save(fig, path)
    return Plot(
        path.name,
        "Quantum Volume, circuit by circuit",
        "As qiskit-experiments draws it (QuantumVolumeAnalysis): per width, each circuit's "
        "heavy-output probability in circuit order, the cumulative mean (red) with its "
        "two-sigma band (sigma = sqrt(mean (1 - mean) / circuits so far), clipped to [0, 1]) "
        "and the 2/3 threshold; dotted green, the cumulative exact mean of a noiseless "
        "device on the same circuits.",
    )


def _qv_rows(table: Any) -> Any:
    return table[(table["generator"] == QV_GENERATOR) & table["heavy_output_probability"].notna()]


def _two_sigma(mean: Any, sigma: Any) -> tuple[Any, Any]:
    """mean -+ 2 sigma, clipped to [0, 1]: a probability's band never leaves it."""
    return np.clip(mean - 2 * sigma, 0.0, 1.0), np.clip(mean + 2 * sigma, 0.0, 1.0)


# --- GHZ fidelity ---------------------------------------------------------------------------


def plot_ghz_fidelity(table: Any, path: Path, where: str) -> Plot | None:
    """Per width, the parity oscillation <Z...Z>(phi) the GHZ state fidelity rests on: the
    measured parities, the fit C cos(n phi + phi_0), the ideal cos(n phi); F in the title."""
    found = ghz_fidelity(table, by=[])
    if found.empty:
        return None
    parities = table[(table["generator"] == GHZ_PARITY) & table["parity"].notna()]
    fig, axes = grid(len(found))
    fine = np.linspace(0, 2 * math.pi, 400)
    for ax, row in zip(axes, found.itertuples(index=False), strict=False):
        n = int(row.num_qubits)
        points = parities[parities["num_qubits"] == n].sort_values("parity_phase")
        phi = points["parity_phase"].to_numpy(dtype=float)
        p = points["parity"].to_numpy(dtype=float)
        error = np.sqrt(np.clip(1 - p**2, 0, None) / points["shots"].to_numpy(dtype=float))
        ax.errorbar(phi, p, yerr=error, fmt="o", color=MEASURED, capsize=2, label="measured")
        grid_phi = fine * phi.max() / (2 * math.pi)
        fitted = row.coherence * np.cos(n * grid_phi + row.offset)
        ax.plot(grid_phi, fitted, color=THRESHOLD, label="fit C cos(n phi + phi_0)")
        ax.plot(grid_phi, np.cos(n * grid_phi), color=IDEAL, linestyle=":", label="ideal")
        ax.set_title(
            f"{n} qubits: F = {row.fidelity:.3f} ± {row.std:.3f}\n"
            f"populations {row.population:.3f}, coherence C = {row.coherence:.3f} "
            f"± {row.coherence_std:.3f}",
            fontsize=9,
        )
        ax.set_xlabel("phase phi on every qubit (rad)")
        ax.set_ylabel("parity <Z...Z>")
        ax.set_ylim(-1.1, 1.1)
        ax.grid(alpha=0.3)
    hide_unused(axes, len(found))
    handles, texts = _legend(axes)
    fig.legend(handles, texts, loc="outside lower center", ncols=3)
    suptitle(fig, "GHZ state fidelity: populations and parity oscillations", where)
    save(fig, path)
    return Plot(
        path.name,
        "GHZ state fidelity",
        "F = (P(0...0) + P(1...1))/2 + C/2 (Monz et al., PRL 106, 130506 (2011)): the "
        "populations are the GHZ circuit's success probability; C is the amplitude of the "
        "parity oscillation, measured after a phase phi on every qubit and a Hadamard on every "
        "qubit (points, ±1 standard deviation from shot noise), fitted as "
        "a cos(n phi) + b sin(n phi) by least squares (red); dotted, a noiseless device's "
        "cos(n phi). F's uncertainty is the standard deviation from shot noise, carried "
        "through the fit.",
    )


# --- mirror RB ------------------------------------------------------------------------------


def plot_mirror_rb(table: Any, path: Path, where: str) -> Plot | None:
    """Per width, each mirror circuit's effective polarization against its benchmark depth,
    the mean per depth with its standard error, the fit A p^d and the error per layer."""
    fits = mirror_rb(table, by=[])
    if fits.empty:
        return None
    part = table[(table["generator"] == "mirror") & table["effective_polarization"].notna()]
    fig, axes = grid(len(fits))
    jitter = np.random.default_rng(0)
    for ax, fit in zip(axes, fits.itertuples(index=False), strict=False):
        rows = part[part["num_qubits"] == fit.num_qubits]
        depths = rows["depth"].to_numpy(dtype=float)
        values = rows["effective_polarization"].to_numpy(dtype=float)
        span = max(depths.max(), 1.0)
        x = depths + jitter.uniform(-0.012, 0.012, depths.size) * span
        ax.scatter(x, values, s=10, color="grey", alpha=0.6, label="one circuit")
        levels = np.unique(depths)
        means = [values[depths == d].mean() for d in levels]
        errors = [
            values[depths == d].std(ddof=1) / math.sqrt(np.count_nonzero(depths == d))
            if np.count_nonzero(depths == d) > 1
            else 0.0
            for d in levels
        ]
        ax.errorbar(
            levels, means, yerr=errors, fmt="o", color=MEASURED, capsize=3, label="mean ± 1 s.e."
        )
        fine = np.linspace(0, levels.max(), 200)
        ax.plot(fine, fit.amplitude * fit.p**fine, color=THRESHOLD, label="fit A p^d")
        ax.set_title(
            f"{fit.num_qubits} qubits: error per layer r = {fit.error_per_layer:.4f} "
            f"± {fit.error_per_layer_std:.4f}\np = {fit.p:.4f} ± {fit.p_std:.4f}, "
            f"A = {fit.amplitude:.3f}",
            fontsize=9,
        )
        ax.set_xlabel("benchmark depth d")
        ax.set_ylabel("effective polarization")
        ax.set_ylim(min(-0.05, float(np.nanmin(values)) - 0.05), 1.05)
        ax.grid(alpha=0.3)
    hide_unused(axes, len(fits))
    handles, texts = _legend(axes)
    fig.legend(handles, texts, loc="outside lower center", ncols=3)
    suptitle(fig, "Mirror randomized benchmarking: polarization against depth", where)
    save(fig, path)
    return Plot(
        path.name,
        "Mirror randomized benchmarking",
        "As Proctor et al. (PRL 129, 150502 (2022)) define it: each mirror circuit's effective "
        "polarization (the Hamming-weighted success, (S - 1/4^n)/(1 - 1/4^n), "
        "S = sum_k (-1/2)^k h_k) at its benchmark depth (grey), the mean per depth with its "
        "standard error over circuits (blue), and A p^d fitted by weighted least squares "
        "(red); the error per layer r = (4^n - 1)/4^n (1 - p), ± one standard deviation from "
        "the fit's covariance.",
    )


# --- volumetric ---------------------------------------------------------------------------


def plot_volumetric(table: Any, path: Path, where: str, series: str | None = None) -> Plot | None:
    """QED-C's volumetric plot: width against depth, each cell (generator, width, depth
    setting) coloured by its mean normalized fidelity, hatched where the shot count limits
    it (a noiseless device would score below `REFERENCE_WARNING` with the same shots); one
    panel per value of the column `series` (the settings a sweep varies), never averaged
    across them."""
    by = [series] if series and series in table and table[series].nunique() > 1 else []
    cells = volumetric_cells(table, by=by)
    if cells is None or cells.empty:
        return None
    mitigated = volumetric_cells(table, by=by, metric="normalized_fidelity" + MITIGATED)
    sides = mitigated is not None and not mitigated.empty
    if mitigated is not None and sides:  # raw and mitigated side by side
        cells = pd.concat(
            [cells.assign(readout="raw counts"), mitigated.assign(readout=MITIGATED_LABEL)],
            ignore_index=True,
        )
        cells[PANEL] = [
            ", ".join(str(v) for v in values)
            for values in zip(*(cells[k] for k in [*by, "readout"]), strict=True)
        ]
        by = [PANEL]
    panels = list(dict.fromkeys(cells[by[0]])) if by else [None]
    shown = panels[:MAX_PANELS]
    if len(shown) == 1:
        fig = Figure(figsize=(8, 5), layout="constrained")
        axes = [fig.subplots()]
    else:
        fig, axes = grid(len(shown))
    generators = list(dict.fromkeys(cells["generator"]))
    markers = {g: GENERATOR_MARKERS[k % len(GENERATOR_MARKERS)] for k, g in enumerate(generators)}
    widths = sorted({int(n) for n in cells["num_qubits"]})
    depths = cells["depth_mean"].to_numpy(dtype=float)
    span = (depths.min() / 1.25, depths.max() * 1.25)  # one scale for every panel
    points = None
    for ax, panel in zip(axes, shown, strict=False):
        part = cells if panel is None else cells[cells[by[0]] == panel]
        points = _volumetric_panel(ax, part, markers)
        ax.set_xlim(*span)
        ax.set_yticks(widths)
        ax.set_ylim(min(widths) - 0.8, max(widths) + 0.8)
        if panel is not None:
            ax.set_title(textwrap.fill(str(panel), 60), fontsize=9)
    hide_unused(axes, len(shown))
    assert points is not None
    fig.colorbar(
        points, ax=axes[: len(shown)], label="mean normalized fidelity (colour clipped to [0, 1])"
    )
    handles, texts = _legend(axes)
    if (cells["reference"] < REFERENCE_WARNING).any():
        handles.append(Patch(facecolor="white", edgecolor="black", hatch="////"))
        texts.append(f"shot-limited: a noiseless device scores < {REFERENCE_WARNING:g}")
    if len(generators) > 1 or len(handles) > len(generators):
        axes[0].legend(handles, texts, fontsize=8, loc="upper left")
    cut = f" (first {len(shown)} of {len(panels)} settings)" if len(panels) > len(shown) else ""
    suptitle(fig, f"Volumetric: mean normalized fidelity by width and depth{cut}", where)
    save(fig, path)
    return Plot(
        path.name,
        "Volumetric plot",
        "As the QED-C benchmarks draw it: each cell is one circuit family at one width "
        "(and depth setting), placed at the mean depth of its circuits as they ran and "
        "coloured by their mean normalized fidelity (1: ideal, 0: no better than uniform). "
        "The number in a cell is the mean of the unclipped values; only the colour is "
        f"clipped to [0, 1]. Hatched cells are shot-limited: a noiseless device would score "
        f"below {REFERENCE_WARNING:g} on the same circuits with the same shots (that score "
        "beside the cell), so a low value there says little about the device."
        + (
            " One panel per combination of the settings that vary between the points"
            + (" and of raw against readout-mitigated (M3) counts" if sides else "")
            + "; cells are never averaged across them."
            if by
            else ""
        ),
    )


def _volumetric_panel(ax: Any, cells: Any, markers: dict[Any, str]) -> Any:
    """One panel's cells; returns the last scatter (for the colour bar)."""
    points = None
    for generator, rows in cells.groupby("generator", sort=False):
        marker = markers[generator]
        points = ax.scatter(
            rows["depth_mean"],
            rows["num_qubits"],
            c=np.clip(rows["fidelity"], 0, 1),  # colours clipped; numbers are not
            cmap="RdYlGn",
            vmin=0,
            vmax=1,
            marker=marker,
            s=260,
            edgecolors="black",
            linewidths=0.6,
            label=str(generator),
        )
        limited = rows[rows["reference"] < REFERENCE_WARNING]
        if len(limited):
            ax.scatter(
                limited["depth_mean"],
                limited["num_qubits"],
                marker=marker,
                s=260,
                facecolors="none",
                edgecolors="dimgrey",
                hatch="///",
                linewidths=0.4,
            )
        for row in rows.itertuples(index=False):
            place = (row.depth_mean, row.num_qubits)
            ax.annotate(f"{row.fidelity:.2f}", place, ha="center", va="center", fontsize=6)
            if row.reference < REFERENCE_WARNING:
                ax.annotate(
                    f"noiseless: {row.reference:.2f}",
                    place,
                    xytext=(11, 0),
                    textcoords="offset points",
                    ha="left",
                    va="center",
                    fontsize=6,
                )
    ax.set_xscale("log")
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_formatter(plain)
    ax.tick_params(axis="x", which="minor", labelsize=7)
    ax.set_xlabel("circuit depth as run (ISA circuit, log scale)")
    ax.set_ylabel("circuit width (qubits)")
    ax.grid(alpha=0.3, which="both")
    return points


# --- Estimator ------------------------------------------------------------------------------


def plot_observables(table: Any, path: Path, where: str) -> Plot:
    """One panel per observable: each circuit result's value ± 1 std, its ideal value
    marked; values of different observables never share a panel or an average."""
    ordered = table.sort_values(["circuit_index", "observable_index", "parameter_index"])
    labels = list(dict.fromkeys(ordered["observable"].map(str)))
    shown = labels[:MAX_PANELS]
    fig, axes = grid(len(shown))
    known = "ideal_value" in table and table["ideal_value"].notna().any()
    parameterized = bool(table["parameter_index"].max() > 0)
    for ax, label in zip(axes, shown, strict=False):
        part = ordered[ordered["observable"].map(str) == label].head(MAX_RESULTS)
        x = np.arange(len(part))
        ax.errorbar(
            x, part["value"], yerr=part["std"], fmt="o", color=MEASURED, capsize=3, markersize=4
        )
        if known:
            ax.scatter(x, part["ideal_value"], marker="_", s=260, color=IDEAL, linewidths=2.5)
        ticks = [
            f"#{c}" + (f"/{p}" if parameterized else "")
            for c, p in zip(part["circuit_index"], part["parameter_index"], strict=True)
        ]
        if len(ticks) <= 16:
            ax.set_xticks(x, ticks, fontsize=7, rotation=90 if len(ticks) > 6 else 0)
        ax.set_xlim(-0.6, max(len(x), 3) - 0.4)
        ax.set_ylim(-1.15, 1.15)
        ax.axhline(0, color="grey", linewidth=0.6)
        ax.set_title(label, fontsize=9, family="monospace")
        ax.set_xlabel("circuit" + (" / parameter set" if parameterized else ""))
        ax.set_ylabel("expectation value")
        ax.grid(alpha=0.3)
    hide_unused(axes, len(shown))
    handles = [Line2D([], [], marker="o", color=MEASURED, linestyle="-", label="measured ± 1 std")]
    if known:
        handles.append(
            Line2D([], [], marker="_", markersize=14, color=IDEAL, linestyle="none", label="ideal")
        )
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
    cut = f" (first {len(shown)} of {len(labels)} observables)" if len(labels) > len(shown) else ""
    suptitle(fig, f"Expectation values, one panel per observable{cut}", where)
    save(fig, path)
    return Plot(
        path.name,
        "Expectation values per observable",
        "Each observable in its own panel: every circuit result's estimated value with its "
        "standard error (±1 std)"
        + (", the exact ideal value marked in green" if known else "")
        + (f"; the first {len(shown)} of {len(labels)} observables" if cut else "")
        + ".",
    )


# --- drawing helpers ------------------------------------------------------------------------


_METHOD_WORDS = {
    WILSON: "the Wilson interval over shots where a width has one circuit result",
    M3_STD: "mean -+ 1.96 x mthree's standard deviation for one mitigated result",
    STUDENT_T: "Student's t interval over circuit results where it has 2 to 10",
    BOOTSTRAP: "a percentile bootstrap over circuit results where it has more than 10",
}


def _methods(column: Any) -> str:
    """The interval methods a figure shows, in words, in the order small to large."""
    found = [words for method, words in _METHOD_WORDS.items() if method in set(column)]
    return "; ".join(found) or "no interval"


def _legend(axes: Sequence[Any]) -> tuple[list[Any], list[str]]:
    """Every panel's legend entries once, in panel order."""
    handles: list[Any] = []
    texts: list[str] = []
    for ax in axes:
        for handle, text in zip(*ax.get_legend_handles_labels(), strict=True):
            if text not in texts:
                handles.append(handle)
                texts.append(text)
    return handles, texts


def grid(panels: int) -> tuple[Figure, list[Any]]:
    panels = max(panels, 1)
    cols = min(4, panels)
    rows = math.ceil(panels / cols)
    fig = Figure(figsize=(max(7.0, 4.2 * cols), 3.4 * rows + 1.2), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel().tolist()
    return fig, axes


def hide_unused(axes: Sequence[Any], used: int) -> None:
    for ax in axes[used:]:
        ax.set_visible(False)


def suptitle(fig: Figure, title: str, where: str) -> None:
    chars = max(40, int(fig.get_figwidth() * 11))
    fig.suptitle(textwrap.fill(title, chars) + "\n" + textwrap.fill(where, chars), fontsize=11)


def save(fig: Figure, path: Path) -> None:
    fig.savefig(path, dpi=DPI)
