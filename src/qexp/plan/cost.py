"""Estimated QPU time of IBM jobs, from ISA circuits alone: what a sweep costs before it runs.

IBM's documented baseline ("Workload usage", section "Estimate usage before submitting a
job", https://quantum.cloud.ibm.com/docs/guides/estimate-job-run-time) for one job is

    <per sub-job overhead> + (rep_delay + <circuit length>) * <num executions>

with an overhead of about 2 s per sub-job (loading the payload into the control
electronics), `rep_delay` the backend's `default_rep_delay` (250 us on most IBM devices)
and the circuit length its scheduled duration on the device. Summed over a job's PUBs:

    seconds(job) = 2 s + sum over PUBs of executions * (rep_delay + duration(ISA circuit))

How rough: IBM calls it a baseline. The executions and circuits it is given already hold
what error suppression and mitigation add (`qexp.plan.estimate`: for the executor
primitives, the program the runtime's client builds, with its twirling randomizations,
measurement bases, TREX learning circuits and ZNE's folded circuits). It leaves out a job
split into several sub-jobs (one overhead counted per job), queueing, the classical time of
mitigation on the service, and any change to the device's calibrated durations; measured
usage can be well above it for mitigated Estimator jobs.
"""

from __future__ import annotations

from collections.abc import Sequence

from qiskit import QuantumCircuit
from qiskit.transpiler import Target

PER_JOB_OVERHEAD_S = 2.0
"""IBM's documented fixed cost of one (sub-)job, in seconds."""
DEFAULT_REP_DELAY_S = 250e-6
"""The delay between executions on most IBM devices (`backend.default_rep_delay`)."""

TimedPub = tuple[QuantumCircuit, int]
"""An ISA circuit and how many times it executes (parameter sets x shots)."""


def circuit_seconds(isa: QuantumCircuit, target: Target) -> float:
    """The longest path through the scheduled circuit, from the target's durations."""
    return float(isa.estimate_duration(target, unit="s"))


def job_seconds(
    pubs: Sequence[TimedPub], target: Target, rep_delay: float = DEFAULT_REP_DELAY_S
) -> float:
    """One job: the fixed overhead plus every execution of every PUB."""
    per_execution = (rep_delay + circuit_seconds(c, target) for c, _ in pubs)
    return PER_JOB_OVERHEAD_S + sum(n * t for (_, n), t in zip(pubs, per_execution, strict=True))


def qpu_seconds(
    jobs: Sequence[Sequence[TimedPub]], target: Target, rep_delay: float = DEFAULT_REP_DELAY_S
) -> float:
    """Every job of a run, as IBM's baseline estimates the usage of a Batch."""
    return sum(job_seconds(pubs, target, rep_delay) for pubs in jobs)
