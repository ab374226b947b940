"""The runner's results against plain Qiskit and against exact statevector physics."""

from __future__ import annotations

import math
import warnings
import zlib

import h5py
import numpy as np
import pytest
from qiskit.circuit.random import random_circuit
from qiskit.quantum_info import SparsePauliOp, Statevector
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_aer import AerSimulator
from qiskit_ibm_runtime import Batch

from qexp.results import load_run
from qexp.store import read_job

RANDOM = ("circuits=random", "circuits.num_qubits=[2,3]", "circuits.count=3", "circuits.depth=4")


def plain_seed(seed: int, *path: int | str) -> int:
    """The documented seed derivation, written out without qexp."""
    key = [p if isinstance(p, int) else zlib.crc32(p.encode()) for p in path]
    value = np.random.SeedSequence(entropy=seed, spawn_key=key).generate_state(1, np.uint32)[0]
    return int(value) % (2**31 - 2) + 1


def plain_qiskit_sampler(seed: int, widths, count, depth, shots, per_job):
    """What a careful user would write by hand: same circuits, transpiler, Batch and seeds."""
    circuits = []
    for n in widths:
        for k in range(count):
            s = plain_seed(seed, "circuits", "random", n, k)
            circuits.append(random_circuit(n, depth, measure=False, seed=s).measure_all(False))
    backend = AerSimulator()
    pm = generate_preset_pass_manager(
        1, backend=backend, seed_transpiler=plain_seed(seed, "transpile")
    )
    isa = pm.run(circuits)
    results = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from qiskit_ibm_runtime import SamplerV2

        with Batch(backend=backend) as batch:
            jobs = []
            for j, start in enumerate(range(0, len(isa), per_job)):
                sampler = SamplerV2(mode=batch)
                sampler.options.simulator.seed_simulator = plain_seed(seed, "simulator", j)
                jobs.append(sampler.run(isa[start : start + per_job], shots=shots))
            for job in jobs:
                results.extend(job.result())
    return results


def test_seeded_sampler_run_equals_plain_qiskit_bit_for_bit(run, tmp_path):
    run(*RANDOM, "primitive.shots=500", "partition.max_circuits=4", "seed=7")
    ours = load_run(tmp_path / "run")
    theirs = plain_qiskit_sampler(7, [2, 3], 3, 4, 500, per_job=4)
    assert len(ours) == len(theirs) == 6
    for mine, reference in zip(ours, theirs, strict=True):
        assert np.array_equal(mine.data.meas.array, reference.data.meas.array)
        assert mine.data.meas.num_bits == reference.data.meas.num_bits


def test_same_seed_same_bits_other_seed_other_bits(tmp_path):
    from conftest import run_config

    def bits(name, seed):
        run_config(tmp_path / name, *RANDOM, "primitive.shots=200", f"seed={seed}")
        return [r.data.meas.array for r in load_run(tmp_path / name)]

    first, again, other = bits("a", 3), bits("b", 3), bits("c", 4)
    assert all(np.array_equal(x, y) for x, y in zip(first, again, strict=True))
    assert not all(
        x.shape == y.shape and np.array_equal(x, y) for x, y in zip(first, other, strict=True)
    )


def exact_probabilities(circuit) -> dict[str, float]:
    return Statevector(circuit).probabilities_dict()


def tvd(counts: dict[str, int], probs: dict[str, float]) -> float:
    shots = sum(counts.values())
    keys = set(counts) | set(probs)
    return 0.5 * sum(abs(counts.get(k, 0) / shots - probs.get(k, 0.0)) for k in keys)


@pytest.mark.parametrize("implementation", ["v2", "executor"])
def test_every_distribution_matches_its_own_statevector(run, tmp_path, implementation):
    """Each result is close to its own circuit's exact distribution and far from the others'.

    With 4000 shots over at most 8 outcomes, sampling noise gives a total variation
    distance of about 0.02; 0.06 is more than 4 standard deviations.
    """
    run(
        "circuits=random",
        "circuits.num_qubits=[2,3]",
        "circuits.count=4",
        "circuits.depth=5",
        "primitive.shots=4000",
        "partition.max_circuits=3",
        f"primitive.implementation={implementation}",
    )
    results = load_run(tmp_path / "run")
    specs = [p.spec for f in sorted((tmp_path / "run/jobs").glob("*.h5")) for p in read_job(f).pubs]
    specs.sort(key=lambda s: (s.circuit.num_qubits, s.circuit.metadata["index_in_width"]))
    exact = [exact_probabilities(s.circuit) for s in specs]
    for i, result in enumerate(results):
        counts = result.data.meas.get_counts()
        assert tvd(counts, exact[i]) < 0.06, (i, counts, exact[i])
        # The pairing is right: no other circuit of the same width explains the counts better.
        same_width = [
            j for j in range(len(exact)) if len(next(iter(exact[j]))) == len(next(iter(counts)))
        ]
        assert min(same_width, key=lambda j: tvd(counts, exact[j])) == i


@pytest.mark.parametrize("implementation", ["v2", "executor"])
def test_ghz_correlators_match_exact_values(run, tmp_path, implementation):
    run(
        "primitive=estimator",
        "circuits.num_qubits=[2,3,4]",
        "primitive.precision=0.02",
        f"primitive.implementation={implementation}",
    )
    results = load_run(tmp_path / "run")
    for n, result in zip([2, 3, 4], results, strict=True):
        # n-1 neighbouring ZZ correlators and the all-X parity: all +1 on a GHZ state.
        assert result.data.evs.shape == (n,)
        np.testing.assert_allclose(result.data.evs, 1.0, atol=4 * 0.02)


def test_ghz_correlators_on_noisy_device_are_below_one_but_close(run, tmp_path):
    run(
        "primitive=estimator", "backend=fake", "circuits.num_qubits=[3]", "primitive.precision=0.02"
    )
    (result,) = load_run(tmp_path / "run")
    assert np.all(result.data.evs < 1.0) and np.all(result.data.evs > 0.5)
    assert np.all(result.data.stds > 0)


def test_ansatz_points_run_as_one_pub_with_exact_expectation_values(run, tmp_path):
    run(
        "circuits=ansatz",
        "circuits.num_qubits=3",
        "circuits.num_points=5",
        "circuits.reps=1",
        "primitive=estimator",
        "primitive.precision=0.01",
    )
    (result,) = load_run(tmp_path / "run")
    (job,) = [read_job(f) for f in (tmp_path / "run/jobs").glob("*.h5")]
    (pub,) = job.pubs
    assert result.data.evs.shape == (3, 5)  # 3 Z observables x 5 parameter points
    for p, values in enumerate(pub.spec.parameter_values):
        state = Statevector(pub.spec.circuit.assign_parameters(values))
        for o, label in enumerate(pub.observables):
            exact = state.expectation_value(SparsePauliOp(label)).real
            assert abs(result.data.evs[o, p] - exact) < 5 * 0.01 + 1e-9


def test_n_circuits_in_ceil_n_over_k_files_each_circuit_once(run, tmp_path):
    report = run(
        "circuits=random",
        "circuits.num_qubits=[2,3]",
        "circuits.count=7",
        "partition.max_circuits=4",
        "primitive.shots=10",
    )
    files = sorted((tmp_path / "run/jobs").glob("job-*.h5"))
    assert len(files) == math.ceil(14 / 4) == report.jobs["done"]
    indices = []
    for path in files:
        with h5py.File(path) as f:
            indices += [int(i) for i in f["pubs/circuit_index"][()]]
    assert sorted(indices) == list(range(14))
