"""The HDF5 job file: exact round-trips of real local primitive results, and the reader."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import h5py
import numpy as np
import pytest
import qiskit
from conftest import table_as_schema_2, write_pubs
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Parameter
from qiskit.primitives import BitArray, DataBin, PrimitiveResult, PubResult, SamplerPubResult
from qiskit.quantum_info import SparsePauliOp
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_aer import AerSimulator
from qiskit_ibm_runtime import Batch, EstimatorV2, SamplerV2
from qiskit_ibm_runtime.results import EstimatorPubResult

from qexp.circuits import ghz
from qexp.circuits.base import CircuitSpec
from qexp.constants import HDF5_SCHEMA_VERSION, JOBS_DIR, job_file_name
from qexp.errors import QexpError, QexpWarning
from qexp.results import IncompleteRun, format_indices, load_job, load_run
from qexp.store import (
    CorruptJobFile,
    StoredPub,
    is_complete,
    package_versions,
    read_job,
    read_table,
)

SHOTS = 64
PARAMS = np.array([[0.1, 0.2], [0.7, 1.1], [1.9, 2.3], [3.0, 0.4]])
OBSERVABLES = ("ZZ", "IZ", "XI")


def _two_registers() -> CircuitSpec:
    # Registers deliberately not in alphabetical order: the field order must survive.
    qc = QuantumCircuit(QuantumRegister(3, "q"), ClassicalRegister(2, "zeta"))
    qc.add_register(ClassicalRegister(1, "alpha"))
    qc.h(0)
    qc.cx(0, 1)
    qc.x(2)
    qc.measure([0, 1], qc.cregs[0])
    qc.measure(2, qc.cregs[1][0])
    qc.metadata = {"generator": "bell_plus_one", "num_qubits": 3, "seed": 7, "angles": [0.5, 1]}
    return CircuitSpec(circuit=qc, ideal_outcomes=("1 00", "1 11"))


def _parameterized(measure: bool) -> CircuitSpec:
    theta, phi = Parameter("theta"), Parameter("phi")
    qc = QuantumCircuit(2, name="ry_rx")
    qc.ry(theta, 0)
    qc.rx(phi, 1)
    qc.cx(0, 1)
    if measure:
        qc.measure_all()
    qc.metadata = {"generator": "ry_rx", "num_qubits": 2, "seed": None, "depth": 2}
    return CircuitSpec(circuit=qc, parameter_values=PARAMS.copy(), observables=OBSERVABLES)


def _measured(spec: CircuitSpec) -> QuantumCircuit:
    qc = spec.circuit.copy()
    qc.measure_all()
    return qc


def _job_attrs(**overrides) -> dict:
    attrs = {
        "job_index": 0,
        "job_id": "local-0",
        "batch_id": "",
        "backend": "aer_simulator",
        "primitive": "sampler",
        "implementation": "v2",
        "shots": SHOTS,
        "precision": None,
        "submitted": "2025-01-01T12:00:00.000+00:00",
        "finished": "2025-01-01T12:00:01.500+00:00",
        "config_yaml": "circuits:\n  name: ghz\nshots: 64\n",
        "num_circuits_in_run": 3,
        "seed": 1234,
        "attempt": 1,
    }
    attrs.update(overrides)
    return attrs


@pytest.fixture(scope="module")
def backend():
    return AerSimulator()


@pytest.fixture(scope="module")
def sampler_job(backend):
    """Three real SamplerV2 PUBs: two registers, GHZ, and a (4, 2) parameter array."""
    specs = [_two_registers(), ghz.generate(ghz.GhzConfig(num_qubits=3), seed=1)[0]]
    specs.append(_parameterized(measure=True))
    logical = [specs[0].circuit, _measured(specs[1]), specs[2].circuit]
    isa = generate_preset_pass_manager(1, backend=backend, seed_transpiler=3).run(logical)
    with Batch(backend=backend) as batch:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            sampler = SamplerV2(mode=batch)
        sampler.options.simulator.seed_simulator = 5
        pubs = [(isa[0],), (isa[1],), (isa[2], PARAMS)]
        result = sampler.run(pubs, shots=SHOTS).result()
    return [StoredPub(index=i, spec=s) for i, s in enumerate(specs)], result


@pytest.fixture(scope="module")
def estimator_job(backend):
    """One real EstimatorV2 PUB: observables (3, 1) broadcast against 4 parameter sets."""
    spec = _parameterized(measure=False)
    isa = generate_preset_pass_manager(1, backend=backend, seed_transpiler=3).run(spec.circuit)
    observables = [[SparsePauliOp(p).apply_layout(isa.layout)] for p in OBSERVABLES]
    with Batch(backend=backend) as batch:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            estimator = EstimatorV2(mode=batch)
        result = estimator.run([(isa, observables, PARAMS)], precision=0.05).result()
    return [StoredPub(index=0, spec=spec, observables=OBSERVABLES)], result


def _assert_same_result(got: PrimitiveResult, want: PrimitiveResult) -> None:
    assert len(got) == len(want)
    assert got.metadata == want.metadata
    for got_pub, want_pub in zip(got, want, strict=True):
        assert type(got_pub) is type(want_pub)
        assert got_pub.metadata == want_pub.metadata
        assert got_pub.data.shape == want_pub.data.shape
        assert list(got_pub.data) == list(want_pub.data)  # same fields, same order
        for name, want_value in want_pub.data.items():
            got_value = got_pub.data[name]
            assert type(got_value) is type(want_value)
            if isinstance(want_value, BitArray):
                assert got_value.num_bits == want_value.num_bits
                assert got_value.array.dtype == np.uint8
                assert np.array_equal(got_value.array, want_value.array)
            else:
                assert got_value.dtype == want_value.dtype
                assert np.array_equal(got_value, want_value)


def _assert_same_pubs(got: list[StoredPub], want: list[StoredPub]) -> None:
    assert len(got) == len(want)
    for got_pub, want_pub in zip(got, want, strict=True):
        assert got_pub.index == want_pub.index
        assert got_pub.observables == want_pub.observables
        assert got_pub.spec.circuit == want_pub.spec.circuit
        assert got_pub.spec.circuit.name == want_pub.spec.circuit.name
        assert got_pub.spec.circuit.metadata == want_pub.spec.circuit.metadata
        assert got_pub.spec.observables == want_pub.spec.observables
        assert got_pub.spec.ideal_outcomes == want_pub.spec.ideal_outcomes
        if want_pub.spec.parameter_values is None:
            assert got_pub.spec.parameter_values is None
        else:
            assert np.array_equal(got_pub.spec.parameter_values, want_pub.spec.parameter_values)


# --- round-trips -------------------------------------------------------------------------


def test_sampler_round_trip_is_exact(tmp_path, sampler_job):
    pubs, result = sampler_job
    path = tmp_path / job_file_name(0)
    attrs = _job_attrs()
    write_pubs(path, attrs=attrs, pubs=pubs, result=result)

    job = read_job(path)
    _assert_same_result(job.result, result)
    _assert_same_pubs(job.pubs, pubs)
    for key, value in attrs.items():
        assert job.attrs[key] == value, key
    assert job.attrs["schema_version"] == HDF5_SCHEMA_VERSION
    assert job.attrs["version_qiskit"] == qiskit.__version__
    assert job.attrs["version_h5py"] == h5py.__version__
    assert job.attrs["complete"] is True
    assert set(package_versions()) <= set(job.attrs)

    # The data is what the circuits produce, not just whatever was written.
    two_regs = job.result[0]
    assert type(two_regs) is SamplerPubResult
    assert list(two_regs.data) == ["zeta", "alpha"]
    assert two_regs.data.alpha.get_counts() == {"1": SHOTS}
    assert set(two_regs.data.zeta.get_counts()) <= {"00", "11"}
    assert two_regs.join_data().get_counts() == result[0].join_data().get_counts()
    assert set(job.result[1].data.meas.get_counts()) <= {"000", "111"}
    parameterized = job.result[2].data.meas
    assert parameterized.shape == (4,)
    assert parameterized.num_shots == SHOTS
    assert parameterized.get_counts(loc=2) == result[2].data.meas.get_counts(loc=2)
    assert load_job(path)[2].data.meas.get_counts() == result[2].data.meas.get_counts()


def test_estimator_round_trip_is_exact(tmp_path, estimator_job):
    pubs, result = estimator_job
    path = tmp_path / job_file_name(3)
    attrs = _job_attrs(
        job_index=3, primitive="estimator", shots=None, precision=0.05, num_circuits_in_run=1
    )
    write_pubs(path, attrs=attrs, pubs=pubs, result=result)

    job = read_job(path)
    _assert_same_result(job.result, result)
    _assert_same_pubs(job.pubs, pubs)
    evs = job.result[0].data.evs
    assert type(job.result[0]) is PubResult
    assert evs.shape == (3, 4)
    assert np.array_equal(evs, result[0].data.evs)
    assert np.array_equal(job.result[0].data.stds, result[0].data.stds)
    assert not np.array_equal(evs[0], evs[1])  # the observables really differ
    assert job.pubs[0].observables == OBSERVABLES
    assert job.attrs["shots"] is None
    assert job.attrs["precision"] == 0.05
    with h5py.File(path) as f:
        assert "shots" not in f.attrs  # None is an absent attribute
        info = json.loads(f["pubs/info"][()].tobytes())
        assert info[0]["observables"] == list(OBSERVABLES)
        evs = f["data/evs"]
        assert evs.attrs["kind"] == "ndarray" and json.loads(evs.attrs["shapes"]) == [[3, 4]]
        assert np.array_equal(evs[()].reshape(3, 4), result[0].data.evs)


def test_executor_round_trip_keeps_dataclass_metadata(tmp_path, backend):
    from qiskit_ibm_runtime.executor_estimator import Estimator
    from qiskit_ibm_runtime.executor_sampler import Sampler
    from qiskit_ibm_runtime.results.quantum_program import Metadata

    measured, plain = _parameterized(measure=True), _parameterized(measure=False)
    pm = generate_preset_pass_manager(1, backend=backend, seed_transpiler=3)
    isa_m, isa = pm.run([measured.circuit, plain.circuit])
    observables = [[SparsePauliOp(p).apply_layout(isa.layout)] for p in OBSERVABLES]
    with Batch(backend=backend) as batch:
        sampled = Sampler(mode=batch).run([(isa_m, PARAMS)], shots=SHOTS).result()
        estimated = Estimator(mode=batch).run([(isa, observables, PARAMS)], precision=0.1)
        estimated = estimated.result()
    assert isinstance(sampled.metadata["executor"], Metadata)  # not plain JSON

    for name, pub, result in [
        ("s.h5", StoredPub(0, measured), sampled),
        ("e.h5", StoredPub(0, plain, OBSERVABLES), estimated),
    ]:
        attrs = _job_attrs(implementation="executor")
        write_pubs(tmp_path / name, attrs=attrs, pubs=[pub], result=result)
        job = read_job(tmp_path / name)
        _assert_same_result(job.result, result)
        assert isinstance(job.result.metadata["executor"], Metadata)
    estimator_pub = read_job(tmp_path / "e.h5").result[0]
    assert type(estimator_pub) is EstimatorPubResult
    assert "ensemble_standard_error" in estimator_pub.data


def _high_level_set_attrs(obj, values) -> None:
    target = h5py.Dataset(obj) if isinstance(obj, h5py.h5d.DatasetID) else obj
    for name, value in values.items():
        target.attrs[name] = value


def _high_level_dataset(group, name, data):
    return group.create_dataset(name, data=data)


@pytest.mark.parametrize("job", ["sampler_job", "estimator_job"])
def test_job_files_are_the_bytes_h5py_high_level_api_writes(tmp_path, monkeypatch, request, job):
    """Attributes and plain datasets go through h5py's low-level API for speed: the file is
    byte for byte the one its high-level API writes (same types, same property lists)."""
    from qexp.store import h5

    pubs, result = request.getfixturevalue(job)
    fast, slow = tmp_path / "fast.h5", tmp_path / "slow.h5"
    attrs = {**_job_attrs(), "finished": "2026-12-05T00:00:00+00:00"}
    write_pubs(fast, attrs=attrs, pubs=pubs, result=result)
    monkeypatch.setattr(h5, "set_attrs", _high_level_set_attrs)
    monkeypatch.setattr(h5, "plain_dataset", _high_level_dataset)
    write_pubs(slow, attrs=attrs, pubs=pubs, result=result)
    assert fast.read_bytes() == slow.read_bytes()
    with h5py.File(fast) as f:
        assert f.attrs["backend"] == attrs["backend"] and f["table"]["int64"].size


@pytest.mark.parametrize("job", ["sampler_job", "estimator_job"])
def test_attributes_read_as_h5py_reads_them(tmp_path, request, job):
    """`h5.get_attrs` gives every attribute of a job file (its root and every dataset's:
    strings, numbers, bools, arrays of each) the value and type h5py's `attrs` gives."""
    from qexp.store import h5

    pubs, result = request.getfixturevalue(job)
    path = tmp_path / "job.h5"
    write_pubs(path, attrs=_job_attrs(), pubs=pubs, result=result)
    with h5py.File(path) as f:
        objects = [f]
        f.visititems(lambda _, obj: objects.append(obj))
        compared = 0
        for obj in objects:
            names = [*obj.attrs, "absent"]
            found = h5.get_attrs(obj, names)
            assert set(found) == set(obj.attrs)
            for name, value in found.items():
                want = obj.attrs[name]
                assert type(value) is type(want)
                if isinstance(want, np.ndarray):
                    assert value.dtype == want.dtype
                    np.testing.assert_array_equal(value, want)
                else:
                    assert value == want
                compared += 1
        assert compared > 30


