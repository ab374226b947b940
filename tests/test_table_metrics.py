"""The metrics in the table, against independent computations on cases whose answer is known.

Each metric `load_table` shows is recomputed here from the job files with plain h5py and
from Qiskit's own Statevector, never with qexp's metric functions; the per-width summaries
and the Quantum Volume verdict are checked on constructed tables.
"""

from __future__ import annotations

import json
import math
import shutil
from collections import Counter
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
from conftest import compose_config, run_config, table_as_schema_2
from qiskit import QuantumCircuit
from qiskit.primitives import BitArray, DataBin, PrimitiveResult, SamplerPubResult
from qiskit.quantum_info import Pauli, SparsePauliOp, Statevector, hellinger_fidelity
from qiskit_aer import AerSimulator
from scipy.stats import binomtest

from qexp import circuits, metrics
from qexp.analysis.aggregate import BOOTSTRAP, WILSON, metric_means, quantum_volume
from qexp.config.circuits import QftConfig, QuantumVolumeConfig
from qexp.config.load import load
from qexp.config.validate import primitive_configs
from qexp.plan.partition import JobPlan
from qexp.plan.prepare import PrepareContext, Preparer, _Worker
from qexp.results import load_ideals, load_run, load_table
from qexp.store import PubRecord, dump_circuits, read_job, write_job

DATA = Path(__file__).parent / "data"
QV_WIDTHS = (3, 5)
QV_COUNT = 12


# --- real runs, made once -------------------------------------------------------------


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """Real in-process runs on the ideal simulator."""
    root = tmp_path_factory.mktemp("metrics")
    cases = {
        "qv": (
            "circuits=quantum_volume",
            f"circuits.num_qubits=[{','.join(map(str, QV_WIDTHS))}]",
            f"circuits.count={QV_COUNT}",
            "primitive.shots=2000",
            "partition.max_circuits=8",
        ),
        "ghz": ("circuits=ghz", "circuits.num_qubits=[2,3,4]", "primitive.shots=500"),
        "qft": ("circuits=qft", "circuits.num_qubits=[3,5]", "primitive.shots=300"),
        "estimator": (
            "circuits=ansatz",
            "circuits.num_qubits=[2,3]",
            "circuits.num_points=3",
            "primitive=estimator",
            "primitive.precision=0.05",
        ),
    }
    for name, overrides in cases.items():
        run_config(root / name, *overrides, "run.progress=off")
    return {name: root / name for name in cases}


def _circuits(run_dir: Path) -> dict[int, QuantumCircuit]:
    """Circuit index -> the logical circuit stored in the run's job files."""
    return {
        pub.index: pub.spec.circuit
        for path in sorted((run_dir / "jobs").glob("job-*.h5"))
        for pub in read_job(path).pubs
    }


# --- the ideal simulator through a real run ---------------------------------------------------


def test_quantum_volume_run_scores_as_an_ideal_device(runs):
    """Hellinger fidelity near 1 and heavy-output probability near (1 + ln 2)/2 ~ 0.85, each
    row equal to Qiskit's hellinger_fidelity and a Statevector's heavy outputs."""
    table = load_table(runs["qv"])
    results = load_run(runs["qv"])
    logical = _circuits(runs["qv"])
    assert len(table) == QV_COUNT * len(QV_WIDTHS)
    exact_hops = {}
    for row in table.itertuples(index=False):
        counts = results[row.circuit_index].data.meas.get_counts()
        state = Statevector(logical[row.circuit_index])
        expected = hellinger_fidelity(counts, state.probabilities_dict())
        assert row.hellinger_fidelity == pytest.approx(expected, abs=1e-12)
        probabilities = state.probabilities()
        heavy = probabilities > np.median(probabilities)
        shots = sum(counts.values())
        hits = sum(n for bits, n in counts.items() if heavy[int(bits, 2)])
        assert row.heavy_output_probability == pytest.approx(hits / shots, abs=1e-12)
        ci = binomtest(hits, shots).proportion_ci(0.95, method="wilson")
        assert row.heavy_output_probability_low == pytest.approx(ci.low, abs=1e-12)
        assert row.heavy_output_probability_high == pytest.approx(ci.high, abs=1e-12)
        exact_hops.setdefault(row.num_qubits, []).append(probabilities[heavy].sum())
    assert table["hellinger_fidelity"].min() > 0.98
    assert table["normalized_fidelity"].mean() > 0.9
    wide = table[table["num_qubits"] == 5]["heavy_output_probability"]
    assert 0.80 < wide.mean() < 0.90
    assert wide.mean() == pytest.approx(np.mean(exact_hops[5]), abs=0.02)  # shot noise only
    verdicts = quantum_volume(table)
    assert verdicts["num_qubits"].tolist() == list(QV_WIDTHS)
    assert (verdicts["num_circuits"] == QV_COUNT).all()
    assert not verdicts["enough_circuits"].any() and not verdicts["passed"].any()
    for verdict in verdicts.itertuples(index=False):
        hops = table[table["num_qubits"] == verdict.num_qubits]["heavy_output_probability"]
        assert verdict.mean == pytest.approx(hops.mean())
        assert verdict.sigma == pytest.approx(math.sqrt(hops.mean() * (1 - hops.mean()) / 12))


