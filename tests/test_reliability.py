"""Never lose a job: retries, classified failures, checks that cancel, resume, status."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import pytest
from conftest import BELL_QASM2, REPO, run_config
from qiskit_ibm_runtime.exceptions import (
    IBMInputValueError,
    RuntimeInvalidStateError,
    RuntimeJobFailureError,
    RuntimeJobMaxTimeoutError,
)

from qexp.errors import RunError
from qexp.plan.partition import JobPlan
from qexp.results import load_job, load_run
from qexp.resume import resume
from qexp.run import failures
from qexp.run.batch_loop import BatchLoop, Hooks, Policy
from qexp.status import main as status_main
from qexp.store.manifest import Manifest

MULTI = (
    "circuits=random",
    "circuits.num_qubits=[2,3]",
    "circuits.count=3",
    "partition.max_circuits=2",
)


def bits(run_dir: Path) -> list[np.ndarray]:
    return [r.data.meas.array for r in load_run(run_dir)]


def manifest(run_dir: Path) -> dict:
    return json.loads((run_dir / "manifest.json").read_text())


def same_bits(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


# --- failures ended by their cause -------------------------------------------------------
class Ended:
    """How a stub job ends: its final status and the service's reason code and message."""

    def __init__(self, status="DONE", code=None, reason=None):
        self.status, self.code, self.reason = status, code, reason


OK = Ended()
INTERNAL = Ended("ERROR", 1000, "API Internal error")
REJECTED = Ended("ERROR", 1002, "Error in the validation process of the job")
TOO_LONG = Ended("CANCELLED", 1305, "Job ran longer than its maximum execution time")
BATCH_ENDED = Ended("ERROR", sorted(failures.BATCH_ENDED_CODES)[0], "Session max TTL reached")
BY_HAND = Ended("CANCELLED", None, "cancelled by its owner")


class StubJob:
    """A cloud job as the client shows it: status strings, reason code, result() raising
    the client's own exceptions; `poll_errors` status requests and `fetch_errors` result
    fetches fail first, as a dropped connection would."""

    def __init__(self, job_id, ended, polls=1, poll_errors=0, fetch_errors=0):
        self._id, self.ended, self.polls_left = job_id, ended, polls
        self.poll_errors, self.fetch_errors = poll_errors, fetch_errors
        self._reason_code = None
        self._reason = None

    def job_id(self):
        return self._id

    def status(self):
        if self.poll_errors:
            self.poll_errors -= 1
            raise ConnectionError("connection reset by peer")
        self.polls_left -= 1
        if self.polls_left > 0:
            return "RUNNING"
        if self.ended.reason:  # as runtime_job_v2._set_status reads the service's state
            self._reason = self.ended.reason
            if self.ended.code is not None:
                self._reason_code = self.ended.code
                self._reason = f"Error code {self.ended.code}; {self.ended.reason}"
        if self.ended.status == "CANCELLED" and self.ended.code == failures.MAX_TIME_CODE:
            return "ERROR"  # as runtime_job_v2 maps it
        return self.ended.status

    def result(self):
        if self.ended.status == "DONE":
            if self.fetch_errors:
                self.fetch_errors -= 1
                raise ConnectionError("read timed out")
            return "result"
        if self.ended.code == failures.MAX_TIME_CODE:
            raise RuntimeJobMaxTimeoutError(self._reason)
        if self.ended.status == "CANCELLED":
            raise RuntimeInvalidStateError("Unable to retrieve result. Job was cancelled.")
        raise RuntimeJobFailureError(f"Unable to retrieve job result. {self._reason}")

    def cancel(self):
        self.ended = BY_HAND


class StubBatch:
    opened = 0

    def __init__(self):
        StubBatch.opened += 1
        self.session_id = f"batch-{StubBatch.opened}"

    def close(self):
        pass


def _done(value=None):
    future = Future()
    future.set_result(value)
    return future


