"""Pure pieces: the partitioner, seeds, implementation choice, the manifest, overlap order."""

from __future__ import annotations

import json
import math

import pytest

from qexp.config.primitive import EstimatorConfig, SamplerConfig
from qexp.errors import ConfigError
from qexp.plan import primitives
from qexp.plan.partition import JobPlan, plan_jobs
from qexp.run.batch_loop import BatchLoop, Hooks, Policy
from qexp.seeds import derive_seed
from qexp.store.manifest import Manifest


@pytest.mark.parametrize(("n", "k"), [(1, 1), (4, 2), (5, 2), (14, 4), (100, 100), (101, 100)])
def test_max_circuits_gives_ceil_n_over_k_jobs_holding_every_circuit_once(n, k):
    plans = plan_jobs([1] * n, max_circuits=k, max_executions=10**9)
    assert len(plans) == math.ceil(n / k)
    assert [i for p in plans for i in p.circuits] == list(range(n))
    assert all(len(p.circuits) <= k for p in plans)
    assert [p.index for p in plans] == list(range(len(plans)))


def test_max_executions_splits_further():
    costs = [4000, 4000, 4000, 1000, 1000]
    plans = plan_jobs(costs, max_circuits=100, max_executions=9000)
    assert [p.circuits for p in plans] == [(0, 1), (2, 3, 4)]
    assert all(sum(costs[i] for i in p.circuits) <= 9000 for p in plans)


def test_a_pub_above_max_executions_is_an_error_naming_the_key():
    with pytest.raises(ConfigError, match=r"partition\.max_executions"):
        plan_jobs([10, 20_000], max_circuits=10, max_executions=10_000)


def test_executions_count_parameter_sets_times_shots():
    from qexp.circuits.ansatz import AnsatzConfig, generate

    (spec,) = generate(AnsatzConfig(num_qubits=2, num_points=7), seed=1)
    sampler = SamplerConfig(shots=300)
    estimator = EstimatorConfig(precision=0.01)
    assert primitives.executions(sampler, spec) == 7 * 300
    assert primitives.executions(estimator, spec) == 7 * 10_000
    assert primitives.executions(EstimatorConfig(shots=50), spec) == 7 * 50


def test_derived_seeds_are_stable_distinct_and_never_zero():
    assert derive_seed(1, "simulator", 0) == derive_seed(1, "simulator", 0)
    seeds = {derive_seed(s, "simulator", j) for s in range(20) for j in range(50)}
    assert len(seeds) == 1000 and 0 not in seeds
    assert derive_seed(0, "transpile") > 0


def test_auto_takes_executor_on_ibm_and_v2_locally():
    assert primitives.choose_implementation("auto", on_ibm=True) == "executor"
    assert primitives.choose_implementation("auto", on_ibm=False) == "v2"
    assert primitives.choose_implementation("executor", on_ibm=False) == "executor"


def test_auto_falls_back_to_executor_when_v2_is_gone(monkeypatch):
    import qiskit_ibm_runtime

    monkeypatch.delattr(qiskit_ibm_runtime, "SamplerV2")
    assert primitives.choose_implementation("auto", on_ibm=False) == "executor"


def test_manifest_round_trips_and_is_written_on_every_change(tmp_path):
    plans = [JobPlan(0, (0, 1)), JobPlan(1, (2,))]
    ledger = Manifest.create(tmp_path, plans, {"backend": "aer_simulator"})
    ledger.submitted(0, "job-a", "batch-1")
    on_disk = json.loads((tmp_path / "manifest.json").read_text())
    assert on_disk["jobs"][0]["status"] == "submitted"
    assert on_disk["jobs"][0]["attempts"][0]["job_id"] == "job-a"
    ledger.finished(0, "failed", "ConnectionError: x", "transient")
    again = Manifest.load(tmp_path)
    assert again.jobs[0].attempts[0].error_class == "transient"
    assert again.jobs[1].file == "jobs/job-00001.h5" and again.jobs[1].circuits == [2]
    assert again.counts() == {"pending": 1, "submitted": 0, "done": 0, "failed": 1, "cancelled": 0}
    assert not list(tmp_path.glob(".*.tmp"))


