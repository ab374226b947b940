"""`LocalDevice` against the full-device simulation it replaces.

The reference is `AerSimulator.from_backend(fake, noise_model=<the fake device's own model>)`:
every qubit of the device, the noise the fake device itself runs with. (Without
`noise_model=`, `from_backend` builds its noise from the Target, whose readout error is
one symmetric number per qubit; the fake device uses the asymmetric P(1|0), P(0|1) of its
properties. `test_the_comparison_can_fail` shows the statistics tell the two apart.)
Distributions are compared with a two-sample chi-square test at fixed seeds.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Parameter
from qiskit.circuit.random import random_circuit
from qiskit.primitives import BackendEstimatorV2
from qiskit.quantum_info import SparsePauliOp, SuperOp
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_aer import AerSimulator
from qiskit_ibm_runtime import Batch, fake_provider
from scipy.stats import chi2

from qexp.backends.local_device import (
    LocalDevice,
    active_qubits,
    as_channel,
    density_matrix_fits,
    local_device,
    needs_whole_device,
    operations,
    restrict,
    simulation_method,
)

P_MIN = 1e-3
"""Smallest p-value accepted for 'same distribution' (fixed seeds: a test is deterministic)."""


def homogeneity_p(a: Counter, b: Counter, min_expected: float = 5.0) -> float:
    """p-value of the chi-square test that two samples come from one distribution.

    Outcomes too rare for the chi-square approximation are pooled into one cell.
    """
    n, m = sum(a.values()), sum(b.values())
    cells: list[tuple[int, int]] = []
    rare = [0, 0]
    for key in set(a) | set(b):
        x, y = a.get(key, 0), b.get(key, 0)
        if (x + y) * min(n, m) / (n + m) < min_expected:
            rare[0] += x
            rare[1] += y
        else:
            cells.append((x, y))
    if sum(rare):
        cells.append((rare[0], rare[1]))
    if len(cells) < 2:
        return 1.0
    stat = sum((math.sqrt(m / n) * x - math.sqrt(n / m) * y) ** 2 / (x + y) for x, y in cells)
    return float(chi2.sf(stat, len(cells) - 1))


def ghz(n: int, measure: bool = True) -> QuantumCircuit:
    qc = QuantumCircuit(n)
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    if measure:
        qc.measure_all()
    return qc


def fake_noise(fake) -> object:
    """The noise model the fake device itself runs with (built for every qubit)."""
    return fake._get_noise_model_from_backend_v2()


def full_device(fake) -> AerSimulator:
    return AerSimulator.from_backend(fake, noise_model=fake_noise(fake))


def counts_of(backend, circuits: Sequence[QuantumCircuit], shots: int, seed: int) -> list[Counter]:
    result = backend.run(list(circuits), shots=shots, seed_simulator=seed).result()
    return [Counter(result.get_counts(i)) for i in range(len(circuits))]


def success(counts: Counter, n: int) -> float:
    return (counts.get("0" * n, 0) + counts.get("1" * n, 0)) / sum(counts.values())


@pytest.fixture(scope="module")
def torino():
    """FakeTorino, its full-device reference simulator, and GHZ 4, 8, 12 as ISA circuits."""
    fake = fake_provider.FakeTorino()
    pm = generate_preset_pass_manager(1, backend=fake, seed_transpiler=1)
    isa = pm.run([ghz(n) for n in (4, 8, 12)])
    return fake, full_device(fake), isa


@pytest.fixture(scope="module")
def manila():
    fake = fake_provider.FakeManilaV2()
    return fake, full_device(fake)


# The noise model itself


def _entries(model, qubits: Sequence[int] | None = None) -> dict:
    """The model's errors keyed by (type, operations, qubits), re-indexed onto `qubits`."""
    index = None if qubits is None else {q: i for i, q in enumerate(qubits)}
    out = {}
    for entry in model.to_dict()["errors"]:
        on = tuple(entry["gate_qubits"][0])
        if index is not None:
            if not set(on) <= set(index):
                continue
            on = tuple(index[q] for q in on)
        out[entry["type"], tuple(entry["operations"]), on] = entry
    return out


