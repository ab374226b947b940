"""`python -m qexp.show DIR`: a run's (or a sweep's) results at a glance, in the terminal.

Per run: the config essentials (generator, widths, backend, primitive, shots or
precision), the jobs and their status (from manifest.json) with their QPU seconds,
estimated and billed by the service, per circuit the most
frequent outcomes with their probabilities and the metrics against the ideal answer
(Sampler; readout-mitigated values beside the raw ones) or each observable's value ± std
beside its ideal value and z-score (Estimator), then per width each metric's mean with its
named 95% interval and shot-noise reference (a warning where the shots, not the device,
limit a fidelity), for Quantum Volume circuits IBM's verdict with a 97.5% lower bound, the
GHZ state fidelity and mirror RB's error per layer where the run has them. Long runs are
cut after `--circuits` circuit results; a sweep starts with one line per point and a
total line (QPU seconds billed against estimated). Nothing is re-run. Exits 0 when DIR
holds a run folder it could read.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from qexp.analysis.aggregate import (
    METRIC_NAMES,
    REFERENCE_WARNING,
    SAMPLER_METRICS,
    ghz_fidelity,
    metric_means,
    mirror_rb,
    quantum_volume,
    shot_noise_limits,
    volume,
)
from qexp.analysis.results import counts, job_paths, load_ideals, load_table, run_overrides
from qexp.cli import command, exit_now, setup_logging
from qexp.constants import HYDRA_DIR, MANIFEST_FILE, MITIGATED_DIR, SAVED_CONFIG_FILE
from qexp.errors import QexpError
from qexp.mitigation import load_mitigated
from qexp.plan.options import describe
from qexp.store import StoredIdeal, is_complete
from qexp.store.bill import Spending, billed_text, ledger_line, seconds_text, spending
from qexp.store.manifest import Manifest, what_resume_does
from qexp.store.run_folder import run_dirs
from qexp.sweep import sweep_points
from qexp.text import format_indices

log = logging.getLogger("qexp")

STYLE = {"done": "green", "failed": "red", "cancelled": "yellow", "submitted": "cyan"}
MAX_CIRCUITS = 20
MAX_OUTCOMES = 4
MAX_OBSERVABLES = 8
MAX_POINT_DETAILS = 12
"""A sweep with more points shows the summary line of each and the details of the first."""


@dataclass
class RunView:
    """Everything show and report print about one run folder, read once."""

    run_dir: Path
    overrides: dict[str, Any]
    config: dict[str, Any]
    manifest: Manifest | None
    records: list[dict[str, Any]] = field(default_factory=list)
    """Sampler: `qexp.results.counts` of the run."""
    table: Any = None
    """`qexp.results.load_table` of the run (a pandas DataFrame)."""
    ideals: dict[tuple[int, int], StoredIdeal] = field(default_factory=dict)
    """Sampler: `qexp.results.load_ideals` of the run, by (circuit, parameter) index."""
    mitigated: dict[tuple[int, int], dict[str, float]] = field(default_factory=dict)
    """With `mitigation=m3`: each row's readout-mitigated probabilities (bitstring ->
    probability, `qexp.mitigation.load_mitigated`), by (circuit, parameter) index."""
    problems: list[str] = field(default_factory=list)

    @property
    def primitive(self) -> str:
        if self.manifest is not None and self.manifest.info.get("primitive"):
            return str(self.manifest.info["primitive"])
        return str((self.config.get("primitive") or {}).get("name", "?"))

    def essentials(self) -> dict[str, str]:
        """Generator, widths, backend, primitive, shots/precision and seed, as text."""
        return config_essentials(self.config, self.manifest)

    def headline(self) -> tuple[str, float] | None:
        """(what, value) over the run's circuit results. Sampler: mean success probability,
        else mean top-outcome probability. Estimator: mean |measured - ideal| where the
        ideal values are known, else the mean standard error: values of different
        observables are never averaged together."""
        table = self.table
        if table is None or not len(table):
            return None
        if "value" in table and table["value"].notna().any():
            errors = table.get("error")
            if errors is not None and errors.notna().any():
                return "mean |error|", float(errors.abs().mean())
            return "mean std", float(table["std"].mean())
        success = table.get("success_probability")
        if success is not None and success.notna().all():
            return "mean success probability", float(success.mean())
        return "mean top-outcome probability", float(table["top_probability"].mean())


def read_run(run_dir: Path, *, with_counts: bool = True) -> RunView:
    """Read one run folder for display: config, manifest, table (and counts for the Sampler).

    Never raises for what a run folder may lack (no manifest, no job file, a corrupt file):
    such things are listed in `problems`.
    """
    view = RunView(run_dir, run_overrides(run_dir), load_config(run_dir), None)
    if (run_dir / MANIFEST_FILE).is_file():
        try:
            view.manifest = Manifest.load(run_dir)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            view.problems.append(f"manifest.json unreadable: {exc}")
    else:
        view.problems.append("no manifest.json: no job was planned yet")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            view.table = load_table(run_dir, skip_corrupt=True)
            if with_counts and view.table is not None and "top_outcome" in view.table:
                view.records = counts(run_dir, skip_corrupt=True)
                view.ideals = load_ideals(run_dir, skip_corrupt=True)
                if (run_dir / MITIGATED_DIR).is_dir():
                    view.mitigated = {
                        (r["circuit_index"], r["parameter_index"]): r["probabilities"]
                        for r in load_mitigated(run_dir)
                    }
        except (QexpError, OSError) as exc:
            view.problems.append(str(exc))
    view.problems.extend(str(w.message) for w in caught)
    return view


def load_config(run_dir: Path) -> dict[str, Any]:
    """The run's composed config as plain data: `.hydra/config.yaml`, else a job file's copy."""
    from omegaconf import OmegaConf

    path = run_dir / HYDRA_DIR / SAVED_CONFIG_FILE
    try:
        if path.is_file():
            return cast(dict[str, Any], OmegaConf.to_container(OmegaConf.load(path)) or {})
        import h5py

        for job in job_paths(run_dir):
            with h5py.File(job, "r") as f:
                text = f.attrs.get("config_yaml")
            if text:
                return cast(dict[str, Any], OmegaConf.to_container(OmegaConf.create(str(text))))
    except Exception:  # a damaged config is shown as missing, never fatal here
        return {}
    return {}


def config_essentials(config: dict[str, Any], manifest: Manifest | None) -> dict[str, str]:
    circuits = config.get("circuits") or {}
    backend = config.get("backend") or {}
    primitive = config.get("primitive") or {}
    info = manifest.info if manifest is not None else {}
    generator = str(circuits.get("name", "?"))
    extras = [
        f"{key} {circuits[key]}"
        for key in ("count", "depth", "ansatz", "reps", "num_points", "path")
        if circuits.get(key) is not None
    ]
    widths = circuits.get("num_qubits")
    width_text = ", ".join(map(str, widths)) if isinstance(widths, list) else str(widths or "?")
    kind = backend.get("kind", "?")
    resolved = info.get("backend")
    backend_text = f"{resolved} ({kind})" if resolved else str(backend.get("name") or kind)
    name = info.get("primitive") or primitive.get("name", "?")
    implementation = info.get("implementation") or primitive.get("implementation")
    primitive_text = f"{name} ({implementation})" if implementation else str(name)
    parts = primitive.values() if "name" not in primitive else [primitive]
    budget = ", ".join(_budget(p) for p in parts if isinstance(p, dict)) or "?"
    essentials = {
        "generator": generator + (f" ({', '.join(extras)})" if extras else ""),
        "qubits": width_text,
        "backend": backend_text,
        "primitive": primitive_text,
        "shots/precision": budget,
        "seed": str(config.get("seed", info.get("seed", "?"))),
    }
    if options := _options_text(info.get("options") or {}):
        essentials["options"] = options
    return essentials


def _options_text(chosen: dict[str, Any]) -> str:
    """The runtime options each primitive was given (`twirling.enable_gates=True`), named
    by primitive in a run of both; what they finalized to is in the manifest and files."""
    parts = []
    for name, recorded in chosen.items():
        text = ", ".join(describe((recorded or {}).get("set") or {}))
        if text:
            parts.append(f"{name}: {text}" if len(chosen) > 1 else text)
    return "; ".join(parts)


def _budget(primitive: dict[str, Any]) -> str:
    """`1024 shots` or `precision 0.0156`, named by primitive in a run of both."""
    if primitive.get("shots") is not None:
        text = f"{primitive['shots']} shots"
    elif primitive.get("precision") is not None:
        text = f"precision {primitive['precision']:g}"
    else:
        return "?"
    return text


def circuit_label(metadata: dict[str, Any]) -> str:
    """`ghz, 3 qubits` / `random, 4 qubits, depth 5, #2`: a circuit, as a physicist names it."""
    parts = [str(metadata.get("generator", "?"))]
    if metadata.get("num_qubits") is not None:
        n = metadata["num_qubits"]
        parts.append(f"{n} qubit{'s' if n != 1 else ''}")
    for key, fmt in (("ansatz", "{}"), ("reps", "reps {}"), ("depth", "depth {}")):
        if metadata.get(key) is not None:
            parts.append(fmt.format(metadata[key]))
    if metadata.get("index_in_width") is not None:
        parts.append(f"#{metadata['index_in_width']}")
    if metadata.get("file"):
        parts.append(Path(str(metadata["file"])).name)
    return ", ".join(parts)


# --- rendering ----------------------------------------------------------------------------


def jobs_table(view: RunView) -> Table | Text:
    if view.manifest is None:
        return Text("no job ledger (manifest.json) in this folder", style="yellow")
    table = Table(title="jobs", title_justify="left", show_edge=False, pad_edge=False)
    mixed = any(job.primitive for job in view.manifest.jobs)
    qpu = view_spending(view).cell() != "-"  # a simulator has no QPU time to show
    columns = ("job", *(("primitive",) if mixed else ()), "status", "circuits", "attempts")
    for column in (*columns, *(("QPU s est.", "QPU s billed") if qpu else ()), "job id", "file"):
        table.add_column(column)
    for job in view.manifest.jobs:
        file_ok = is_complete(view.run_dir / job.file)
        status = job.status if file_ok or job.status != "done" else "done, file missing"
        style = STYLE.get(job.status, "")
        last = job.last
        error = f" ({last.error_class}: {last.error})" if last and last.error else ""
        table.add_row(
            str(job.index),
            *((job.primitive,) if mixed else ()),
            Text(status + error[:70], style=style),
            format_indices(job.circuits),
            str(len(job.attempts)),
            *((seconds_text(job.estimate, "~"), billed_text(job)) if qpu else ()),
            (last.job_id or "-") if last else "-",
            job.file if file_ok else "-",
        )
    counts_text = ", ".join(f"{n} {s}" for s, n in view.manifest.counts().items() if n)
    table.caption = f"{len(view.manifest.jobs)} jobs: {counts_text}\n{ledger_line(view.manifest)}"
    table.caption_justify = "left"
    return table


CIRCUIT_METRICS = {
    "success_probability": "P(ideal)",
    "hellinger_fidelity": "fidelity",
    "normalized_fidelity": "norm. fid.",
    "heavy_output_probability": "HOP",
    "effective_polarization": "polariz.",
}
"""Per-circuit metric columns of the Sampler view: table column -> header. Each is followed
by its readout-mitigated value (`<metric>_mitigated`, header `... M3`, with mthree's
standard deviation where it has one) when the run has it."""
MITIGATED = "_mitigated"


def sampler_table(view: RunView, limit: int, outcomes: int) -> Table:
    records = view.records
    parameterized = any(r["parameter_index"] for r in records)
    scores = _scores(view.table)
    raw = [column for column in CIRCUIT_METRICS if any(column in row for row in scores.values())]
    shown = [
        name
        for column in raw
        for name in (column, column + MITIGATED)
        if any(name in row for row in scores.values())
    ]
    table = Table(title="circuits (Sampler)", title_justify="left", show_edge=False)
    table.add_column("#", justify="right")
    table.add_column("circuit")
    if parameterized:
        table.add_column("point", justify="right")
    table.add_column("shots", justify="right")
    table.add_column(f"top outcomes: probability (up to {outcomes})")
    for column in shown:
        header = CIRCUIT_METRICS[column.removesuffix(MITIGATED)]
        table.add_column(header + (" M3" if column.endswith(MITIGATED) else ""), justify="right")
    for record in records[:limit]:
        shots = record["shots"]
        top = list(record["counts"].items())[:outcomes]
        text = Text()
        for position, (bits, number) in enumerate(top):
            if position:
                text.append("  ")
            ideal = record["ideal_outcomes"] and bits in record["ideal_outcomes"]
            text.append(bits, style="bold green" if ideal else "bold")
            text.append(f" {number / shots:.3f}")
        more = len(record["counts"]) - len(top)
        if more > 0:
            text.append(f"  +{more} more", style="dim")
        row: list[str | Text] = [str(record["circuit_index"]), circuit_label(record["metadata"])]
        if parameterized:
            row.append(str(record["parameter_index"]))
        row += [str(shots), text]
        found = scores.get((record["circuit_index"], record["parameter_index"]), {})
        row += [_score(found, column) for column in shown]
        table.add_row(*row)
    if len(records) > limit:
        table.caption = _more(len(records) - limit, view.run_dir)
        table.caption_justify = "left"
    return table


def _score(found: dict[str, float], column: str) -> str:
    """`0.842`, or `0.990±0.012` with mthree's standard deviation; `-` where unknown."""
    if column not in found:
        return "-"
    std = found.get(f"{column}_std")
    return f"{found[column]:.3f}" + ("" if std is None else f"±{std:.3f}")


