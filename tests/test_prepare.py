"""Preparing partitions in worker processes: when they are forked, and that they change nothing."""

from __future__ import annotations

import json
import os
import threading

import numpy as np
import pytest
from conftest import run_config
from qiskit import qasm2
from qiskit_aer import AerSimulator

from qexp.backends import offload
from qexp.plan import prepare
from qexp.results import load_run


def test_workers_are_never_forked_while_another_thread_runs():
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        assert prepare._context().get_start_method() == "forkserver"
    finally:
        release.set()
        thread.join()


def test_workers_are_never_forked_once_native_threads_started(monkeypatch):
    """A simulator's thread pool (OpenMP) is not a thread Python knows of."""
    monkeypatch.setattr(prepare, "_threads", lambda: prepare._LIBRARY_THREADS + 1)
    assert prepare._context().get_start_method() == "forkserver"


def test_workers_are_forked_beside_the_libraries_idle_thread_pools(monkeypatch):
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.setattr(prepare, "_threads", lambda: prepare._LIBRARY_THREADS)
    assert prepare._context().get_start_method() == "fork"


@pytest.mark.parametrize("backend", ["backend=aer", "backend=fake"])
def test_partitions_prepared_and_simulated_in_workers_give_the_bits_of_one_process(
    tmp_path, monkeypatch, backend
):
    """Each circuit is transpiled alone by one seeded pass manager, and each Aer run gets
    its seed in its options, wherever they run; the workers write the job files too."""
    offloaded = []
    simulate, call = prepare.Preparer.simulate, prepare.Preparer.call
    called: list[str] = []

    def counted(self, circuits_qpy, options):
        result = simulate(self, circuits_qpy, options)
        offloaded.append(result.metadata["qexp_pid"] != os.getpid())
        return result

    def spied(self, fn, *args, **kwargs):
        result = call(self, fn, *args, **kwargs)  # raises where no worker can take it
        called.append(fn.__name__)
        return result

    sent_as_loaded: list[bool] = []
    qpy_of = offload._qpy

    def sent(circuits):
        found = qpy_of(circuits)
        sent_as_loaded.append(found[1] is not None)
        return found

    monkeypatch.setattr(prepare.Preparer, "simulate", counted)
    monkeypatch.setattr(prepare.Preparer, "call", spied)
    monkeypatch.setattr(offload, "_qpy", sent)
    common = (
        backend,
        "circuits=random",
        "circuits.num_qubits=[2,3]",
        "circuits.count=40",
        "circuits.depth=4",
        "partition.max_circuits=30",
        "primitive.shots=200",
        "transpile.cache=false",
        "seed=11",
    )
    in_process = run_config(tmp_path / "in_process", *common, "transpile.workers=0")
    assert "_write_sent" not in called
    in_workers = run_config(tmp_path / "in_workers", *common, "transpile.workers=2")
    assert len(offloaded) >= 3 and all(offloaded)  # every job's Aer runs, in a worker
    if backend == "backend=aer":  # each job's circuits, as the bytes they came in
        assert sent_as_loaded == [True] * 3
    assert called.count("_write_sent") == 3  # and every job file
    assert in_process.jobs == in_workers.jobs == {**in_workers.jobs, "done": 3}
    digests = [
        (path / "circuits.jsonl").read_text().splitlines()
        for path in (tmp_path / "in_process", tmp_path / "in_workers")
    ]
    assert sorted(digests[0]) == sorted(digests[1])
    for a, b in zip(
        load_run(tmp_path / "in_process"), load_run(tmp_path / "in_workers"), strict=True
    ):
        assert np.array_equal(a.data.meas.array, b.data.meas.array)