def loop_with(tmp_path, outcomes: dict[int, list], max_retries=2, jobs=3, polls=1, faults=None):
    """A BatchLoop whose job k's successive submissions end as outcomes[k] says (an Ended,
    or an exception that the submission itself raises)."""
    plans = [JobPlan(i, (i,)) for i in range(jobs)]
    ledger = Manifest.create(tmp_path, plans, {})
    submitted: list[int] = []
    written: list[int] = []
    StubBatch.opened = 0

    def submit(batch, prepared, plan):
        attempt = submitted.count(plan.index)
        submitted.append(plan.index)
        plan_outcomes = outcomes.get(plan.index, [OK])
        outcome = plan_outcomes[min(attempt, len(plan_outcomes) - 1)]
        if isinstance(outcome, BaseException):
            raise outcome
        return StubJob(
            f"job-{plan.index}-{attempt}", outcome, polls, **(faults or {}).get(plan.index, {})
        )

    def write(plan, prepared, job, result):
        written.append(plan.index)
        return _done()

    hooks = Hooks(open_batch=StubBatch, prepare=lambda plan: _done(), submit=submit, write=write)
    policy = Policy(max_retries=max_retries, backoff=0, poll_interval=0.001, local=False)
    loop = BatchLoop(ledger, hooks, policy)
    return loop, plans, ledger, submitted, written


def test_an_internal_error_is_resubmitted_alone(tmp_path):
    loop, plans, ledger, submitted, written = loop_with(tmp_path, {1: [INTERNAL, INTERNAL, OK]})
    loop.run(plans)
    assert submitted == [0, 1, 2, 1, 1]  # jobs 0 and 2 never re-run
    assert sorted(written) == [0, 1, 2]
    job1 = ledger.jobs[1]
    assert job1.status == "done" and len(job1.attempts) == 3
    assert [a.error_class for a in job1.attempts] == ["internal", "internal", None]
    assert "Error code 1000" in job1.attempts[0].error


def test_retries_stop_at_max_retries(tmp_path):
    loop, plans, ledger, submitted, _ = loop_with(tmp_path, {0: [INTERNAL]}, max_retries=2)
    loop.run(plans)
    assert submitted.count(0) == 3
    assert ledger.jobs[0].status == "failed" and ledger.jobs[1].status == "done"


@pytest.mark.parametrize(
    ("ended", "kind", "status"),
    [
        (REJECTED, "rejected", "failed"),
        (TOO_LONG, "too_long", "failed"),
        (BY_HAND, "cancelled", "cancelled"),
    ],
)
def test_jobs_that_cannot_succeed_again_are_not_retried(tmp_path, ended, kind, status):
    loop, plans, ledger, submitted, _ = loop_with(tmp_path, {2: [ended]})
    loop.run(plans)
    assert submitted.count(2) == 1
    job = ledger.jobs[2]
    assert job.status == status and job.attempts[0].error_class == kind
    assert ended.reason in job.attempts[0].error  # the service's own reason is kept
    assert [j.status for j in ledger.jobs[:2]] == ["done", "done"]


def test_rejected_submission_is_not_retried(tmp_path):
    loop, plans, ledger, submitted, _ = loop_with(tmp_path, {2: [IBMInputValueError("not ISA")]})
    loop.run(plans)
    assert submitted.count(2) == 1
    assert ledger.jobs[2].status == "failed"
    assert ledger.jobs[2].attempts[0].error_class == "rejected"


def test_an_ended_batch_resubmits_in_a_fresh_batch(tmp_path):
    loop, plans, ledger, _, _ = loop_with(tmp_path, {1: [BATCH_ENDED, OK]})
    loop.run(plans)
    assert StubBatch.opened == 2
    assert [a.batch_id for a in ledger.jobs[1].attempts] == ["batch-1", "batch-2"]
    assert json.loads((tmp_path / "manifest.json").read_text())["batches"] == ["batch-1", "batch-2"]
    assert ledger.jobs[1].status == "done"
    assert ledger.jobs[1].attempts[0].error_class == "batch_ended"