def _scores(frame: Any) -> dict[tuple[int, int], dict[str, float]]:
    """(circuit index, parameter index) -> the row's known metrics, from the table."""
    if frame is None or not len(frame):
        return {}
    names = [n for c in CIRCUIT_METRICS for n in (c, c + MITIGATED, c + MITIGATED + "_std")]
    columns = [c for c in names if c in frame]
    found = {}
    for row in frame[["circuit_index", "parameter_index", *columns]].itertuples(index=False):
        values = dict(zip(columns, row[2:], strict=True))
        found[int(row[0]), int(row[1])] = {
            k: float(v) for k, v in values.items() if not math.isnan(v)
        }
    return found


def estimator_table(view: RunView, limit: int) -> Table:
    frame = view.table
    if "primitive" in frame:  # a run of both primitives: the Estimator's rows
        frame = frame[frame["primitive"] == "estimator"]
    keys = ["circuit_index", "parameter_index"]
    groups = list(frame.groupby(keys, sort=True))
    parameterized = frame["parameter_index"].max() > 0
    table = Table(title="circuits (Estimator)", title_justify="left", show_edge=False)
    table.add_column("#", justify="right")
    table.add_column("circuit")
    if parameterized:
        table.add_column("point", justify="right")
    known = "ideal_value" in frame and frame["ideal_value"].notna().any()
    known_text = "  (ideal value, z = error / std)" if known else ""
    table.add_column("observable: expectation value ± std" + known_text)
    metadata_columns = [c for c in frame.columns if c in _METADATA_HINTS]
    for (index, point), rows in groups[:limit]:
        first = rows.iloc[0]
        metadata = {c: plain_value(first[c]) for c in metadata_columns}
        lines = Text()
        ordered = rows.sort_values("observable_index")
        for position, (_, row) in enumerate(ordered.head(MAX_OBSERVABLES).iterrows()):
            if position:
                lines.append("\n")
            lines.append(f"{row['observable'] or '?'}", style="bold")
            lines.append(f"  {row['value']:+.4f} ± {row['std']:.4f}")
            if known and not math.isnan(row["ideal_value"]):
                z = row.get("z_score", math.nan)
                z_text = "" if math.isnan(z) else f", z {z:+.1f}"
                lines.append(f"  (ideal {row['ideal_value']:+.4f}{z_text})", style="green")
        if len(ordered) > MAX_OBSERVABLES:
            lines.append(f"\n+{len(ordered) - MAX_OBSERVABLES} more observables", style="dim")
        row_cells = [str(index), circuit_label(metadata)]
        if parameterized:
            row_cells.append(str(point))
        table.add_row(*row_cells, lines)
    if len(groups) > limit:
        table.caption = _more(len(groups) - limit, view.run_dir)
        table.caption_justify = "left"
    return table