@pytest.mark.parametrize(("name", "shots"), [("ghz", 500), ("qft", 300)])
def test_known_outcomes_score_one_on_the_ideal_simulator(runs, name, shots):
    table = load_table(runs[name])
    assert (table["success_probability"] == 1.0).all()
    low = binomtest(shots, shots).proportion_ci(0.95, method="wilson").low
    assert table["success_probability_low"].tolist() == pytest.approx([low] * len(table))
    assert table["success_probability_high"].tolist() == pytest.approx([1.0] * len(table))
    assert table["heavy_output_probability"].isna().all()  # stabilizer form: no median
    if name == "qft":  # one bitstring, hit by every shot
        assert (table["hellinger_fidelity"] == 1.0).all()
        assert (table["normalized_fidelity"] == 1.0).all()
    else:  # 0...0 and 1...1 at 1/2 each, sampled: within shot noise of 1
        assert (table["hellinger_fidelity"] > 0.99).all()
        assert (table["normalized_fidelity"] > 0.98).all()


def test_estimator_ideal_values_equal_statevector_and_errors_are_measured_minus_ideal(runs):
    table = load_table(runs["estimator"])
    jobs = [read_job(p) for p in sorted((runs["estimator"] / "jobs").glob("job-*.h5"))]
    specs = {pub.index: pub.spec for job in jobs for pub in job.pubs}
    assert table["ideal_value"].notna().all()
    for row in table.itertuples(index=False):
        spec = specs[row.circuit_index]
        values = spec.parameter_values[row.parameter_index]
        bound = spec.circuit.assign_parameters(
            dict(zip(spec.circuit.parameters, values, strict=True))
        )
        exact = Statevector(bound).expectation_value(SparsePauliOp(Pauli(row.observable)))
        assert row.ideal_value == pytest.approx(float(np.real(exact)), abs=1e-9)
        assert row.error == row.value - row.ideal_value
    means = metric_means(table)
    assert set(means["metric"]) == {"error"}
    assert set(means["observable"]) == set(table["observable"])  # never across observables


# --- the table equals a plain-h5py recomputation ----------------------------------------------


