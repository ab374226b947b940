"""Per-job cost on a large fake device: the raw fake device against `LocalDevice`.

The issue's command shape: GHZ circuits of 4, 8 and 12 qubits on FakeTorino (133 qubits),
transpiled once, 1,024 shots, one SamplerV2 job of all three circuits in a runtime local
`Batch`, then three such jobs in one Batch. For each backend it prints the wall time of
1 job and of 3 jobs, and the cost of each extra job, (T3 - T1) / 2.

Local jobs run in threads, but Aer runs one simulation at a time, so an extra job costs
at least its own simulation. For `LocalDevice` the benchmark also adds up the time Aer
reports for its simulations inside each Batch (S1, S3), so the cost of an extra job
beyond its simulation, ((T3 - S3) - (T1 - S1)) / 2, is measured within the same runs and
does not depend on how busy the machine is (target: at most 0.1 s).

    python benchmarks/fake_device.py [--device FakeTorino] [--shots 1024] [--skip-raw]

The raw fake device costs 20 to 25 s per job on FakeTorino: about 100 s in all.
"""

from __future__ import annotations

import time

START = time.perf_counter()

import argparse  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402
from typing import Any  # noqa: E402

from qiskit import QuantumCircuit  # noqa: E402
from qiskit.transpiler import generate_preset_pass_manager  # noqa: E402
from qiskit_ibm_runtime import Batch, SamplerV2, fake_provider  # noqa: E402

from qexp.backends.local_device import LocalDevice  # noqa: E402

IMPORTS = time.perf_counter() - START


def ghz(n: int) -> QuantumCircuit:
    qc = QuantumCircuit(n, name=f"ghz_{n}")
    qc.h(0)
    for q in range(n - 1):
        qc.cx(q, q + 1)
    qc.measure_all()
    return qc


def batch_time(backend, isa: list[QuantumCircuit], jobs: int, shots: int) -> float:
    """Wall time of one Batch holding `jobs` sampler jobs of all circuits, submitted up front."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with Batch(backend=backend) as batch:
            submitted = []
            for j in range(jobs):
                sampler = SamplerV2(mode=batch)
                sampler.options.simulator.seed_simulator = 1 + j
                submitted.append(sampler.run(isa, shots=shots))
            for job in submitted:
                job.result()
    return time.perf_counter() - start


class TimedLocalDevice(LocalDevice):
    """Adds up the time Aer reports for each job's simulations (shared by the per-job copies)."""

    simulated: list[float]

    def _execute(self, *args: Any) -> Any:
        result = super()._execute(*args)
        self.simulated.append(result.time_taken)
        return result


def timed_batch(device: TimedLocalDevice, isa, jobs: int, shots: int) -> tuple[float, float]:
    """(wall time, simulation time) of one Batch of `jobs` jobs on `device`."""
    device.simulated = []
    wall = batch_time(device, isa, jobs, shots)
    return wall, sum(device.simulated)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="FakeTorino")
    parser.add_argument("--widths", type=int, nargs="+", default=[4, 8, 12])
    parser.add_argument("--shots", type=int, default=1024)
    parser.add_argument("--skip-raw", action="store_true", help="time only LocalDevice")
    args = parser.parse_args()

    start = time.perf_counter()
    fast = TimedLocalDevice(getattr(fake_provider, args.device)())
    pm = generate_preset_pass_manager(1, backend=fast, seed_transpiler=1)
    isa = pm.run([ghz(n) for n in args.widths])
    prepared = time.perf_counter() - start
    first, _ = timed_batch(fast, isa, 1, args.shots)
    print(f"{args.device}, GHZ {args.widths}, {args.shots} shots, one job = all circuits")
    print(f"imports {IMPORTS:.2f} s; device, target and transpiling {prepared:.2f} s")
    print(
        f"LocalDevice, cold: imports to the first job's result {IMPORTS + prepared + first:.2f} s"
    )

    (t1, s1), (t3, s3) = (
        timed_batch(fast, isa, 1, args.shots),
        timed_batch(fast, isa, 3, args.shots),
    )
    header = ("backend", "1 job", "3 jobs", "per extra job", "beyond simulation")
    print(f"{header[0]:<16} {header[1]:>8} {header[2]:>8} {header[3]:>14} {header[4]:>18}")
    beyond = ((t3 - s3) - (t1 - s1)) / 2
    print(f"{'LocalDevice':<16} {t1:>7.2f}s {t3:>7.2f}s {(t3 - t1) / 2:>13.2f}s {beyond:>17.3f}s")
    if not args.skip_raw:
        raw = getattr(fake_provider, args.device)()
        r1, r3 = batch_time(raw, isa, 1, args.shots), batch_time(raw, isa, 3, args.shots)
        print(f"{'raw fake device':<16} {r1:>7.2f}s {r3:>7.2f}s {(r3 - r1) / 2:>13.2f}s")
    print(f"LocalDevice simulation (Aer's own time): 1 job {s1:.2f} s, 3 jobs {s3:.2f} s")
    print(f"noise models built by LocalDevice: {[len(q) for q in fast.noise.built]} qubits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
