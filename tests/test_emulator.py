"""The service emulator, through the real qiskit-ibm-runtime client only.

Every test talks to `python -m qexp.emulator` over HTTP with an unpatched
`QiskitRuntimeService`, `Batch` and the four primitives, and checks what the client sees
against what the real service and client do (docs/ibm.md) and against local Qiskit.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp, Statevector
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_ibm_runtime import Batch, EstimatorV2, SamplerV2
from qiskit_ibm_runtime.accounts import InvalidAccountError
from qiskit_ibm_runtime.exceptions import (
    IBMRuntimeError,
    RuntimeInvalidStateError,
    RuntimeJobFailureError,
    RuntimeJobMaxTimeoutError,
)
from qiskit_ibm_runtime.executor_estimator import Estimator
from qiskit_ibm_runtime.executor_sampler import Sampler
from qiskit_ibm_runtime.fake_provider import FakeManilaV2

from qexp.emulator.faults import HttpFault, parse_http_fault, parse_job_fault
from qexp.plan import cost

pytestmark = [
    pytest.mark.timeout(240),  # the client waits forever on a server that never answers
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),  # SamplerV2, EstimatorV2
]

DEVICE = "fake_manila"
RESULT_TIMEOUT = 120


def ghz(num_qubits: int, measure: bool = True) -> QuantumCircuit:
    circuit = QuantumCircuit(num_qubits)
    circuit.h(0)
    for qubit in range(num_qubits - 1):
        circuit.cx(qubit, qubit + 1)
    if measure:
        circuit.measure_all()
    return circuit


def isa(circuits: list[QuantumCircuit], backend) -> list[QuantumCircuit]:
    return generate_preset_pass_manager(1, backend=backend, seed_transpiler=7).run(circuits)


def ghz_fraction(counts: dict[str, int], num_qubits: int) -> float:
    return (counts.get("0" * num_qubits, 0) + counts.get("1" * num_qubits, 0)) / sum(
        counts.values()
    )


def submit_one(backend, batch, **tags) -> object:
    sampler = Sampler(mode=batch)
    sampler.options.environment.job_tags = list(tags.get("tags", []))
    return sampler.run(isa([ghz(2)], backend), shots=100)


# --- the happy path ------------------------------------------------------------------


def test_ghz_batch_through_both_samplers(ibm_emulator):
    """One batch session, every job in it on the device asked for; counts match physics
    and, seeded, match local Qiskit bit for bit."""
    service = ibm_emulator.service()
    backend = service.backend(DEVICE)
    circuits = isa([ghz(3), ghz(5)], backend)
    with Batch(backend=backend) as batch:
        legacy = SamplerV2(mode=batch)
        legacy.options.simulator.seed_simulator = 11
        executor = Sampler(mode=batch)
        executor.options.simulator.seed_simulator = 11
        jobs = [legacy.run(circuits, shots=2000), executor.run(circuits, shots=2000)]
    results = [job.result(timeout=RESULT_TIMEOUT) for job in jobs]

    (session,) = ibm_emulator.stats()["sessions"]
    assert session["mode"] == "batch" and session["id"] == batch.session_id
    created = ibm_emulator.jobs()
    assert [job["id"] for job in created] == [job.job_id() for job in jobs]
    assert {(job["session_id"], job["backend"]) for job in created} == {(batch.session_id, DEVICE)}
    assert [job["program"] for job in created] == ["sampler", "executor"]
    for job in jobs:
        again = service.job(job.job_id())
        assert (again.session_id, again.backend().name) == (batch.session_id, DEVICE)

    for result in results:
        for pub, num_qubits in zip(result, (3, 5), strict=True):
            counts = pub.data.meas.get_counts()
            assert pub.data.meas.num_shots == 2000
            assert ghz_fraction(counts, num_qubits) > 0.7  # uniform noise would give 2/2^n
            assert counts["0" * num_qubits] > 500 and counts["1" * num_qubits] > 500

    with Batch(backend=FakeManilaV2()) as local:
        local_legacy = SamplerV2(mode=local)
        local_legacy.options.simulator.seed_simulator = 11
        local_executor = Sampler(mode=local)
        local_executor.options.simulator.seed_simulator = 11
        expected = [
            local_legacy.run(circuits, shots=2000).result(),
            local_executor.run(circuits, shots=2000).result(),
        ]
    for result, local_result in zip(results, expected, strict=True):
        for pub, local_pub in zip(result, local_result, strict=True):
            np.testing.assert_array_equal(pub.data.meas.array, local_pub.data.meas.array)


def test_ghz_correlators_through_both_estimators(ibm_emulator):
    """ZZ correlators near +1, a single Z near 0, and the signs of the GHZ state's XXX-type
    correlators, through EstimatorV2 and the executor Estimator."""
    service = ibm_emulator.service()
    backend = service.backend(DEVICE)
    state = ghz(3, measure=False)
    (circuit,) = isa([state], backend)
    labels = ["ZZI", "IZZ", "ZIZ", "IIZ", "XXX", "XYY", "YXY", "YYX"]
    exact = [Statevector(state).expectation_value(SparsePauliOp(label)).real for label in labels]
    observables = [SparsePauliOp(label).apply_layout(circuit.layout) for label in labels]
    with Batch(backend=backend) as batch:
        jobs = [
            EstimatorV2(mode=batch).run([(circuit, observables)], precision=0.02),
            Estimator(mode=batch).run([(circuit, observables)], precision=0.02),
        ]
    assert np.allclose(exact, [1, 1, 1, 0, 1, -1, -1, -1])
    for job in jobs:
        values = job.result(timeout=RESULT_TIMEOUT)[0].data.evs
        for label, value, ideal in zip(labels, values, exact, strict=True):
            if ideal == 0:
                assert abs(value) < 0.15, (label, value)
            else:
                assert np.sign(value) == np.sign(ideal) and abs(value - ideal) < 0.45, (
                    label,
                    value,
                )
    assert [job["program"] for job in ibm_emulator.jobs()] == ["estimator", "executor"]


def test_reattach_by_id_and_find_by_tags_and_session(ibm_emulator):
    service = ibm_emulator.service()
    backend = service.backend(DEVICE)
    with Batch(backend=backend) as batch:
        first = submit_one(backend, batch, tags=["run-a", "job-0"])
        second = submit_one(backend, batch, tags=["run-a", "job-1"])
    with Batch(backend=backend) as other:
        third = submit_one(backend, other, tags=["run-b", "job-0"])

    fresh = ibm_emulator.service()  # a new process would build a new client like this
    found = fresh.job(second.job_id())
    assert found.result(timeout=RESULT_TIMEOUT)[0].data.meas.num_shots == 100
    assert found.tags == ["run-a", "job-1"] and found.session_id == batch.session_id

    def ids(jobs) -> set[str]:
        return {job.job_id() for job in jobs}

    assert ids(fresh.jobs(job_tags=["run-a"])) == {first.job_id(), second.job_id()}
    assert ids(fresh.jobs(job_tags=["run-a", "job-1"])) == {second.job_id()}
    assert ids(fresh.jobs(job_tags=["job-0"])) == {first.job_id(), third.job_id()}
    assert ids(fresh.jobs(session_id=other.session_id)) == {third.job_id()}
    assert ids(fresh.jobs(limit=None)) == {first.job_id(), second.job_id(), third.job_id()}
    found.update_tags(["run-a", "job-1", "kept"])
    assert ids(fresh.jobs(job_tags=["kept"])) == {second.job_id()}


def test_the_api_key_reaches_iam_only(ibm_emulator):
    service = ibm_emulator.service()
    backend = service.backend(DEVICE)
    with Batch(backend=backend) as batch:
        job = submit_one(backend, batch)
    job.result(timeout=RESULT_TIMEOUT)
    seen = ibm_emulator.stats()["token_seen"]
    assert seen, "the client must have traded its API key for a token"
    assert {(entry["method"], entry["path"], entry["where"]) for entry in seen} == {
        ("POST", "/iam/identity/token", "body")
    }
    routes = {entry["route"] for entry in ibm_emulator.requests()}
    assert {"iam", "search", "catalog", "backends", "session", "submit", "poll"} <= routes

    # What a leak looks like: the client's fallback when IAM fails sends the key itself.
    leak = urllib.request.Request(
        ibm_emulator.url + "/backends", headers={"Authorization": f"apikey {ibm_emulator.token}"}
    )
    with pytest.raises(urllib.error.HTTPError, match="401"):
        urllib.request.urlopen(leak, timeout=30)
    assert ibm_emulator.stats()["token_seen"][-1] == {
        "method": "GET",
        "path": "/api/v1/backends",
        "where": "header:authorization",
    }


def test_an_invalid_token_is_refused_by_iam_at_once(ibm_emulator):
    started = time.monotonic()
    with pytest.raises(InvalidAccountError, match="valid API token"):
        ibm_emulator.service(token="not-the-emulators-key")
    assert time.monotonic() - started < 30
    (iam,) = ibm_emulator.requests("iam")
    assert iam["status"] == 400
    assert ibm_emulator.requests("session") == ibm_emulator.requests("submit") == []


def test_the_experimental_url_works_from_the_environment_alone(ibm_emulator, monkeypatch):
    """A client configured by the exported variables only (no url_resolver)."""
    from qiskit_ibm_runtime import QiskitRuntimeService

    for name, value in ibm_emulator.env.items():
        monkeypatch.setenv(name, value)
    service = QiskitRuntimeService()
    backend = service.backend(DEVICE)
    with Batch(backend=backend) as batch:
        job = submit_one(backend, batch)
    assert job.result(timeout=RESULT_TIMEOUT)[0].data.meas.num_shots == 100
    assert ibm_emulator.requests("submit")[0]["path"] == "/experimental/api/v1/jobs"


def test_requests_are_counted_by_route_with_their_times(ibm_emulator):
    service = ibm_emulator.service()
    backend = service.backend(DEVICE)
    with Batch(backend=backend) as batch:
        job = submit_one(backend, batch)
    before = len(ibm_emulator.requests("poll"))
    for _ in range(3):
        job.status()
    polls = ibm_emulator.requests("poll")[before:]
    assert [(entry["method"], entry["path"]) for entry in polls] == [
        ("GET", f"/api/v1/jobs/{job.job_id()}")
    ] * 3
    assert polls[0]["time"] <= polls[1]["time"] <= polls[2]["time"] <= time.time()
    (submit,) = ibm_emulator.requests("submit")
    assert (submit["method"], submit["status"]) == ("POST", 200)


def test_jobs_leave_the_queue_in_order_and_finish_in_any_order(emulator_factory):
    """Seed 0 draws extra delays of 0.84, 0.76, 0.42, 0.26 job-lengths: the last job
    created finishes well before the first. Jobs of 4 s, so that a busy machine's slow
    first simulations (4 at once) stay inside each job's time."""
    emulator = emulator_factory("--workers", "4", "--job-seconds", "4", "--seed", "0")
    service = emulator.service()
    backend = service.backend(DEVICE)
    circuits = isa([ghz(2)], backend)
    with Batch(backend=backend) as batch:
        sampler = Sampler(mode=batch)
        jobs = [sampler.run(circuits, shots=100) for _ in range(4)]
    for job in jobs:
        job.result(timeout=RESULT_TIMEOUT)
    created = emulator.jobs()
    running = [datetime.fromisoformat(job["running"]) for job in created]
    finished = [datetime.fromisoformat(job["finished"]) for job in created]
    assert running == sorted(running)
    assert finished[3] < finished[2] < finished[0]
    assert all(
        (end - start).total_seconds() >= 4.0 for start, end in zip(running, finished, strict=True)
    )