_METADATA_HINTS = ("generator", "num_qubits", "ansatz", "reps", "depth", "index_in_width", "file")


def widths_table(view: RunView) -> Table | None:
    """Each metric's mean per width with its 95% interval (`aggregate.metric_means`)."""
    if view.table is None or not len(view.table) or "num_qubits" not in view.table:
        return None
    means = metric_means(view.table, by=[])
    if means.empty:
        return None
    names = METRIC_NAMES
    table = Table(
        title="per width: mean with its 95% interval", title_justify="left", show_edge=False
    )
    referenced = bool(means["reference"].notna().any())
    columns = ["metric", "qubits", "mean", "95% interval", "results", "interval"]
    columns += ["ideal device, same shots"] if referenced else []
    for column in columns:
        table.add_column(column, justify="right" if column in ("qubits", "results") else "left")
    for row in means.itertuples(index=False):
        name = names[row.metric] + (f" {row.observable}" if row.observable else "")
        name += f" ({row.generator})" if "generator" in means else ""
        interval = "-" if math.isnan(row.low) else f"[{row.low:.3f}, {row.high:.3f}]"
        cells = [name, str(row.num_qubits), f"{row.mean:.3f}", interval, str(row.n), row.interval]
        if referenced:
            cells.append("-" if math.isnan(row.reference) else f"{row.reference:.3f}")
        table.add_row(*cells)
    if referenced:
        table.caption = (
            "ideal device, same shots: the mean a noiseless device scores on these circuits "
            "with the run's shots (the shot-noise reference); means use unclipped values"
        )
        table.caption_justify = "left"
    return table