def _h5_rows(path: Path) -> dict[tuple[int, int], dict]:
    """(circuit, parameter index) -> counts and what `ideal/` keeps, read with plain h5py."""
    found = {}
    with h5py.File(path, "r") as f:
        info = json.loads(f["pubs/info"][()].tobytes())
        ds = f["data/meas"]
        data, offsets = ds[()], ds.attrs["offsets"]
        for k, entry in enumerate(info):
            num_bits = int(ds.attrs["num_bits"][k])
            block = data[offsets[k] : offsets[k + 1]]
            bits = np.unpackbits(block, axis=-1)[:, block.shape[1] * 8 - num_bits :]
            shape = json.loads(ds.attrs["shapes"])[k]
            bits = bits.reshape(-1, shape[-1], num_bits)
            for point, shots in enumerate(bits):
                values = shots.astype(np.int64) @ (1 << np.arange(num_bits - 1, -1, -1))
                outcomes, numbers = np.unique(values, return_counts=True)
                found[entry["index"], point] = {"outcomes": outcomes, "counts": numbers}
        if "ideal" in f:
            g = f["ideal"]
            for i, (c, p) in enumerate(zip(g["circuit_index"], g["parameter_index"], strict=True)):

                def cut(name: str, i: int = i) -> np.ndarray:
                    o = g[name].attrs["offsets"]
                    return g[name][o[i] : o[i + 1]]

                found[int(c), int(p)] |= {
                    "q": cut("measured"),
                    "uniform": float(g["uniform_fidelity"][i]),
                    "median": float(g["median"][i]),
                    "form": g["form"].asstr()[i],
                }
    return found


@pytest.mark.parametrize("name", ["qv", "ghz", "qft"])
def test_table_columns_equal_a_plain_h5py_recomputation(runs, name):
    table = load_table(runs[name])
    truth: dict[tuple[int, int], dict] = {}
    for path in sorted((runs[name] / "jobs").glob("job-*.h5")):
        truth |= _h5_rows(path)
    logical = _circuits(runs[name])
    assert len(truth) == len(table)
    for row in table.itertuples(index=False):
        found = truth[row.circuit_index, row.parameter_index]
        p = found["counts"] / found["counts"].sum()
        q = found["q"]
        # the stored ideal probabilities are the Statevector's, at each measured outcome
        exact = Statevector(logical[row.circuit_index]).probabilities()
        assert q == pytest.approx(exact[found["outcomes"]], abs=1e-9)
        fidelity = float(np.sum(np.sqrt(p * q)) ** 2)
        assert row.hellinger_fidelity == pytest.approx(fidelity, abs=1e-12)
        floor = found["uniform"]
        assert floor == pytest.approx(np.sum(np.sqrt(exact / exact.size)) ** 2, abs=1e-12)
        normalized = (fidelity - floor) / (1 - floor)  # QED-C's, before its clip
        assert row.normalized_fidelity == pytest.approx(normalized, abs=1e-12)
        if found["form"] == "dense":
            assert found["median"] == pytest.approx(np.median(exact), abs=1e-15)
            hop = p[q > found["median"]].sum()
            assert row.heavy_output_probability == pytest.approx(hop, abs=1e-12)
        else:
            assert math.isnan(found["median"]) and math.isnan(row.heavy_output_probability)
        if not math.isnan(row.success_probability):
            assert row.success_probability == pytest.approx(p[q > 1e-12].sum(), abs=1e-12)


def test_stored_ideals_rebuild_the_ideal_where_they_are_small(runs):
    ideals = load_ideals(runs["ghz"])
    assert {key[0] for key in ideals} == {0, 1, 2}
    for (index, _), stored in ideals.items():
        n = index + 2
        assert stored.form == "stabilizer" and stored.ideal is not None
        assert stored.top == {"0" * n: 0.5, "1" * n: 0.5}
        everything = np.arange(2**n, dtype=np.uint64)
        expected = Statevector(_circuits(runs["ghz"])[index]).probabilities()
        assert stored.ideal.probability(everything) == pytest.approx(expected, abs=1e-12)
    (qv,) = [s for (i, _), s in load_ideals(runs["qv"]).items() if i == 0]
    assert qv.form == "dense" and qv.ideal is None and qv.num_bits == 3  # never kept whole
    expected = Statevector(_circuits(runs["qv"])[0]).probabilities()
    order = sorted(range(8), key=lambda x: (-expected[x], x))
    likeliest = [format(x, "03b") for x in order if expected[x] > 1e-12]
    assert list(qv.top) == likeliest
    assert list(qv.top.values()) == pytest.approx([expected[int(b, 2)] for b in likeliest])


# --- known distributions, written by hand -----------------------------------------------------


def _uniform_bits(num_bits: int, repeats: int) -> BitArray:
    labels = [format(x, f"0{num_bits}b") for x in range(2**num_bits)] * repeats
    return BitArray.from_samples(labels, num_bits)


