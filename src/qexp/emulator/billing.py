"""What the service bills for a job: its QPU usage, as IBM documents and reports it.

The model is IBM's documented baseline for one job ("Workload usage", section "Estimate
usage before submitting a job", https://quantum.cloud.ibm.com/docs/guides/estimate-job-run-time):

    2 s + sum over the job's PUBs of executions x (rep_delay + duration of the circuit)

Executions are parameter sets x shots: for the v2 Estimator also x the measurement bases
its observables need (one per qubit-wise commuting group), for the `executor` program its
items' randomizations. `rep_delay` is the device's `default_rep_delay`, the duration the
circuit's longest path on the device's target, measurements included. That figure is the
service's own pre-run estimate (`estimated_running_time_seconds` of `GET /jobs/{id}`).

The bill is the model times a spread drawn for each job, in creation order, from a
generator seeded by `--seed`: a device's real timing is never exactly the baseline, and a
bill recorded from the service can so never pass for an estimate copied.

Jobs that did not complete (the same page, "Usage for failed and canceled jobs", job and
batch mode): a job that never ran, or failed for a system error, is billed nothing; one
cancelled or failed otherwise is billed what it consumed until it ended; one cancelled for
running past its maximum execution time (1305) is billed that time.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from qiskit import QuantumCircuit
from qiskit.quantum_info import PauliList
from qiskit.transpiler import Target

from .devices import Device

PER_JOB_OVERHEAD_S = 2.0
"""IBM's documented fixed cost of one job: loading its payload into the control electronics."""
SPREAD = (0.95, 1.25)
"""The bill is the model times a factor drawn uniformly from this range."""
SYSTEM_ERRORS = frozenset({5203, 5204})
"""Reason codes of failures of the service itself ("Failed to run job.", the simulator
failed): billed nothing."""
MAX_TIME_CODE = 1305
DEFAULT_SHOTS = 4096
"""The Sampler's shots, and the Estimator's for its default precision 1/64, when a job
sets neither."""


class Job(Protocol):
    """What billing reads of a job (`state.Job`)."""

    running_at: datetime | None
    max_execution_time: int | None
    model_seconds: float | None
    planned_seconds: float | None
    spread: float
    qpu_seconds: float

    @property
    def final(self) -> bool: ...


def model_seconds(program_id: str, params_json: str, device: Device) -> float:
    """The documented baseline usage of one job, from its params as the client sent them."""
    rep_delay = float(device.configuration.get("default_rep_delay", 250.0)) * 1e-6
    pubs = list(_timed_pubs(program_id, params_json))
    target = device.target
    return PER_JOB_OVERHEAD_S + sum(
        executions * (rep_delay + _duration(circuit, target)) for circuit, executions in pubs
    )


def usage(job: Job, now: datetime) -> float:
    """The job's usage so far: what it consumed while running, its final bill once ended."""
    if job.final:
        return job.qpu_seconds
    return round(_full(job) * _fraction(job, now), 3)


def final_bill(job: Job, code: int | None, completed: bool, now: datetime) -> float:
    """What a job that ends now, so, is billed."""
    if job.running_at is None or code in SYSTEM_ERRORS:
        return 0.0
    if code == MAX_TIME_CODE and job.max_execution_time:
        return float(job.max_execution_time)
    return round(_full(job) * (1.0 if completed else _fraction(job, now)), 3)


def _full(job: Job) -> float:
    return (job.model_seconds or 0.0) * job.spread


def _fraction(job: Job, now: datetime) -> float:
    """How much of its planned run the job has had (1 for a job planned to take no time)."""
    if job.running_at is None:
        return 0.0
    if not job.planned_seconds:
        return 1.0
    return min(1.0, (now - job.running_at).total_seconds() / job.planned_seconds)


# --- executions, per program ------------------------------------------------------------
def _timed_pubs(program_id: str, params_json: str) -> Iterable[tuple[QuantumCircuit, int]]:
    """(circuit, executions) for each PUB or item of the job."""
    if program_id == "executor":
        yield from _executor_items(json.loads(params_json))
        return
    from qiskit_ibm_runtime.utils.json import RuntimeDecoder

    inputs: dict[str, Any] = json.loads(params_json, cls=RuntimeDecoder)
    options = inputs.get("options") or {}
    if program_id == "sampler":
        yield from _sampler_pubs(inputs["pubs"], options)
    else:
        yield from _estimator_pubs(inputs["pubs"], options, inputs.get("precision"))


def _sampler_pubs(pubs: list[Any], options: dict[str, Any]) -> Iterable[tuple[QuantumCircuit, int]]:
    from qiskit.primitives.containers.sampler_pub import SamplerPub

    shots = options.get("default_shots") or DEFAULT_SHOTS
    for pub in pubs:
        coerced = SamplerPub.coerce(pub, shots)
        yield coerced.circuit, coerced.parameter_values.size * (coerced.shots or shots)


def _estimator_pubs(
    pubs: list[Any], options: dict[str, Any], precision: float | None
) -> Iterable[tuple[QuantumCircuit, int]]:
    from qiskit.primitives.containers.estimator_pub import EstimatorPub

    if precision is None and (shots := options.get("default_shots")):
        precision = 1 / math.sqrt(shots)
    precision = precision or options.get("default_precision") or 1 / math.sqrt(DEFAULT_SHOTS)
    for pub in pubs:
        coerced = EstimatorPub.coerce(pub, precision)
        shots = math.ceil(1 / (coerced.precision or precision) ** 2)
        points = max(coerced.parameter_values.size, 1)
        yield coerced.circuit, points * shots * _bases(coerced.observables.ravel())


def _bases(observables: Iterable[dict[str, float]]) -> int:
    """Measurement bases the service needs: one per qubit-wise commuting group of Paulis."""
    labels = sorted({label for observable in observables for label in observable})
    if not labels:
        return 1
    return len(PauliList(labels).group_qubit_wise_commuting())


def _executor_items(params: dict[str, Any]) -> Iterable[tuple[QuantumCircuit, int]]:
    from qiskit_ibm_runtime.quantum_program.params_converters import (
        QUANTUM_PROGRAM_PARAMS_CONVERTERS,
    )

    converter = QUANTUM_PROGRAM_PARAMS_CONVERTERS[params.get("schema_version", "v2.0")]
    program, _ = converter.decoder(converter.model.model_validate(params))
    for item in program.items:
        yield item.circuit, max(item.size(), 1) * program.shots


def _duration(circuit: QuantumCircuit, target: Target) -> float:
    """The circuit's longest path on the device, measured as the service runs it.

    A circuit the scheduler cannot time (an instruction without a duration on the target,
    such as the executor's annotated boxes) counts for its repetition delay alone.
    """
    try:
        if not any(inst.operation.name == "measure" for inst in circuit.data):
            circuit = circuit.measure_active(inplace=False)
        return float(circuit.estimate_duration(target, unit="s"))
    except Exception:
        return 0.0
