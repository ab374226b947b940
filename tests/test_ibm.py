"""qexp on IBM Quantum through the real, unpatched client, against `python -m qexp.emulator`.

Every test runs `python -m qexp backend=ibm ...` as a user would, configured only by the
environment variables and the `backend.url` the emulator prints, and then asks the
emulator what really happened on the service: sessions, jobs created, requests, where the
API key went. Each fault the service can throw is injected by the emulator on demand.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import qexp_cli
from emulator import subprocess_env

from qexp.results import load_run, load_table

pytestmark = pytest.mark.slow

GHZ_JOBS = ("circuits.num_qubits=[2,3,4]", "partition.max_circuits=1")
"""Three GHZ circuits, one per job: three jobs."""


def run_qexp(emu, tmp_path: Path, *overrides: str, name: str = "run", module: str = "qexp"):
    """`python -m qexp` on the emulator's service; (CompletedProcess, run folder)."""
    run_dir = tmp_path / name
    args = [
        *emu.overrides,
        "backend.name=fake_manila",
        "run.poll_interval=0.1",
        "run.retry_backoff=0.2",
        "run.progress=off",
        *overrides,
        f"hydra.run.dir={run_dir}",
    ]
    done = qexp_cli(*args, cwd=tmp_path, env=subprocess_env(emu), module=module)
    return done, run_dir


def manifest(run_dir: Path) -> dict:
    return json.loads((run_dir / "manifest.json").read_text())


def created(emu) -> list[dict]:
    return emu.jobs()


def assert_ghz_physics(run_dir: Path, minimum: float = 0.75) -> None:
    table = load_table(run_dir)
    assert len(table) == 3
    assert (table["success_probability"] > minimum).all(), table["success_probability"]


# --- a run, its batch, its jobs ------------------------------------------------------------
@pytest.mark.parametrize("implementation", ["auto", "v2"])
def test_a_run_goes_through_one_batch_with_the_devices_physics(
    emulator_factory, tmp_path, implementation
):
    emu = emulator_factory("--backends", "FakeManilaV2", "--job-seconds", "0.3")
    done, run_dir = run_qexp(emu, tmp_path, *GHZ_JOBS, f"primitive.implementation={implementation}")
    assert done.returncode == 0, done.stderr
    info = manifest(run_dir)
    assert info["implementation"] == ("executor" if implementation == "auto" else "v2")
    assert_ghz_physics(run_dir)
    stats = emu.stats()
    (session,) = stats["sessions"]
    assert session["mode"] == "batch"
    jobs = stats["jobs"]
    assert len(jobs) == 3
    assert {j["session_id"] for j in jobs} == {session["id"]} == set(info["batches"])
    assert {j["backend"] for j in jobs} == {"fake_manila"}
    assert {j["program"] for j in jobs} == (
        {"executor"} if implementation == "auto" else {"sampler"}
    )
    recorded = {e["attempts"][-1]["job_id"] for e in info["jobs"]}
    assert {j["id"] for j in jobs} == recorded
    run_tag = f"qexp-run:{info['run_id']}"
    for job in jobs:
        index = next(e["index"] for e in info["jobs"] if e["attempts"][-1]["job_id"] == job["id"])
        assert {run_tag, f"qexp-job:{index}", "qexp-attempt:1"} <= set(job["tags"])


@pytest.mark.parametrize("implementation", ["auto", "v2"])
def test_ghz_correlators_have_exact_signs_through_the_service(
    emulator_factory, tmp_path, implementation
):
    emu = emulator_factory("--backends", "FakeManilaV2", "--job-seconds", "0.2")
    done, run_dir = run_qexp(
        emu,
        tmp_path,
        "primitive=estimator",
        "primitive.precision=0.03",
        "circuits.num_qubits=3",
        "primitive.observables=[IZZ,ZZI,XXX,ZIZ,IIZ]",
        f"primitive.implementation={implementation}",
    )
    assert done.returncode == 0, done.stderr
    (pub,) = load_run(run_dir)
    zz1, zz2, xxx, zz13, z0 = pub.data.evs
    assert min(zz1, zz2, zz13, xxx) > 0.6  # ideal +1, the device's noise pulls them down
    assert abs(z0) < 0.15  # ideal 0


