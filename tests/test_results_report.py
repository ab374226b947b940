"""Looking at results: the table, counts, exports, `qexp.show` and `qexp.report`.

Every number the table holds is checked against the job files read with plain h5py; the
HTML report is opened in a real headless Chromium to check that every image loads.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import h5py
import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from conftest import qexp_cli, run_config, write_pubs
from qiskit import QuantumCircuit
from qiskit.primitives import BitArray, DataBin, PrimitiveResult, SamplerPubResult

from qexp.analysis.report import build_report
from qexp.circuits.base import CircuitSpec
from qexp.errors import RunError
from qexp.results import (
    counts,
    export_counts_json,
    export_table_csv,
    iter_circuits,
    load_run,
    load_table,
    quantum_volume,
    read_table_csv,
    run_overrides,
)
from qexp.store import StoredPub

CHROMIUM = Path(os.environ.get("QEXP_CHROMIUM", "/usr/bin/chromium"))
"""The browser the HTML report is opened in: .ci/run sets QEXP_CHROMIUM, installs it there."""
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SWEEP = ("-m", "circuits=ghz,qft", "circuits.num_qubits=2,3,4", "primitive.shots=64")


# --- fixtures: real runs, made once per module ----------------------------------------


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """Small in-process runs: plain and parameterized, Sampler and Estimator."""
    root = tmp_path_factory.mktemp("runs")
    cases = {
        "sampler": ("primitive.shots=200",),
        "estimator": ("primitive=estimator", "primitive.precision=0.05"),
        "ansatz_sampler": ("circuits=ansatz", "circuits.num_points=3", "primitive.shots=100"),
        "ansatz_estimator": (
            "circuits=ansatz",
            "circuits.num_qubits=[2,3]",
            "circuits.num_points=4",
            "primitive=estimator",
            "primitive.precision=0.1",
        ),
        "mixed": ("primitive=[sampler,estimator]", "primitive.sampler.shots=200"),
    }
    for name, overrides in cases.items():
        run_config(root / name, *overrides, "run.progress=off")
    return {name: root / name for name in cases}


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    """circuits=ghz,qft x circuits.num_qubits=2,3,4 through the CLI: six sweep points."""
    root = tmp_path_factory.mktemp("sweep")
    done = qexp_cli(*SWEEP, "run.progress=off", f"hydra.sweep.dir={root}/multi", cwd=root)
    assert done.returncode == 0, done.stderr
    return root / "multi"


@pytest.fixture(scope="module")
def sweep_report(sweep) -> Path:
    """`python -m qexp.report SWEEP`, through the CLI; the path of report.html."""
    done = qexp_cli(str(sweep), cwd=sweep, module="qexp.report")
    assert done.returncode == 0, done.stderr
    report = sweep / "report" / "report.html"
    assert report.is_file() and str(report) in done.stdout
    return report


@pytest.fixture(scope="module")
def metrics_report(tmp_path_factory) -> Path:
    """A two-point sweep folder, Quantum Volume (Sampler) and an ansatz (Estimator), run
    in-process with the overrides Hydra would record; the path of its report.html."""
    root = tmp_path_factory.mktemp("metrics-sweep")
    points = {
        "0": (
            "circuits=quantum_volume",
            "circuits.num_qubits=[2,3]",
            "circuits.count=12",
            "primitive.shots=300",
        ),
        "1": (
            "circuits=ansatz",
            "circuits.num_qubits=[2,3]",
            "circuits.num_points=3",
            "primitive=estimator",
            "primitive.precision=0.1",
        ),
        "2": (  # GHZ state fidelity from parity oscillations
            "circuits=ghz",
            "circuits.parity=true",
            "circuits.num_qubits=[2,3]",
            "primitive.shots=300",
            "partition.max_circuits=20",
        ),
        "3": (  # mirror RB across benchmark depths on a noisy device
            "circuits=mirror",
            "circuits.num_qubits=[2]",
            "circuits.depth=[0,4,8]",
            "circuits.count=3",
            "backend=fake",
            "primitive.shots=300",
        ),
        "4": (  # raw and readout-mitigated side by side
            "circuits=ghz",
            "circuits.num_qubits=[2,3]",
            "mitigation=m3",
            "mitigation.shots=2000",
            "backend=fake",
            "primitive.shots=2000",
        ),
    }
    for name, overrides in points.items():
        run_config(root / name, *overrides, "run.progress=off")
        lines = "".join(f"- {o}\n" for o in overrides)
        (root / name / ".hydra" / "overrides.yaml").write_text(lines, encoding="utf-8")
    return build_report(root)


# --- the job files, read with plain h5py --------------------------------------------------


def _pub_blocks(f: h5py.File, field: str) -> dict[int, np.ndarray]:
    """PUB position -> that PUB's rows of `data/<field>`, cut with plain h5py."""
    ds = f[f"data/{field}"]
    data, offsets = ds[()], ds.attrs["offsets"]
    positions = ds.attrs.get("pubs", range(len(offsets) - 1))
    shapes = json.loads(ds.attrs["shapes"])
    blocks = {}
    for k, position in enumerate(positions):
        block = data[offsets[k] : offsets[k + 1]]
        if ds.attrs["kind"] == "BitArray":
            num_bits = int(ds.attrs["num_bits"][k])
            bits = np.unpackbits(block, axis=-1)[:, block.shape[1] * 8 - num_bits :]
            blocks[int(position)] = bits.reshape(*shapes[k], num_bits)
        else:
            blocks[int(position)] = block.reshape(shapes[k])
    return blocks