# --- HTTP faults ---------------------------------------------------------------------


def test_submit_5xx_before_creation_is_retried_by_the_client(ibm_emulator):
    service = ibm_emulator.service()
    backend = service.backend(DEVICE)
    ibm_emulator.inject("submit", "error", status=502, count=2)
    with Batch(backend=backend) as batch:
        job = submit_one(backend, batch)
    job.result(timeout=RESULT_TIMEOUT)
    assert [entry["status"] for entry in ibm_emulator.requests("submit")] == [502, 502, 200]
    assert len(ibm_emulator.jobs()) == 1


def test_submit_5xx_after_creation_makes_a_silent_duplicate(ibm_emulator):
    """The dangerous case: the job exists, its answer is lost, the client posts again."""
    service = ibm_emulator.service()
    backend = service.backend(DEVICE)
    ibm_emulator.inject("submit", "error", status=500, after=True)
    with Batch(backend=backend) as batch:
        job = submit_one(backend, batch, tags=["run-dup", "job-0"])
    job.result(timeout=RESULT_TIMEOUT)
    created = ibm_emulator.jobs()
    assert [entry["status"] for entry in ibm_emulator.requests("submit")] == [500, 200]
    assert len(created) == 2 and created[1]["id"] == job.job_id()
    assert {entry["id"] for entry in created} == {
        found.job_id() for found in service.jobs(job_tags=["run-dup", "job-0"])
    }