def _same(a, b) -> bool:
    if isinstance(a, dict):
        skip = {"id", "gate_qubits"}  # a random id per error; the qubits are in the key
        keys = a.keys() - skip
        return keys == b.keys() - skip and all(_same(a[k], b[k]) for k in keys)
    if isinstance(a, list | tuple) and not (a and isinstance(a[0], int | float | complex)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, str):
        return a == b
    return np.allclose(np.asarray(a), np.asarray(b), rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("device", "qubit_sets"),
    [
        # Overlapping sets share gate errors: each must still equal the full model's.
        ("FakeManilaV2", [(1, 3), (0, 1, 2), (0, 1, 2, 3, 4), (2,)]),
        # Qubit 146 of FakeKingston has no T1/T2: its gates get no relaxation, and no delay
        # on the whole device relaxes (the fake device decides that once, for all qubits).
        ("FakeKingston", [(146, 147), (145, 146, 147)]),
    ],
)
def test_noise_on_some_qubits_is_the_full_models_on_those_qubits(device, qubit_sets):
    fake = getattr(fake_provider, device)()
    full = fake_noise(fake)
    noise = LocalDevice(fake).noise
    for qubits in qubit_sets:
        sub = noise.for_qubits(qubits)
        expected, got = _entries(full, qubits), _entries(sub)
        assert got.keys() == expected.keys()
        assert len(got) > len(qubits)  # readout per qubit, and gate errors
        assert all(_same(got[k], expected[k]) for k in got)
        assert sub.basis_gates == full.basis_gates
        assert len(sub._custom_noise_passes) == len(full._custom_noise_passes)


def test_a_run_takes_the_errors_of_the_gates_it_applies_only_and_the_same_bits(torino):
    """Aer converts a whole model at every run: one for a run's circuits leaves out the
    other gates' errors (FakeTorino's `rzz`, half of a five-qubit model), and since an
    error on a gate no circuit applies is never drawn, the bits do not change."""
    fake, _, isa = torino
    qubits = active_qubits(isa[0])
    run = restrict(isa[0], qubits)
    names = operations([run])
    assert names is not None and "cz" in names and "rzz" not in names
    noise = LocalDevice(fake).noise
    every, only = noise.for_qubits(qubits), noise.for_qubits(qubits, names)

    def gates(model) -> set[str]:
        return {
            op for e in model.to_dict()["errors"] if e["type"] == "qerror" for op in e["operations"]
        }

    assert "rzz" in gates(every) and gates(only) == gates(every) & names
    assert len(only._custom_noise_passes) == len(every._custom_noise_passes)
    assert noise.built == [qubits]
    bits = [
        AerSimulator()
        .run(run, noise_model=m, method="density_matrix", shots=2000, seed_simulator=5, memory=True)
        .result()
        .get_memory()
        for m in (every, only)
    ]
    assert bits[0] == bits[1]
    dynamic = QuantumCircuit(1, 1)
    dynamic.measure(0, 0)
    with dynamic.if_test((dynamic.clbits[0], 1)):
        dynamic.x(0)
    assert operations([dynamic]) is None  # control flow: gates inside it are not counted


def test_a_density_matrix_run_takes_each_error_as_its_channel_and_the_same_bits(torino):
    """On density matrices Aer applies each error as its superoperator, which it builds
    from the error's mixture of circuits at every run (144 for a `cz` of FakeTorino): the
    model for such runs holds each error as one channel, summed once, exactly the
    mixture's, and the bits do not change."""
    fake, _, isa = torino
    pm = generate_preset_pass_manager(1, backend=fake, seed_transpiler=3)
    logical = [random_circuit(5, 6, max_operands=2, measure=True, seed=20 + i) for i in range(3)]
    noise = LocalDevice(fake).noise
    for circuit in [isa[0], isa[1], *pm.run(logical)]:
        qubits = active_qubits(circuit)
        run = restrict(circuit, qubits)
        names = operations([run])
        mixtures = noise.for_qubits(qubits, names)
        channels = noise.for_qubits(qubits, names, channels=True)
        assert channels is not noise.for_qubits(qubits, names)  # kept apart, each once
        assert channels is noise.for_qubits(qubits, names, channels=True)
        errors = _entries(mixtures)
        as_channels = _entries(channels)
        assert as_channels.keys() == errors.keys()
        two_qubit = 0
        for key, entry in errors.items():
            if key[0] != "qerror":
                assert _same(entry, as_channels[key])  # readout errors as they were
                continue
            assert [[i["name"] for i in c] for c in as_channels[key]["instructions"]] == [["kraus"]]
            name, on = key[1][0], key[2]
            mixture = mixtures._local_quantum_errors[name][on]
            channel = channels._local_quantum_errors[name][on]
            assert np.allclose(
                SuperOp(channel).data, mixture.to_quantumchannel().data, rtol=0, atol=1e-12
            )
            two_qubit += len(on) == 2 and len(mixture.circuits) > 100
        assert two_qubit > 0  # the errors that cost most were among them
        bits = [
            AerSimulator()
            .run(
                run,
                noise_model=m,
                method="density_matrix",
                shots=4000,
                seed_simulator=3,
                memory=True,
            )
            .result()
            .get_memory()
            for m in (mixtures, channels)
        ]
        assert bits[0] == bits[1]