def h5_sampler_truth(run_dir: Path) -> dict[tuple[int, int], dict]:
    """(circuit index, parameter index) -> counts, ideal outcomes, job attrs; from h5py."""
    truth = {}
    for path in sorted((run_dir / "jobs").glob("job-*.h5")):
        with h5py.File(path, "r") as f:
            job = {key: f.attrs[key] for key in ("job_index", "job_id", "shots", "backend")}
            info = json.loads(f["pubs/info"][()].tobytes())
            for position, bits in _pub_blocks(f, "meas").items():
                shots = bits.shape[-2]
                for point, block in enumerate(bits.reshape(-1, shots, bits.shape[-1])):
                    strings = ["".join(map(str, row)) for row in block]
                    truth[info[position]["index"], point] = {
                        "counts": Counter(strings),
                        "ideal": info[position].get("ideal_outcomes"),
                        "metadata": info[position]["metadata"],
                        **job,
                    }
    return truth


def h5_estimator_truth(run_dir: Path) -> dict[tuple[int, str, int], tuple[float, float]]:
    """(circuit index, observable, parameter index) -> (ev, std); from h5py."""
    truth = {}
    for path in sorted((run_dir / "jobs").glob("job-*.h5")):
        with h5py.File(path, "r") as f:
            info = json.loads(f["pubs/info"][()].tobytes())
            stds = _pub_blocks(f, "stds")
            for position, evs in _pub_blocks(f, "evs").items():
                observables = info[position]["observables"]
                assert evs.shape[0] == len(observables)
                for i, label in enumerate(observables):
                    for point, (ev, std) in enumerate(
                        zip(evs[i].reshape(-1), stds[position][i].reshape(-1), strict=True)
                    ):
                        truth[info[position]["index"], label, point] = (ev, std)
    return truth


# --- (a) the table holds what the files hold ---------------------------------------------