@pytest.mark.parametrize("after", [False, True], ids=["before-creation", "after-creation"])
def test_submit_dropped_connection_raises_and_only_a_tag_finds_the_job(ibm_emulator, after):
    service = ibm_emulator.service()
    backend = service.backend(DEVICE)
    ibm_emulator.inject("submit", "drop", after=after)
    with Batch(backend=backend) as batch, pytest.raises(IBMRuntimeError, match="Failed to run"):
        submit_one(backend, batch, tags=["run-lost", "job-0"])
    assert [entry["status"] for entry in ibm_emulator.requests("submit")] == ["dropped"]
    found = service.jobs(job_tags=["run-lost", "job-0"])
    assert len(found) == len(ibm_emulator.jobs()) == (1 if after else 0)


@pytest.mark.parametrize("kind", ["error", "drop"])
def test_status_poll_faults_are_retried_by_the_client(ibm_emulator, kind):
    service = ibm_emulator.service()
    backend = service.backend(DEVICE)
    with Batch(backend=backend) as batch:
        job = submit_one(backend, batch)
    ibm_emulator.inject("poll", kind, count=2, status=503)
    assert job.status() in ("QUEUED", "RUNNING", "DONE")
    polls = [entry["status"] for entry in ibm_emulator.requests("poll")]
    assert polls[-3:] == ([503, 503, 200] if kind == "error" else ["dropped", "dropped", 200])


