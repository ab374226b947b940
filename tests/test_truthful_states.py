"""Every state qexp reports is true: one owner per folder, dry runs and refusals never
resumed, changed circuits refused, failures ended by their cause, checks that say why."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BELL_QASM2, qexp_cli, run_config

from qexp.errors import QexpError, RunError
from qexp.resume import resume
from qexp.run.lock import RunInUse, RunLock, holder

MULTI = (
    "circuits=random",
    "circuits.num_qubits=[2,3]",
    "circuits.count=3",
    "partition.max_circuits=2",
)


def manifest(run_dir: Path) -> dict:
    return json.loads((run_dir / "manifest.json").read_text())


# --- one owner per run folder -------------------------------------------------------------
def test_a_folder_in_use_refuses_a_second_resume_naming_the_pid(tmp_path):
    run_dir = tmp_path / "run"
    run_config(run_dir, *MULTI)
    (run_dir / "jobs/job-00000.h5").unlink()
    with RunLock(run_dir):  # this process works in the folder
        done = qexp_cli(str(run_dir), cwd=tmp_path, module="qexp.resume")
        assert done.returncode == 1
        assert f"in use by process {__import__('os').getpid()}" in done.stderr
        status = qexp_cli(str(run_dir), cwd=tmp_path, module="qexp.status")
        assert f"running (pid {__import__('os').getpid()})" in status.stdout
        with pytest.raises(RunInUse):
            resume(run_dir)
    assert not (run_dir / "jobs/job-00000.h5").exists()  # nothing ran meanwhile
    assert resume(run_dir).complete


def test_the_lock_dies_with_its_process_even_by_kill_9(tmp_path):
    holder_process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from qexp.run.lock import RunLock; "
            f"lock = RunLock(__import__('pathlib').Path({str(tmp_path)!r})).__enter__(); "
            "print('locked', flush=True); time.sleep(600)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder_process.stdout is not None
    assert holder_process.stdout.readline().strip() == "locked"
    assert holder(tmp_path) == holder_process.pid
    holder_process.kill()
    holder_process.wait()
    assert holder(tmp_path) is None
    with RunLock(tmp_path):
        pass


# --- dry runs and refused runs are never resumed ------------------------------------------
def test_a_dry_run_is_never_resumed_into_a_real_one(cli, tmp_path):
    done = cli("run.dry_run=true", "backend=fake", f"hydra.run.dir={tmp_path}/dry")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "dry/dry-run.txt").read_text().startswith("qexp: dry run")
    again = qexp_cli(str(tmp_path / "dry"), cwd=tmp_path, module="qexp.resume")
    assert again.returncode == 1
    assert "holds a dry run" in again.stderr and "run.dry_run=false" in again.stderr
    assert "backend=fake" in again.stderr  # the command to run it for real, as printed
    assert not (tmp_path / "dry/manifest.json").exists()
    assert not list(tmp_path.rglob("*.h5"))
    status = qexp_cli(str(tmp_path / "dry"), cwd=tmp_path, module="qexp.status")
    assert status.returncode == 1 and "dry run, nothing submitted" in status.stdout


def test_a_refused_run_says_why_and_offers_no_resume(cli, tmp_path):
    done = cli("primitive.shots=-5", f"hydra.run.dir={tmp_path}/bad")
    assert done.returncode == 2
    refused = json.loads((tmp_path / "bad/refused.json").read_text())
    assert refused["key"] == "primitive.shots" and refused["value"] == -5
    status = qexp_cli(str(tmp_path / "bad"), cwd=tmp_path, module="qexp.status")
    assert status.returncode == 1
    assert "refused (primitive.shots=-5)" in status.stdout
    assert "resume runs it" not in status.stdout and "needs a new run" in status.stdout
    again = qexp_cli(str(tmp_path / "bad"), cwd=tmp_path, module="qexp.resume")
    assert again.returncode == 1 and "primitive.shots=-5 is not valid" in again.stderr
    assert not (tmp_path / "bad/manifest.json").exists()  # still nothing planned or submitted


# --- one identity per run -----------------------------------------------------------------
def test_resume_refuses_a_run_whose_qasm_file_was_edited(tmp_path):
    folder = tmp_path / "qasm"
    folder.mkdir()
    for name in ("a", "b", "c"):
        (folder / f"{name}.qasm").write_text(BELL_QASM2)
    run_dir = tmp_path / "run"
    run_config(run_dir, "circuits=qasm", f"circuits.path={folder}", "partition.max_circuits=1")
    (run_dir / "jobs/job-00002.h5").unlink()  # as if killed before the last job ended
    (folder / "b.qasm").write_text(BELL_QASM2.replace("h q[0];", "x q[0];"))
    with pytest.raises(QexpError, match=r"circuit 1 \(.*b\.qasm\) is not the circuit"):
        resume(run_dir)
    assert not (run_dir / "jobs/job-00002.h5").exists()  # nothing was submitted


def test_resume_refuses_a_run_whose_saved_config_was_edited(tmp_path):
    run_dir = tmp_path / "run"
    run_config(run_dir, *MULTI)
    (run_dir / "jobs/job-00001.h5").unlink()
    saved = run_dir / ".hydra/config.yaml"
    saved.write_text(saved.read_text().replace("shots: 1024", "shots: 99"))
    with pytest.raises(QexpError, match="shots"):
        resume(run_dir)


# --- failures ended by their cause, rehearsed locally ----------------------------------------
def test_failed_polls_and_fetches_are_asked_again_never_resubmitted(run, tmp_path):
    report = run(
        *MULTI,
        "backend=flaky",
        "backend.fail_polls=[0,1,2,5]",
        "backend.fail_results=[0,1]",
        "run.retry_backoff=0.01",
    )
    assert report.complete
    assert all(len(job["attempts"]) == 1 for job in manifest(tmp_path / "run")["jobs"])


def test_the_flaky_submission_count_goes_on_across_a_resume(cli, tmp_path):
    run_dir = tmp_path / "run"
    done = cli(
        "backend=flaky",
        "backend.fail_submissions=[0]",
        "run.max_retries=0",
        f"hydra.run.dir={run_dir}",
    )
    assert done.returncode == 1
    assert manifest(run_dir)["flaky_submissions"] == 2
    again = qexp_cli(str(run_dir), cwd=tmp_path, module="qexp.resume")
    assert again.returncode == 0, again.stderr  # submission 2 is not a failing one
    assert all(job["status"] == "done" for job in manifest(run_dir)["jobs"])


# --- a run stopped by a check says why ------------------------------------------------------
def test_a_check_that_stops_the_run_is_named_by_status_and_show(cli, tmp_path):
    """64 jobs: local jobs finish fast, and with 8 all of them could end before the first
    job's check had stopped the run (then resume has nothing left to do, truthfully)."""
    run_dir = tmp_path / "run"
    widths = ",".join(["2,3,4,5"] * 16)
    done = cli(
        "backend=fake",
        f"circuits.num_qubits=[{widths}]",
        "partition.max_circuits=1",
        "check=success_probability",
        "check.min=0.999",
        f"hydra.run.dir={run_dir}",
    )
    assert done.returncode == 1
    tail = (done.stdout + done.stderr).strip().splitlines()[-1]
    assert "resume would" in tail and ("qexp.resume" in tail or "qexp-resume" in tail)
    status = " ".join(qexp_cli(str(run_dir), cwd=tmp_path, module="qexp.status").stdout.split())
    assert "stopped: check failed on job" in status
    assert "below check.min=0.999" in status
    assert "resume would" in status
    show = qexp_cli(str(run_dir), cwd=tmp_path, module="qexp.show")
    assert "check failed on job" in show.stdout


def test_a_run_that_did_not_complete_ends_with_what_resume_does(run):
    with pytest.raises(RunError, match=r"resume would submit 1 job\(s\) again"):
        run(*MULTI, "backend=flaky", "backend.fail_submissions=[1]", "run.max_retries=0")


def test_status_of_a_folder_killed_before_planning_offers_resume(tmp_path):
    (tmp_path / "early/.hydra").mkdir(parents=True)
    status = qexp_cli(str(tmp_path / "early"), cwd=tmp_path, module="qexp.status")
    assert "stopped before any job was planned" in status.stdout