def test_readable_with_plain_h5py(tmp_path, sampler_job):
    """One dataset per field across PUBs, offsets and widths as attributes; the table's
    numbers a block per dtype, a row per column (version 3)."""
    pubs, result = sampler_job
    path = tmp_path / job_file_name(0)
    write_pubs(path, attrs=_job_attrs(), pubs=pubs, result=result)

    with h5py.File(path, "r") as f:  # no qexp, no qiskit below
        assert f.attrs["schema_version"] == HDF5_SCHEMA_VERSION == 3
        assert f.attrs["complete"] and f.attrs["num_pubs"] == 3
        assert list(f["pubs/circuit_index"][()]) == [0, 1, 2]
        info = json.loads(f["pubs/info"][()].tobytes())
        assert [i["fields"] for i in info] == [["zeta", "alpha"], ["meas"], ["meas"]]
        assert info[0]["metadata"]["angles"] == [0.5, 1]
        assert info[0]["result_type"] == "SamplerPubResult"
        assert json.loads(info[0]["result_metadata"])["shots"] == SHOTS
        assert info[2]["shape"] == [4] and info[2]["parameter_names"] == ["phi", "theta"]
        assert np.array_equal(info[2]["parameter_values"], PARAMS)
        zeta = f["data/zeta"]  # only PUB 0 has this register
        assert zeta.attrs["kind"] == "BitArray" and list(zeta.attrs["pubs"]) == [0]
        assert zeta.compression == "gzip"
        bits = np.unpackbits(zeta[()], axis=-1)[..., -zeta.attrs["num_bits"][0] :]
        strings = ["".join(map(str, row)) for row in bits]
        meas = f["data/meas"]  # PUBs 1 and 2: 1 + 4 parameter sets of SHOTS rows each
        assert list(meas.attrs["pubs"]) == [1, 2]
        assert list(meas.attrs["offsets"]) == [0, SHOTS, 5 * SHOTS]
        assert list(meas.attrs["num_bits"]) == [3, 2]
        second = meas[meas.attrs["offsets"][1] : meas.attrs["offsets"][2]].reshape(4, SHOTS, 1)
        assert np.array_equal(second, result[2].data.meas.array)
        assert f["circuits"].dtype == np.uint8 and f["circuits"].attrs["format"] == "qpy"
        table = f["table"]
        assert set(table) == {"int64", "float64", "top_outcome"}
        ints = dict(zip(table["int64"].attrs["columns"], table["int64"][()], strict=True))
        assert list(ints["circuit_index"]) == [0, 1, 2, 2, 2, 2]
        assert list(ints["parameter_index"]) == [0, 0, 0, 1, 2, 3]
        floats = dict(zip(table["float64"].attrs["columns"], table["float64"][()], strict=True))
        counts = result[1].data.meas.get_counts()  # the GHZ PUB, one parameter set
        assert floats["top_probability"][1] == max(counts.values()) / SHOTS
        assert counts[table["top_outcome"].asstr()[1]] == max(counts.values())
    assert strings == result[0].data.zeta.get_bitstrings()
    assert "11" in strings and "00" in strings