def test_a_job_file_no_worker_can_take_is_written_here(tmp_path, monkeypatch):
    """A pool gone or shut down while results still arrive: the writer thread, which still
    holds the result, writes the file itself."""
    from qexp.backends.offload import Unavailable
    from qexp.run import writer

    call = prepare.Preparer.call

    def refusing(self, fn, *args, **kwargs):
        if fn is writer._write_sent:
            raise Unavailable("the workers are gone")
        return call(self, fn, *args, **kwargs)

    monkeypatch.setattr(prepare.Preparer, "call", refusing)
    overrides = ("circuits=random", "circuits.count=40", "partition.max_circuits=20")
    report = run_config(tmp_path / "run", *overrides, "transpile.workers=2")
    assert report.jobs["done"] == 2
    assert sum(r.data.meas.num_shots for r in load_run(tmp_path / "run")) == 40 * 1024


def test_a_result_pickle_cannot_send_to_a_worker_is_written_here(tmp_path, monkeypatch):
    """A primitive's metadata may hold what pickle cannot write (the job file's JSON keeps
    dataclasses): the file is written by the writer thread, not failed."""
    from dataclasses import dataclass

    from qexp.run import writer
    from qexp.store import read_job

    @dataclass
    class Note:  # defined here: pickle cannot find it by name
        text: str = "kept"

    write = writer.JobWriter.write

    def noted(self, job, prepared, runtime_job, result):
        result.metadata["note"] = Note()
        return write(self, job, prepared, runtime_job, result)

    monkeypatch.setattr(writer.JobWriter, "write", noted)
    overrides = ("circuits=random", "circuits.count=40", "partition.max_circuits=20")
    report = run_config(tmp_path / "run", *overrides, "transpile.workers=2")
    assert report.jobs["done"] == 2
    for path in sorted((tmp_path / "run" / "jobs").glob("*.h5")):
        assert "kept" in json.dumps(read_job(path).result.metadata["note"], default=vars)


def test_partitions_take_what_the_survey_found_only_for_the_text_it_read(tmp_path):
    """A QASM file is parsed by the survey and again by its partition: the partition keeps
    the survey's digest and ideal distributions for the same file and text, and computes
    its own for a changed one (a file edited while the run goes on is recorded as it ran)."""
    from dataclasses import replace

    from conftest import BELL_QASM2, compose_config

    from qexp import circuits
    from qexp.circuits.identity import digest
    from qexp.config.load import load
    from qexp.plan.make import _preparer

    folder = tmp_path / "qasm"
    folder.mkdir()
    for name in ("a", "b"):
        (folder / f"{name}.qasm").write_text(BELL_QASM2)
    cfg = load(compose_config("circuits=qasm", f"circuits.path={folder}", "transpile.cache=false"))
    worker = _preparer(cfg, None, 0).local
    assert worker is not None
    a, b = worker.survey([0, 1])
    assert a.source_digest != b.source_digest  # the same text in another file
    np.testing.assert_allclose(a.ideals[0].probabilities, [0.5, 0, 0, 0.5], atol=1e-12)
    (folder / "b.qasm").write_text(BELL_QASM2.replace("h q[0];", "x q[0];"))
    specs = circuits.generate(cfg.circuits, cfg.seed, [0, 1])
    marked = [replace(info, digest=f"from-survey-{i}") for i, info in enumerate((a, b))]

    digests = prepare._adopt(specs, tuple(marked), cfg.metrics.max_exact_qubits)
    assert digests == ["from-survey-0", digest(specs[1].circuit)]
    assert digest(specs[1].circuit) != b.digest  # the edit changed the circuit
    assert specs[0].ideals(cfg.metrics.max_exact_qubits)[0] is a.ideals[0]  # taken as found
    (edited,) = specs[1].ideals(cfg.metrics.max_exact_qubits)  # computed for the new text
    np.testing.assert_allclose(edited.probabilities, [0, 0, 0, 1], atol=1e-12)