def test_without_a_name_the_least_busy_device_that_fits_is_taken(emulator_factory, tmp_path):
    emu = emulator_factory("--backends", "FakeManilaV2,FakeKolkataV2", "--job-seconds", "0.2")
    args = [a for a in emu.overrides]
    done = qexp_cli(
        *args,
        "circuits.num_qubits=[7]",  # wider than Manila's 5 qubits
        "run.poll_interval=0.1",
        f"hydra.run.dir={tmp_path}/run",
        cwd=tmp_path,
        env=subprocess_env(emu),
    )
    assert done.returncode == 0, done.stderr
    assert {job["backend"] for job in emu.jobs()} == {"fake_kolkata"}


def test_jobs_are_found_by_their_tags(emulator_factory, tmp_path):
    emu = emulator_factory("--backends", "FakeManilaV2", "--job-seconds", "0.2")
    sweep = tmp_path / "sweep"
    done = qexp_cli(
        "-m",
        *emu.overrides,
        "backend.name=fake_manila",
        "run.poll_interval=0.1",
        "circuits.num_qubits=2,3",
        f"hydra.sweep.dir={sweep}",
        cwd=tmp_path,
        env=subprocess_env(emu),
    )
    assert done.returncode == 0, done.stderr
    service = emu.service()
    for point in (0, 1):
        info = manifest(sweep / str(point))
        found = service.jobs(job_tags=[f"qexp-run:{info['run_id']}"], limit=None)
        recorded = {a["job_id"] for e in info["jobs"] for a in e["attempts"]}
        assert {job.job_id() for job in found} == recorded
        assert {job.job_id() for job in service.jobs(job_tags=[f"qexp-point:{point}"])} >= (
            recorded
        )


# --- faults, each as the service throws it ----------------------------------------------
@pytest.mark.parametrize(
    ("route", "kind", "options"),
    [
        ("submit", "error", {"status": 502}),  # refused before a job exists
        ("submit", "drop", {}),  # connection closed, no job created
        ("poll", "error", {"status": 503, "count": 3}),
        ("poll", "drop", {"count": 3}),
        ("results", "drop", {"count": 2}),
    ],
)
def test_transient_http_faults_cost_no_extra_job(emulator_factory, tmp_path, route, kind, options):
    emu = emulator_factory("--backends", "FakeManilaV2", "--job-seconds", "0.3")
    emu.inject(route, kind, **options)
    done, run_dir = run_qexp(emu, tmp_path, *GHZ_JOBS)
    assert done.returncode == 0, done.stderr
    assert len(created(emu)) == 3  # nothing was paid for twice
    assert any(r["status"] != 200 for r in emu.requests(route))  # the fault did happen
    assert_ghz_physics(run_dir)


def test_a_lost_submission_answer_is_adopted_by_its_tag(emulator_factory, tmp_path):
    """The job is created, then the connection drops: qexp finds it by its tags."""
    emu = emulator_factory("--backends", "FakeManilaV2", "--job-seconds", "0.5")
    emu.inject("submit", "drop", after=True, skip=1)
    done, run_dir = run_qexp(emu, tmp_path, *GHZ_JOBS)
    assert done.returncode == 0, done.stderr
    assert len(created(emu)) == 3
    assert "adopted" in done.stderr + done.stdout
    assert all(len(e["attempts"]) == 1 for e in manifest(run_dir)["jobs"])


