"""The plain script a user would write instead of qexp: the baseline of every comparison.

Read OpenQASM files, transpile them all with one preset pass manager, submit one SamplerV2
job per `--per-job` circuits into one runtime `Batch`, wait for every job, and write each
job's packed bits to one gzip'd HDF5 file. No error handling, no resume, no metadata: the
fastest honest script, written the way the runtime's own examples are.

    python benchmarks/plain_script.py QASM_DIR OUT_DIR [--backend aer|FakeManilaV2] \
        [--shots 1000] [--per-job 100]
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import h5py
from qiskit import qasm2
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_ibm_runtime import Batch, fake_provider


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("qasm_dir", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--backend", default="aer")
    parser.add_argument("--shots", type=int, default=1000)
    parser.add_argument("--per-job", type=int, default=100)
    args = parser.parse_args()

    circuits = [
        qasm2.loads(path.read_text(), custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
        for path in sorted(args.qasm_dir.glob("*.qasm"))
    ]
    if args.backend == "aer":
        from qiskit_aer import AerSimulator

        backend = AerSimulator()
    else:
        backend = getattr(fake_provider, args.backend)()
    isa = generate_preset_pass_manager(1, backend=backend, seed_transpiler=1).run(circuits)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from qiskit_ibm_runtime import SamplerV2

        with Batch(backend=backend) as batch:
            sampler = SamplerV2(mode=batch)
            jobs = [
                sampler.run(isa[i : i + args.per_job], shots=args.shots)
                for i in range(0, len(isa), args.per_job)
            ]
            results = [job.result() for job in jobs]
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for index, result in enumerate(results):
        with h5py.File(args.out_dir / f"job-{index:05d}.h5", "w") as f:
            for position, pub in enumerate(result):
                bits = pub.data.meas
                f.create_dataset(f"pub_{position:05d}", data=bits.array, compression="gzip")


if __name__ == "__main__":
    main()
