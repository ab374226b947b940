"""Finish one run folder in place (`python -m qexp.resume` does it for a folder or a sweep).

Jobs with complete files are never re-run. Jobs submitted to IBM before the interruption
are re-attached by job id and collected. Only missing, failed or cancelled jobs are
submitted, in a new Batch. With the same seed the bits equal an uninterrupted run's.
Bills the run did not read before it stopped are read first, so that the budget counts
what was spent before the interruption.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qexp.config.schema import QexpConfig
from qexp.constants import CALIBRATION_DIR, JOBS_DIR, MANIFEST_FILE, MITIGATED_DIR
from qexp.errors import QexpError
from qexp.plan.make import RunPlan, make_plan, survey_digests
from qexp.plan.partition import JobPlan
from qexp.run import bill, job_tags, runner
from qexp.run.lock import RunLock
from qexp.store import is_complete, run_folder
from qexp.store.manifest import Manifest, now, recorded_digests

log = logging.getLogger("qexp.resume")


def resume(run_dir: Path, saved: Callable[[], tuple[QexpConfig, str]]) -> runner.RunReport:
    """Bring one run folder to completion; raise RunError if jobs still fail.

    `saved()` reads the folder's config back (the command's door to it): the checked
    config and its text, which every job file keeps. Holds the folder's lock: a second
    resume of a folder in use refuses at once. A run refused before planning is tried
    again (its cause may be gone: a missing file now written), and, if still refused, fails
    with its own message, nothing submitted.
    """
    with RunLock(run_dir):
        if run_folder.refusal(run_dir) is not None:
            log.info("%s: its run was refused before planning; trying again", run_dir)
        try:
            report = _resume(run_dir, *saved())
        except QexpError as exc:
            if run_folder.refusal(run_dir) is not None and not (run_dir / MANIFEST_FILE).exists():
                run_folder.record_refusal(run_dir, exc)  # still refused: the latest reason
            raise
        run_folder.clear_refusal(run_dir)
        return report


def _resume(run_dir: Path, cfg: QexpConfig, config_yaml: str) -> runner.RunReport:
    _remove_stale_temp_files(run_dir)
    manifest: Manifest | None = None
    if (run_dir / MANIFEST_FILE).is_file():
        manifest = Manifest.load(run_dir)
        manifest.info.setdefault("run_id", uuid.uuid4().hex[:12])
        plan = make_plan(
            cfg, [JobPlan(j.index, tuple(j.circuits), j.primitive) for j in manifest.jobs]
        )
    else:  # stopped (or refused) before the first job was planned
        plan = make_plan(cfg)
    with runner.closing(plan):
        if manifest is not None:
            _check_same_circuits(run_dir, manifest, plan)
            if plan.service is not None:
                bill.settle(manifest, plan.service)  # what was spent before it stopped
            todo, attach = triage(plan, manifest, run_dir)
        else:
            todo, attach = list(plan.jobs), []
        manifest = runner.admit(plan, run_dir, todo, manifest, _point(run_dir))
        log.info(
            "%s: %d jobs complete, %d to re-attach, %d to submit",
            run_dir,
            len(plan.jobs) - len(todo) - len(attach),
            len(attach),
            len(todo),
        )
        manifest.info.pop("stopped", None)
        manifest.info.setdefault("resumed", []).append(now())
        manifest.save()
        return runner.execute(plan, manifest, run_dir, config_yaml, todo, attach)


def _point(run_dir: Path) -> int | None:
    """The sweep point a run folder is, by its name (Hydra numbers them), if in a sweep."""
    in_sweep = run_folder.sweep_of(run_dir) is not None
    return int(run_dir.name) if in_sweep and run_dir.name.isdigit() else None


def triage(
    plan: RunPlan, manifest: Manifest, run_dir: Path
) -> tuple[list[JobPlan], list[tuple[JobPlan, str]]]:
    """Split the jobs: complete (left alone), re-attachable cloud jobs, and jobs to submit.

    On IBM Quantum a job that was submitted but whose id never reached the manifest (the
    process died in between) is found by its tags and re-attached, never paid for twice.
    """
    todo: list[JobPlan] = []
    attach: list[tuple[JobPlan, str]] = []
    unrecorded = _unrecorded_jobs(plan, manifest)
    for job, entry in zip(plan.jobs, manifest.jobs, strict=True):
        path = run_dir / entry.file
        if is_complete(path):
            if entry.status != "done":
                manifest.set_status(entry.index, "done")
            continue
        if path.exists():
            aside = path.with_name(path.name + ".corrupt")
            log.warning("job %d: %s is incomplete or corrupt; moved to %s", job.index, path, aside)
            path.replace(aside)
        last = entry.last
        if entry.status == "submitted" and last and last.job_id and not plan.local:
            attach.append((job, last.job_id))
        elif found := unrecorded.get(job.index):
            newest = found[-1]
            manifest.submitted(job.index, newest.job_id(), newest.session_id)
            log.info("job %d: found %s on the service by its tags", job.index, newest.job_id())
            attach.append((job, newest.job_id()))
        else:
            if entry.status != "pending":
                manifest.set_status(entry.index, "pending")
            todo.append(job)
    return todo, attach


def _unrecorded_jobs(plan: RunPlan, manifest: Manifest) -> dict[int, list[Any]]:
    """The run's jobs on IBM Quantum that no attempt in the manifest holds, by job index."""
    if plan.local or "run_id" not in manifest.info:
        return {}
    run_id = manifest.info["run_id"]
    known = {a.job_id for entry in manifest.jobs for a in entry.attempts if a.job_id}
    jobs = job_tags.run_jobs(plan.service, run_id)
    return {
        index: [j for j in found if j.job_id() not in known]
        for index, found in job_tags.by_index(jobs, run_id).items()
        if any(j.job_id() not in known for j in found)
    }