@pytest.mark.slow  # 15 s of the client's own backoff
def test_status_poll_5xx_beyond_the_client_retries_raises(ibm_emulator):
    service = ibm_emulator.service()
    backend = service.backend(DEVICE)
    with Batch(backend=backend) as batch:
        job = submit_one(backend, batch)
    ibm_emulator.inject("poll", "error", status=500, count=6)
    with pytest.raises(Exception, match="500"):
        job.status()
    assert job.result(timeout=RESULT_TIMEOUT)[0].data.meas.num_shots == 100  # fault used up


def test_throttled_poll_waits_retry_after_and_throttled_submit_raises(ibm_emulator):
    service = ibm_emulator.service()
    backend = service.backend(DEVICE)
    with Batch(backend=backend) as batch:
        job = submit_one(backend, batch)
        ibm_emulator.inject("poll", "throttle", retry_after=1)
        started = time.monotonic()
        job.status()
        assert time.monotonic() - started >= 1.0
        polls = ibm_emulator.requests("poll")
        assert [entry["status"] for entry in polls[-2:]] == [429, 200]
        assert polls[-1]["time"] - polls[-2]["time"] >= 1.0
        ibm_emulator.inject("submit", "throttle", retry_after=1)
        with pytest.raises(IBMRuntimeError, match="429"):
            submit_one(backend, batch)
    assert len(ibm_emulator.jobs()) == 1


