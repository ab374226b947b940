"""How long `qexp.results.load_table` takes on a sweep of many runs.

Builds a sweep (random circuits, several seeds, many job files) with `python -m qexp -m ...`
into a temporary folder, or takes an existing run or sweep folder, then times load_table
against reading every job completely with `load_run` (which decodes every QPY circuit) as
a reference. The defaults are the performance target: 10,000 rows from 100 job files in
under 0.5 s, every row with its metrics against the ideal distribution. Exits 1 when the
target scale misses the target time or a metric column is missing.

    python benchmarks/load_table.py [--points 10] [--circuits 1000] [--per-job 100]
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

from qexp.analysis.results import job_paths, load_run, load_table
from qexp.store.run_folder import run_dirs

TARGET_ROWS, TARGET_FILES, TARGET_SECONDS = 10_000, 100, 0.5
METRICS = ("hellinger_fidelity", "heavy_output_probability")
"""Columns every row of the built sweep has (random 5-qubit circuits: dense ideals).
`normalized_fidelity` is NaN for the rare circuit whose ideal distribution is uniform."""


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
    parser.add_argument("--points", type=int, default=10, help="sweep points (seeds)")
    parser.add_argument("--circuits", type=int, default=1000, help="circuits per point")
    parser.add_argument("--per-job", type=int, default=100, help="circuits per job file")
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
    return check(table, files, best, built=args.dir is None)


def check(table, files: int, best: float, built: bool) -> int:
    """The target time at the target scale, and (for a sweep built here) the metrics."""
    failures = []
    if built:
        missing = [c for c in METRICS if c not in table or table[c].isna().any()]
        if missing:
            failures.append(f"rows without {', '.join(missing)}")
        undefined = int(table["normalized_fidelity"].isna().sum())
        print(f"normalized fidelity: NaN on {undefined} rows (uniform ideal distributions)")
    if len(table) >= TARGET_ROWS and files >= TARGET_FILES:
        verdict = "met" if best < TARGET_SECONDS else "MISSED"
        print(
            f"target: {TARGET_ROWS:,} rows from {TARGET_FILES} files in < {TARGET_SECONDS} s: "
            f"{verdict} ({best:.3f} s for {len(table):,} rows from {files} files)"
        )
        if best >= TARGET_SECONDS:
            failures.append("load_table too slow")
    else:
        print(f"(below the target scale of {TARGET_ROWS:,} rows from {TARGET_FILES} files)")
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