def test_an_error_as_its_channel_is_the_mixtures_channel(torino):
    """Qubit 4 of FakeTorino relaxes through Kraus maps (its T2 exceeds T1), qubit 3
    through resets: both kinds of term, alone and in a `cz` between them."""
    noise = LocalDevice(torino[0]).noise
    noise.for_qubits((3, 4))
    errors = {key: e for key, e in noise._gate_errors.items() if e is not None}
    names = {
        key: {i.operation.name for c in e.circuits for i in c.data} for key, e in errors.items()
    }
    assert "kraus" in names["cz", (3, 4)] and "reset" in names["cz", (3, 4)]
    assert "kraus" in names["sx", (4,)] and "reset" in names["sx", (3,)]
    for error in errors.values():
        channel = as_channel(error)
        assert len(channel.circuits) == 1 and channel.ideal() == error.ideal() is False
        expected = error.to_quantumchannel().data
        assert np.allclose(SuperOp(channel).data, expected, rtol=0, atol=1e-12)


def test_delays_relax_as_on_the_full_device(manila):
    """A long delay after X on Manila decays towards 0 by T1, on the delayed qubit only."""
    fake, reference = manila
    qc = QuantumCircuit(5, 2)
    qc.x([1, 3])
    qc.delay(100, 3, unit="us")
    qc.measure([1, 3], [0, 1])
    fast = counts_of(LocalDevice(fake), [qc], 8000, seed=4)[0]
    full = counts_of(reference, [qc], 8000, seed=5)[0]
    assert homogeneity_p(fast, full) > P_MIN
    decayed = (fast["01"] + fast["00"]) / 8000  # clbit 1 (qubit 3) read as 0
    assert decayed > 0.2  # T1 of qubit 3 is about 100 us: relaxation happened


# Distributions against the full device


def test_random_circuits_on_manila_match_the_full_device(manila):
    fake, reference = manila
    pm = generate_preset_pass_manager(1, backend=fake, seed_transpiler=7)
    logical = [random_circuit(5, 10, max_operands=2, measure=True, seed=100 + i) for i in range(6)]
    isa = pm.run(logical)
    fast = counts_of(LocalDevice(fake), isa, 8000, seed=11)
    full = counts_of(reference, isa, 8000, seed=12)
    for a, b in zip(fast, full, strict=True):
        assert homogeneity_p(a, b) > P_MIN


def test_the_comparison_can_fail(manila):
    """Target-built noise (symmetric readout) differs from the device's, and the test sees it."""
    fake, _ = manila
    pm = generate_preset_pass_manager(1, backend=fake, seed_transpiler=7)
    isa = pm.run([ghz(5)])
    fast = counts_of(LocalDevice(fake), isa, 8000, seed=11)[0]
    symmetric = counts_of(AerSimulator.from_backend(fake), isa, 8000, seed=12)[0]
    assert homogeneity_p(fast, symmetric) < P_MIN


def test_ghz_on_torino_matches_the_full_device(torino):
    fake, reference, isa = torino
    device = LocalDevice(fake)
    fast = counts_of(device, isa, 4000, seed=21)
    full = counts_of(reference, isa, 4000, seed=22)
    for n, a, b in zip((4, 8, 12), fast, full, strict=True):
        assert homogeneity_p(a, b) > P_MIN
        p, q = success(a, n), success(b, n)
        assert abs(p - q) < 4 * math.sqrt(p * (1 - p) / 4000 + q * (1 - q) / 4000)
    # About 0.74, 0.66, 0.59 (measured with Target-built noise): clearly noisy, and falling.
    probabilities = [success(c, n) for n, c in zip((4, 8, 12), fast, strict=True)]
    assert 0.68 < probabilities[0] < 0.80
    assert 0.60 < probabilities[1] < 0.72
    assert 0.52 < probabilities[2] < 0.65
    assert device.noise.built == [active_qubits(c) for c in isa]
    assert all(len(q) == n for q, n in zip(device.noise.built, (4, 8, 12), strict=True))


