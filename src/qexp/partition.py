"""Split a run's PUBs into jobs: pure, no Qiskit.

A job holds at most `max_circuits` PUBs and at most `max_executions` executions (parameter
sets x shots, IBM's per-job limit). PUBs keep their order, so job k holds a contiguous
range of circuit indices.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from qexp.errors import ConfigError


@dataclass
class PartitionConfig:
    """How many PUBs go into one job."""

    max_circuits: int = 100
    """PUBs per job, as in IBM's own batching example."""
    max_executions: int = 10_000_000
    """Executions (parameter sets x shots) per job: IBM's per-job limit."""


@dataclass(frozen=True)
class JobPlan:
    """One job of the run: its index, the global indices of the circuits it holds, and,
    in a run of several primitives, which one it runs."""

    index: int
    circuits: tuple[int, ...]
    primitive: str = ""
    """The primitive's name (`sampler`, `estimator`); empty in a run of one primitive."""


def validate(cfg: PartitionConfig) -> None:
    for key, value in (("max_circuits", cfg.max_circuits), ("max_executions", cfg.max_executions)):
        if value < 1:
            raise ConfigError(
                f"partition.{key}", value, "a positive integer", f"set partition.{key}=100"
            )


def plan_jobs(costs: Sequence[int], max_circuits: int, max_executions: int) -> list[JobPlan]:
    """Greedy in order: start a new job when either limit would be exceeded.

    `costs[i]` is the executions of circuit i. A single PUB above `max_executions` cannot be
    split and is an error.
    """
    plans: list[JobPlan] = []
    current: list[int] = []
    load = 0
    for index, cost in enumerate(costs):
        if cost > max_executions:
            raise ConfigError(
                "partition.max_executions",
                max_executions,
                f"at least the {cost} executions of circuit {index} (parameter sets x shots)",
                "lower primitive.shots (or raise primitive.precision), use fewer parameter "
                "points, or raise partition.max_executions",
            )
        if current and (len(current) == max_circuits or load + cost > max_executions):
            plans.append(JobPlan(len(plans), tuple(current)))
            current, load = [], 0
        current.append(index)
        load += cost
    if current:
        plans.append(JobPlan(len(plans), tuple(current)))
    return plans


def plan_mixed(
    costs: Mapping[str, Sequence[int]],
    max_circuits: int,
    max_executions: int,
    extra: Sequence[str] = (),
) -> list[JobPlan]:
    """Jobs for several primitives on the same circuits: one circuit range per job of each
    primitive, so a range is transpiled once for all of them.

    The ranges come from the most expensive primitive per circuit, so every job keeps
    within `max_circuits` and its own primitive's `max_executions`. Jobs are numbered range
    by range, each range's primitives in the order given, then the `extra` jobs each range
    gets (`calibration`: a few circuits of its own, whatever the range's size).
    """
    names = list(costs)
    widest = [max(per) for per in zip(*(costs[name] for name in names), strict=True)]
    ranges = plan_jobs(widest, max_circuits, max_executions)
    kinds = [*names, *extra]
    return [
        JobPlan(len(kinds) * r.index + k, r.circuits, name)
        for r in ranges
        for k, name in enumerate(kinds)
    ]