def test_faults_armed_from_the_command_line_and_the_admin_api(emulator_factory):
    emulator = emulator_factory("--job-seconds", "0.2", "--http-fault", "submit=error,status=502")
    emulator.fail_jobs({1: "internal"})
    service = emulator.service()
    backend = service.backend(DEVICE)
    with Batch(backend=backend) as batch:
        fine, failing = (submit_one(backend, batch) for _ in range(2))
        assert fine.result(timeout=RESULT_TIMEOUT)[0].data.meas.num_shots == 100
        with pytest.raises(RuntimeJobFailureError, match="Error code 5203"):
            failing.result(timeout=RESULT_TIMEOUT)
        assert emulator.expire_batch(batch.session_id) == {"failed": []}
        with pytest.raises(IBMRuntimeError, match="time to live"):
            submit_one(backend, batch)
    assert [entry["status"] for entry in emulator.requests("submit")] == [502, 200, 200, 400]


@pytest.mark.parametrize(
    "spec, fault",
    [
        ("poll=drop", HttpFault("poll", "drop")),
        ("submit=error,status=503,count=2,after", HttpFault("submit", "error", 2, 503, True)),
        (
            "any=throttle,retry_after=2.5,skip=3",
            HttpFault("any", "throttle", retry_after=2.5, skip=3),
        ),
    ],
)
def test_http_fault_specs(spec, fault):
    assert parse_http_fault(spec) == fault


@pytest.mark.parametrize(
    "spec",
    ["poll", "nowhere=drop", "poll=explode", "poll=drop,count=0", "poll=error,after", "x=drop,y"],
)
def test_bad_http_fault_specs_are_refused(spec):
    with pytest.raises(ValueError):
        parse_http_fault(spec)


def test_job_fault_specs():
    assert parse_job_fault("3=too-long") == (3, "too-long")
    for bad in ("3", "x=internal", "-1=internal", "2=slow"):
        with pytest.raises(ValueError, match="N=KIND"):
            parse_job_fault(bad)


# --- what the service bills ------------------------------------------------------------


def baseline(circuit: QuantumCircuit, executions: int) -> float:
    """IBM's documented usage of a one-PUB job, from qexp's own copy of the formula."""
    if not any(inst.operation.name == "measure" for inst in circuit.data):
        circuit = circuit.measure_active(inplace=False)
    return cost.job_seconds([(circuit, executions)], FakeManilaV2().target)


def test_every_job_is_billed_its_usage_as_the_client_reads_it(ibm_emulator):
    """Each job's bill is the documented baseline (the service's own estimate, to the
    digit) times a seeded spread; the batch's usage and the instance's are their sum."""
    service = ibm_emulator.service()
    backend = service.backend(DEVICE)
    (bell,) = isa([ghz(2)], backend)
    (state,) = isa([ghz(3, measure=False)], backend)
    observables = [SparsePauliOp(p).apply_layout(state.layout) for p in ("ZZI", "IZZ", "XXX")]
    with Batch(backend=backend) as batch:
        jobs = [
            SamplerV2(mode=batch).run([bell], shots=1000),
            Sampler(mode=batch).run([bell], shots=300),
            EstimatorV2(mode=batch).run([(state, observables)], precision=0.02),
        ]
    for job in jobs:
        job.result(timeout=RESULT_TIMEOUT)
    # 2500 shots per measurement basis: ZZI and IZZ share one, XXX needs another
    models = [baseline(bell, 1000), baseline(bell, 300), baseline(state, 2 * 2500)]
    bills = [job.usage() for job in jobs]
    for job, model, bill in zip(jobs, models, bills, strict=True):
        assert job.metrics()["usage"] == {"qpu_charge_time_seconds": bill, "status": "completed"}
        assert job.usage_estimation["quantum_seconds"] == pytest.approx(model, rel=1e-9)
        assert 0.95 * model <= bill <= 1.25 * model
        assert abs(bill - model) > 1e-3  # a bill, not the estimate copied
    assert len(set(bill / model for bill, model in zip(bills, models, strict=True))) == 3
    assert batch.usage() == pytest.approx(sum(bills), abs=1e-9)
    usage = service.usage()
    assert usage["usage_consumed_seconds"] == pytest.approx(sum(bills), abs=1e-9)
    assert usage["usage_limit_reached"] is False and "usage_limit_seconds" not in usage