@pytest.mark.parametrize("name", ["sampler", "ansatz_sampler"])
def test_sampler_table_equals_the_job_files(runs, name):
    run_dir = runs[name]
    table = load_table(run_dir)
    truth = h5_sampler_truth(run_dir)
    assert len(table) == len(truth) > 0
    assert sorted(zip(table.circuit_index, table.parameter_index, strict=True)) == sorted(truth)
    for row in table.itertuples(index=False):
        expected = truth[row.circuit_index, row.parameter_index]
        tally, shots = expected["counts"], sum(expected["counts"].values())
        best = max(tally.values())
        assert row.top_probability == best / shots
        assert row.top_outcome == min(b for b, n in tally.items() if n == best)  # ties: smallest
        assert row.num_outcomes == len(tally)
        if expected["ideal"]:
            assert row.success_probability == sum(tally[b] for b in expected["ideal"]) / shots
        else:
            assert math.isnan(row.success_probability)
        assert (row.job_index, row.job_id) == (expected["job_index"], expected["job_id"])
        assert (row.shots, row.backend) == (expected["shots"], expected["backend"])
        assert row.generator == expected["metadata"]["generator"]
        assert row.num_qubits == expected["metadata"]["num_qubits"]
        assert row.primitive == "sampler" and math.isnan(row.precision)
    assert table["run"].unique().tolist() == [run_dir.name]


@pytest.mark.parametrize("name", ["estimator", "ansatz_estimator"])
def test_estimator_table_equals_the_job_files(runs, name):
    table = load_table(runs[name])
    truth = h5_estimator_truth(runs[name])
    assert len(table) == len(truth) > 0
    for row in table.itertuples(index=False):
        ev, std = truth[row.circuit_index, row.observable, row.parameter_index]
        assert (row.value, row.std) == (ev, std)  # bit-exact
    assert set(table["primitive"]) == {"estimator"}
    assert (table["precision"] > 0).all()
    if name == "ansatz_estimator":
        assert table["parameter_index"].max() == 3 and set(table["num_qubits"]) == {2, 3}
        assert {"ansatz", "reps", "seed"} <= set(table.columns)


def test_counts_equal_qiskit_get_counts(runs):
    for name in ("sampler", "ansatz_sampler"):
        results = load_run(runs[name])
        for record in counts(runs[name]):
            data = results[record["circuit_index"]].data.meas
            expected = (
                data.get_counts()
                if data.ndim == 0
                else data[record["parameter_index"]].get_counts()
            )
            assert record["counts"] == expected
            values = list(record["counts"].values())
            assert values == sorted(values, reverse=True) and record["shots"] == sum(values)
    assert counts(runs["estimator"]) == []


def test_counts_join_several_registers_as_join_data(tmp_path):
    """Two classical registers: counts and the table join them as SamplerPubResult does."""
    run_dir = tmp_path / "two_registers"
    (run_dir / ".hydra").mkdir(parents=True)
    rng = np.random.default_rng(5)
    zeta = BitArray.from_samples([format(v, "02b") for v in rng.integers(0, 4, 50)], 2)
    alpha = BitArray.from_samples([str(v) for v in rng.integers(0, 2, 50)], 1)
    result = SamplerPubResult(DataBin(zeta=zeta, alpha=alpha, shape=()), metadata={})
    circuit = QuantumCircuit(3, metadata={"generator": "hand", "num_qubits": 3, "seed": None})
    write_pubs(
        run_dir / "jobs" / "job-00000.h5",
        attrs={"job_index": 0, "job_id": "x", "primitive": "sampler", "num_circuits_in_run": 1},
        pubs=[StoredPub(0, CircuitSpec(circuit))],
        result=PrimitiveResult([result], metadata={}),
    )
    joined = result.join_data().get_counts()
    assert counts(run_dir)[0]["counts"] == joined
    (row,) = load_table(run_dir).itertuples(index=False)
    assert row.top_probability == max(joined.values()) / 50 and len(row.top_outcome) == 3


@pytest.mark.slow
def test_iter_circuits_yields_every_result_lazily(runs, sweep):
    seen = list(iter_circuits(runs["sampler"]))
    expected = load_run(runs["sampler"])
    assert [c.index for c in seen] == list(range(len(expected)))
    for c in seen:
        assert c.result.data.meas.get_counts() == expected[c.index].data.meas.get_counts()
        assert c.metadata["generator"] == "ghz" and c.job_file.name.startswith("job-")
        assert c.ideal_outcomes and c.job_id
    points = list(iter_circuits(sweep))
    assert [c.run_dir.name for c in points] == [str(n) for n in range(6)]