def test_each_job_is_submitted_before_the_next_is_transpiled(tmp_path):
    """With a lookahead of one partition, the first job never waits for the last one."""
    from concurrent.futures import Future

    events: list[str] = []

    class Job:
        def __init__(self, i):
            self.i = i

        def job_id(self):
            return f"j{self.i}"

        def status(self):
            return "DONE"

        def result(self):
            return None

    class Batch:
        session_id = None

        def close(self):
            pass

    def done(value):
        future = Future()
        future.set_result(value)
        return future

    def prepare(plan):
        events.append(f"transpile {plan.index}")
        return done(plan.index)

    def submit(batch, prepared, plan):
        events.append(f"submit {plan.index}")
        return Job(plan.index)

    def write(plan, prepared, job, result):
        events.append(f"write {plan.index}")
        return done(None)

    plans = [JobPlan(i, (i,)) for i in range(3)]
    hooks = Hooks(Batch, prepare, submit, write, lookahead=1)
    BatchLoop(Manifest.create(tmp_path, plans, {}), hooks, Policy(poll_interval=0.001)).run(plans)
    assert events.index("submit 0") < events.index("transpile 1")
    assert events.index("submit 1") < events.index("transpile 2")
    assert sorted(events) == sorted(
        f"{e} {i}" for e in ("transpile", "submit", "write") for i in range(3)
    )


def test_dry_run_plans_and_prices_the_jobs_but_submits_nothing(tmp_path):
    from conftest import run_config

    report = run_config(
        tmp_path / "run",
        "circuits=random",
        "circuits.count=5",
        "primitive.shots=300",
        "partition.max_circuits=2",
        "run.dry_run=true",
    )
    assert report.jobs == {"planned": 3} and report.files == []
    assert "1500 in all, at most 600 per job" in (report.planned or "")
    assert not (tmp_path / "run/jobs").exists() and not (tmp_path / "run/manifest.json").exists()


def test_isa_depth_through_the_dag_equals_the_circuits_own_count():
    from qiskit import QuantumCircuit
    from qiskit.circuit.random import random_circuit
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    from qexp.plan import transpile

    pm = transpile.pass_manager(1, FakeManilaV2().target, seed=3)
    circuits = [random_circuit(4, 6, max_operands=2, measure=True, seed=s) for s in range(8)]
    ghz = QuantumCircuit(3)
    ghz.h(0)
    ghz.cx(0, 1)
    ghz.cx(1, 2)
    ghz.measure_all()  # a barrier, then the measurements
    branching = QuantumCircuit(2, 1)
    branching.h(0)
    branching.measure(0, 0)
    with branching.if_test((branching.clbits[0], 1)):
        branching.x(1)
    circuits += [ghz, branching]
    for circuit in [*circuits, *transpile.to_isa(pm, circuits)]:
        assert transpile.depth(circuit) == circuit.depth()
    assert transpile.depth(ghz) == 4  # the barrier does not count


def test_the_ledger_written_a_transition_at_a_time_is_the_whole_ledger_as_json(tmp_path):
    """A transition re-encodes only its own job's entry; the file must stay exactly what
    `json.dumps(ledger, indent=1)` gives, for readers and for diffs."""
    import json

    from qexp.plan.partition import JobPlan
    from qexp.store.manifest import Manifest

    manifest = Manifest.create(tmp_path, [JobPlan(i, (2 * i, 2 * i + 1)) for i in range(4)], {})
    manifest.submitted(1, "job-a", None)
    manifest.finished(1, "done")
    manifest.submitted(3, None, "batch-b")
    manifest.finished(3, "failed", "ValueError: bad", "rejected")
    manifest.jobs[0].status = "cancelled"  # changed outside a transition: a plain save
    manifest.save()
    text = (tmp_path / "manifest.json").read_text()
    assert text == json.dumps(json.loads(text), indent=1) + "\n"
    again = Manifest.load(tmp_path)
    assert [j.status for j in again.jobs] == ["cancelled", "done", "pending", "failed"]
    assert again.jobs[1].attempts[0].job_id == "job-a"
    assert again.jobs[3].last.error_class == "rejected"