def test_partitions_prepare_the_circuits_the_survey_read_without_reading_again(tmp_path):
    """The survey hands each file's circuit to its partition (QPY): the partition prepares
    exactly what it would have prepared from the file (the same ISA circuits, records and
    logical circuits, byte for byte), and never reads the file again, so a file edited or
    removed after the check runs as it was checked."""
    from conftest import compose_config
    from qiskit.circuit.random import random_circuit

    from qexp import circuits
    from qexp.config.load import load
    from qexp.plan.make import _preparer

    folder = tmp_path / "qasm"
    folder.mkdir()
    for i in range(3):
        circuit = random_circuit(4, 6, max_operands=2, measure=True, seed=i)
        (folder / f"c{i}.qasm").write_text(qasm2.dumps(circuit))
    cfg = load(compose_config("circuits=qasm", f"circuits.path={folder}", "transpile.cache=false"))
    worker = _preparer(cfg, AerSimulator(), 0).local
    assert worker is not None
    known = tuple(worker.survey([0, 1, 2], prepare.SURVEY_CIRCUIT_BYTES))
    assert all(info.circuit_qpy for info in known)
    from_files = worker.prepare(0, [0, 1, 2], ship=True)
    originals = circuits.generate(cfg.circuits, cfg.seed, [0, 1, 2])
    for path in folder.iterdir():  # read again, these would fail the partition
        path.unlink()

    handed = worker.prepare(0, [0, 1, 2], ship=True, known=known)
    assert handed.isa == from_files.isa
    assert handed.circuits_qpy == from_files.circuits_qpy
    assert handed.records == from_files.records
    assert handed.digests == from_files.digests == [info.digest for info in known]
    assert [c.metadata for c, *_ in handed.pubs()] == [s.circuit.metadata for s in originals]


def test_the_survey_hands_over_circuits_within_its_budget(tmp_path, monkeypatch):
    """Each circuit is handed over when its QPY takes at most its share of
    `SURVEY_CIRCUIT_BYTES` (the budget over the run's circuits), so the circuits the plan
    holds never exceed it; a larger one is read again by its partition."""
    from conftest import BELL_QASM2, compose_config
    from qiskit.circuit.random import random_circuit

    from qexp.config.load import load
    from qexp.plan.make import _preparer

    folder = tmp_path / "qasm"
    folder.mkdir()
    (folder / "a.qasm").write_text(BELL_QASM2)
    deep = random_circuit(5, 40, max_operands=2, measure=True, seed=1)
    (folder / "b.qasm").write_text(qasm2.dumps(deep))
    cfg = load(compose_config("circuits=qasm", f"circuits.path={folder}", "transpile.cache=false"))
    worker = _preparer(cfg, None, 0).local
    assert worker is not None
    small, large = (len(i.circuit_qpy) for i in worker.survey([0, 1], 2**20))
    assert small < large
    monkeypatch.setattr(prepare, "SURVEY_CIRCUIT_BYTES", 2 * small)  # a share of `small`
    infos = _preparer(cfg, None, 0).survey(2)
    assert [len(i.circuit_qpy) if i.circuit_qpy else None for i in infos] == [small, None]
    assert sum(len(i.circuit_qpy or b"") for i in infos) <= prepare.SURVEY_CIRCUIT_BYTES


@pytest.mark.parametrize("backend", ["backend=aer", "backend=fake backend.name=FakeManilaV2"])
def test_a_runs_workers_are_forked_not_started_afresh(tmp_path, backend):
    """Workers forked from the command line share its imports; a forkserver's would import
    Qiskit and the runtime again (seconds). In a fresh process, as `python -m qexp` plans."""
    import subprocess
    import sys

    from conftest import BELL_QASM2

    for i in range(40):
        (tmp_path / f"c{i:02}.qasm").write_text(BELL_QASM2)
    script = f"""
import sys
from conftest import compose_config
from qexp.config.load import load
from qexp.plan.make import make_plan
cfg = load(compose_config("circuits=qasm", "circuits.path={tmp_path}", "partition.max_circuits=10",
                          "transpile.workers=2", *{backend.split()!r}))
plan = make_plan(cfg)
print(plan.preparer.pool._mp_context.get_start_method())
plan.close()
"""
    tests = os.path.dirname(__file__)
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tests, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "fork"