def test_dynamic_circuit_on_manila_matches_the_full_device(manila):
    """Mid-circuit measurement, reset, a conditional gate and a delay, re-indexed."""
    fake, reference = manila
    q, c, out = QuantumRegister(5, "q"), ClassicalRegister(1, "c"), ClassicalRegister(3, "out")
    qc = QuantumCircuit(q, c, out)
    qc.h(3)
    qc.measure(3, c[0])
    qc.reset(3)
    with qc.if_test((c, 1)):
        qc.x(1)
    qc.delay(20, 1, unit="us")
    qc.cx(1, 2)
    qc.measure([1, 2, 3], out)
    isa = generate_preset_pass_manager(1, backend=fake, seed_transpiler=3).run(qc)
    device = LocalDevice(fake)
    fast = counts_of(device, [isa], 8000, seed=31)[0]
    full = counts_of(reference, [isa], 8000, seed=32)[0]
    assert homogeneity_p(fast, full) > P_MIN
    assert len(device.noise.built[0]) == 3  # qubits 1, 2, 3 of five


def test_aer_save_instructions_run_on_the_whole_device(manila):
    """Saved data describes the register it was saved from: that stays the device's."""
    from qiskit_aer.library import SaveProbabilitiesDict

    fake, reference = manila
    qc = QuantumCircuit(5)
    qc.x(2)
    qc.append(SaveProbabilitiesDict(1), [2])
    device = LocalDevice(fake)
    fast = device.run(qc, shots=100, seed_simulator=3).result().data(0)["probabilities_dict"]
    full = reference.run(qc, shots=100, seed_simulator=3).result().data(0)["probabilities_dict"]
    assert fast.keys() == full.keys() == {0, 1}
    assert fast[1] == pytest.approx(full[1], abs=1e-9)
    assert 0.99 < fast[1] < 1  # X has a gate error
    assert device.noise.built == [(0, 1, 2, 3, 4)]


# Re-indexing and bit order


def test_planning_reads_what_each_circuit_does():
    """Barriers do not make a qubit active; a density matrix serves all shots only when
    every measurement is final and nothing is control flow; Aer's save instructions keep
    the whole device."""
    qc = QuantumCircuit(6, 2)
    qc.h(4)
    qc.cx(4, 1)
    qc.barrier()
    qc.measure([1, 4], [0, 1])
    assert active_qubits(qc) == (1, 4)
    assert density_matrix_fits(qc)
    assert not needs_whole_device(qc)

    again = qc.copy()
    again.x(4)  # acts on a measured qubit: shot by shot
    assert not density_matrix_fits(again)

    flow = QuantumCircuit(2, 1)
    flow.h(0)
    with flow.if_test((flow.clbits[0], 1)):
        flow.x(1)
    assert not density_matrix_fits(flow)
    assert active_qubits(flow) == (0, 1)

    saved = QuantumCircuit(2)
    saved.h(0)
    saved.save_statevector()
    assert needs_whole_device(saved)


def test_small_density_matrices_run_in_one_thread_with_the_same_bits():
    circuits = [random_circuit(5, 4, max_operands=2, measure=True, seed=s) for s in range(4)]
    isa = generate_preset_pass_manager(1, backend=fake_provider.FakeManilaV2(), seed_transpiler=1)
    isa = isa.run(circuits)
    serial = local_device("FakeManilaV2").run(isa, shots=300, seed_simulator=3, memory=True)
    threaded = local_device("FakeManilaV2")
    threaded.set_options(max_parallel_threads=2)  # a count set on the options is kept
    parallel = threaded.run(isa, shots=300, seed_simulator=3, memory=True)
    serial_result, parallel_result = serial.result(), parallel.result()
    assert [e.metadata["method"] for e in serial_result.results] == ["density_matrix"] * 4
    assert [e.metadata["parallel_state_update"] for e in serial_result.results] == [1] * 4
    assert [e.metadata["parallel_state_update"] for e in parallel_result.results] == [2] * 4
    for i in range(4):
        assert serial_result.get_memory(i) == parallel_result.get_memory(i)