def test_jobs_of_one_ended_batch_share_one_fresh_batch(tmp_path):
    outcomes = {0: [BATCH_ENDED, OK], 1: [BATCH_ENDED, OK]}
    loop, plans, ledger, _, _ = loop_with(tmp_path, outcomes, polls=2)  # both ran in batch 1
    loop.run(plans)
    assert StubBatch.opened == 2
    assert {ledger.jobs[i].attempts[-1].batch_id for i in (0, 1)} == {"batch-2"}


def test_failed_polls_and_fetches_ask_again_and_never_resubmit(tmp_path):
    faults = {0: {"poll_errors": 3}, 1: {"fetch_errors": 2}}
    loop, plans, ledger, submitted, written = loop_with(tmp_path, {}, faults=faults)
    loop.run(plans)
    assert submitted == [0, 1, 2]  # each job was paid for once
    assert sorted(written) == [0, 1, 2]
    assert all(len(job.attempts) == 1 and job.status == "done" for job in ledger.jobs)


def test_a_submission_that_raises_is_recorded_and_retried(tmp_path):
    loop, plans, ledger, _, _ = loop_with(tmp_path, {0: [ConnectionError("submit failed"), OK]})
    loop.run(plans)
    first, second = ledger.jobs[0].attempts
    assert first.job_id is None and "submit failed" in first.error and second.job_id == "job-0-1"
    assert first.error_class == "not_submitted"


# --- backend=flaky through the real local Batch path --------------------------------------
def test_k_failed_submissions_give_k_resubmissions_and_the_same_bits(tmp_path):
    run_config(tmp_path / "clean", *MULTI)
    report = run_config(
        tmp_path / "flaky",
        *MULTI,
        "backend=flaky",
        "backend.fail_submissions=[0,2]",
        "run.retry_backoff=0",
    )
    assert report.complete
    jobs = manifest(tmp_path / "flaky")["jobs"]
    attempts = [len(j["attempts"]) for j in jobs]
    assert attempts == [2, 1, 2]  # submissions 0 and 2 failed: exactly two re-submissions
    assert "backend=flaky failed submission 0" in jobs[0]["attempts"][0]["error"]
    assert jobs[0]["attempts"][0]["error_class"] == "internal"
    assert same_bits(bits(tmp_path / "flaky"), bits(tmp_path / "clean"))


def test_retries_exhausted_exit_non_zero_with_finished_files_readable(cli, tmp_path):
    done = cli(
        *MULTI,
        "backend=flaky",
        "backend.fail_submissions=[1,3,4]",
        "run.max_retries=2",
        "run.retry_backoff=0",
        f"hydra.run.dir={tmp_path}/run",
    )
    assert done.returncode == 1
    out = done.stdout + done.stderr
    assert "job 1: failed" in out and "python -m qexp.resume" in out and "Traceback" not in out
    jobs = manifest(tmp_path / "run")["jobs"]
    assert [j["status"] for j in jobs] == ["done", "failed", "done"]
    assert len(jobs[1]["attempts"]) == 3
    for index in (0, 2):
        load_job(tmp_path / f"run/jobs/job-{index:05d}.h5")
    # Resume submits only the failed job; its bits then equal a clean run's.
    report = resume(tmp_path / "run")
    assert report.complete
    run_config(tmp_path / "clean", *MULTI)
    assert same_bits(bits(tmp_path / "run"), bits(tmp_path / "clean"))


# --- checks -----------------------------------------------------------------------------
def test_failing_check_cancels_the_rest_and_exits_non_zero(cli, tmp_path):
    """64 jobs, so that some are still queued when the first job's check stops the run
    (local jobs end fast; a dozen could all end first)."""
    widths = ",".join(["2,3,4,5"] * 16)
    done = cli(
        "backend=fake",
        f"circuits.num_qubits=[{widths}]",
        "partition.max_circuits=1",
        "check=success_probability",
        "check.min=0.999",
        f"hydra.run.dir={tmp_path}/run",
    )
    assert done.returncode == 1
    out = done.stdout + done.stderr
    assert "check failed on job" in out and "below check.min=0.999" in out
    statuses = [j["status"] for j in manifest(tmp_path / "run")["jobs"]]
    assert "cancelled" in statuses and "done" in statuses
    assert "pending" not in statuses and "submitted" not in statuses