def shot_noise_warnings(view: RunView) -> list[Text]:
    """One line per width and fidelity where even a noiseless device would score below
    `REFERENCE_WARNING` with the run's shots: there the shot count, not the device, limits
    the number."""
    if view.table is None or not len(view.table) or "num_qubits" not in view.table:
        return []
    means = metric_means(view.table, by=[])
    if means.empty:
        return []
    limits = shot_noise_limits(means)
    lines = []
    for width, rows in limits.groupby("num_qubits", sort=True):
        shots = view.table[view.table["num_qubits"] == width]["shots"].dropna()
        budget = f"{int(shots.median()):,} shots" if len(shots) else "the run's shots"
        scores = " and ".join(
            f"{row.reference:.2f} {SAMPLER_METRICS[row.metric]}"
            for row in rows.itertuples(index=False)
        )
        lines.append(
            Text(
                f"shot noise: with {budget} a noiseless device scores only {scores} at "
                f"{width} qubits (below {REFERENCE_WARNING:g}): the shot count, not the "
                "device, limits these numbers; more shots (primitive.shots) raise them",
                style="yellow",
            )
        )
    return lines


def volume_table(view: RunView) -> Table | None:
    """IBM's Quantum Volume verdict per width (`qexp.analysis.aggregate.quantum_volume`)."""
    if view.table is None or not len(view.table):
        return None
    verdicts = quantum_volume(view.table, by=[])
    if verdicts.empty:
        return None
    table = Table(
        title="Quantum Volume: mean heavy-output probability - 2 sigma must exceed 2/3 "
        "on >= 100 circuits",
        title_justify="left",
        show_edge=False,
    )
    for column in ("qubits", "circuits", "mean HOP", "sigma", "mean - 2 sigma", "verdict"):
        table.add_column(column, justify="right")
    table.add_column("97.5% lower bound", justify="right")
    for row in verdicts.itertuples(index=False):
        if row.passed:
            verdict = Text("passed", style="green")
        elif not row.enough_circuits:
            above = "above" if row.above_threshold else "not above"
            verdict = Text(f"{above} 2/3; too few circuits (< 100)", style="yellow")
        else:
            verdict = Text("failed", style="red")
        table.add_row(
            str(row.num_qubits),
            str(row.num_circuits),
            f"{row.mean:.3f}",
            f"{row.sigma:.3f}",
            f"{row.lower:.3f}",
            verdict,
            _bound(row.lower_bound, row.lower_bound_method),
        )
    achieved = volume(verdicts)
    table.caption = (
        f"Quantum Volume 2^{int(math.log2(achieved))} = {achieved}"
        if achieved
        else "no width passes: no Quantum Volume shown by this run"
    ) + (
        " (IBM's rule: sigma = sqrt(mean (1 - mean) / circuits)). 97.5% lower bound: "
        "one-sided, without that binomial assumption, shown beside the verdict"
    )
    table.caption_justify = "left"
    return table


