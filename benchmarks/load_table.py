"""How long `qexp.results.load_table` takes on a sweep of many runs.

Builds a sweep (random circuits, several seeds and widths, many small job files) with
`python -m qexp -m ...` into a temporary folder, or takes an existing run or sweep folder,
then times load_table against reading every job completely with `load_run` (which decodes
every QPY circuit) as a reference.

    python benchmarks/load_table.py [--points 8] [--circuits 100] [--per-job 10] [--shots 1000]
    python benchmarks/load_table.py --dir multirun/2026-11-23/19-35-41
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from qexp.results import job_paths, load_run, load_table
from qexp.runs import run_dirs


def build_sweep(folder: Path, points: int, circuits: int, per_job: int, shots: int) -> Path:
    sweep = folder / "sweep"
    seeds = ",".join(str(seed) for seed in range(1, points + 1))
    command = [
        sys.executable,
        "-m",
        "qexp",
        "-m",
        f"seed={seeds}",
        "circuits=random",
        f"circuits.count={circuits}",
        "circuits.num_qubits=5",
        "circuits.depth=6",
        f"partition.max_circuits={per_job}",
        f"primitive.shots={shots}",
        "run.progress=off",
        f"hydra.sweep.dir={sweep}",
    ]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    print(f"built {points} points x {circuits} circuits in {time.perf_counter() - started:.1f} s")
    return sweep


def timed(function, repeat: int) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="an existing run or sweep folder")
    parser.add_argument("--points", type=int, default=8, help="sweep points (seeds)")
    parser.add_argument("--circuits", type=int, default=100, help="circuits per point")
    parser.add_argument("--per-job", type=int, default=10, help="circuits per job file")
    parser.add_argument("--shots", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or build_sweep(
            Path(tmp), args.points, args.circuits, args.per_job, args.shots
        )
        runs = run_dirs(folder)
        files = sum(len(job_paths(run)) for run in runs)
        best, median, table = timed(lambda: load_table(folder), args.repeat)
        print(
            f"load_table: {len(runs)} runs, {files} job files, {len(table)} rows: "
            f"best {best * 1000:.0f} ms, median {median * 1000:.0f} ms "
            f"({best / max(files, 1) * 1e3:.2f} ms per job file)"
        )
        best_full, _, _ = timed(lambda: [load_run(run, partial=True) for run in runs], 1)
        print(f"reference, load_run on every run (decodes QPY): {best_full * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