def test_passing_check_lets_the_run_finish(run):
    report = run("check=success_probability", "check.min=0.9")
    assert report.complete


def test_custom_check_by_target(run):
    with pytest.raises(RunError, match="check failed"):
        run("check=custom", "check._target_=checks_for_tests.reject_three_qubits")


def test_max_std_check_on_the_estimator(run):
    with pytest.raises(RunError, match=r"above check\.max"):
        run("primitive=estimator", "backend=fake", "check=max_std", "check.max=0.001")


# --- resume -----------------------------------------------------------------------------
def test_corrupt_job_file_is_rerun_on_resume_and_others_untouched(tmp_path):
    run_dir = tmp_path / "run"
    run_config(run_dir, *MULTI)
    reference = bits(run_dir)
    good, bad = run_dir / "jobs/job-00000.h5", run_dir / "jobs/job-00001.h5"
    before = good.stat().st_mtime_ns, good.read_bytes()
    bad.write_bytes(bad.read_bytes()[:1000])
    assert status_main([str(run_dir)]) == 1
    report = resume(run_dir)
    assert report.complete and status_main([str(run_dir)]) == 0
    assert (good.stat().st_mtime_ns, good.read_bytes()) == before
    assert (run_dir / "jobs/job-00001.h5.corrupt").exists()
    assert same_bits(bits(run_dir), reference)
    assert len(manifest(run_dir)["jobs"][1]["attempts"]) == 2