def test_uniform_counts_score_normalized_fidelity_zero_and_ideal_counts_one(tmp_path):
    """A dead device (uniform counts) scores 0 against QFT's one bitstring and against a
    Quantum Volume circuit; counts exactly on the QFT outcome score 1."""
    (qft,) = circuits.generate(QftConfig(num_qubits=3), seed=1)
    (qv,) = circuits.generate(QuantumVolumeConfig(num_qubits=3, count=1), seed=2)
    certain = BitArray.from_samples([qft.ideal_outcomes[0]] * 40, 3)
    specs = [qft, qv, qft]
    bits = [_uniform_bits(3, 5), _uniform_bits(3, 5), certain]
    result = PrimitiveResult(
        [SamplerPubResult(DataBin(meas=b, shape=()), metadata={}) for b in bits], metadata={}
    )
    run_dir = tmp_path / "hand"
    (run_dir / ".hydra").mkdir(parents=True)
    write_job(
        run_dir / "jobs" / "job-00000.h5",
        attrs={"job_index": 0, "job_id": "x", "primitive": "sampler", "num_circuits_in_run": 3},
        records=[PubRecord.of(i, s, max_exact_qubits=20) for i, s in enumerate(specs)],
        circuits_qpy=dump_circuits([s.circuit for s in specs]),
        result=result,
    )
    table = load_table(run_dir)
    uniform_qft, uniform_qv, perfect = table.itertuples(index=False)
    assert uniform_qft.normalized_fidelity == pytest.approx(0.0, abs=1e-12)
    assert uniform_qft.hellinger_fidelity == pytest.approx(1 / 8)  # (sqrt(1/8 * 1))**2
    assert uniform_qft.success_probability == pytest.approx(1 / 8)
    assert uniform_qv.normalized_fidelity == pytest.approx(0.0, abs=1e-12)
    assert uniform_qv.heavy_output_probability == pytest.approx(0.5)  # half the outcomes
    assert perfect.normalized_fidelity == 1.0 and perfect.hellinger_fidelity == 1.0
    assert perfect.success_probability == 1.0


# --- older files --------------------------------------------------------------------------


OLD_COLUMNS = (
    "circuit_index",
    "parameter_index",
    "top_outcome",
    "top_probability",
    "success_probability",
    "num_outcomes",
)
"""The Sampler table of a job file written before the metrics existed."""


def test_files_written_before_the_metrics_are_scored_on_read(runs, tmp_path):
    """A job file without the metric columns (as written before them) gets the same GHZ
    metrics on read, from the outcomes its generator named."""
    old_run = tmp_path / "old"
    shutil.copytree(runs["ghz"], old_run)
    for path in (old_run / "jobs").glob("job-*.h5"):
        with h5py.File(path, "r+") as f:
            table = table_as_schema_2(f)
            for name in set(table) - set(OLD_COLUMNS):
                del table[name]
            del f["ideal"]
    new, old = load_table(runs["ghz"]), load_table(old_run)
    for column in ("success_probability", "hellinger_fidelity", "normalized_fidelity"):
        assert old[column].tolist() == pytest.approx(new[column].tolist(), abs=1e-12)
    assert old["isa_depth"].isna().all() and load_ideals(old_run) == {}


def test_version_1_files_get_ghz_metrics_on_read():
    expected = json.loads((DATA / "v1-expected.json").read_text())["sampler"]
    from qexp.store import read_table

    columns = read_table(DATA / "v1-sampler.h5").columns
    for k, index in enumerate(columns["circuit_index"]):
        counts = expected[int(index)].get("meas")
        if counts is None:  # the QASM circuit: no ideal known in a version 1 file
            assert math.isnan(columns["hellinger_fidelity"][k])
            continue
        shots, n = sum(counts.values()), len(next(iter(counts)))
        ideal = {"0" * n: 0.5, "1" * n: 0.5}
        assert columns["hellinger_fidelity"][k] == pytest.approx(
            hellinger_fidelity(counts, ideal), abs=1e-12
        )
        hits = sum(counts.get(b, 0) for b in ideal)
        assert columns["success_probability"][k] == hits / shots


