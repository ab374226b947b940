"""Sweeps on a REAL one-node Slurm cluster (started by `tools/slurm-local.sh start`; CI does).

That cluster has no accounting database, so its `sacct` is the script's stand-in
(/usr/local/bin/sacct, answering from slurmctld's memory through `squeue --states=all`):
the states submitit polls and `_sacct_states` reads below come from it, as a real cluster's
come from slurmdbd. Skipped with the reason where no cluster runs here (starting one needs
root and apt); under CI a missing cluster fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest
from conftest import BELL_QASM2

from qexp.results import load_run
from qexp.status import main as status_main
from qexp.sweep import index

pytestmark = pytest.mark.slow

LAUNCHER = [
    "hydra/launcher=slurm",
    "hydra.launcher.cpus_per_task=1",  # the test node has 2 CPUs: two points at once
    "hydra.launcher.mem_gb=1",
    "hydra.launcher.timeout_min=10",
]


def _why_no_slurm() -> str | None:
    if shutil.which("sbatch") is None or shutil.which("sinfo") is None:
        return (
            "needs root and apt: no Slurm client here; start a one-node cluster (and its "
            "sacct stand-in) with sudo tools/slurm-local.sh start"
        )
    if shutil.which("sacct") is None:
        return "no sacct: tools/slurm-local.sh start installs its stand-in in /usr/local/bin"
    done = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, check=False)
    states = done.stdout.split()
    if done.returncode or not {"idle", "mix", "alloc"} & set(states):
        return (
            f"no Slurm node ready (sinfo: {done.stdout.strip() or done.stderr.strip()}); "
            "start the one-node cluster with sudo tools/slurm-local.sh start (needs root)"
        )
    return None


@pytest.fixture(scope="module", autouse=True)
def slurm_cluster():
    reason = _why_no_slurm()
    if reason and os.environ.get("CI"):
        pytest.fail(f"CI runs the Slurm tests, but {reason}")
    if reason:
        pytest.skip(reason)


def _sacct_states(job_ids: list[str]) -> dict[str, str]:
    """Slurm's state of each job, from `sacct` (on the local cluster: its stand-in)."""
    base = {j.split("_")[0] for j in job_ids}
    args = [a for b in sorted(base) for a in ("-j", b)]
    out = subprocess.run(
        ["sacct", "-o", "JobID,State,NodeList", "--parsable2", *args],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return {line.split("|")[0]: line.split("|")[1] for line in out.splitlines()[1:]}


def _final_sacct_states(job_ids: list[str], timeout: float = 60) -> dict[str, str]:
    """Slurm's states once every job has ended.

    A point's result reaches the sweep before its Slurm job has finished exiting, so the
    last job can still read RUNNING (or COMPLETING) for a moment after the sweep ends.
    """
    deadline = time.monotonic() + timeout
    while True:
        states = _sacct_states(job_ids)
        pending = [
            j for j in job_ids if states.get(j) in (None, "PENDING", "RUNNING", "COMPLETING")
        ]
        if not pending or time.monotonic() > deadline:
            return states
        time.sleep(0.5)


def test_failed_point_fails_its_slurm_job_and_resume_finishes_the_sweep(cli, tmp_path):
    circuits = tmp_path / "circuits"
    circuits.mkdir()
    for n in (0, 1, 3):  # p2.qasm is missing: that point fails with its own message
        (circuits / f"p{n}.qasm").write_text(BELL_QASM2)
    paths = ",".join(str(circuits / f"p{n}.qasm") for n in range(4))
    sweep = tmp_path / "sweep"
    done = cli(
        "-m", *LAUNCHER, "circuits=qasm", f"circuits.path={paths}", f"hydra.sweep.dir={sweep}"
    )
    assert done.returncode == 2, done.stdout + done.stderr  # a config refused: ConfigError
    assert "1 sweep point(s) failed" in done.stderr
    failed_line = next(line for line in done.stderr.splitlines() if "point 2" in line)
    assert f"{sweep}/2" in failed_line
    assert f"circuits.path='{circuits}/p2.qasm' is not valid" in failed_line
    assert "no such file or folder" in failed_line
    assert "Bypassing sacct error" not in done.stderr + done.stdout
    assert "total: 4 points (3 done, 1 failed); jobs: 3 done, 0 failed, 3 planned" in done.stdout

    records = index.read(sweep)
    ids = [r.slurm_job_id for r in records]
    assert all(ids) and len({i.split("_")[0] for i in ids}) == 1  # one job array
    assert [i.split("_")[1] for i in ids] == ["0", "1", "2", "3"]
    assert all(r.slurm.get("SLURM_JOB_NODELIST") for r in records)  # recorded inside the job
    states = _final_sacct_states(ids)
    assert [states[i] for i in ids] == ["COMPLETED", "COMPLETED", "FAILED", "COMPLETED"]
    assert status_main([str(sweep)]) == 1

    (circuits / "p2.qasm").write_text(BELL_QASM2)
    again = subprocess.run(
        [sys.executable, "-m", "qexp.resume", str(sweep)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert status_main([str(sweep)]) == 0
    assert [r.status for r in index.read(sweep)] == ["done"] * 4
    for point in range(4):
        counts = load_run(sweep / str(point))[0].join_data().get_counts()
        assert set(counts) == {"00", "11"}


def test_a_point_killed_outside_qexp_does_not_leave_the_sweep_waiting(tmp_path):
    """scancel a running point: the sweep still ends, naming the point and its Slurm state."""
    sweep = tmp_path / "sweep"
    process = subprocess.Popen(
        [
            sys.executable, "-m", "qexp", "-m", *LAUNCHER,
            "circuits=random", "circuits.num_qubits=[4]", "circuits.count=1,3000",
            "circuits.depth=30", "backend=fake", "partition.max_circuits=50",
            f"hydra.sweep.dir={sweep}",
        ],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    victim = None
    while victim is None and time.monotonic() < deadline:
        records = index.read(sweep) or []
        if len(records) == 2 and records[1].status == "running":
            victim = records[1].slurm_job_id
        time.sleep(0.2)
    assert victim, "point 1 never started"
    subprocess.run(["scancel", victim], check=True)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 1
    line = next(line for line in err.splitlines() if "point 1" in line)
    assert f"its job {victim} ended CANCELLED" in line
    assert index.read(sweep)[1].status == "failed"
    assert "total: 2 points (1 done, 1 failed)" in out