def test_override_columns_and_clashes(runs, tmp_path):
    run_dir = runs["sampler"]
    assert run_overrides(run_dir) == {}  # run in-process: Hydra wrote no overrides.yaml
    hydra = run_dir / ".hydra" / "overrides.yaml"
    hydra.write_text("- backend=aer\n- seed=1\n- primitive=sampler\n- primitive.shots=200\n")
    try:
        overrides = run_overrides(run_dir)
        assert overrides == {
            "backend": "aer",
            "seed": 1,
            "primitive": "sampler",
            "primitive.shots": 200,
        }
        table = load_table(run_dir)
    finally:
        hydra.unlink()
    # `primitive` agrees with the jobs' primitive: one column; the others would clash.
    assert table.attrs["overrides"] == [
        "override.backend",
        "override.seed",
        "primitive",
        "primitive.shots",
    ]
    assert (table["override.backend"] == "aer").all() and (
        table["backend"] == "aer_simulator"
    ).all()
    assert (table["override.seed"] == 1).all() and table["seed"].isna().all()
    assert (table["primitive.shots"] == 200).all()


# --- (b) a sweep: one row per circuit result, the report renders every plot ---------------


@pytest.mark.slow
def test_sweep_table_has_the_override_columns(sweep):
    table = load_table(sweep)
    assert len(table) == 6  # one unparameterized circuit per point
    assert {"circuits", "circuits.num_qubits"} <= set(table.columns)
    assert {"circuits", "circuits.num_qubits"} <= set(table.attrs["overrides"])
    pairs = set(zip(table["circuits"], table["circuits.num_qubits"], strict=True))
    assert pairs == {(c, n) for c in ("ghz", "qft") for n in (2, 3, 4)}
    assert (table["circuits.num_qubits"] == table["num_qubits"]).all()
    assert (table["circuits"] == table["generator"]).all()
    assert table["run"].tolist() == [str(n) for n in range(6)]
    ghz = table[table["generator"] == "ghz"]
    assert ghz["success_probability"].notna().all()
    # qft adds 1 in the Fourier basis: one known bitstring, always hit on the ideal simulator
    assert (table[table["generator"] == "qft"]["success_probability"] == 1.0).all()
    for point in sweep.iterdir():
        if point.is_dir() and point.name.isdigit():
            rows = table[table["run"] == point.name]
            truth = h5_sampler_truth(point)
            (row,) = rows.itertuples(index=False)
            tally = truth[0, 0]["counts"]
            assert row.top_probability == max(tally.values()) / 64


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs["src"])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])


def _links(report: Path) -> _Links:
    parser = _Links()
    parser.feed(report.read_text(encoding="utf-8"))
    return parser


def assert_valid_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, path
    assert len(data) > 5_000, path
    image = matplotlib.image.imread(path)
    assert image.shape[0] > 200 and image.shape[1] > 300, (path, image.shape)
    assert float(np.std(image)) > 0.01, f"{path} is blank"


@pytest.mark.slow
def test_sweep_report_renders_every_plot(sweep, sweep_report):
    links = _links(sweep_report)
    pngs = sorted(p.name for p in sweep_report.parent.glob("*.png"))
    assert sorted(links.images) == pngs
    assert {f"point-{n}-counts.png" for n in range(6)} <= set(pngs)
    assert {"sweep-sampler-circuits.png", "sweep-sampler-circuits.num_qubits.png"} <= set(pngs)
    for name in pngs:
        assert_valid_png(sweep_report.parent / name)
    assert {"sweep-widths.png", "sweep-volumetric.png"} <= set(pngs)  # one backend
    text = sweep_report.read_text(encoding="utf-8")
    assert "<pre>" in text and "num_qubits: 3" in text  # each point's config
    assert text.count('href="../0/jobs/job-00000.h5"') == 1
    assert "<h3>Metrics per width</h3>" in text and "circuits=qft" in text