def test_a_job_the_client_sent_twice_is_cancelled_and_recorded(emulator_factory, tmp_path):
    """A 5xx after the job was created: the client re-sends by itself and the service holds
    two jobs. qexp finds the copy by its tags, cancels it and says so."""
    emu = emulator_factory("--backends", "FakeManilaV2", "--job-seconds", "3")
    emu.inject("submit", "error", status=500, after=True)
    done, run_dir = run_qexp(emu, tmp_path, *GHZ_JOBS)
    assert done.returncode == 0, done.stderr
    jobs = created(emu)
    assert len(jobs) == 4
    (duplicate,) = manifest(run_dir)["duplicates"]
    assert duplicate["outcome"] == "cancelled"
    assert next(j for j in jobs if j["id"] == duplicate["job_id"])["state"] == "Cancelled"


def test_throttled_submission_waits_as_asked(emulator_factory, tmp_path):
    emu = emulator_factory("--backends", "FakeManilaV2", "--job-seconds", "0.2")
    emu.inject("submit", "throttle", retry_after=2.0)
    done, _ = run_qexp(emu, tmp_path, "circuits.num_qubits=2")
    assert done.returncode == 0, done.stderr
    submits = emu.requests("submit")
    assert [r["status"] for r in submits] == [429, 200]
    assert submits[1]["time"] - submits[0]["time"] >= 2.0
    assert len(created(emu)) == 1


@pytest.mark.parametrize(
    ("kind", "exit_code", "status", "error_class", "jobs_created"),
    [
        ("internal", 0, "done", "internal", 4),  # re-submitted alone
        ("rejected", 1, "failed", "rejected", 3),
        ("too-long", 1, "failed", "too_long", 3),
        ("cancelled", 1, "cancelled", "cancelled", 3),
    ],
)
def test_a_failed_job_is_ended_by_its_cause(
    emulator_factory, tmp_path, kind, exit_code, status, error_class, jobs_created
):
    emu = emulator_factory(
        "--backends", "FakeManilaV2", "--job-seconds", "0.3", "--fail-job", f"1={kind}"
    )
    done, run_dir = run_qexp(emu, tmp_path, *GHZ_JOBS)
    assert done.returncode == exit_code, done.stdout + done.stderr
    jobs = created(emu)
    assert len(jobs) == jobs_created
    failed_id = jobs[1]["id"]
    entries = manifest(run_dir)["jobs"]
    entry = next(e for e in entries if any(a["job_id"] == failed_id for a in e["attempts"]))
    assert entry["status"] == status
    assert entry["attempts"][0]["error_class"] == error_class
    others = [e for e in entries if e is not entry]
    assert all(e["status"] == "done" for e in others)
    if kind == "too-long":
        assert "run.max_execution_time" in done.stdout + done.stderr


