"""Readout mitigation (`mitigation=m3`): calibration jobs in the experiment's own Batch.

On FakeManilaV2 a 3-qubit GHZ state's success probability rises from about 0.85 to about
0.99 once mthree corrects its readout; the raw counts and their columns stay as they were.
The mitigated distribution is checked against a plain inversion of the tensored readout
matrices, computed here from the calibration file's own counts.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import compose_config, run_config
from emulator import subprocess_env

from qexp.config.load import load
from qexp.errors import ConfigError
from qexp.metrics import Counts
from qexp.mitigation import calibration, load_mitigated
from qexp.plan.make import make_plan
from qexp.results import load_run, load_table
from qexp.run import runner
from qexp.store import read_results

GHZ3 = ("mitigation=m3", "backend=fake", "circuits.num_qubits=[3]", "primitive.shots=20000")


def manifest(run_dir: Path) -> dict:
    return json.loads((run_dir / "manifest.json").read_text())


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ghz_success(counts: dict[str, int]) -> float:
    n = len(next(iter(counts)))
    return (counts.get("0" * n, 0) + counts.get("1" * n, 0)) / sum(counts.values())


# --- config --------------------------------------------------------------------------------
def test_m3_composes_with_its_schema():
    cfg = load(compose_config("mitigation=m3", "mitigation.shots=500"))
    assert (cfg.mitigation.name, cfg.mitigation.shots, cfg.mitigation.method) == (
        "m3",
        500,
        "balanced",
    )
    assert load(compose_config()).mitigation is None


@pytest.mark.parametrize(
    ("overrides", "key", "fix"),
    [
        (("primitive=estimator", "mitigation=m3"), "mitigation", "primitive=sampler"),
        (("mitigation=m3", "mitigation.shots=0"), "mitigation.shots", "mitigation.shots=10000"),
        (("mitigation=m3", "mitigation.method=full"), "mitigation.method", "balanced"),
    ],
)
def test_bad_mitigation_is_refused_before_anything_runs(tmp_path, overrides, key, fix):
    with pytest.raises(ConfigError) as caught:
        run_config(tmp_path / "run", *overrides)
    assert caught.value.key == key
    assert fix in str(caught.value)
    assert not (tmp_path / "run" / "manifest.json").exists()


# --- pure parts ----------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["balanced", "marginal"])
def test_matrices_recover_known_readout_errors(method):
    """Counts drawn with known per-qubit flip probabilities give those probabilities back."""
    rng = np.random.default_rng(7)
    flips = np.array([[0.02, 0.10], [0.05, 0.03], [0.01, 0.20]])  # P(1|0), P(0|1) per qubit
    states = calibration.prepared_states(3, method)
    assert (states.mean(axis=0) == 0.5).all()  # each qubit half |0>, half |1>
    shots = calibration.shots_per_circuit(200_000, len(states))
    counts = []
    for state in states:
        p_flip = flips[np.arange(3), state]
        read = state ^ (rng.random((shots, 3)) < p_flip)
        values = (read * (1 << np.arange(3))).sum(axis=1)
        outcomes, numbers = np.unique(values, return_counts=True)
        counts.append(Counts(outcomes.astype(np.uint64), numbers))
    found = calibration.matrices(states, counts)
    assert np.allclose(found[:, 1, 0], flips[:, 0], atol=0.003)  # P(read 1 | prepared 0)
    assert np.allclose(found[:, 0, 1], flips[:, 1], atol=0.003)  # P(read 0 | prepared 1)
    assert np.allclose(found.sum(axis=1), 1)


def test_which_readout_is_corrected():
    """Each classical bit written once by a measurement nothing reads back: corrected with
    its qubit's matrix; feed-forward or a bit never written: not corrected."""
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(3, 2)
    qc.measure(2, 0)
    qc.x(2)
    qc.measure(0, 1)
    assert calibration.measured_qubits(qc) == [2, 0]
    fed = QuantumCircuit(2, 2)
    fed.measure(0, 0)
    with fed.if_test((fed.clbits[0], 1)):
        fed.x(1)
    fed.measure(1, 1)
    assert calibration.measured_qubits(fed) is None
    twice = QuantumCircuit(2, 2)
    twice.measure(0, 0)
    twice.measure(1, 0)
    assert calibration.measured_qubits(twice) is None
    unwritten = QuantumCircuit(2, 2)
    unwritten.measure(0, 0)
    assert calibration.measured_qubits(unwritten) is None


