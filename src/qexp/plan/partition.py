"""Split a run's PUBs into jobs: pure, no Qiskit.

A job holds at most `max_circuits` PUBs and at most `max_executions` executions (parameter
sets x shots, IBM's per-job limit). PUBs keep their order, so job k holds a contiguous
range of circuit indices.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from qexp.errors import ConfigError

IBM_MAX_EXECUTIONS = 10_000_000
"""IBM Quantum's limit on the executions of one job."""


@dataclass(frozen=True)
class JobPlan:
    """One job of the run: its index, the global indices of the circuits it holds, and,
    in a run of several primitives, which one it runs."""

    index: int
    circuits: tuple[int, ...]
    primitive: str = ""
    """The primitive's name (`sampler`, `estimator`); empty in a run of one primitive."""


def plan_jobs(
    costs: Sequence[int],
    max_circuits: int,
    max_executions: int,
    fewer_shots: str = "lower primitive.shots",
) -> list[JobPlan]:
    """Greedy in order: start a new job when either limit would be exceeded.

    `costs[i]` is the executions of circuit i. A single PUB above `max_executions` cannot be
    split and is an error, whose hint starts with `fewer_shots` (the primitive's own key).
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
                f"{fewer_shots}, use fewer parameter points, or set "
                f"partition.max_executions={cost} (IBM takes at most {IBM_MAX_EXECUTIONS})",
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