def test_an_expired_batch_sends_the_jobs_left_to_one_fresh_batch(emulator_factory, tmp_path):
    emu = emulator_factory(
        "--backends",
        "FakeManilaV2",
        "--job-seconds",
        "1",
        "--workers",
        "1",
        "--fail-job",
        "0=batch-expired",
    )
    done, run_dir = run_qexp(
        emu, tmp_path, "circuits.num_qubits=[2,3,4,2,3,4]", "partition.max_circuits=1"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    stats = emu.stats()
    assert len(stats["sessions"]) == 2  # the expired one and one fresh batch
    info = manifest(run_dir)
    assert len(info["batches"]) == 2 and all(e["status"] == "done" for e in info["jobs"])
    resent = [e for e in info["jobs"] if len(e["attempts"]) > 1]
    assert resent and all(e["attempts"][0]["error_class"] == "batch_ended" for e in resent)
    assert {e["attempts"][-1]["batch_id"] for e in resent} == {info["batches"][1]}


def test_an_invalid_token_is_a_clear_error_and_never_printed(emulator_factory, tmp_path):
    emu = emulator_factory("--backends", "FakeManilaV2")
    env = {**subprocess_env(emu), "QISKIT_IBM_TOKEN": "not-the-key-" + "x" * 20}
    run_dir = tmp_path / "run"
    done = qexp_cli(
        *emu.overrides,
        "backend.name=fake_manila",
        f"hydra.run.dir={run_dir}",
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 2
    out = done.stdout + done.stderr
    assert "QISKIT_IBM_TOKEN" in out and "Traceback" not in out
    assert env["QISKIT_IBM_TOKEN"] not in out and emu.token not in out
    assert emu.jobs() == []


# --- never lose, never pay twice: a crash and a resume -------------------------------------
def test_kill_9_then_resume_collects_every_job_once(emulator_factory, tmp_path):
    emu = emulator_factory("--backends", "FakeManilaV2", "--job-seconds", "4", "--workers", "4")
    run_dir = tmp_path / "run"
    args = [
        *emu.overrides,
        "backend.name=fake_manila",
        "run.poll_interval=0.1",
        "run.progress=off",
        "circuits.num_qubits=[2,3,4,2]",
        "partition.max_circuits=1",
        f"hydra.run.dir={run_dir}",
    ]
    process = subprocess.Popen(
        [sys.executable, "-m", "qexp", *args],
        cwd=tmp_path,
        env=subprocess_env(emu),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while len(created(emu)) < 4 and time.monotonic() < deadline:
        time.sleep(0.1)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert len(created(emu)) == 4
    # As if the process had died between submitting job 3 and saving its id.
    info = manifest(run_dir)
    lost = info["jobs"][3]
    lost["attempts"], lost["status"] = [], "pending"
    (run_dir / "manifest.json").write_text(json.dumps(info))
    done = qexp_cli(str(run_dir), cwd=tmp_path, env=subprocess_env(emu), module="qexp.resume")
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(created(emu)) == 4  # each job was created on the service once
    after = manifest(run_dir)
    assert all(e["status"] == "done" for e in after["jobs"])
    assert {e["attempts"][-1]["job_id"] for e in after["jobs"]} == {j["id"] for j in created(emu)}
    assert len(load_run(run_dir)) == 4


# --- gentle on the service -----------------------------------------------------------------
def test_two_hundred_jobs_in_flight_cost_at_most_two_status_requests_per_second(
    emulator_factory, tmp_path
):
    emu = emulator_factory("--backends", "FakeManilaV2", "--job-seconds", "20", "--workers", "200")
    widths = ",".join(["2"] * 200)
    done, run_dir = run_qexp(
        emu,
        tmp_path,
        f"circuits.num_qubits=[{widths}]",
        "partition.max_circuits=1",
        "primitive.shots=16",
        "run.poll_interval=null",  # the IBM Quantum default
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(created(emu)) == 200
    polls = [r["time"] for r in emu.requests("poll")]
    submits = [r["time"] for r in emu.requests("submit")]
    span = polls[-1] - submits[0]
    rate = len(polls) / span
    assert rate <= 2.0, (len(polls), span)
    assert not math.isnan(rate)
    (run_dir / "poll-rate.txt").write_text(f"{rate:.3f} status requests per second\n")


# --- secrets ------------------------------------------------------------------------------
def test_the_token_reaches_no_log_file_manifest_or_dump(emulator_factory, tmp_path):
    emu = emulator_factory("--backends", "FakeManilaV2", "--job-seconds", "0.2")
    done, run_dir = run_qexp(
        emu,
        tmp_path,
        "circuits.num_qubits=2",
        "hydra.verbose=true",  # qexp's and every library's logging at DEBUG
    )
    assert done.returncode == 0, done.stderr
    assert "DEBUG" in done.stdout + done.stderr + "".join(
        p.read_text() for p in run_dir.glob("*.log")
    )
    token = emu.token.encode()
    assert token not in (done.stdout + done.stderr).encode()
    for path in run_dir.rglob("*"):
        if path.is_file():
            assert token not in path.read_bytes(), path
    places = {(t["path"], t["where"]) for t in emu.stats()["token_seen"]}
    assert places == {("/iam/identity/token", "body")}  # only ever sent to IAM