def test_metrics_report_has_every_figure_of_merit(metrics_report):
    """Quantum Volume, volumetric and per-width figures for the Sampler point, one panel per
    observable for the Estimator point, the per-width figure across the sweep, and the
    numbers behind them as tables."""
    pngs = {p.name for p in metrics_report.parent.glob("*.png")}
    headline = {name for name in pngs if name.startswith("sweep-sampler-")}
    assert "sweep-sampler-circuits.png" in headline  # the Sampler points against each key
    assert pngs - headline == {
        "point-0-counts.png",  # ideal beside measured
        "point-0-quantum-volume.png",
        "point-0-quantum-volume-trials.png",  # as qiskit-experiments draws it
        "point-0-volumetric.png",
        "point-0-widths.png",
        "point-1-observables.png",
        "point-2-counts.png",
        "point-2-ghz-fidelity.png",  # parity oscillations and their fit
        "point-2-volumetric.png",
        "point-2-widths.png",
        "point-3-counts.png",
        "point-3-mirror-rb.png",  # polarization against benchmark depth, the fit
        "point-3-volumetric.png",
        "point-3-widths.png",
        "point-4-counts.png",
        "point-4-volumetric.png",  # raw and mitigated panels
        "point-4-widths.png",  # raw and mitigated means
        "sweep-widths.png",
        "sweep-volumetric.png",  # one panel per setting that varies
    }
    for name in pngs:
        assert_valid_png(metrics_report.parent / name)
    text = metrics_report.read_text(encoding="utf-8")
    table = load_table(metrics_report.parent.parent / "0")
    for verdict in quantum_volume(table).itertuples(index=False):
        assert f"<td>{verdict.mean:.3f}</td><td>{verdict.sigma:.3f}</td>" in text
    assert text.count("fewer than 100 circuits") == 2  # one verdict per width, neither passes
    assert "error (measured - ideal) IZ" in text  # per observable, never averaged
    assert "<h3>GHZ state fidelity</h3>" in text and "<h3>Mirror randomized" in text
    assert "success probability (M3)" in text and "M3 standard deviation" in text
    assert "One panel per combination of the settings that vary" in text
    assert "Student t over circuit results" in text  # intervals say how they were found


@pytest.mark.parametrize(
    "name", ["sampler", "estimator", "ansatz_sampler", "ansatz_estimator", "mixed"]
)
def test_run_report_renders_every_plot(runs, name):
    report = build_report(runs[name])
    assert report == runs[name] / "report" / "report.html"
    links = _links(report)
    assert links.images and sorted(links.images) == sorted(
        p.name for p in report.parent.glob("*.png")
    )
    for src in links.images:
        assert_valid_png(report.parent / src)
    for href in links.hrefs:
        if href.endswith(".h5"):
            assert (report.parent / href).resolve().is_file(), href
    if name == "mixed":  # a run of both primitives: the counts and the observables
        assert {"counts.png", "observables.png"} <= set(links.images)


def test_report_of_a_run_with_many_circuits_adds_distributions(tmp_path):
    run_dir = tmp_path / "many"
    run_config(
        run_dir,
        "circuits=random",
        "circuits.count=26",
        "circuits.num_qubits=3",
        "primitive.shots=50",
        "partition.max_circuits=30",
        "run.progress=off",
    )
    report = build_report(run_dir)
    names = sorted(p.name for p in report.parent.glob("*.png"))
    assert names == ["counts.png", "summary.png", "volumetric.png", "widths.png"]
    assert "first 24 of 26" in report.read_text(encoding="utf-8")
    for name in names:
        assert_valid_png(report.parent / name)


# --- (c) the HTML report in a real headless browser ---------------------------------------


def chromium() -> Path:
    if CHROMIUM.is_file():
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {CHROMIUM} is missing: .ci/run installs it with apt-get")
    pytest.skip(
        f"needs root and apt: {CHROMIUM} is not installed (apt-get install chromium, as "
        ".ci/run does); CI=1 turns this skip into a failure"
    )


