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

import h5py
import pytest
from conftest import qexp_cli
from emulator import subprocess_env
from qiskit_ibm_runtime import Batch

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
    info = manifest(run_dir)
    (duplicate,) = info["duplicates"]
    assert duplicate["outcome"] == "cancelled"
    assert next(j for j in jobs if j["id"] == duplicate["job_id"])["state"] == "Cancelled"
    # the copy is billed what it ran before the cancel, and counted: the run's total is
    # the batch's usage
    service = emu.service()
    assert duplicate["bill"] == "final"
    assert duplicate["qpu_seconds"] == service.job(duplicate["job_id"]).usage()
    total = sum(a["qpu_seconds"] for _, a in bills(run_dir)) + duplicate["qpu_seconds"]
    assert list(info["batch_usage"].values()) == [pytest.approx(total, abs=1e-9)]


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


# --- the bill: what the service counts, recorded per attempt ------------------------------
def bills(run_dir: Path) -> list[tuple[int, dict]]:
    """(job index, attempt) for every attempt that created a job on the service."""
    return [
        (entry["index"], attempt)
        for entry in manifest(run_dir)["jobs"]
        for attempt in entry["attempts"]
        if attempt["job_id"]
    ]


def test_every_attempt_is_billed_what_the_client_reads_back(emulator_factory, tmp_path):
    """Job 1 fails inside the service and is retried, job 2 is cancelled by the service
    after it ran: each of the five attempts is recorded with the usage the real client
    reads for its job, and the run's total is the batch's usage."""
    emu = emulator_factory(
        *("--backends", "FakeManilaV2", "--job-seconds", "0.3"),
        *("--fail-job", "1=internal", "--fail-job", "2=cancelled"),
    )
    done, run_dir = run_qexp(emu, tmp_path, "circuits.num_qubits=[2,3,4,2]", *GHZ_JOBS[1:])
    assert done.returncode == 1, done.stdout + done.stderr  # job 2 stays cancelled
    service = emu.service()
    attempts = bills(run_dir)
    assert len(attempts) == len(created(emu)) == 5
    for _, attempt in attempts:
        job = service.job(attempt["job_id"])
        assert attempt["bill"] == "final"
        assert attempt["qpu_seconds"] == job.usage()
        assert attempt["service_estimate"] == job.usage_estimation["quantum_seconds"]
    by_error = {a["error_class"]: a["qpu_seconds"] for _, a in attempts}
    assert by_error["internal"] == 0.0  # a system error: billed nothing, and said so
    assert by_error["cancelled"] > 2.0  # it had run its course
    info = manifest(run_dir)
    (batch_id,) = info["batches"]
    total = sum(a["qpu_seconds"] for _, a in attempts)
    assert info["batch_usage"] == {batch_id: pytest.approx(total, abs=1e-9)}
    assert Batch.from_id(batch_id, service).usage() == pytest.approx(total, abs=1e-9)
    for entry in info["jobs"]:  # qexp's estimate of each job: the service's, to the digit
        assert entry["estimate"] == pytest.approx(entry["attempts"][-1]["service_estimate"])

    table = load_table(run_dir)  # the done jobs' bills, shared among their rows
    last = {e["attempts"][-1]["job_id"]: e["attempts"][-1] for e in info["jobs"]}
    for job_id, rows in table.groupby("job_id"):
        assert rows["qpu_seconds"].sum() == pytest.approx(last[job_id]["qpu_seconds"])
    for path in run_dir.glob("jobs/*.h5"):
        with h5py.File(path) as f:
            assert f.attrs["qpu_seconds"] == last[f.attrs["job_id"]]["qpu_seconds"]
    status = qexp_cli(str(run_dir), cwd=tmp_path, env=subprocess_env(emu), module="qexp.status")
    assert f"QPU time: {total:.3f} s billed (5 bill(s))" in status.stdout


def test_a_bill_the_service_is_still_computing_is_asked_again(emulator_factory, tmp_path):
    emu = emulator_factory(
        "--backends", "FakeManilaV2", "--job-seconds", "0.2", "--bill-delay", "2"
    )
    done, run_dir = run_qexp(emu, tmp_path, "circuits.num_qubits=2")
    assert done.returncode == 0, done.stdout + done.stderr
    ((_, attempt),) = bills(run_dir)
    assert attempt["bill"] == "final"
    assert attempt["qpu_seconds"] == emu.service().job(attempt["job_id"]).usage() > 0
    with h5py.File(next(run_dir.glob("jobs/*.h5"))) as f:
        assert "qpu_seconds" not in f.attrs  # written while the bill was pending
    assert load_table(run_dir)["qpu_seconds"].sum() == pytest.approx(attempt["qpu_seconds"])