def test_failed_and_cancelled_jobs_are_billed_what_they_consumed(emulator_factory):
    """IBM's rule for job and batch mode: nothing for a system error or a job that never
    ran; what was consumed for a cancelled job; the maximum time for one that ran too long."""
    emulator = emulator_factory(
        *("--job-seconds", "0.2", "--fail-job", "0=internal", "--fail-job", "1=rejected"),
        *("--fail-job", "2=cancelled", "--fail-job", "3=too-long"),
    )
    service = emulator.service()
    backend = service.backend(DEVICE)
    (bell,) = isa([ghz(2)], backend)
    with Batch(backend=backend) as batch:
        sampler = Sampler(mode=batch)
        sampler.options.max_execution_time = 7
        jobs = [sampler.run([bell], shots=100) for _ in range(5)]
    for job in jobs:
        job.wait_for_final_state(timeout=RESULT_TIMEOUT)
    internal, rejected, cancelled, too_long, fine = (job.usage() for job in jobs)
    assert (internal, rejected, too_long) == (0.0, 0.0, 7.0)
    full = baseline(bell, 100)
    assert 0.95 * full <= cancelled <= 1.25 * full  # cancelled once it had run its course
    assert 0.95 * full <= fine <= 1.25 * full
    assert batch.usage() == pytest.approx(cancelled + too_long + fine, abs=1e-9)

    slow = emulator_factory("--job-seconds", "6")
    service = slow.service()
    backend = service.backend(DEVICE)
    with Batch(backend=backend) as batch:
        job = Sampler(mode=batch).run([bell], shots=100)
        while job.status() != "RUNNING":
            time.sleep(0.1)
        time.sleep(1.0)
        slow.cancel_job(job.job_id())  # a sixth of the way or less: billed for that much
    job.wait_for_final_state(timeout=RESULT_TIMEOUT)
    assert 0 < job.usage() < 0.5 * job.usage_estimation["quantum_seconds"]


def test_a_bill_stays_pending_until_the_service_has_computed_it(emulator_factory):
    emulator = emulator_factory("--job-seconds", "0.2", "--bill-delay", "6")
    service = emulator.service()
    backend = service.backend(DEVICE)
    with Batch(backend=backend) as batch:
        job = submit_one(backend, batch)
    job.result(timeout=RESULT_TIMEOUT)
    assert job.metrics()["usage"]["status"] == "pending"
    assert job.usage() == 0 and job.usage(partial=True) > 0  # as the client reads it
    time.sleep(6.5)
    assert job.metrics()["usage"]["status"] == "completed"
    assert job.usage() == job.usage(partial=True) > 0


def test_a_small_allocation_holds_new_jobs_until_it_is_raised(emulator_factory):
    emulator = emulator_factory("--job-seconds", "0.2", "--allocation", "2")
    service = emulator.service()
    backend = service.backend(DEVICE)
    usage = service.usage()
    assert (usage["usage_limit_seconds"], usage["usage_remaining_seconds"]) == (2, 2)
    with Batch(backend=backend) as batch:
        first = submit_one(backend, batch)  # about 2.2 s: past the limit once it has run
        first.result(timeout=RESULT_TIMEOUT)
        usage = service.usage()
        assert usage["usage_limit_reached"] is True and usage["usage_remaining_seconds"] == 0
        with pytest.warns(UserWarning, match="met its usage limit"):  # the client's own
            second = submit_one(backend, batch)
        time.sleep(2.0)
        assert second.status() == "QUEUED"  # pending jobs stay queued at the limit
        assert emulator.allocate(100)["limit_reached"] is False
        assert second.result(timeout=RESULT_TIMEOUT)[0].data.meas.num_shots == 100
    assert emulator.usage()["consumed"] == pytest.approx(first.usage() + second.usage())