def test_file_size_is_the_bits_and_the_circuits(tmp_path):
    """100 PUBs of 1,000 shots: the file is no bigger than its packed bits, its circuits'
    QPY bytes and a fixed 16 KiB (the columnar layout pays nothing per PUB)."""
    from qiskit.circuit.random import random_circuit

    from qexp.store import PubRecord, dump_circuits, write_job

    rng = np.random.default_rng(1)
    circuits = [random_circuit(5, 10, max_operands=2, seed=100 + i) for i in range(100)]
    for i, circuit in enumerate(circuits):
        circuit.metadata = {"generator": "random", "num_qubits": 5, "seed": 100 + i, "depth": 10}
    pubs = [
        SamplerPubResult(
            DataBin(meas=BitArray(rng.integers(0, 32, (1000, 1), dtype=np.uint8), 5), shape=()),
            metadata={"shots": 1000, "circuit_metadata": c.metadata},
        )
        for c in circuits
    ]
    qpy_bytes = dump_circuits(circuits)
    path = tmp_path / "job.h5"
    write_job(
        path,
        attrs=_job_attrs(num_circuits_in_run=100),
        records=[PubRecord(index=i, metadata=c.metadata) for i, c in enumerate(circuits)],
        circuits_qpy=qpy_bytes,
        result=PrimitiveResult(pubs, metadata={"version": 2}),
    )
    bound = 1.05 * (100 * 1000 + len(qpy_bytes)) + 16 * 1024
    assert path.stat().st_size <= bound, (path.stat().st_size, bound)
    assert read_job(path).result[99].data.meas.get_counts() == pubs[99].data.meas.get_counts()