def ghz_table(view: RunView) -> Table | None:
    """The GHZ state fidelity per width (`qexp.analysis.aggregate.ghz_fidelity`)."""
    if view.table is None or not len(view.table):
        return None
    found = ghz_fidelity(view.table, by=[])
    if found.empty:
        return None
    table = Table(
        title="GHZ state fidelity: F = (P(0...0) + P(1...1))/2 + C/2, C the parity amplitude",
        title_justify="left",
        show_edge=False,
    )
    for column in ("qubits", "fidelity F", "populations P", "coherence C", "phases"):
        table.add_column(column, justify="right")
    for row in found.itertuples(index=False):
        table.add_row(
            str(row.num_qubits),
            f"{row.fidelity:.3f} ± {row.std:.3f}",
            f"{row.population:.3f} ± {row.population_std:.3f}",
            f"{row.coherence:.3f} ± {row.coherence_std:.3f}",
            str(row.phases),
        )
    table.caption = "± one standard deviation from shot noise (Monz et al. 2011)"
    table.caption_justify = "left"
    return table


def mirror_table(view: RunView) -> Table | None:
    """Mirror RB's error per layer per width (`qexp.analysis.aggregate.mirror_rb`)."""
    if view.table is None or not len(view.table):
        return None
    fits = mirror_rb(view.table, by=[])
    if fits.empty:
        return None
    table = Table(
        title="mirror RB: effective polarization = A p^d, error per layer r = (4^n-1)/4^n (1-p)",
        title_justify="left",
        show_edge=False,
    )
    for column in ("qubits", "error per layer r", "decay p", "amplitude A", "depths", "circuits"):
        table.add_column(column, justify="right")
    for row in fits.itertuples(index=False):
        table.add_row(
            str(row.num_qubits),
            f"{row.error_per_layer:.5f} ± {row.error_per_layer_std:.5f}",
            f"{row.p:.5f} ± {row.p_std:.5f}",
            f"{row.amplitude:.3f} ± {row.amplitude_std:.3f}",
            str(row.depths),
            str(row.circuits),
        )
    table.caption = "± one standard deviation from the fit (Proctor et al. 2022)"
    table.caption_justify = "left"
    return table