# --- how the service ends jobs -------------------------------------------------------


def test_failed_jobs_end_as_the_service_ends_them(emulator_factory):
    emulator = emulator_factory(
        *("--job-seconds", "0.2", "--fail-job", "0=internal", "--fail-job", "1=rejected"),
        *("--fail-job", "2=too-long", "--fail-job", "3=cancelled"),
    )
    service = emulator.service()
    backend = service.backend(DEVICE)
    with Batch(backend=backend) as batch:
        jobs = [submit_one(backend, batch) for _ in range(5)]
    internal, rejected, too_long, cancelled, fine = jobs
    with pytest.raises(RuntimeJobFailureError, match="Error code 5203; Failed to run job"):
        internal.result(timeout=RESULT_TIMEOUT)
    with pytest.raises(RuntimeJobFailureError, match="Error code 1002; Error in the validation"):
        rejected.result(timeout=RESULT_TIMEOUT)
    with pytest.raises(RuntimeJobMaxTimeoutError, match="Error code 1305; Ran too long"):
        too_long.result(timeout=RESULT_TIMEOUT)
    with pytest.raises(RuntimeInvalidStateError, match="cancelled"):
        cancelled.result(timeout=RESULT_TIMEOUT)
    assert fine.result(timeout=RESULT_TIMEOUT)[0].data.meas.num_shots == 100
    assert [job.status() for job in jobs] == ["ERROR", "ERROR", "ERROR", "CANCELLED", "DONE"]
    assert internal.error_message().endswith("Error code 5203; Failed to run job.")
    assert [(job["state"], job["reason_code"]) for job in emulator.jobs()] == [
        ("Failed", 5203),
        ("Failed", 1002),
        ("Cancelled", 1305),
        ("Cancelled", 5202),
        ("Completed", None),
    ]


def test_an_expired_batch_fails_its_queued_jobs_and_refuses_new_ones(emulator_factory):
    """Time to live reached at job 2: jobs 0 and 1 (started) finish, 2 to 4 (queued) fail."""
    emulator = emulator_factory(
        "--workers", "1", "--job-seconds", "0.5", "--fail-job", "2=batch-expired"
    )
    service = emulator.service()
    backend = service.backend(DEVICE)
    with Batch(backend=backend) as batch:
        jobs = [submit_one(backend, batch) for _ in range(5)]
        for job in jobs[2:]:
            with pytest.raises(RuntimeJobFailureError, match="Error code 4001; Job is part"):
                job.result(timeout=RESULT_TIMEOUT)
        with pytest.raises(IBMRuntimeError, match="time to live"):
            submit_one(backend, batch)
    for job in jobs[:2]:
        assert job.result(timeout=RESULT_TIMEOUT)[0].data.meas.num_shots == 100
    assert [job["state"] for job in emulator.jobs()] == ["Completed"] * 2 + ["Failed"] * 3
    (session,) = emulator.stats()["sessions"]
    assert (session["state"], session["accepting_jobs"]) == ("closed", False)
    assert batch.status() == "Closed"


def test_a_batch_expires_its_max_time_after_it_became_active(emulator_factory):
    """max_time=3 s, one worker, 1 s jobs with seed 0's extras (0.84, 0.76 of a second):
    job 0 runs to 1.8 s, job 1 from 1.8 s to 3.6 s; at 3 s jobs 2 to 4 are still queued."""
    emulator = emulator_factory("--workers", "1", "--job-seconds", "1", "--seed", "0")
    service = emulator.service()
    backend = service.backend(DEVICE)
    circuits = isa([ghz(2)], backend)
    with Batch(backend=backend, max_time=3) as batch:
        sampler = Sampler(mode=batch)
        jobs = [sampler.run(circuits, shots=100) for _ in range(5)]
        jobs[-1].wait_for_final_state(timeout=RESULT_TIMEOUT)
        with pytest.raises(IBMRuntimeError, match="time to live"):
            sampler.run(circuits, shots=100)
    for job in jobs:
        job.wait_for_final_state(timeout=RESULT_TIMEOUT)
    assert [job.status() for job in jobs] == ["DONE"] * 2 + ["ERROR"] * 3
    assert [job["reason_code"] for job in emulator.jobs()] == [None] * 2 + [4001] * 3