DATA = Path(__file__).parent / "data"


def test_version_2_tables_read_as_version_3(tmp_path, sampler_job, estimator_job):
    """A table written one dataset per column (schema 2) reads as the same columns, in the
    same order and dtypes, as the blocks schema 3 writes."""
    for job in (sampler_job, estimator_job):
        pubs, result = job
        path, old = tmp_path / "new.h5", tmp_path / "old.h5"
        write_pubs(path, attrs=_job_attrs(), pubs=pubs, result=result)
        shutil.copy(path, old)
        with h5py.File(old, "r+") as f:
            assert len(table_as_schema_2(f)) > 3
        new_table, old_table = read_table(path), read_table(old)
        assert list(new_table.columns) == list(old_table.columns)
        for name, values in new_table.columns.items():
            if isinstance(values, np.ndarray):
                assert values.dtype == old_table.columns[name].dtype
                np.testing.assert_array_equal(values, old_table.columns[name])
            else:
                assert values == old_table.columns[name]


def test_version_1_files_are_still_read():
    """Files written by qexp's first layout (one group per PUB) read back exactly."""
    expected = json.loads((DATA / "v1-expected.json").read_text())
    sampled = read_job(DATA / "v1-sampler.h5")
    assert sampled.attrs["schema_version"] == 1
    for pub, want in zip(sampled.result, expected["sampler"], strict=True):
        assert {name: pub.data[name].get_counts() for name in pub.data} == want
    assert [p.spec.circuit.name for p in sampled.pubs] == ["ghz_2", "ghz_3", "two_regs"]
    estimated = read_job(DATA / "v1-estimator.h5")
    assert np.array_equal(estimated.result[0].data.evs, expected["estimator"]["evs"])
    assert estimated.pubs[0].observables == ("ZZ", "XX")
    assert estimated.pubs[0].spec.parameter_values.shape[0] == 3