def test_local_jobs_in_flight_follow_where_they_simulate():
    """Simulated in the worker processes, four local jobs per core wait in their queue (one
    per core left the workers idle between small jobs); simulated in this process, one per
    core (more would only contend for the cores)."""
    from types import SimpleNamespace

    from qexp.run import runner

    cores = len(os.sched_getaffinity(0))
    in_workers = SimpleNamespace(backend=SimpleNamespace(offload=lambda *a: None))
    here = SimpleNamespace(backend=SimpleNamespace(offload=None))
    assert runner._local_running(in_workers) == runner.RUNNING_PER_CORE * cores > cores
    assert runner._local_running(here) == cores
    assert runner._local_running(SimpleNamespace(backend=object())) == cores


def test_checking_workers_yield_the_cores_only_to_the_main_processs_work(tmp_path):
    """While the main process imports the runtime (the run's critical path), the workers
    that check the files run at a lower priority; a check with nothing beside it, and the
    pool that transpiles, keep theirs."""
    from conftest import BELL_QASM2, compose_config

    from qexp.config.load import load
    from qexp.plan.make import _preparer

    folder = tmp_path / "qasm"
    folder.mkdir()
    for i in range(4):
        (folder / f"c{i}.qasm").write_text(BELL_QASM2)
    cfg = load(compose_config("circuits=qasm", f"circuits.path={folder}", "transpile.cache=false"))
    here = os.getpriority(os.PRIO_PROCESS, 0)
    for meanwhile, expected in ((lambda: None, max(here, prepare.SURVEY_NICENESS)), (None, here)):
        surveyor = _preparer(cfg, None, 1)
        try:
            assert len(surveyor.survey(4, chunk=2, meanwhile=meanwhile)) == 4
            assert surveyor.call(os.getpriority, os.PRIO_PROCESS, 0) == expected
        finally:
            surveyor.close(wait=True)
    assert os.getpriority(os.PRIO_PROCESS, 0) == here  # never this process


def test_a_jobs_circuits_reach_the_simulating_worker_as_the_bytes_they_came_in():
    """The QPY a job's ISA circuits came from a worker in is what a worker simulates, as
    long as the circuits the primitive runs are those, all, in order and unchanged (the
    runtime's deep copies and the primitive's bound copies are); else they are written."""
    import copy
    import io

    from qiskit import QuantumCircuit, qpy
    from qiskit.circuit import Parameter

    def bell(name: str) -> QuantumCircuit:
        circuit = QuantumCircuit(2, name=name, metadata={"n": name})
        circuit.h(0)
        circuit.cx(0, 1)
        circuit.measure_all()
        return circuit

    buffer = io.BytesIO()
    qpy.dump([bell("a"), bell("b"), bell("c")], buffer)
    data = buffer.getvalue()
    loaded = offload.loaded(data)
    copies = [c.assign_parameters({}) for c in copy.deepcopy(loaded)]  # as the runtime runs
    found, names = offload._qpy(copies)
    assert found is data and names == [c.name for c in copies]
    simulated = offload.simulate(data, {"shots": 10, offload.CIRCUIT_NAMES: names})
    assert [e.header["name"] for e in simulated.results] == names  # Aer's headers, as written

    changed = copy.deepcopy(loaded)
    changed[1].x(0)
    other = copy.deepcopy(loaded)
    other[2].metadata = {}
    for circuits in (changed, other, loaded[:2], loaded[::-1]):
        found, names = offload._qpy(circuits)
        assert names is None and found is not data
        assert qpy.load(io.BytesIO(found)) == circuits

    theta = Parameter("t")
    parametric = QuantumCircuit(1)
    parametric.rx(theta, 0)
    buffer = io.BytesIO()
    qpy.dump([parametric], buffer)
    (marked,) = offload.loaded(buffer.getvalue())
    assert offload._qpy([marked.assign_parameters({theta: 0.5})])[1] is None