def test_a_job_cancelled_by_the_service(emulator_factory):
    emulator = emulator_factory("--job-seconds", "5")
    service = emulator.service()
    backend = service.backend(DEVICE)
    with Batch(backend=backend) as batch:
        job = submit_one(backend, batch)
    emulator.cancel_job(job.job_id())
    with pytest.raises(RuntimeInvalidStateError, match="cancelled"):
        job.result(timeout=RESULT_TIMEOUT)
    assert job.cancelled()
    with pytest.raises(RuntimeInvalidStateError):  # the service answers 409
        job.cancel()
    assert [(job["state"], job["reason_code"]) for job in emulator.jobs()] == [("Cancelled", 5202)]


def test_client_cancel_and_batch_cancel(emulator_factory):
    emulator = emulator_factory("--job-seconds", "5", "--workers", "1")
    service = emulator.service()
    backend = service.backend(DEVICE)
    batch = Batch(backend=backend)
    running, queued, last = (submit_one(backend, batch) for _ in range(3))
    running.cancel()
    assert running.status() == "CANCELLED"
    batch.cancel()
    assert {queued.status(), last.status()} == {"CANCELLED"}
    assert {job["state"] for job in emulator.jobs()} == {"Cancelled"}


# --- the command line ----------------------------------------------------------------


def test_command_line_refuses_bad_arguments_and_stops_cleanly(ibm_emulator):
    taken = ibm_emulator.url.split(":")[2].split("/")[0]  # the running emulator's port
    for bad in (
        ["--fail-job", "1=slow"],
        ["--backends", "FakeNowhere"],
        ["--workers", "0"],
        ["--http-fault", "poll=explode"],
        ["--port", taken],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "qexp.emulator", *bad], capture_output=True, text=True
        )
        assert done.returncode == 2 and done.stderr.startswith("qexp.emulator: "), bad
    assert ibm_emulator.stop() == 0


def test_a_device_served_under_a_real_devices_name(emulator_factory):
    emulator = emulator_factory("--backends", "FakeManilaV2=ibm_manila", "--job-seconds", "0.2")
    service = emulator.service()
    assert [backend.name for backend in service.backends()] == ["ibm_manila"]
    backend = service.backend("ibm_manila")
    assert backend.num_qubits == 5 and not backend.configuration().simulator
    with Batch(backend=backend) as batch:
        job = submit_one(backend, batch)
    assert job.result(timeout=RESULT_TIMEOUT)[0].data.meas.num_shots == 100
    assert emulator.jobs()[0]["backend"] == "ibm_manila"


def test_ctrl_c_stops_cleanly(emulator_factory):
    emulator = emulator_factory()
    emulator.process.send_signal(signal.SIGINT)
    assert emulator.process.wait(timeout=15) == 0


@pytest.mark.slow
def test_a_large_device_builds_its_noise_model_once(emulator_factory):
    """FakeTorino: two GHZ jobs one after the other; only the first builds the simulator."""
    emulator = emulator_factory("--backends", "FakeManilaV2,FakeTorino", "--job-seconds", "0.2")
    service = emulator.service()
    backend = service.backend("fake_torino")
    circuits = isa([ghz(4)], backend)
    with Batch(backend=backend) as batch:
        sampler = Sampler(mode=batch)
        sampler.options.simulator.seed_simulator = 3
        for _ in range(2):
            counts = sampler.run(circuits, shots=4000).result(timeout=RESULT_TIMEOUT)
            assert ghz_fraction(counts[0].data.meas.get_counts(), 4) > 0.6

    def seconds(job: dict) -> float:
        running, finished = (datetime.fromisoformat(job[key]) for key in ("running", "finished"))
        return (finished - running).total_seconds()

    first, second = (seconds(job) for job in emulator.jobs())
    assert second < first - 1.0, (first, second)
