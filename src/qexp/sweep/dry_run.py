"""`-m ... run.dry_run=true`: every point's plan and cost, computed before anything launches.

qexp's sweeper calls this in the launching process instead of handing the points to the
launcher, so a dry run of a Slurm sweep starts no Slurm job and submits nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from omegaconf import DictConfig

from qexp.config.load import load
from qexp.errors import QexpError
from qexp.plan.estimate import PlanEstimate, estimate
from qexp.plan.make import make_plan
from qexp.sweep.points import varying
from qexp.sweep.summary import as_typed


def plan_sweep(
    points: list[list[str]], compose: Callable[[list[str]], DictConfig]
) -> tuple[str, int]:
    """(the plan as text, exit code): a line per point, then the total.

    `compose(overrides)` gives a point's config as its run would see it. A point whose
    config is refused, or whose estimate would take the sweep's QPU time past
    `run.max_qpu_seconds` (counting the points before it that fit, as the sweep's budget
    would), makes the exit code non-zero, as launching it would.
    """
    lines = ["qexp: dry run of a sweep, nothing submitted, no job launched:"]
    found: list[PlanEstimate] = []
    exit_code = 0
    admitted = 0.0  # QPU seconds of the points before this one that the cap lets through
    for number, (overrides, shown) in enumerate(zip(points, varying(points), strict=True)):
        head = f"  point {number} {' '.join(as_typed(shown)) or '-'}:"
        try:
            cfg = load(compose(overrides))
            plan = make_plan(cfg)
            try:
                point = estimate(plan)
            finally:
                plan.close()
        except QexpError as exc:
            lines.append(f"{head} refused: {str(exc).splitlines()[0]}")
            exit_code = max(exit_code, exc.exit_code)
            continue
        found.append(point)
        budget, seconds = plan.policy.max_qpu_seconds, point.qpu_seconds
        over = seconds is not None and budget is not None and admitted + seconds > budget
        if seconds is not None and not over:
            admitted += seconds
        note = ""
        if over:
            note = (
                f" (with the {admitted:.2f} s of the points before it, above "
                f"run.max_qpu_seconds={budget:g}: would be refused)"
            )
        lines.append(f"{head} {point.describe()}{note}")
        exit_code = max(exit_code, 2 * over)
    lines.append(f"  total, {len(found)} of {len(points)} points: {total(found).describe()}")
    return "\n".join(lines), exit_code


def total(points: list[PlanEstimate]) -> PlanEstimate:
    """The sweep's sum; QPU time only when every point has one."""
    seconds = [p.qpu_seconds for p in points]
    return PlanEstimate(
        circuits=sum(p.circuits for p in points),
        jobs=sum(p.jobs for p in points),
        executions=sum(p.executions for p in points),
        widest=max((p.widest for p in points), default=0),
        qpu_seconds=sum(s for s in seconds if s is not None)
        if seconds and None not in seconds
        else None,
    )