# --- the prepare workers ----------------------------------------------------------------------


def _context(max_exact_qubits: int, *overrides: str) -> PrepareContext:
    cfg = load(compose_config(*overrides))
    return PrepareContext(
        circuits=cfg.circuits,
        primitives=primitive_configs(cfg),
        seed=cfg.seed,
        target=AerSimulator().target,
        optimization_level=1,
        transpile_seed=7,
        max_exact_qubits=max_exact_qubits,
    )


def test_ideals_come_from_the_worker_and_respect_max_exact_qubits():
    context = _context(
        3, "circuits=quantum_volume", "circuits.num_qubits=[3,4]", "circuits.count=1"
    )
    local = _Worker(context).prepare(0, [0, 1], ship=True)
    narrow, wide = local.records
    assert narrow.ideals is not None and narrow.ideals[0].is_dense
    assert wide.ideals is None  # 4 qubits > metrics.max_exact_qubits = 3
    assert narrow.isa_depth == local.pubs()[0][0].depth() > 0
    preparer = Preparer(context, workers=1)  # a real worker process
    try:
        shipped = preparer.prepare(JobPlan(0, (0, 1))).result(timeout=300)
    finally:
        preparer.close()
    assert shipped.records[0].ideals[0].probabilities == pytest.approx(
        narrow.ideals[0].probabilities, abs=0
    )
    assert shipped.records[1].ideals is None
    assert shipped.records[0].isa_depth == narrow.isa_depth
    ghz = _Worker(_context(3, "circuits=ghz", "circuits.num_qubits=[30]")).prepare(0, [0], False)
    (record,) = ghz.records
    assert record.ideals[0].support_bits == 1  # stabilizer form: known at any width


def test_estimator_records_carry_ideal_values():
    context = _context(20, "circuits=ghz", "circuits.num_qubits=[3]", "primitive=estimator")
    (record,) = _Worker(context).prepare(0, [0], ship=False).records
    assert record.ideals is None
    assert record.ideal_values.shape == (len(record.observables), 1)
    assert record.ideal_values[:, 0].tolist() == [1.0] * len(record.observables)


# --- per width, over circuits ------------------------------------------------------------------


def _flip_point(num_circuits: int) -> float:
    """The mean h with h - 2 sqrt(h (1 - h) / N) = 2/3 (a quadratic in h, larger root)."""
    a, t = 4 / num_circuits, 2 / 3
    return ((2 * t + a) + math.sqrt((2 * t + a) ** 2 - 4 * (1 + a) * t**2)) / (2 * (1 + a))


def test_quantum_volume_over_a_table_flips_where_it_should():
    flip = _flip_point(100)
    rows = []
    for width, target in ((3, flip + 0.002), (4, flip - 0.002), (5, 0.95)):
        hops = np.clip(np.random.default_rng(width).normal(target, 0.05, 100), 0, 1)
        hops += target - hops.mean()
        count = 100 if width != 5 else 99  # the protocol asks for 100
        rows += [("quantum_volume", width, h) for h in hops[:count]]
    rows += [("random", 3, 0.1)] * 50  # not Quantum Volume circuits: ignored
    rows += [("quantum_volume", 3, math.nan)]  # no ideal: ignored
    table = pd.DataFrame(rows, columns=["generator", "num_qubits", "heavy_output_probability"])
    verdicts = quantum_volume(table).set_index("num_qubits")
    assert verdicts.loc[3, "num_circuits"] == 100 and verdicts.loc[3, "passed"]
    assert verdicts.loc[4, "enough_circuits"] and not verdicts.loc[4, "above_threshold"]
    assert verdicts.loc[5, "above_threshold"] and not verdicts.loc[5, "passed"]
    assert verdicts.loc[3, "lower"] > 2 / 3 > verdicts.loc[4, "lower"]
    two_runs = pd.concat([table.assign(run="a"), table.assign(run="b")])
    assert len(quantum_volume(two_runs)) == 6  # per run
    pooled = quantum_volume(two_runs, by=[]).set_index("num_qubits")
    assert pooled.loc[5, "num_circuits"] == 198 and pooled.loc[5, "passed"]