def test_resume_without_saved_config_says_so(tmp_path):
    (tmp_path / "early/.hydra").mkdir(parents=True)
    done = subprocess.run(
        [sys.executable, "-m", "qexp.resume", str(tmp_path / "early")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and "holds no saved config" in done.stderr


# --- kill -9 and Ctrl-C, in subprocesses --------------------------------------------------
SLOW = (
    "backend=fake",
    "circuits=random",
    "circuits.num_qubits=[3]",
    "circuits.count=12",
    "partition.max_circuits=1",
    "primitive.shots=2000",
)


def _start(run_dir: Path, *overrides: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "qexp", *overrides, f"hydra.run.dir={run_dir}", "run.progress=log"],
        cwd=run_dir.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for_files(run_dir: Path, count: int, proc: subprocess.Popen, limit=120.0) -> None:
    deadline = time.monotonic() + limit
    while len(list((run_dir / "jobs").glob("job-*.h5"))) < count:
        assert proc.poll() is None, "the run ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.01)


@pytest.mark.slow
def test_sigkill_mid_run_then_resume_gives_the_uninterrupted_bits(tmp_path):
    clean = tmp_path / "clean"
    run_config(clean, *SLOW)
    run_dir = tmp_path / "killed"
    proc = _start(run_dir, *SLOW)
    _wait_for_files(run_dir, 3, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in (run_dir / "jobs").glob("*.h5")}
    assert 3 <= len(finished) < 12
    report = resume(run_dir)
    assert report.complete
    for path, before in finished.items():
        assert (path.stat().st_mtime_ns, path.read_bytes()) == before  # never re-run
    assert same_bits(bits(run_dir), bits(clean))


@pytest.mark.slow
def test_ctrl_c_keeps_what_arrived_and_says_how_to_resume(tmp_path):
    run_dir = tmp_path / "run"
    proc = _start(run_dir, *SLOW)
    _wait_for_files(run_dir, 2, proc)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert "Traceback" not in out
    assert f"python -m qexp.resume {run_dir}" in out
    data = manifest(run_dir)
    done = [j for j in data["jobs"] if j["status"] == "done"]
    assert len(done) >= 2 and all((run_dir / j["file"]).exists() for j in done)
    done_cli = subprocess.run(
        [sys.executable, "-m", "qexp.resume", str(run_dir)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done_cli.returncode == 0, done_cli.stderr
    assert manifest(run_dir)["counts"]["done"] == 12


_ = (os, REPO)


# --- Ctrl-C on cloud jobs: once keeps them for re-attach, twice cancels them ---------------
class NeverDoneJob(StubJob):
    def __init__(self, job_id):
        super().__init__(job_id, OK)
        self.cancelled = False

    def status(self):
        return "RUNNING"

    def cancel(self):
        self.cancelled = True


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_on_cloud_jobs(tmp_path, presses):
    import threading

    plans = [JobPlan(i, (i,)) for i in range(2)]
    ledger = Manifest.create(tmp_path, plans, {})
    jobs: list[NeverDoneJob] = []

    def submit(batch, prepared, plan):
        jobs.append(NeverDoneJob(f"cloud-{plan.index}"))
        if len(jobs) == 2:  # both submitted: the user presses Ctrl-C
            for k in range(presses):
                threading.Timer(0.05 + 0.2 * k, os.kill, (os.getpid(), signal.SIGINT)).start()
        return jobs[-1]

    hooks = Hooks(StubBatch, lambda plan: _done(), submit, lambda *a: _done())
    policy = Policy(poll_interval=0.01, local=False, cancel_grace=1.0)
    outcome = BatchLoop(ledger, hooks, policy).run(plans)
    assert outcome.stopped == "interrupted"
    statuses = [job.status for job in ledger.jobs]
    if presses == 1:
        assert statuses == ["submitted", "submitted"]  # resume re-attaches them
        assert not any(job.cancelled for job in jobs)
    else:
        assert statuses == ["cancelled", "cancelled"]
        assert all(job.cancelled for job in jobs)


@pytest.mark.parametrize("ids_durable", [True, False])
def test_a_submission_waits_for_the_disk_only_where_its_job_id_outlives_the_process(
    tmp_path, monkeypatch, ids_durable
):
    """A service's job id is flushed to the disk before the loop goes on (the only handle
    on a paid job); a local job's is only renamed into place, and either way the ledger a
    killed process leaves says what was submitted."""
    from qexp.store import manifest as manifest_module

    ledger = Manifest.create(tmp_path, [JobPlan(0, (0,))], {})
    ledger.ids_durable = ids_durable
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    manifest_module.record_digests(ledger, 0, [0], ["d0"])
    ledger.submitted(0, "job-0", "batch-0")
    assert bool(synced) is ids_durable
    assert Manifest.load(tmp_path).jobs[0].attempts[0].job_id == "job-0"
    assert manifest_module.recorded_digests(tmp_path) == {0: "d0"}


def test_a_lagging_ledger_holds_transitions_for_at_most_its_lag_and_never_a_durable_one(
    tmp_path,
):
    """A local run's ledger folds its transitions into a write every `lag` seconds (two
    writes per job were most of a small job's cost in the loop); a submission that must be
    durable, `write_due` once the lag has passed and `flush` at the end write at once."""
    ledger = Manifest.create(tmp_path, [JobPlan(0, (0,)), JobPlan(1, (1,))], {})

    def on_disk() -> list[str]:
        return [job.status for job in Manifest.load(tmp_path).jobs]

    ledger.lag, ledger.ids_durable = 3600.0, False
    ledger.submitted(0, "local-0", None)
    ledger.finished(0, "done")
    ledger.write_due()
    assert on_disk() == ["pending", "pending"]  # held: the lag has not passed
    ledger.lag = 0.0  # as if it had
    ledger.write_due()
    assert on_disk() == ["done", "pending"]
    ledger.lag = 3600.0
    ledger.submitted(1, "local-1", None)
    assert on_disk() == ["done", "pending"]
    ledger.flush()
    assert on_disk() == ["done", "submitted"]
    ledger.ids_durable = True
    ledger.finished(1, "done")
    ledger.set_status(0, "done")
    assert on_disk() == ["done", "submitted"]
    ledger.submitted(1, "job-1", None)  # a service's job id: written whatever the lag
    assert on_disk() == ["done", "submitted"]
    assert Manifest.load(tmp_path).jobs[1].attempts[-1].job_id == "job-1"


# --- a sweep folder ------------------------------------------------------------------------
@pytest.mark.slow
def test_resume_a_sweep_finishes_damaged_and_never_started_points(cli, tmp_path):
    sweep = tmp_path / "multi"
    done = cli(
        "-m", "circuits.num_qubits=2,3,4", "partition.max_circuits=1", f"hydra.sweep.dir={sweep}"
    )
    assert done.returncode == 0, done.stderr
    reference = {p: bits(sweep / p) for p in ("0", "1", "2")}
    untouched = sweep / "0/jobs/job-00000.h5"
    before = untouched.stat().st_mtime_ns
    (sweep / "1/jobs/job-00000.h5").write_bytes(b"not hdf5")
    import shutil

    shutil.rmtree(sweep / "2")  # as if the sweep was killed before its last point
    assert status_main([str(sweep)]) == 1
    again = subprocess.run(
        [sys.executable, "-m", "qexp.resume", str(sweep)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert again.returncode == 0, again.stderr
    assert status_main([str(sweep)]) == 0
    assert untouched.stat().st_mtime_ns == before
    for point, reference_bits in reference.items():
        assert same_bits(bits(sweep / point), reference_bits)


def test_resume_refuses_a_run_whose_circuits_changed(tmp_path):
    from qexp.errors import QexpError

    folder = tmp_path / "qasm"
    folder.mkdir()
    (folder / "a.qasm").write_text(BELL_QASM2)
    run_dir = tmp_path / "run"
    run_config(run_dir, "circuits=qasm", f"circuits.path={folder}")
    (folder / "b.qasm").write_text(BELL_QASM2)
    (run_dir / "jobs/job-00000.h5").unlink()
    with pytest.raises(QexpError, match="now gives 2 circuits, but the run started with 1"):
        resume(run_dir)


def test_cloud_jobs_are_polled_a_few_per_tick_round_robin(tmp_path):
    plans = [JobPlan(i, (i,)) for i in range(25)]
    ledger = Manifest.create(tmp_path, plans, {})
    polls: list[int] = []

    class CountedJob(StubJob):
        def __init__(self, index):
            super().__init__(f"cloud-{index}", OK, polls=3)
            self.index = index

        def status(self):
            polls.append(self.index)
            return super().status()

    hooks = Hooks(
        StubBatch,
        lambda plan: _done(),
        lambda b, p, plan: CountedJob(plan.index),
        lambda *a: _done(),
        lookahead=25,
    )
    policy = Policy(poll_interval=0.001, local=False, polls_per_tick=10)
    loop = BatchLoop(ledger, hooks, policy)
    ticks: list[int] = []
    original = loop._collect

    def counting(every_job=False):
        before = len(polls)
        result = original(every_job)
        ticks.append(len(polls) - before)
        return result

    loop._collect = counting
    loop.run(plans)
    assert max(ticks) <= 10
    assert all(job.status == "done" for job in ledger.jobs)
    assert sorted(set(polls)) == list(range(25))  # every job gets its turn


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_no_worker_process_outlives_the_run(tmp_path, stop):
    """Workers busy preparing and simulating when the run ends, however it ends, end too
    (one sending back a result would otherwise block forever on a pipe nobody reads)."""
    run_dir = tmp_path / "run"
    overrides = (
        "backend=fake",
        "circuits=random",
        "circuits.num_qubits=[4]",
        "circuits.count=400",
        "circuits.depth=12",
        "partition.max_circuits=20",
        "primitive.shots=4000",
        "transpile.workers=2",
        "transpile.cache=false",
    )
    proc = _start(run_dir, *overrides)
    _wait_for_files(run_dir, 1, proc)
    workers = _children(proc.pid)
    assert len(workers) >= 2
    proc.send_signal(stop)
    proc.communicate(timeout=120)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)]