# --- failures ----------------------------------------------------------------------------


@pytest.fixture
def job_path(tmp_path, sampler_job) -> Path:
    pubs, result = sampler_job
    path = tmp_path / job_file_name(0)
    write_pubs(path, attrs=_job_attrs(), pubs=pubs, result=result)
    return path


@pytest.mark.parametrize("keep", [0, 0.3, 0.9, -1])
def test_truncated_file_is_corrupt(job_path, keep):
    data = job_path.read_bytes()
    cut = len(data) - 1 if keep == -1 else int(len(data) * keep)
    job_path.write_bytes(data[:cut])
    assert is_complete(job_path) is False
    with pytest.raises(CorruptJobFile, match=job_path.name):
        read_job(job_path)


def test_file_without_complete_is_corrupt(job_path):
    assert is_complete(job_path) is True
    with h5py.File(job_path, "a") as f:
        del f.attrs["complete"]
    assert is_complete(job_path) is False
    with pytest.raises(CorruptJobFile, match="complete"):
        read_job(job_path)


def test_newer_schema_is_refused(job_path):
    with h5py.File(job_path, "a") as f:
        f.attrs["schema_version"] = HDF5_SCHEMA_VERSION + 1
    with pytest.raises(CorruptJobFile, match="newer"):
        read_job(job_path)