def test_restrict_keeps_every_bit_where_it_was():
    """On an ideal simulator the re-indexed circuit gives the original's bits, shot for shot."""
    q, a, b = QuantumRegister(27, "q"), ClassicalRegister(3, "a"), ClassicalRegister(2, "b")
    qc = QuantumCircuit(q, a, b)
    qc.h(20)
    qc.cx(20, 5)
    qc.x(11)
    qc.barrier()
    qc.measure([11, 5, 20], [b[1], a[0], a[2]])
    qc.measure(20, b[0])
    qubits = active_qubits(qc)
    assert qubits == (5, 11, 20)
    small = restrict(qc, qubits)
    assert small.num_qubits == 3
    assert small.clbits == qc.clbits
    assert small.cregs == qc.cregs
    ideal = AerSimulator()
    big = ideal.run(qc, shots=200, seed_simulator=9, memory=True).result().get_memory()
    little = ideal.run(small, shots=200, seed_simulator=9, memory=True).result().get_memory()
    assert little == big
    # Memory reads "b1 b0 a2 a1 a0": b1 is X'd qubit 11, b0 = a2 = a0 (qubits 20, 20, 5 of a
    # Bell pair), and a1 is never written.
    bits = [m.replace(" ", "") for m in big]
    assert {(b[0], b[3]) for b in bits} == {("1", "0")}
    assert {b[1] + b[2] + b[4] for b in bits} == {"000", "111"}


def test_parameterized_circuits_bind_per_circuit(manila):
    fake, reference = manila
    theta = Parameter("theta")
    qc = QuantumCircuit(5, 1)
    qc.rx(theta, 4)
    qc.measure(4, 0)
    isa = generate_preset_pass_manager(1, backend=fake, seed_transpiler=1).run(qc)
    binds = [{theta: [0.0, math.pi, math.pi / 2]}]
    fast = LocalDevice(fake).run([isa], parameter_binds=binds, shots=4000, seed_simulator=1)
    full = reference.run([isa], parameter_binds=binds, shots=4000, seed_simulator=2)
    a, b = fast.result(), full.result()
    assert len(a.results) == 3
    for i in range(3):
        assert homogeneity_p(Counter(a.get_counts(i)), Counter(b.get_counts(i))) > P_MIN
    assert a.get_counts(1)["1"] > 3600


def test_results_keep_header_metadata_and_order(torino):
    fake, _, isa = torino
    circuits = [isa[1], isa[0], isa[1]]
    for i, c in enumerate(circuits):
        c = c.copy()
        c.metadata = {"index": i}
        circuits[i] = c
    result = LocalDevice(fake).run(circuits, shots=64, seed_simulator=3).result()
    assert [e.header["metadata"] for e in result.results] == [{"index": i} for i in range(3)]
    assert [e.header["memory_slots"] for e in result.results] == [8, 4, 8]
    assert all(e.header["n_qubits"] == 133 for e in result.results)
    assert result.backend_name == fake.name


def test_the_method_follows_the_cost_rule():
    assert simulation_method(4, 1024, True) == "density_matrix"
    assert simulation_method(12, 1024, True) == "density_matrix"
    assert simulation_method(12, 1000, True) == "automatic"  # 4096 > 4 * 1000
    assert simulation_method(13, 100_000, True) == "automatic"  # the matrix would be 1 GiB
    assert simulation_method(4, 1024, False) == "automatic"  # shot by shot either way


# Through the runtime's local Batch


def test_device_looks_like_the_fake_device(torino):
    fake, _, _ = torino
    device = LocalDevice(fake)
    assert device.target is fake.target
    circuits = [ghz(5), random_circuit(6, 8, max_operands=2, measure=True, seed=3)]
    by_device = generate_preset_pass_manager(1, backend=device, seed_transpiler=4).run(circuits)
    by_fake = generate_preset_pass_manager(1, backend=fake, seed_transpiler=4).run(circuits)
    assert by_device == by_fake
    assert (device.name, device.num_qubits, device.dt) == (fake.name, fake.num_qubits, fake.dt)
    assert device.configuration().simulator is False  # so the runtime checks ISA circuits
    assert device.max_circuits is None
    from copy import deepcopy

    clone = deepcopy(device)
    assert clone.noise is device.noise
    clone.set_options(seed_simulator=5)
    assert device.options.seed_simulator is None
    import pickle

    assert pickle.loads(pickle.dumps(device)).name == fake.name


def test_batch_rejects_non_isa_circuits(torino):
    fake, _, _ = torino
    from qiskit_ibm_runtime import SamplerV2
    from qiskit_ibm_runtime.exceptions import IBMInputValueError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with Batch(backend=LocalDevice(fake)) as batch, pytest.raises(IBMInputValueError):
            SamplerV2(mode=batch).run([ghz(3)])