# --- on FakeManilaV2 -----------------------------------------------------------------------
def test_ghz_success_moves_toward_one_and_the_raw_data_stays(tmp_path):
    run_dir = tmp_path / "run"
    report = run_config(run_dir, *GHZ3, "run.progress=off")
    assert report.complete
    jobs = manifest(run_dir)["jobs"]
    assert [(j["primitive"], j["file"]) for j in jobs] == [
        ("sampler", "jobs/job-00000.h5"),
        ("calibration", "calibration/job-00001.h5"),
    ]
    raw_files = {p: digest(p) for p in [*run_dir.glob("jobs/*.h5"), *run_dir.glob("calibration/*")]}

    table = load_table(run_dir)
    (row,) = table.itertuples()
    counts = load_run(run_dir)[0].data.meas.get_counts()
    assert row.success_probability == ghz_success(counts)  # the raw column, from raw counts
    assert 0.80 < row.success_probability < 0.90
    assert row.success_probability_mitigated > 0.97
    assert row.success_probability_mitigated - row.success_probability > 0.1
    assert row.hellinger_fidelity_mitigated > 0.97 and row.mitigation_overhead > 1
    print(f"GHZ-3: raw {row.success_probability}, mitigated {row.success_probability_mitigated}")

    # The stored quasi-distribution equals a plain inversion of the tensored matrices.
    expected = _inverted(run_dir, counts)
    (found,) = load_mitigated(run_dir)
    assert found["measured_qubits"] == [0, 1, 2] and found["shots"] == 20000
    got = np.array([found["quasi"].get(format(x, "03b"), 0.0) for x in range(8)])
    assert np.allclose(got, expected, atol=2e-4), (got, expected)

    # First read of a run that lacks them: made again, the same; raw files never touched.
    mitigated = run_dir / "mitigated/job-00000.h5"
    mitigated.unlink()
    again = load_table(run_dir)
    assert mitigated.is_file()
    assert again["success_probability_mitigated"][0] == row.success_probability_mitigated
    assert again["success_probability"][0] == row.success_probability
    assert {p: digest(p) for p in raw_files} == raw_files
    assert set(load_run(run_dir)[0].data) == {"meas"}  # readers see the experiment alone


def _inverted(run_dir: Path, counts: dict[str, int]) -> np.ndarray:
    """The raw distribution through the inverse of kron(M_q2, M_q1, M_q0), with each
    qubit's matrix counted here from the calibration file's bitstrings."""
    cal = read_results(run_dir / "calibration/job-00001.h5")
    qubits = cal.records[0].metadata["physical_qubits"]
    read_one = np.zeros((len(qubits), 2))
    prepared = np.zeros((len(qubits), 2))
    for record, result in zip(cal.records, cal.results, strict=True):
        state = record.metadata["prepared"]
        for bits, n in result.data.meas.get_counts().items():
            for j in range(len(qubits)):
                p, r = int(state[-1 - j]), int(bits[-1 - j])
                prepared[j, p] += n
                read_one[j, p] += n * r
    one = read_one / prepared
    matrices = [np.array([[1 - a, 1 - b], [a, b]]) for a, b in one]
    full = np.kron(matrices[2], np.kron(matrices[1], matrices[0]))
    shots = sum(counts.values())
    raw = np.array([counts.get(format(x, "03b"), 0) / shots for x in range(8)])
    return np.linalg.solve(full, raw)


def test_calibration_jobs_share_the_experiments_batch(tmp_path, monkeypatch):
    """Locally a batch has no id: the Batch object each job is submitted to is compared."""
    from qexp.plan import primitives

    opened, used = [], []
    open_batch, make = runner._open_batch, primitives.make

    def counting_open(*args):
        opened.append(open_batch(*args))
        return opened[-1]

    def recording_make(cfg, implementation, batch, *args, **kwargs):
        used.append((cfg.shots, batch))
        return make(cfg, implementation, batch, *args, **kwargs)

    monkeypatch.setattr(runner, "_open_batch", counting_open)
    monkeypatch.setattr(primitives, "make", recording_make)
    report = run_config(
        tmp_path / "run",
        "mitigation=m3",
        "mitigation.shots=2000",
        "backend=fake",
        "circuits.num_qubits=[2,3,4]",
        "partition.max_circuits=2",
        "run.progress=off",
    )
    assert report.complete
    kinds = [j["primitive"] for j in manifest(tmp_path / "run")["jobs"]]
    assert kinds == ["sampler", "calibration", "sampler", "calibration"]
    assert len(opened) == 1
    assert len(used) == 4 and all(batch is opened[0] for _, batch in used)
    assert sorted(shots for shots, _ in used) == [1024, 1024, 2000, 2000]