def test_missing_file(tmp_path):
    assert is_complete(tmp_path / "nope.h5") is False
    with pytest.raises(FileNotFoundError):
        read_job(tmp_path / "nope.h5")


def test_write_leaves_no_temp_files_and_fails_atomically(tmp_path, sampler_job):
    pubs, result = sampler_job
    path = tmp_path / JOBS_DIR / job_file_name(0)
    write_pubs(path, attrs=_job_attrs(), pubs=pubs, result=result)
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    before = path.read_bytes()

    from qexp.store import PubRecord, dump_circuits, write_job

    records = [PubRecord.of(p.index, p.spec, p.observables) for p in pubs]
    records[2] = PubRecord(2, metadata={"generator": object()})  # not JSON: fails mid-write
    with pytest.raises(TypeError):
        write_job(
            path,
            attrs=_job_attrs(attempt=2),
            records=records,
            circuits_qpy=dump_circuits([p.spec.circuit for p in pubs]),
            result=result,
        )
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    assert path.read_bytes() == before
    assert read_job(path).attrs["attempt"] == 1


def test_write_rejects_bad_input(tmp_path, sampler_job):
    pubs, result = sampler_job
    with pytest.raises(ValueError, match="pub results"):
        write_pubs(tmp_path / "x.h5", attrs=_job_attrs(), pubs=pubs[:2], result=result)
    with pytest.raises(ValueError, match="complete"):
        write_pubs(tmp_path / "x.h5", attrs={"complete": True}, pubs=pubs, result=result)
    assert not list(tmp_path.iterdir())


# --- load_run ----------------------------------------------------------------------------


