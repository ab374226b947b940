"""The plan and the cost before anything runs: qexp.cost against hand-computed values,
the dry-run sweep's totals, and run.max_qpu_seconds refusing before anything is submitted;
what was spent, as the ledger adds it up, and the cap over a sweep on a fake device."""

from __future__ import annotations

import math

import pytest
from conftest import run_config
from qiskit import QuantumCircuit
from qiskit_ibm_runtime.fake_provider import FakeManilaV2

from qexp.constants import MANIFEST_FILE
from qexp.plan import cost
from qexp.plan.estimate import BudgetExceeded
from qexp.results import load_table
from qexp.store.bill import job_billed, spending
from qexp.store.manifest import Attempt, JobEntry, Manifest
from qexp.sweep import index

DT = 2 / 9 * 1e-9
"""FakeManilaV2's sample time: 0.2222 ns. Its durations below are from its calibration data."""
SX, CX_01, MEASURE = 160 * DT, 1248 * DT, 24080 * DT
REP_DELAY = 250e-6

ONE_QUBIT_QASM = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[1];
creg c[1];
sx q[0];
measure q[0] -> c[0];
"""


@pytest.fixture(scope="module")
def target():
    return FakeManilaV2().target


def test_durations_are_manilas(target):
    assert target["sx"][(0,)].duration == pytest.approx(SX)
    assert target["cx"][(0, 1)].duration == pytest.approx(CX_01)
    assert target["measure"][(0,)].duration == pytest.approx(MEASURE)


def _sx_cx_measure() -> QuantumCircuit:
    """sx on 0, then cx(0, 1), then both measured: the longest path is sx + cx + measure."""
    qc = QuantumCircuit(5, 2)
    qc.sx(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def test_circuit_seconds_is_the_longest_path(target):
    # 160 + 1248 + 24080 samples of 2/9 ns = 25488 * 0.2222 ns = 5664.0 ns
    assert cost.circuit_seconds(_sx_cx_measure(), target) == pytest.approx(5664.0e-9, rel=1e-9)


def test_one_job_by_hand(target):
    # 2 s + 1000 executions x (250 us + 5.664 us) = 2 + 0.255664 = 2.255664 s
    seconds = cost.job_seconds([(_sx_cx_measure(), 1000)], target, REP_DELAY)
    assert seconds == pytest.approx(2.255664, rel=1e-9)


def test_two_jobs_two_pubs_by_hand(target):
    short = QuantumCircuit(5, 1)
    short.sx(0)
    short.measure(0, 0)  # 160 + 24080 samples = 5386.667 ns
    jobs = [[(_sx_cx_measure(), 1000), (short, 3000)], [(short, 500)]]
    # job 0: 2 + 1000 x 255.664 us + 3000 x 255.386667 us = 2 + 0.255664 + 0.766160 = 3.021824
    # job 1: 2 + 500 x 255.386667 us = 2.127693333
    assert cost.qpu_seconds(jobs, target, REP_DELAY) == pytest.approx(5.149517333, rel=1e-9)


def test_rep_delay_defaults_to_ibms_usual(target):
    assert cost.DEFAULT_REP_DELAY_S == 250e-6
    assert cost.PER_JOB_OVERHEAD_S == 2.0
    assert cost.qpu_seconds([], target) == 0


# --- the dry run of a sweep, and the budget ------------------------------------------------
@pytest.fixture
def one_qubit_file(tmp_path):
    path = tmp_path / "one.qasm"
    path.write_text(ONE_QUBIT_QASM)
    return path


@pytest.mark.slow
def test_dry_run_sweep_totals_by_hand(cli, tmp_path, one_qubit_file):
    """Two points of one circuit each: sx then measure on Manila's qubit 0 (level 0 keeps it
    there), 1000 and 3000 shots. By hand: 24240 samples = 5.386667 us per execution, so
    point 0 = 2 + 1000 x 255.386667 us = 2.255387 s, point 1 = 2 + 3000 x ... = 2.766160 s,
    total 5.021547 s; 2 circuits, 2 jobs, 4000 executions, widest ISA circuit 1 qubit."""
    sweep = tmp_path / "sweep"
    done = cli(
        "-m",
        "circuits=qasm",
        f"circuits.path={one_qubit_file}",
        "backend=fake",
        "transpile.optimization_level=0",
        "primitive.shots=1000,3000",
        "run.dry_run=true",
        "hydra/launcher=slurm",  # never used: a dry run launches nothing
        f"hydra.sweep.dir={sweep}",
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    point0 = next(line for line in lines if "point 0 primitive.shots=1000:" in line)
    point1 = next(line for line in lines if "point 1 primitive.shots=3000:" in line)
    total = next(line for line in lines if "total, 2 of 2 points:" in line)
    assert (
        "1 circuits, 1 jobs, 1000 executions, widest ISA circuit 1 qubits, QPU time ~2.26 s"
        in point0
    )
    assert (
        "1 circuits, 1 jobs, 3000 executions, widest ISA circuit 1 qubits, QPU time ~2.77 s"
        in point1
    )
    assert (
        "2 circuits, 2 jobs, 4000 executions, widest ISA circuit 1 qubits, QPU time ~5.02 s"
        in total
    )
    assert not sweep.exists()  # nothing launched, no folder, no Slurm job


@pytest.mark.slow
def test_dry_run_sweep_names_points_over_the_budget(cli, tmp_path, one_qubit_file):
    done = cli(
        "-m",
        "circuits=qasm",
        f"circuits.path={one_qubit_file}",
        "backend=fake",
        "transpile.optimization_level=0",
        "primitive.shots=1000,3000",
        "run.dry_run=true",
        "run.max_qpu_seconds=2.5",
        f"hydra.sweep.dir={tmp_path}/sweep",
    )
    assert done.returncode == 2
    assert "point 1 primitive.shots=3000:" in done.stdout
    over = [line for line in done.stdout.splitlines() if "would be refused" in line]
    assert len(over) == 1 and "point 1" in over[0]


def test_budget_refuses_a_run_and_submits_nothing(tmp_path, one_qubit_file):
    run_dir = tmp_path / "run"
    with pytest.raises(BudgetExceeded) as refused:
        run_config(
            run_dir,
            "circuits=qasm",
            f"circuits.path={one_qubit_file}",
            "backend=fake",
            "transpile.optimization_level=0",
            "primitive.shots=3000",
            "run.max_qpu_seconds=2.5",
        )
    message = str(refused.value)
    assert "estimated QPU time 2.8 s" in message and "run.max_qpu_seconds=2.5" in message
    assert refused.value.exit_code == 2
    assert not (run_dir / MANIFEST_FILE).exists() and not (run_dir / "jobs").exists()


def test_budget_lets_a_cheap_run_through_and_ignores_simulators(tmp_path, one_qubit_file):
    report = run_config(
        tmp_path / "fake",
        "circuits=qasm",
        f"circuits.path={one_qubit_file}",
        "backend=fake",
        "primitive.shots=100",
        "run.max_qpu_seconds=3",
    )
    assert report.complete
    report = run_config(tmp_path / "aer", "run.max_qpu_seconds=0.001")  # aer: no QPU time
    assert report.complete


def test_resume_refuses_over_budget_too(tmp_path, one_qubit_file):
    """A point refused by its budget is not submitted by a resume either."""
    from qexp.resume import resume

    run_dir = tmp_path / "run"
    with pytest.raises(BudgetExceeded):
        run_config(
            run_dir,
            "circuits=qasm",
            f"circuits.path={one_qubit_file}",
            "backend=fake",
            "primitive.shots=3000",
            "run.max_qpu_seconds=2.5",
        )
    with pytest.raises(BudgetExceeded):
        resume(run_dir)
    assert not (run_dir / "jobs").exists() or not list((run_dir / "jobs").glob("*.h5"))


# --- what was spent: the ledger's bill, and the budget over a sweep ------------------------
def _attempt(job_id, seconds=None, bill=None):
    return Attempt(job_id=job_id, batch_id="b", submitted="t", qpu_seconds=seconds, bill=bill)


def test_spending_counts_bills_and_estimates_where_not_billed(tmp_path):
    """Final bills count as billed; an attempt without one (in flight, pending, or on a
    local device) at its job's estimate; a job still to submit is reserved at its estimate;
    a duplicate the client made is billed too."""
    jobs = [
        JobEntry(0, [0], "done", estimate=2.0, attempts=[_attempt("a", 2.5, "final")]),
        JobEntry(1, [1], "done", estimate=3.0, attempts=[
            _attempt("b", 0.0, "final"), _attempt(None), _attempt("c", 1.0, "pending"),
        ]),
        JobEntry(2, [2], "pending", estimate=4.0, attempts=[_attempt("d", 0.5, "final")]),
        JobEntry(3, [3], "failed", estimate=None, attempts=[_attempt("e", None, "unread")]),
    ]  # fmt: skip
    info = {"billing": "service", "duplicates": [{"job": 0, "job_id": "f", "qpu_seconds": 1.25,
                                                 "bill": "final"}]}  # fmt: skip
    spent = spending(Manifest(tmp_path / "manifest.json", jobs, info))
    assert (spent.billed, spent.bills) == (2.5 + 0.0 + 0.5 + 1.25, 4)
    assert (spent.unbilled, spent.unbilled_attempts) == (3.0 + 0.0, 2)  # c at 3 s, e at 0
    assert spent.to_submit == 4.0 and spent.estimated == 9.0 and spent.priced == 3
    assert spent.committed == pytest.approx(4.25 + 3.0 + 4.0)
    assert "4.250 s billed (4 bill(s)) against ~9.00 s estimated" in spent.describe()
    assert math.isnan(job_billed(JobEntry(4, [4], attempts=[_attempt("g")])))


def test_local_backends_bill_nothing_and_say_so(tmp_path, one_qubit_file):
    run_dir = tmp_path / "fake"
    run_config(
        run_dir,
        "circuits=qasm",
        f"circuits.path={one_qubit_file}",
        "backend=fake",
        "transpile.optimization_level=0",
        "primitive.shots=1000",
        "run.max_qpu_seconds=100",
    )
    manifest = Manifest.load(run_dir)
    assert manifest.info["billing"] == "none"
    (job,) = manifest.jobs
    assert job.estimate == pytest.approx(2.255387, rel=1e-6)  # by hand, above
    assert [(a.qpu_seconds, a.bill) for a in job.attempts] == [(None, None)]
    table = load_table(run_dir)
    assert table["qpu_seconds"].isna().all()  # NaN, not 0: nothing was billed
    assert spending(manifest).describe() == (
        "QPU time: ~2.26 s estimated; nothing billed (a local backend)"
    )
    run_config(tmp_path / "aer")
    assert load_table(tmp_path / "aer")["qpu_seconds"].isna().all()


@pytest.mark.slow
def test_a_sweep_on_a_fake_device_rehearses_its_cap(cli, tmp_path, one_qubit_file):
    """A fake device bills nothing, so each point counts at its estimate (2.26 s): with a
    cap of 5 s two points run, the third is refused and names both figures, and a dry run
    says the same beforehand."""
    common = [
        "-m",
        "circuits=qasm",
        f"circuits.path={one_qubit_file}",
        "backend=fake",
        "transpile.optimization_level=0",
        "primitive.shots=1000",
        "seed=1,2,3",
        "run.max_qpu_seconds=5",
    ]
    planned = cli(*common, "run.dry_run=true", f"hydra.sweep.dir={tmp_path}/plan")
    assert planned.returncode == 2
    over = [line for line in planned.stdout.splitlines() if "would be refused" in line]
    assert len(over) == 1 and "point 2" in over[0] and "the 4.51 s of the points" in over[0]

    sweep = tmp_path / "sweep"
    done = cli(*common, f"hydra.sweep.dir={sweep}")
    assert done.returncode == 2, done.stdout + done.stderr
    points = index.read(sweep)
    assert [p.status for p in points] == ["done", "done", "failed"]
    assert [p.qpu_seconds for p in points[:2]] == [None, None]  # nothing billed
    assert points[0].qpu_estimate == pytest.approx(2.255, abs=1e-3)
    assert "estimated QPU time 2.3 s" in points[2].error
    assert "plus 4.5 s already spent" in points[2].error
    assert not (sweep / "2" / MANIFEST_FILE).exists()
    done = cli(str(sweep), "--max-qpu-seconds", "7", module="qexp.resume")
    assert done.returncode == 0, done.stdout + done.stderr
    assert [p.status for p in index.read(sweep)] == ["done"] * 3