def test_calibration_reads_exactly_the_qubits_the_isa_circuits_measure(tmp_path):
    """FakeLagosV2 puts a 4-qubit GHZ on physical qubits 4, 5, 3, 1: the calibration
    covers exactly the qubits the range's ISA circuits read, and each circuit is corrected
    on the qubits its own classical bits were read from."""
    cfg = load(
        compose_config(
            "mitigation=m3",
            "backend=fake",
            "backend.name=FakeLagosV2",
            "circuits.num_qubits=[2,4]",
            "partition.max_circuits=2",
        )
    )
    plan = make_plan(cfg)
    try:
        sampler_job, cal_job = plan.jobs
        sampler = plan.preparer.prepare(sampler_job).result()
        cal = plan.preparer.prepare(cal_job).result()
    finally:
        plan.close()
    read = []
    for pub in sampler.pubs():
        isa = pub[0]
        by_bit = {
            isa.find_bit(inst.clbits[0]).index: isa.find_bit(inst.qubits[0]).index
            for inst in isa.data
            if inst.operation.name == "measure"
        }
        read.append([by_bit[b] for b in range(isa.num_clbits)])
    assert read[1] == [4, 5, 3, 1]  # not a trivial layout, so the test can tell
    union = sorted({q for qubits in read for q in qubits})
    assert cal.records[0].metadata["physical_qubits"] == union == [0, 1, 3, 4, 5]
    for pub, record in zip(cal.pubs(), cal.records, strict=True):
        circuit, _, shots = pub
        measured = [
            circuit.find_bit(inst.qubits[0]).index
            for inst in circuit.data
            if inst.operation.name == "measure"
        ]
        flipped = sorted(
            circuit.find_bit(inst.qubits[0]).index
            for inst in circuit.data
            if inst.operation.name == "x"
        )
        state = record.metadata["prepared"]
        assert measured == union
        assert flipped == [q for j, q in enumerate(union) if state[-1 - j] == "1"]
        assert shots == 10_000 * 2 // len(cal.records)
    assert json.loads(cal.file_attrs["measured_qubits"]) == {"0": read[0], "1": read[1]}

    run_dir = tmp_path / "run"
    report = runner.run(cfg, run_dir, "")
    assert report.complete
    table = load_table(run_dir)
    assert (table["success_probability_mitigated"] > table["success_probability"] + 0.03).all()
    assert [r["measured_qubits"] for r in load_mitigated(run_dir)] == read


def test_resume_reruns_only_the_missing_calibration_job(tmp_path):
    from qexp.resume import resume

    run_dir = tmp_path / "run"
    run_config(run_dir, *GHZ3, "run.progress=off")
    sampler_file = run_dir / "jobs/job-00000.h5"
    before = digest(sampler_file)
    (run_dir / "calibration/job-00001.h5").unlink()
    (run_dir / "mitigated/job-00000.h5").unlink()
    assert resume(run_dir).complete
    jobs = manifest(run_dir)["jobs"]
    assert [len(j["attempts"]) for j in jobs] == [1, 2]  # the Sampler's job was not re-run
    assert digest(sampler_file) == before
    assert (run_dir / "mitigated/job-00000.h5").is_file()  # made at the end of the resume
    assert load_table(run_dir)["success_probability_mitigated"][0] > 0.97


def test_both_primitives_with_mitigation(tmp_path):
    """The ideal simulator reads out perfectly: the matrices are the identity, and the
    mitigated values equal the raw ones; the Estimator's rows have none."""
    run_dir = tmp_path / "run"
    report = run_config(
        run_dir,
        "primitive=[sampler,estimator]",
        "mitigation=m3",
        "mitigation.method=marginal",
        "circuits.num_qubits=[2,3]",
        "run.progress=off",
    )
    assert report.complete and report.primitive == "sampler+estimator"
    kinds = [j["primitive"] for j in manifest(run_dir)["jobs"]]
    assert kinds == ["sampler", "estimator", "calibration"]
    assert set(load_run(run_dir)) == {"sampler", "estimator"}
    table = load_table(run_dir)
    sampled = table[table.primitive == "sampler"]
    assert (sampled["success_probability"] == 1).all()
    assert np.allclose(sampled["success_probability_mitigated"], 1)
    assert np.allclose(sampled["mitigation_overhead"], 1)
    assert table[table.primitive == "estimator"]["success_probability_mitigated"].isna().all()
    cal = read_results(run_dir / "calibration/job-00002.h5")
    assert [r.metadata["prepared"] for r in cal.records] == ["000", "111"]


def test_a_dry_run_lists_the_calibration_jobs(tmp_path):
    report = run_config(tmp_path / "run", *GHZ3, "mitigation.shots=3000", "run.dry_run=true")
    assert "job 1 calibration: circuits 0-0, 6000 executions" in report.planned