def _write_split(run_dir: Path, sampler_job, num_circuits: int = 3) -> None:
    """Job 0 holds global circuits 2 and 0 (in that order), job 1 holds circuit 1."""
    pubs, result = sampler_job
    for job_index, positions in enumerate([(2, 0), (1,)]):
        write_pubs(
            run_dir / JOBS_DIR / job_file_name(job_index),
            attrs=_job_attrs(job_index=job_index, num_circuits_in_run=num_circuits),
            pubs=[pubs[p] for p in positions],
            result=PrimitiveResult([result[p] for p in positions], result.metadata),
        )


def test_load_run_orders_by_global_index(tmp_path, sampler_job):
    _, result = sampler_job
    _write_split(tmp_path, sampler_job)
    (tmp_path / JOBS_DIR / ".job-00002.h5.99.tmp").write_bytes(b"half")  # ignored
    results = load_run(tmp_path)
    assert len(results) == 3
    assert list(results[0].data) == ["zeta", "alpha"]
    assert np.array_equal(results[0].data.zeta.array, result[0].data.zeta.array)
    assert np.array_equal(results[1].data.meas.array, result[1].data.meas.array)
    assert results[2].data.meas.shape == (4,)
    assert np.array_equal(results[2].data.meas.array, result[2].data.meas.array)


def test_load_run_reports_missing_circuits(tmp_path, sampler_job):
    _write_split(tmp_path, sampler_job, num_circuits=6)
    with pytest.raises(IncompleteRun, match=r"3 of 6 circuits.*3-5.*python -m qexp\.resume") as e:
        load_run(tmp_path)
    assert e.value.missing == (3, 4, 5)
    assert isinstance(e.value, QexpError)
    results = load_run(tmp_path, partial=True)
    assert results[3:] == [None, None, None]
    assert list(results[0].data) == ["zeta", "alpha"]


def test_load_run_with_a_corrupt_job_file(tmp_path, sampler_job):
    _write_split(tmp_path, sampler_job)
    second = tmp_path / JOBS_DIR / job_file_name(1)
    second.write_bytes(second.read_bytes()[:100])
    with pytest.raises(CorruptJobFile, match=second.name):
        load_run(tmp_path)
    with pytest.warns(QexpWarning, match=second.name):
        results = load_run(tmp_path, partial=True)
    assert results[1] is None and results[0] is not None and results[2] is not None


def test_load_run_without_job_files(tmp_path):
    with pytest.raises(IncompleteRun, match="no job files"):
        load_run(tmp_path)
    assert load_run(tmp_path, partial=True) == []


def test_load_run_refuses_mixed_runs(tmp_path, sampler_job):
    _write_split(tmp_path, sampler_job)
    other = tmp_path / "other"
    _write_split(other, sampler_job, num_circuits=4)
    shutil.copy(other / JOBS_DIR / job_file_name(1), tmp_path / JOBS_DIR / job_file_name(1))
    with pytest.raises(QexpError, match="num_circuits_in_run"):
        load_run(tmp_path)


def test_format_indices():
    assert format_indices([7, 0, 1, 2, 9, 10]) == "0-2, 7, 9-10"
    assert format_indices([]) == ""


def test_table_columns_keep_none(tmp_path):
    """A missing string (`none` mask) reads back as None and a missing number as NaN; an
    int column with a gap becomes float; columns come back in name order."""
    from qexp.store import job_file

    with h5py.File(tmp_path / "t.h5", "w") as f:
        job_file._write_table(
            f.create_group("table"),
            {
                "top_outcome": ["01", None, "11"],
                "circuit_index": [0, 1, 2],
                "isa_depth": [3, None, 5],
            },
        )
    with h5py.File(tmp_path / "t.h5") as f:
        assert sorted(f["table"]) == ["float64", "int64", "top_outcome"]
        columns = job_file._read_columns(f["table"])
    assert list(columns) == ["circuit_index", "isa_depth", "top_outcome"]
    assert columns["top_outcome"] == ["01", None, "11"]
    assert columns["circuit_index"].dtype == np.int64
    assert columns["isa_depth"][0] == 3 and np.isnan(columns["isa_depth"][1])