def _check_same_circuits(run_dir: Path, manifest: Manifest, plan: RunPlan) -> None:
    """The saved partition only fits if the config still gives the circuits that ran: same
    number, and the same digest for every circuit recorded before its job was submitted."""
    then = manifest.info.get("num_circuits")
    if then is not None and then != plan.num_circuits:
        raise QexpError(
            f"{run_dir} cannot be resumed: its config now gives {plan.num_circuits} circuits, "
            f"but the run started with {then} (did its QASM files change?). Start a new run."
        )
    then_identity = manifest.info.get("identity")
    now_identity = json.loads(json.dumps(plan.identity))
    if then_identity is not None and then_identity != now_identity:
        changed = "; ".join(_differences(then_identity, now_identity))
        raise QexpError(
            f"{run_dir} cannot be resumed: its saved config is not what the run was planned "
            f"with ({changed}). Restore {run_dir}/.hydra/config.yaml, or start a new run."
        )
    recorded = recorded_digests(run_dir)
    if not recorded:
        return
    for index, (info, now_digest) in enumerate(
        zip(plan.catalog, survey_digests(plan), strict=True)
    ):
        if index in recorded and recorded[index] != now_digest:
            source = f" ({info.source})" if info.source else ""
            raise QexpError(
                f"{run_dir} cannot be resumed: circuit {index}{source} is not the circuit "
                "that was submitted (its digest changed; was the file edited?). Restore it, "
                "or start a new run."
            )


def _differences(then: Any, now: Any, key: str = "") -> list[str]:
    """`key: then -> now` for every leaf that differs between two nested dicts."""
    if isinstance(then, dict) and isinstance(now, dict):
        found = []
        for name in dict.fromkeys([*then, *now]):
            child = f"{key}.{name}" if key else str(name)
            found += _differences(then.get(name), now.get(name), child)
        return found
    return [] if then == now else [f"{key}: {then!r} then, {now!r} now"]


def _remove_stale_temp_files(run_dir: Path) -> None:
    """Temporary files of writes a crash interrupted: never complete, never read."""
    for where in (run_dir, run_dir / JOBS_DIR, run_dir / CALIBRATION_DIR, run_dir / MITIGATED_DIR):
        for tmp in where.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)