def _bound(value: float, method: str) -> str:
    """`0.712 (bootstrap)`: a lower bound and, briefly, how it was found."""
    if math.isnan(value):
        return "-"
    return f"{value:.3f} ({method.split(' over ')[0]})"


def run_panel(view: RunView, title: str, limit: int, outcomes: int) -> Group:
    essentials = view.essentials()
    header = Text()
    header.append(title, style="bold underline")
    header.append(f"  {view.run_dir}\n", style="dim")
    for position, (key, value) in enumerate(essentials.items()):
        if position:
            header.append("  ·  ", style="dim")
        if key in ("qubits", "seed"):
            header.append(f"{key} ", style="dim")
        header.append(value, style="bold" if key == "generator" else "")
    if view.overrides:
        header.append("\noverrides: ", style="dim")
        header.append(" ".join(f"{k}={_text(v)}" for k, v in view.overrides.items()))
    parts: list[Any] = [header, jobs_table(view)]
    if view.manifest is not None and (stopped := view.manifest.info.get("stopped")):
        parts.append(Text(f"stopped: {stopped}", style="bold yellow"))
        parts.append(Text(what_resume_does(view.manifest), style="yellow"))
    for problem in view.problems:
        parts.append(Text(f"note: {problem}", style="yellow"))
    estimated = view.table is not None and len(view.table) and "value" in view.table
    if view.records:
        parts.append(sampler_table(view, limit, outcomes))
    if estimated:
        parts.append(estimator_table(view, limit))  # alone, or beside the Sampler's
    if not view.records and not estimated:
        parts.append(Text("no circuit results in this folder yet", style="yellow"))
    tables = (widths_table(view), volume_table(view), ghz_table(view), mirror_table(view))
    parts.extend(t for t in tables if t is not None)
    parts.extend(shot_noise_warnings(view))
    parts.append(Text(""))
    return Group(*parts)