@pytest.mark.slow
@pytest.mark.parametrize("which", ["sweep_report", "metrics_report"])
def test_report_opens_in_headless_chromium(request, which, tmp_path):
    """Every image loads in a real browser: the sweep of GHZ and QFT points, and the
    figures of merit (Quantum Volume, volumetric, per width, per observable)."""
    report = request.getfixturevalue(which)
    browser = chromium()
    done = subprocess.run(
        [
            str(browser),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=5000",
            "--dump-dom",
            report.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    match = re.search(r'<body[^>]*data-images-loaded="(\d+)/(\d+)"', done.stdout)
    assert match, f"no data-images-loaded on <body>: {done.stdout[:500]!r} {done.stderr[-1000:]}"
    loaded, total = map(int, match.groups())
    links = _links(report)
    assert loaded == total == len(links.images) > 6
    figures = {"sweep-widths.png", "sweep-volumetric.png"}
    if which == "metrics_report":
        figures |= {"point-0-quantum-volume.png", "point-0-volumetric.png"}
        figures |= {"point-0-widths.png", "point-1-observables.png"}
        figures |= {"point-0-quantum-volume-trials.png", "point-2-ghz-fidelity.png"}
        figures |= {"point-3-mirror-rb.png", "point-4-volumetric.png", "point-4-widths.png"}
        assert "Quantum Volume" in done.stdout and "Metrics per width" in done.stdout
        assert "GHZ state fidelity" in done.stdout and "error per layer" in done.stdout
    assert figures <= set(links.images)
    h5_links = [href for href in links.hrefs if href.endswith(".h5")]
    job_files = [*report.parent.parent.glob("*/jobs/job-*.h5")]
    job_files += report.parent.parent.glob("*/calibration/job-*.h5")  # mitigation=m3's
    assert len(h5_links) == len(job_files) >= 6
    for href in h5_links:
        assert (report.parent / href).resolve().is_file(), href


# --- (d) show -----------------------------------------------------------------------------


@pytest.mark.slow
def test_show_prints_top_outcomes_and_job_statuses(runs):
    run_dir = runs["ansatz_sampler"]
    done = qexp_cli(str(run_dir), cwd=run_dir, module="qexp.show")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for row in load_table(run_dir).itertuples(index=False):
        assert f"{row.top_outcome} {row.top_probability:.3f}" in out
        assert row.job_id in out
    assert "done" in out and "sampler" in out and "ansatz" in out


@pytest.mark.slow
def test_show_estimator_values_and_a_sweep(runs, sweep, capsys):
    from qexp.analysis.show import main

    for name, budget in (("estimator", "precision 0.05"), ("ansatz_estimator", "precision 0.1")):
        assert main([str(runs[name])]) == 0
        out = capsys.readouterr().out
        for row in load_table(runs[name]).itertuples(index=False):
            value = f"{row.value:+.4f} ± {row.std:.4f}"
            assert re.search(rf"{row.observable}\s+{re.escape(value)}", out), value
        assert budget in out and "done" in out
    assert main([str(sweep)]) == 0
    out = capsys.readouterr().out
    assert "6 point folder(s)" in out and "circuits.num_qubits" in out
    for point in range(6):
        assert f"point {point}" in out
    assert main([str(sweep / "nothing-here")]) == 1


def test_show_and_report_on_a_run_whose_jobs_failed(tmp_path, capsys):
    from qexp.analysis.show import main

    run_dir = tmp_path / "failed"
    with pytest.raises(RunError):
        run_config(
            run_dir,
            "backend=flaky",
            "backend.fail_submissions=[0]",
            "run.max_retries=0",
            "run.progress=off",
        )
    assert main([str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert "failed" in out and "done" in out  # job 0 failed, job 1 done
    report = build_report(run_dir)
    text = report.read_text(encoding="utf-8")
    assert 'class="failed"' in text and 'href="../jobs/job-00001.h5"' in text
    assert "job-00000.h5</a>" not in text


# --- (e) exports round-trip ---------------------------------------------------------------


@pytest.mark.parametrize(
    "which", [pytest.param("sweep", marks=pytest.mark.slow), "ansatz_estimator", "ansatz_sampler"]
)
def test_exports_round_trip(runs, sweep, tmp_path, which):
    folder = sweep if which == "sweep" else runs[which]
    csv = export_table_csv(folder, tmp_path / "table.csv")
    table = load_table(folder)
    back = read_table_csv(csv)
    pd.testing.assert_frame_equal(back, table, check_dtype=False, check_exact=True)
    assert back["top_outcome" if "top_outcome" in back else "observable"].map(type).eq(str).all()
    out = export_counts_json(folder, tmp_path / "counts.json")
    assert json.loads(out.read_text(encoding="utf-8")) == counts(folder)


_PARALLEL_READ = """
import sys, threading, warnings
import pandas as pd
from qexp.analysis import results  # its module, not the re-export: private names too
from qexp.errors import QexpWarning
from qexp.store.run_folder import run_dirs
from qexp.store import CorruptJobFile

sweep, damaged = sys.argv[1], sys.argv[2:]
assert threading.active_count() == 1  # a fresh process, as a user's script
results.PARALLEL_READ_MIN_FILES = 2
paths = [p for run in run_dirs(sweep) for p in results.job_paths(run)]
with results._TableReader(paths) as reader:
    assert reader._pool is not None and reader._pool._max_workers >= 2  # workers read
if damaged:
    try:
        results.load_table(sweep)
        raise SystemExit("no CorruptJobFile")
    except CorruptJobFile as exc:
        print("corrupt:", exc.path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rest = results.load_table(sweep, skip_corrupt=True)
    print("warned:", [str(w.message) for w in caught if w.category is QexpWarning])
    print("rows:", len(rest))
else:
    parallel = results.load_table(sweep)
    results.PARALLEL_READ_MIN_FILES = 10**9
    serial = results.load_table(sweep)
    assert len(parallel) == len(serial) > 0
    pd.testing.assert_frame_equal(parallel, serial)
    print("rows:", len(parallel))
"""


def _read_in_a_fresh_process(sweep: Path, *damaged: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _PARALLEL_READ, str(sweep), *map(str, damaged)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one core: read in-process")
def test_a_table_read_by_worker_processes_equals_one_read_in_process(sweep):
    """load_table reads many job files in forked workers: the same rows, in the same order."""
    out = _read_in_a_fresh_process(sweep)
    assert f"rows: {len(load_table(sweep))}" in out


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one core: read in-process")
def test_a_damaged_job_file_read_by_a_worker_is_named_or_skipped(sweep, tmp_path):
    import shutil

    copy = tmp_path / "multi"
    shutil.copytree(sweep, copy)
    whole = load_table(copy)
    damaged = sorted((copy / "3" / "jobs").glob("*.h5"))[0]
    damaged.write_bytes(damaged.read_bytes()[:100])
    out = _read_in_a_fresh_process(copy, damaged)
    assert f"corrupt: {damaged}" in out
    assert f"skipping {damaged}: not a readable HDF5 file" in out
    lost = whole[(whole["run"] == "3") & (whole["job_index"] == 0)]
    assert len(lost) > 0 and f"rows: {len(whole) - len(lost)}" in out


def test_a_table_is_read_in_process_while_other_threads_run(sweep, monkeypatch):
    """Forking beside another thread could copy a lock it holds: then reading stays here."""
    import threading

    from qexp.analysis import results  # its module, not the re-export: private names too

    monkeypatch.setattr(results, "PARALLEL_READ_MIN_FILES", 2)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        paths = [p for run in results.run_dirs(sweep) for p in results.job_paths(run)]
        with results._TableReader(paths) as reader:
            assert reader._pool is None
        assert len(load_table(sweep)) > 0
    finally:
        stop.set()
        other.join()
