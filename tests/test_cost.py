"""The plan and the cost before anything runs: qexp.cost against hand-computed values,
the dry-run sweep's totals, and run.max_qpu_seconds refusing before anything is submitted."""

from __future__ import annotations

import pytest
from conftest import run_config
from qiskit import QuantumCircuit
from qiskit_ibm_runtime.fake_provider import FakeManilaV2

from qexp.constants import MANIFEST_FILE
from qexp.plan import cost
from qexp.plan.estimate import BudgetExceeded

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
