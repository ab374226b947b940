"""sweep.json: written under a lock as points start and finish, read live by qexp.status,
and the table every sweep ends with."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qexp.status import main as status_main
from qexp.sweep import index
from qexp.sweep.summary import exit_code, point_views, render


def _hammer(sweep_dir: str, number: int, rounds: int) -> None:
    for done in range(1, rounds + 1):
        index.update(Path(sweep_dir), number, [f"x={number}"], jobs_done=done, status="running")


def test_parallel_writers_lose_no_update(tmp_path):
    """Four processes update their own point 25 times each, all at once: every last value
    survives, which a read-modify-write without the lock would not guarantee."""
    index.add_points(tmp_path, [[f"x={n}"] for n in range(4)])
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_hammer, args=(str(tmp_path), n, 25)) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    records = index.read(tmp_path)
    assert [r.jobs_done for r in records] == [25, 25, 25, 25]
    assert [r.overrides for r in records] == [[f"x={n}"] for n in range(4)]
    assert not list(tmp_path.glob(".sweep.json.*.tmp"))


def test_table_rows_total_and_exit_code(tmp_path):
    index.add_points(tmp_path, [["a=1", "b=0"], ["a=2", "b=0"], ["a=3", "b=0"]])
    index.update(tmp_path, 1, ["a=2", "b=0"], status="failed", exit_code=2, error="bad a\nmore")
    index.update(tmp_path, 0, ["a=1", "b=0"], status="running", slurm={"SLURM_JOB_ID": "7"})
    views = point_views(tmp_path, index.read(tmp_path))
    text = render(views)
    lines = text.splitlines()
    assert lines[0].split() == [
        "point",
        "overrides",
        "folder",
        "jobs",
        "done",
        "failed",
        "slurm",
        "job",
        "state",
    ]
    assert lines[1].split()[:2] == ["0", "a=1"] and "running" in lines[1] and " 7 " in lines[1]
    assert lines[2].endswith("failed: bad a")  # the point's own message, first line
    assert "pending" in lines[3] and "b=0" not in text.split("total")[0]  # only what varies
    assert (
        lines[-1]
        == "total: 3 points (1 failed, 1 pending, 1 running); jobs: 0 done, 0 failed, 0 planned"
    )
    assert exit_code(views) == 2


@pytest.mark.slow
def test_sweep_json_during_and_after_a_sweep(tmp_path):
    """Point 1 is slow: while it runs, sweep.json says point 0 is done and point 1 running,
    and qexp.status exits 1; after the sweep every point is done and status exits 0."""
    sweep = tmp_path / "sweep"
    process = subprocess.Popen(
        [
            sys.executable, "-m", "qexp", "-m",
            "circuits=random", "circuits.num_qubits=[3]", "circuits.count=1,200",
            "backend=fake", "partition.max_circuits=10", f"hydra.sweep.dir={sweep}",
        ],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    seen_running = None
    deadline = time.monotonic() + 300
    while process.poll() is None and time.monotonic() < deadline:
        records = index.read(sweep) or []
        if len(records) == 2 and records[0].status == "done" and records[1].status == "running":
            seen_running = records
            assert status_main([str(sweep)]) == 1
            break
        time.sleep(0.05)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert seen_running is not None, "never saw point 1 running"
    assert seen_running[1].started and seen_running[1].finished is None
    document = json.loads((sweep / "sweep.json").read_text())
    points = document["points"]
    assert [p["number"] for p in points] == [0, 1]
    assert [p["status"] for p in points] == ["done", "done"]
    assert [(p["jobs_done"], p["jobs_total"]) for p in points] == [(1, 1), (20, 20)]
    assert points[1]["overrides"][2] == "circuits.count=200" and points[1]["folder"] == "1"
    assert status_main([str(sweep)]) == 0
    assert "total: 2 points (2 done); jobs: 21 done, 0 failed, 21 planned" in out