def test_metric_means_take_wilson_for_one_result_and_bootstrap_for_several():
    rng = np.random.default_rng(3)
    several = rng.uniform(0.6, 0.9, 30)
    table = pd.DataFrame(
        {
            "num_qubits": [2] + [3] * 30,
            "success_probability": [0.9, *several],
            "success_probability_low": [0.85, *several - 0.01],
            "success_probability_high": [0.94, *several + 0.01],
            "hellinger_fidelity": [0.8, *several],
        }
    )
    means = metric_means(table).set_index(["metric", "num_qubits"])
    one = means.loc[("success_probability", 2)]
    assert (one["mean"], one["low"], one["high"], one["interval"]) == (0.9, 0.85, 0.94, WILSON)
    assert math.isnan(means.loc[("hellinger_fidelity", 2), "low"])  # no interval for one
    many = means.loc[("success_probability", 3)]
    expected = metrics.mean_interval(several)
    assert (many["mean"], many["low"], many["high"]) == pytest.approx(tuple(expected))
    assert many["interval"] == BOOTSTRAP and many["n"] == 30


# --- show and the report's counts panels ----------------------------------------------------


def test_show_prints_the_verdict_and_the_means_per_width(runs, capsys):
    from qexp.analysis.show import main

    assert main([str(runs["qv"])]) == 0
    out = capsys.readouterr().out
    table = load_table(runs["qv"])
    assert "Quantum Volume" in out and "too few circuits" in out
    for verdict in quantum_volume(table).itertuples(index=False):
        assert f"{verdict.mean:.3f}" in out and f"{verdict.lower:.3f}" in out
    for row in metric_means(table).itertuples(index=False):
        assert f"[{row.low:.3f}, {row.high:.3f}]" in out
    for row in table.head(20).itertuples(index=False):
        assert f"{row.heavy_output_probability:.3f}" in out


def test_counts_panels_draw_the_ideal_beside_the_measured(runs):
    from qexp.analysis.report import MAX_OUTCOMES, counts_bars
    from qexp.analysis.show import read_run

    view = read_run(runs["qv"])
    logical = _circuits(runs["qv"])
    for record in view.records[:4]:
        stored = view.ideals[record["circuit_index"], record["parameter_index"]]
        bars = counts_bars(record, stored)
        exact = Statevector(logical[record["circuit_index"]]).probabilities()
        n = record["metadata"]["num_qubits"]
        assert len(bars.labels) == min(MAX_OUTCOMES, 2**n)
        assert bars.ideal == pytest.approx([exact[int(b, 2)] for b in bars.labels], abs=1e-12)
        tally = Counter(record["counts"])
        shots = record["shots"]
        for label, p, low, high in zip(
            bars.labels, bars.measured, bars.low, bars.high, strict=True
        ):
            assert p == tally[label] / shots
            ci = binomtest(tally[label], shots).proportion_ci(0.95, method="wilson")
            assert (low, high) == pytest.approx((ci.low, ci.high), abs=1e-12)


def test_estimator_rows_carry_z_scores(runs, tmp_path):
    """z_score = error / std on every Estimator row; files written before the column get
    it on read."""
    table = load_table(runs["estimator"])
    assert table["z_score"].notna().all()
    expected = table["error"] / table["std"]
    assert table["z_score"].tolist() == pytest.approx(expected.tolist(), rel=1e-12)
    # an ideal simulator's estimates: z about N(0, 1), not tens of standard errors off
    assert table["z_score"].abs().median() < 2
    old_run = tmp_path / "old"
    shutil.copytree(runs["estimator"], old_run)
    for path in (old_run / "jobs").glob("job-*.h5"):
        with h5py.File(path, "r+") as f:
            del table_as_schema_2(f)["z_score"]
    old = load_table(old_run)
    assert old["z_score"].tolist() == pytest.approx(table["z_score"].tolist(), rel=1e-12)
