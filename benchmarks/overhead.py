"""qexp's own overhead against a plain Qiskit script doing the same work.

Both generate the same random circuits, transpile them with the same preset pass manager,
submit the same jobs into one local Batch and wait for every result; qexp also writes one
HDF5 file per job and keeps the manifest. The difference is qexp's overhead.

    python benchmarks/overhead.py [--circuits 200] [--per-job 50] [--backend FakeManilaV2]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf
from qiskit.circuit.random import random_circuit
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_ibm_runtime import Batch, fake_provider

from qexp.config import load, register
from qexp.run import runner
from qexp.seeds import derive_seed

CONF = Path(__file__).resolve().parents[1] / "conf"


def plain(n: int, per_job: int, backend_name: str, shots: int) -> float:
    start = time.perf_counter()
    circuits = [
        random_circuit(
            5, 10, measure=False, seed=derive_seed(1, "circuits", "random", 5, k)
        ).measure_all(inplace=False)
        for k in range(n)
    ]
    backend = getattr(fake_provider, backend_name)()
    pm = generate_preset_pass_manager(
        1, backend=backend, seed_transpiler=derive_seed(1, "transpile")
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from qiskit_ibm_runtime import SamplerV2

        with Batch(backend=backend) as batch:
            jobs = []
            for j, lo in enumerate(range(0, n, per_job)):
                sampler = SamplerV2(mode=batch)
                sampler.options.simulator.seed_simulator = derive_seed(1, "simulator", j)
                jobs.append(sampler.run(pm.run(circuits[lo : lo + per_job]), shots=shots))
            for job in jobs:
                job.result()
    return time.perf_counter() - start


def qexp(n: int, per_job: int, backend_name: str, shots: int, profile: bool = False) -> float:
    overrides = [
        "circuits=random",
        "circuits.num_qubits=5",
        f"circuits.count={n}",
        "circuits.depth=10",
        "backend=fake",
        f"backend.name={backend_name}",
        f"primitive.shots={shots}",
        f"partition.max_circuits={per_job}",
        "run.progress=off",
    ]
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(config_name="config", overrides=overrides)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        runner.run(load(cfg), Path(tmp) / "run", OmegaConf.to_yaml(cfg, resolve=True))
        if profiler:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats("qexp", 15)
        return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--circuits", type=int, default=200)
    parser.add_argument("--per-job", type=int, default=50)
    parser.add_argument("--backend", default="FakeManilaV2")
    parser.add_argument("--shots", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    register()
    work = (args.circuits, args.per_job, args.backend, args.shots)
    plain(*work)  # warm caches and imports
    plain_times = [plain(*work) for _ in range(args.repeats)]
    qexp_times = [qexp(*work) for _ in range(args.repeats)]
    p, q = statistics.median(plain_times), statistics.median(qexp_times)
    print(f"{args.circuits} circuits, {args.per_job} per job, {args.backend}, {args.shots} shots")
    print(f"plain Qiskit script: {p:.2f} s (median of {args.repeats})")
    print(f"qexp (files, manifest): {q:.2f} s (median of {args.repeats})")
    print(f"qexp overhead: {q - p:+.2f} s ({(q - p) / p:+.1%})")
    if args.profile:
        qexp(*work, profile=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
