"""Kill a multi-job run with SIGKILL at random moments, resume it, and check the result.

For each trial: start `python -m qexp` (12 jobs on a noisy fake device), kill -9 it at a
random moment after Hydra saved the run's config (before that there is no run folder to
resume, and `qexp.resume` says so), note which job files were complete, run
`python -m qexp.resume`, then check that resume finished every job, left every previously
complete file untouched, and that the bits equal an uninterrupted run with the same seed.

    python benchmarks/kill_resume.py --trials 12
"""

from __future__ import annotations

import argparse
import hashlib
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from qexp.analysis.results import load_run

RUN = [
    "backend=fake",
    "circuits=random",
    "circuits.num_qubits=[3]",
    "circuits.count=12",
    "partition.max_circuits=1",
    "primitive.shots=2000",
    "run.progress=off",
]


def qexp(*args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "qexp", *RUN, *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def snapshot(run_dir: Path) -> dict[Path, tuple[int, str]]:
    return (
        {
            p: (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in (run_dir / "jobs").glob("job-*.h5")
        }
        if (run_dir / "jobs").is_dir()
        else {}
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="qexp-kill-"))
    start = time.monotonic()
    qexp(f"hydra.run.dir={work}/clean", cwd=work).wait()
    duration = time.monotonic() - start
    reference = [r.data.meas.array for r in load_run(work / "clean")]
    print(f"uninterrupted run: {duration:.1f} s, {len(reference)} circuits in 12 jobs")
    ok = 0
    for trial in range(args.trials):
        run_dir = work / f"trial{trial}"
        proc = qexp(f"hydra.run.dir={run_dir}", cwd=work)
        started = time.monotonic()
        while not (run_dir / ".hydra/config.yaml").exists():  # before it: nothing to resume
            time.sleep(0.005)
        time.sleep(rng.uniform(0, duration - (time.monotonic() - started)))
        delay = time.monotonic() - started
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        before = snapshot(run_dir)
        resumed = subprocess.run(
            [sys.executable, "-m", "qexp.resume", str(run_dir)], capture_output=True, text=True
        )
        after = snapshot(run_dir)
        untouched = all(after.get(p) == v for p, v in before.items())
        complete = resumed.returncode == 0 and len(after) == 12
        same = complete and all(
            np.array_equal(a.data.meas.array, b)
            for a, b in zip(load_run(run_dir), reference, strict=True)
        )
        verdict = complete and untouched and same
        ok += verdict
        print(
            f"trial {trial:2d}: killed at {delay:5.2f} s with {len(before):2d}/12 files; "
            f"resume {'complete' if complete else 'INCOMPLETE'}, finished files "
            f"{'untouched' if untouched else 'RE-RUN'}, bits {'equal' if same else 'DIFFER'}"
        )
    print(f"{ok}/{args.trials} kills resumed to the uninterrupted bits")
    return 0 if ok == args.trials else 1


if __name__ == "__main__":
    sys.exit(main())