def test_a_sweep_stops_at_its_cap_and_resumes_once_it_is_raised(emulator_factory, tmp_path):
    """Three points of one 2-qubit GHZ job each, about 2.26 s estimated and 2.15 to 2.83 s
    billed: with a cap of 5.5 s the second point fits (at most 2.83 + 2.26), the third never
    (at least 2.15 + 2.15 + 2.26)."""
    emu = emulator_factory("--backends", "FakeManilaV2", "--job-seconds", "0.2")
    sweep = tmp_path / "sweep"
    done = qexp_cli(
        "-m",
        *emu.overrides,
        "backend.name=fake_manila",
        "run.poll_interval=0.1",
        "circuits.num_qubits=2",
        "seed=1,2,3",
        "run.max_qpu_seconds=5.5",
        f"hydra.sweep.dir={sweep}",
        cwd=tmp_path,
        env=subprocess_env(emu),
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert len(created(emu)) == 2
    points = json.loads((sweep / "sweep.json").read_text())["points"]
    assert [p["status"] for p in points] == ["done", "done", "failed"]
    spent = [sum(a["qpu_seconds"] for _, a in bills(sweep / str(n))) for n in (0, 1)]
    assert [p["qpu_seconds"] for p in points[:2]] == pytest.approx(spent)
    refusal = points[2]["error"]
    assert "exceeds the budget run.max_qpu_seconds=5.5" in refusal
    assert f"plus {sum(spent):.1f} s already spent" in refusal
    assert "estimated QPU time 2.3 s" in refusal and "--max-qpu-seconds" in refusal
    status = qexp_cli(str(sweep), cwd=tmp_path, env=subprocess_env(emu), module="qexp.status")
    assert f"QPU time: {sum(spent):.3f} s billed (2 bill(s))" in status.stdout

    done = qexp_cli(
        str(sweep), "--max-qpu-seconds", "10", cwd=tmp_path, env=subprocess_env(emu),
        module="qexp.resume",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(created(emu)) == 3  # only the refused point was submitted
    points = json.loads((sweep / "sweep.json").read_text())["points"]
    assert [p["status"] for p in points] == ["done"] * 3 and points[2]["qpu_seconds"] > 2


def test_a_retry_past_the_cap_is_not_submitted_until_it_is_raised(emulator_factory, tmp_path):
    """The job fails inside the service; its bill is still being computed, so it counts at
    its estimate (2.26 s): with the retry's 2.26 s that passes a cap of 3 s."""
    emu = emulator_factory(
        "--backends", "FakeManilaV2", "--job-seconds", "0.2", "--bill-delay", "3",
        "--fail-job", "0=internal",
    )  # fmt: skip
    done, run_dir = run_qexp(emu, tmp_path, "circuits.num_qubits=2", "run.max_qpu_seconds=3")
    assert done.returncode == 1, done.stdout + done.stderr
    assert len(created(emu)) == 1
    (entry,) = manifest(run_dir)["jobs"]
    assert entry["status"] == "failed"
    assert [a["error_class"] for a in entry["attempts"]] == ["internal", "over_budget"]
    assert "above run.max_qpu_seconds=3" in entry["attempts"][-1]["error"]
    done = qexp_cli(str(run_dir), "--max-qpu-seconds", "6", cwd=tmp_path,
                    env=subprocess_env(emu), module="qexp.resume")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(created(emu)) == 2
    first, second = (a for _, a in bills(run_dir))
    assert (first["qpu_seconds"], first["bill"]) == (0.0, "final")  # a system error: nothing
    assert second["bill"] == "final" and second["qpu_seconds"] > 2


def test_a_resume_counts_what_was_billed_before_the_kill(emulator_factory, tmp_path):
    """Jobs 0 to 2 run while job 3's submission hangs in the client's own retries; qexp is
    killed then. The resume reads the three bills first, and its cap counts them."""
    emu = emulator_factory("--backends", "FakeManilaV2", "--job-seconds", "2", "--workers", "3")
    emu.inject("submit", "error", status=502, count=6, skip=3)
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
    while time.monotonic() < deadline:
        jobs = created(emu)
        if len(jobs) == 3 and all(j["state"] == "Completed" for j in jobs):
            break
        time.sleep(0.1)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    emu.clear_faults()
    assert [a["bill"] for _, a in bills(run_dir)] == [None] * 3  # never asked before the kill
    service = emu.service()
    spent = sum(service.job(j["id"]).usage() for j in created(emu))

    env = subprocess_env(emu)
    done = qexp_cli(str(run_dir), "--max-qpu-seconds", "5", cwd=tmp_path, env=env,
                    module="qexp.resume")  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert len(created(emu)) == 3  # job 3 alone (about 2.3 s) would have fitted
    assert f"plus {spent:.1f} s already spent" in done.stdout + done.stderr
    assert [a["qpu_seconds"] for _, a in bills(run_dir)] == [
        service.job(j["id"]).usage() for j in created(emu)
    ]
    done = qexp_cli(str(run_dir), "--max-qpu-seconds", "12", cwd=tmp_path, env=env,
                    module="qexp.resume")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(created(emu)) == 4 and all(a["bill"] == "final" for _, a in bills(run_dir))


def test_an_instance_out_of_allocation_is_refused_before_anything_is_submitted(
    emulator_factory, tmp_path
):
    emu = emulator_factory(
        "--backends", "FakeManilaV2", "--job-seconds", "0.2", "--allocation", "4"
    )
    done, run_dir = run_qexp(emu, tmp_path, *GHZ_JOBS)
    assert done.returncode == 2, done.stdout + done.stderr
    out = done.stdout + done.stderr
    assert "the instance has 4.0 s of QPU time left" in out
    assert "estimated at 6.8 s (3 jobs on fake_manila)" in out
    assert created(emu) == [] and not (run_dir / "manifest.json").exists()
    emu.allocate(60)
    done = qexp_cli(str(run_dir), cwd=tmp_path, env=subprocess_env(emu), module="qexp.resume")
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(created(emu)) == 3
    assert_ghz_physics(run_dir)


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
    # Beside its status polls, each job that ends is read once more (`GET /jobs/{id}`, the
    # route of a poll) for the service's estimate, and once for its bill (its metrics).
    assert len(emu.requests("metrics")) == 200
    assert all(a["bill"] == "final" for _, a in bills(run_dir))
    polls = [r["time"] for r in emu.requests("poll")]
    submits = [r["time"] for r in emu.requests("submit")]
    span = polls[-1] - submits[0]
    rate = (len(polls) - 200) / span
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