def sweep_table(views: list[RunView], swept: list[str]) -> Table:
    table = Table(title="sweep points", title_justify="left", show_edge=False)
    table.add_column("point", justify="right")
    for key in swept:
        table.add_column(key)
    table.add_column("jobs done")
    table.add_column("# circuits", justify="right")
    table.add_column("QPU s billed / est.")
    table.add_column("headline")
    for view in views:
        manifest = view.manifest
        done = Text("-")
        if manifest is not None:
            number, total = manifest.counts()["done"], len(manifest.jobs)
            done = Text(f"{number}/{total}", style="green" if number == total else "red")
        headline = view.headline()
        table_ = view.table
        rows = table_["circuit_index"].nunique() if table_ is not None and len(table_) else 0
        table.add_row(
            view.run_dir.name,
            *[_text(view.overrides.get(key, "-")) for key in swept],
            done,
            str(rows),
            view_spending(view).cell(),
            f"{headline[0]} {headline[1]:.3f}" if headline else "-",
        )
    spent = sum((view_spending(v) for v in views), Spending())
    table.add_row("total", *[""] * len(swept), "", "", spent.cell(), "", style="bold")
    table.caption = spent.describe()
    table.caption_justify = "left"
    return table


def view_spending(view: RunView) -> Spending:
    """The run's QPU seconds from its ledger (nothing without one)."""
    return spending(view.manifest) if view.manifest is not None else Spending()


def swept_keys(views: list[RunView]) -> list[str]:
    """Override keys whose value differs between the runs, in first-seen order."""
    keys: dict[str, None] = {}
    for view in views:
        keys.update(dict.fromkeys(view.overrides))
    return [k for k in keys if len({_text(v.overrides.get(k)) for v in views}) > 1]


def _more(number: int, run_dir: Path) -> str:
    return (
        f"... and {number} more circuit result(s): `qexp.results.load_table` has every value, "
        f"`{command('report', run_dir)}` plots them"
    )


def _text(value: Any) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "-"
    return value if isinstance(value, str) else json.dumps(value)


def plain_value(value: Any) -> Any:
    """A table cell as plain Python: numpy scalars unwrapped, NaN as None."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def renderables(
    path: Path, circuits: int = MAX_CIRCUITS, outcomes: int = MAX_OUTCOMES
) -> list[Any]:
    """What `qexp.show PATH` prints, as rich renderables (a terminal's or a notebook's)."""
    folders = run_dirs(path)
    if not folders:
        raise QexpError(f"{path}: no run folder here (expected .hydra/ or manifest.json)")
    views = [read_run(folder) for folder in folders]
    points = sweep_points(path)
    is_sweep = points is not None or folders[0] != path
    shown: list[Any] = []
    if is_sweep:
        swept = swept_keys(views)
        title = Text(f"sweep {path}: {len(folders)} point folder(s)", style="bold")
        if points is not None and len(points) > len(folders):
            title.append(f", {len(points) - len(folders)} point(s) never started", style="yellow")
        shown += [title, sweep_table(views, swept), Text()]
    for position, view in enumerate(views):
        if is_sweep and position >= MAX_POINT_DETAILS:
            shown.append(
                f"... details of {len(views) - position} more point(s): each point's "
                f"folder shows its own, e.g. `{command('show', view.run_dir)}`"
            )
            break
        heading = f"point {view.run_dir.name}" if is_sweep else "run"
        shown.append(run_panel(view, heading, circuits, outcomes))
    return shown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=command("show"), description=__doc__)
    parser.add_argument("dir", type=Path, help="a run folder or a multirun (sweep) folder")
    parser.add_argument(
        "--circuits", type=int, default=MAX_CIRCUITS, help="circuit results shown per run"
    )
    parser.add_argument(
        "--outcomes", type=int, default=MAX_OUTCOMES, help="top outcomes shown per circuit"
    )
    args = parser.parse_args(argv)
    setup_logging()
    console = Console(width=max(120, Console().width))
    try:
        shown = renderables(args.dir, args.circuits, args.outcomes)
    except QexpError as exc:
        log.error("%s", exc)
        return 1
    for renderable in shown:
        console.print(renderable)
    return 0


if __name__ == "__main__":
    exit_now(main())