def _sampler_bits(device, isa, seed: int, jobs: int = 1) -> list[list[np.ndarray]]:
    from qiskit_ibm_runtime import SamplerV2

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with Batch(backend=device) as batch:
            sampler = SamplerV2(mode=batch)
            sampler.options.simulator.seed_simulator = seed
            submitted = [sampler.run(isa, shots=1024) for _ in range(jobs)]
            return [[pub.data.meas.array for pub in job.result()] for job in submitted]


def test_sampler_in_a_batch_is_reproducible_and_builds_noise_once(torino, monkeypatch):
    from qiskit_aer.noise.device import models

    built: list[str] = []

    def spy(properties, *args, **kwargs):
        built.extend(g.gate for g in properties.gates)
        return original(properties, *args, **kwargs)

    original = models.basic_device_gate_errors
    monkeypatch.setattr(models, "basic_device_gate_errors", spy)
    fake, _, isa = torino
    device = LocalDevice(fake)
    first, second, third = _sampler_bits(device, isa[:2], seed=11, jobs=3)
    other = _sampler_bits(device, isa[:2], seed=12)[0]
    # Across four jobs: one model per qubit set, each gate's error built once, and nothing
    # for the qubits no circuit touches.
    assert sorted(device.noise.built) == sorted({active_qubits(c) for c in isa[:2]})
    touched = set().union(*(active_qubits(c) for c in isa[:2]))
    assert set().union(*device.noise.built) == touched
    inside = sorted((g.gate, tuple(g.qubits)) for g in fake.properties().gates)
    applied = set().union(*(c.count_ops() for c in isa[:2]))  # and only the gates applied
    inside = [(name, on) for name, on in inside if set(on) <= touched and name in applied]
    assert len(built) == len(inside)  # gates handed to Aer's recipe, over all its calls
    assert sorted(device.noise.gate_errors_built) == inside
    assert len(inside) < len(fake.properties().gates) / 10
    again = _sampler_bits(LocalDevice(fake), isa[:2], seed=11)[0]  # a fresh process, as it were
    for i in range(2):
        assert np.array_equal(first[i], second[i])
        assert np.array_equal(first[i], third[i])
        assert np.array_equal(first[i], again[i])
        assert not np.array_equal(first[i], other[i])


def test_estimator_in_a_batch_matches_the_full_device(torino):
    from qiskit_ibm_runtime import EstimatorV2

    fake, reference, _ = torino
    isa = generate_preset_pass_manager(1, backend=fake, seed_transpiler=2).run(ghz(4, False))
    observables = [
        SparsePauliOp(label).apply_layout(isa.layout) for label in ("ZZII", "XXXX", "ZIIZ", "IIIZ")
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with Batch(backend=LocalDevice(fake)) as batch:
            estimator = EstimatorV2(mode=batch)
            estimator.options.default_shots = 8000
            estimator.options.simulator.seed_simulator = 5
            fast = estimator.run([(isa, observables)]).result()[0].data
    plain = BackendEstimatorV2(
        backend=reference, options={"default_precision": 1 / math.sqrt(8000), "seed_simulator": 6}
    )
    full = plain.run([(isa, observables)]).result()[0].data
    bound = 4 * np.sqrt(fast.stds**2 + full.stds**2)
    assert np.all(np.abs(fast.evs - full.evs) < bound)
    assert np.all(fast.evs[:3] < 0.97)  # noisy: ideal values are 1, 1, 1, 0
    assert abs(fast.evs[3]) < 0.1


def test_executor_sampler_in_a_batch_uses_the_fast_path(torino):
    """The executor path simulates on an AerSimulator as is: this one, not a full-device one."""
    from qiskit_ibm_runtime.executor_sampler import Sampler

    fake, reference, isa = torino
    device = LocalDevice(fake)
    with Batch(backend=device) as batch:
        sampler = Sampler(mode=batch)
        sampler.options.twirling.enable_gates = False
        sampler.options.twirling.enable_measure = False
        sampler.options.simulator.seed_simulator = 41
        result = sampler.run(isa[:2], shots=4000).result()
    assert sorted(device.noise.built) == sorted(active_qubits(c) for c in isa[:2])
    full = counts_of(reference, isa[:2], 4000, seed=42)
    for pub, b in zip(result, full, strict=True):
        assert homogeneity_p(Counter(pub.data.meas.get_counts()), b) > P_MIN


def test_local_device_by_name():
    device = local_device("FakeManilaV2")
    assert isinstance(device, LocalDevice)
    assert device.name == "fake_manila"