# --- through the service emulator ----------------------------------------------------------
@pytest.mark.slow
def test_every_job_of_a_mitigated_run_is_in_one_batch_on_the_service(ibm_emulator, tmp_path):
    from conftest import qexp_cli

    run_dir = tmp_path / "run"
    done = qexp_cli(
        *ibm_emulator.overrides,
        "backend.name=fake_manila",
        "mitigation=m3",
        "mitigation.shots=4000",
        "circuits.num_qubits=[2,3,4]",
        "partition.max_circuits=2",
        "primitive.shots=4000",
        "run.poll_interval=0.1",
        "run.progress=off",
        f"hydra.run.dir={run_dir}",
        cwd=tmp_path,
        env=subprocess_env(ibm_emulator),
    )
    assert done.returncode == 0, done.stderr
    info = manifest(run_dir)
    created = ibm_emulator.jobs()
    assert len(created) == 4
    (session,) = {j["session_id"] for j in created}
    assert session is not None and info["batches"] == [session]
    assert sorted(e["primitive"] for e in info["jobs"]) == ["calibration"] * 2 + ["sampler"] * 2
    table = load_table(run_dir)
    assert (table["success_probability_mitigated"] > table["success_probability"]).all()
    assert (table["success_probability_mitigated"] > 0.95).all(), table


# --- raw and mitigated side by side, with mthree's uncertainties --------------------------


def test_mitigated_metrics_equal_a_hand_computation_and_are_shown_beside_the_raw(tmp_path, capsys):
    """Every mitigated column equals its definition applied by hand to the stored mitigated
    distribution; the probabilities carry mthree's standard deviation (halved: P = (1 +
    <O>)/2); `metric_means`, `show` and the report give raw and mitigated side by side."""
    import math

    import h5py
    import mthree

    from qexp.analysis import show
    from qexp.analysis.aggregate import M3_STD, metric_means
    from qexp.analysis.report import build_report

    run_dir = tmp_path / "run"
    run_config(
        run_dir,
        "mitigation=m3",
        "backend=fake",
        "circuits.num_qubits=[2,3]",
        "primitive.shots=4000",
        "mitigation.shots=4000",
        "run.progress=off",
    )
    table = load_table(run_dir).set_index("circuit_index")
    for record in load_mitigated(run_dir):
        row = table.loc[record["circuit_index"]]
        p = record["probabilities"]
        n = len(next(iter(p)))
        ends = ("0" * n, "1" * n)
        success = p.get(ends[0], 0.0) + p.get(ends[1], 0.0)
        assert row.success_probability_mitigated == pytest.approx(success, abs=1e-12)
        hellinger = (math.sqrt(p.get(ends[0], 0.0) / 2) + math.sqrt(p.get(ends[1], 0.0) / 2)) ** 2
        assert row.hellinger_fidelity_mitigated == pytest.approx(hellinger, abs=1e-12)
        floor = 2.0 ** (1 - n)  # uniform against GHZ
        normalized = (hellinger - floor) / (1 - floor)
        assert row.normalized_fidelity_mitigated == pytest.approx(normalized, abs=1e-12)
        overhead = record["mitigation_overhead"]
        quasi = mthree.classes.QuasiDistribution(
            record["quasi"], shots=record["shots"], mitigation_overhead=overhead
        )
        assert row.success_probability_mitigated_std == pytest.approx(quasi.stddev() / 2)
        assert 0 < row.success_probability_mitigated_std < 0.05
    means = metric_means(load_table(run_dir)).set_index(["metric", "num_qubits"])
    for width in (2, 3):
        mitigated = means.loc[("success_probability_mitigated", width)]
        sigma = table[table["num_qubits"] == width]["success_probability_mitigated_std"].item()
        assert mitigated["interval"] == M3_STD
        assert mitigated["low"] == pytest.approx(mitigated["mean"] - 1.959964 * sigma, abs=1e-5)
        assert mitigated["high"] <= 1.0
        assert means.loc[("success_probability", width), "mean"] < mitigated["mean"]
    assert show.main([str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert "P(ideal) M3" in out and "success probability" in out and "(M3)" in out
    assert f"±{table['success_probability_mitigated_std'].iloc[0]:.3f}" in out
    text = build_report(run_dir).read_text(encoding="utf-8")
    assert "readout-mitigated (M3) distributions" in text  # the per-width figure
    assert "raw against readout-mitigated (M3) counts" in text  # the volumetric figure
    assert "readout-mitigated probability (nearest probability" in text  # counts panels

    # A mitigated file of the older layout (no std, clipped fidelity) is made afresh.
    path = run_dir / "mitigated/job-00000.h5"
    with h5py.File(path, "r+") as f:
        f.attrs["schema_version"] = 1
        del f["table/success_probability_mitigated_std"]
        columns = json.loads(f["table"].attrs["columns"])
        columns.remove("success_probability_mitigated_std")
        f["table"].attrs["columns"] = json.dumps(columns)
    again = load_table(run_dir)
    assert again["success_probability_mitigated_std"].notna().all()
