"""The least time any tool could take for workload (a) on this machine, beside the script.

Whatever runs 1,000 QASM files through a runtime Batch must pay, in CPU seconds: starting
Python with Qiskit (before anything can be shared out), importing qiskit-ibm-runtime, reading
the files, transpiling them, and the runtime's local mode running each job (its copy of the
inputs, Aer's simulation, memory turned into `BitArray`s). Each is measured here alone, with
qexp's cheapest way of doing it (its reader, its pass manager, one Aer thread; on aer, its
simulator that hands Aer a plain circuit in one pass). On two cores
the bound is the start plus half of the rest; the script's own time is measured in turn
with it, so the best ratio any tool could reach is bound / script.

    python benchmarks/e2e_floor.py QASM_DIR [--backend aer] [--rounds 3]

`--rounds 0` skips the script and prints the bound's parts as JSON (`run_all.py` does so,
beside its own interleaved rounds of the script).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

BENCH = Path(__file__).resolve().parent
START = "import qiskit, qiskit.transpiler, qiskit_aer, hydra, h5py, numpy, scipy.linalg"


def wall(code: str) -> float:
    """Seconds a fresh interpreter takes to run `code` (its start included)."""
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - began


def cpu(work) -> tuple[float, object]:
    began = time.process_time()
    found = work()
    return time.process_time() - began, found


def shared_work(qasm_dir: Path, backend_name: str, shots: int, per_job: int) -> dict[str, float]:
    """CPU seconds of each piece of work that any tool must do, measured in this process."""
    from qiskit_ibm_runtime import Batch, SamplerV2, fake_provider

    from qexp import circuits
    from qexp.backends.one_pass import OnePassSimulator
    from qexp.config.circuits import QasmConfig
    from qexp.plan import transpile

    count = len(list(qasm_dir.glob("*.qasm")))
    config = QasmConfig(path=str(qasm_dir))
    read, specs = cpu(lambda: circuits.generate(config, 1, range(count)))
    aer = backend_name == "aer"
    backend = OnePassSimulator() if aer else getattr(fake_provider, backend_name)()
    backend.set_options(max_parallel_threads=1)
    pm = transpile.pass_manager(1, backend.target, 1)
    transpiled, isa = cpu(lambda: transpile.to_isa(pm, [s.circuit for s in specs]))

    def run_jobs() -> None:
        with warnings.catch_warnings(), Batch(backend=backend) as batch:
            warnings.simplefilter("ignore", DeprecationWarning)
            sampler = SamplerV2(mode=batch)
            sampler.options.simulator.seed_simulator = 1
            for i in range(0, len(isa), per_job):  # one at a time: this process's CPU only
                sampler.run(isa[i : i + per_job], shots=shots).result()

    ran, _ = cpu(run_jobs)
    return {"read the files": read, "transpile": transpiled, "run the jobs": ran}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("qasm_dir", type=Path)
    parser.add_argument("--backend", default="aer")
    parser.add_argument("--shots", type=int, default=1000)
    parser.add_argument("--per-job", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    script, starts, imports = [], [], []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as out:
            began = time.perf_counter()
            subprocess.run(
                [
                    *(sys.executable, str(BENCH / "plain_script.py"), str(args.qasm_dir), out),
                    *("--backend", args.backend, "--shots", str(args.shots)),
                    *("--per-job", str(args.per_job)),
                ],
                check=True,
                capture_output=True,
            )
            script.append(time.perf_counter() - began)
        starts.append(wall(START))
        imports.append(wall(START + ", qiskit_ibm_runtime") - starts[-1])
    if not args.rounds:
        starts.append(wall(START))
        imports.append(wall(START + ", qiskit_ibm_runtime") - starts[-1])
    work = shared_work(args.qasm_dir, args.backend, args.shots, args.per_job)
    start, runtime = statistics.median(starts), max(statistics.median(imports), 0.0)
    parallel = runtime + sum(work.values())
    bound = start + parallel / 2
    if not args.rounds:
        print("FLOOR " + json.dumps({"start": start, "runtime": runtime, **work, "bound": bound}))
        return 0
    plain = statistics.median(script)
    print(f"start (Python, Qiskit, Hydra, h5py; one core)  {start:6.2f} s")
    print(f"import qiskit-ibm-runtime                      {runtime:6.2f} s")
    for name, seconds in work.items():
        print(f"{name:<47}{seconds:6.2f} s CPU")
    print(f"two-core bound: start + {parallel:.2f} / 2     {bound:6.2f} s")
    print(f"plain script (median of {args.rounds}, in turn)         {plain:6.2f} s")
    print(f"best ratio any tool could reach: {bound / plain:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
