"""A fake IBM device whose jobs cost only their circuits.

In local mode the runtime deep-copies the backend for every job, and a fake device then
rebuilds its Aer noise model for every one of its qubits: 20 to 25 s per job on FakeTorino
(133 qubits), whatever the job holds. Yet a fake device's noise is local (readout and
relaxation per qubit, each gate's error on its own qubits), so a circuit that touches k
physical qubits sees exactly the noise of those k qubits.

`LocalDevice` wraps a fake device and is handed to `Batch(backend=...)` in its place:
- It reports the device's `Target`, configuration and properties, so transpilation and the
  runtime's ISA checks see the device itself. Its deep copy is a shallow clone with its own
  options that shares everything else, so the runtime's per-job copy costs nothing.
- `run` re-indexes each circuit onto the physical qubits it touches (classical bits kept
  as they are, so memory and bit order are unchanged) and simulates it with a noise model
  holding the device's noise on those qubits only. That model is built with the device's
  own recipe on a sub-device cut from its properties, each gate's error once, lazily. A
  run on density matrices gets each error as its channel (`as_channel`).
  That recipe is the fake device's, not `AerSimulator.from_backend`'s: the latter builds
  from the Target, which keeps one symmetric readout error per qubit where the device's
  properties give P(1|0) and P(0|1).
- Its Aer runs go to the run's worker processes when it has some (`qexp.backends.offload`).
- It is an `AerSimulator` because the executor primitives' local path
  (`fake_provider/executor/run_quantum_program`) uses an `AerSimulator` as it is and builds
  a full-device `AerSimulator.from_backend` noise model, per job, from anything else.

Circuits that are simulated on the whole device instead (same noise, no re-indexing):
those holding classical variables or stretches (which Aer 0.18 cannot run anyway, so they
fail exactly as on the fake device), Aer's save/set instructions (their data would describe
the smaller register), and every circuit of a `run` given its own `noise_model`.
Mid-circuit measurement, reset, delay and control flow are re-indexed like any other
instruction: their noise is local too.
"""

from __future__ import annotations

import datetime
import functools
import threading
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from qiskit.circuit import Barrier, Delay, QuantumCircuit, QuantumRegister
from qiskit.circuit.controlflow import CONTROL_FLOW_OP_NAMES
from qiskit.providers import BackendV2
from qiskit.quantum_info import SuperOp
from qiskit.result import Result
from qiskit_aer import AerSimulator
from qiskit_aer.jobs import AerJob
from qiskit_aer.noise import NoiseModel, QuantumError

from qexp.backends.offload import ThreadedSimulator, run_aer
from qexp.backends.one_pass import OnePassSimulator

DENSITY_MATRIX_MAX_QUBITS = 12
"""Largest density matrix used by choice: 16 * 4**12 bytes = 256 MiB."""
DENSITY_MATRIX_SHOTS_FACTOR = 4
"""Density matrix is chosen while 2**k <= this * shots (see `simulation_method`)."""
SERIAL_DENSITY_MATRIX_MAX_QUBITS = 10
"""Up to this many qubits a density matrix is simulated in one thread (see `_threads`)."""


def local_device(name: str) -> LocalDevice:
    """The fast stand-in for `qiskit_ibm_runtime.fake_provider.<name>()`."""
    from qiskit_ibm_runtime import fake_provider

    return LocalDevice(getattr(fake_provider, name)())


def active_qubits(circuit: QuantumCircuit) -> tuple[int, ...]:
    """Indices of the qubits some instruction other than a barrier acts on, ascending."""
    return _scan(circuit)[0]


def _scan(circuit: QuantumCircuit) -> tuple[tuple[int, ...], bool]:
    """(active qubits, whether nothing acts on a qubit once it is measured), in one pass.

    Reads each instruction's name and qubits only: asking for its `operation` builds a
    Python gate object, and made planning a job of 100 circuits 6 times slower.
    """
    index = {q: i for i, q in enumerate(circuit.qubits)}
    used: set[Any] = set()
    measured: set[Any] = set()
    final_measurements = True
    for instruction in circuit.data:
        name, qubits = instruction.name, instruction.qubits
        if final_measurements and not measured.isdisjoint(qubits):
            final_measurements = False
        if name == "measure":
            measured.update(qubits)
        if name != "barrier":
            used.update(qubits)
    return tuple(sorted(index[q] for q in used)), final_measurements


def restrict(circuit: QuantumCircuit, qubits: Sequence[int]) -> QuantumCircuit:
    """The circuit on `len(qubits)` qubits, physical qubit `qubits[i]` becoming qubit i.

    Classical bits, registers, name, metadata and global phase stay the same objects, so
    each measurement lands in the same memory slot. Barriers keep only the kept qubits.
    """
    register = QuantumRegister(len(qubits), "q")
    new_of = {circuit.qubits[p]: register[i] for i, p in enumerate(qubits)}
    out = QuantumCircuit(
        list(register),
        circuit.clbits,
        name=circuit.name,
        global_phase=circuit.global_phase,
        metadata=circuit.metadata,
    )
    out.add_register(register)
    for creg in circuit.cregs:
        out.add_register(creg)
    for instruction in circuit.data:
        kept = [new_of[q] for q in instruction.qubits if q in new_of]
        if instruction.name == "barrier":
            if kept:
                barrier = Barrier(len(kept), label=instruction.operation.label)
                out._append(instruction.replace(operation=barrier, qubits=kept))
            continue
        out._append(instruction.replace(qubits=kept))
    return out


def needs_whole_device(circuit: QuantumCircuit) -> bool:
    """Whether re-indexing could change what the circuit returns, so it runs as it is."""
    if circuit.num_vars or circuit.num_stretches:
        return True
    return any(_is_aer_state_instruction(name) for name in circuit.count_ops())


def operations(circuits: Iterable[QuantumCircuit]) -> frozenset[str] | None:
    """The instructions `circuits` apply (None where control flow holds some)."""
    names: set[str] = set()
    for circuit in circuits:
        names.update(circuit.count_ops())
    return None if not CONTROL_FLOW_OP_NAMES.isdisjoint(names) else frozenset(names)


def _is_aer_state_instruction(name: str) -> bool:
    return name.startswith(("save_", "set_"))


def density_matrix_fits(circuit: QuantumCircuit) -> bool:
    """Whether one density matrix can serve every shot of the circuit.

    That needs final measurements (nothing acts on a qubit once measured) and no control
    flow; otherwise Aer runs shot by shot and a density matrix costs 2**k times a state
    vector. Every instruction must also be one Aer simulates on a density matrix.
    """
    return _density_matrix_runs_all(circuit) and _scan(circuit)[1]


def _density_matrix_runs_all(circuit: QuantumCircuit) -> bool:
    """Every instruction is one Aer simulates on a density matrix, and none is control flow."""
    names = circuit.count_ops().keys()
    supported = _density_matrix_instructions()
    return supported.issuperset(names) and CONTROL_FLOW_OP_NAMES.isdisjoint(names)


@functools.cache
def _density_matrix_instructions() -> frozenset[str]:
    configuration = AerSimulator(method="density_matrix").configuration()
    names = [*configuration.basis_gates, *configuration.custom_instructions]
    return frozenset([*names, "barrier", "measure", "reset", "delay"])


def simulation_method(num_qubits: int, shots: int, density_matrix_fits: bool) -> str:
    """Aer method for a circuit on `num_qubits` qubits under the device's noise.

    The relaxation noise is not unitary, so a state vector simulates every shot as its own
    trajectory (work about shots * 2**k per gate), while a density matrix serves all shots
    at once (work about 4**k per gate). Aer's `automatic` takes the density matrix only
    while shots > 2**k. Measured on FakeTorino GHZ circuits (density matrix against state
    vector): 11 qubits 0.7 s / 0.85 s at 1,024 shots and 0.7 s / 3.3 s at 4,000; 12 qubits
    2.0 s / 1.8 s at 1,024 and 1.8 s / 4.7 s at 4,000; 13 qubits 8.0 s / 3.0 s at 1,024.
    So the density matrix is taken while 2**k <= 4 * shots, up to 12 qubits (256 MiB);
    beyond that Aer's `automatic` decides.
    """
    if (
        density_matrix_fits
        and num_qubits <= DENSITY_MATRIX_MAX_QUBITS
        and 2**num_qubits <= DENSITY_MATRIX_SHOTS_FACTOR * shots
    ):
        return "density_matrix"
    return "automatic"


class SharedNoiseModel(NoiseModel):
    """A noise model that converts itself for Aer once, not at every run.

    Aer turns a model into a dict (each error's instructions and probabilities) and JSON
    at every run: about 20 ms for a five-qubit set of a fake device, per job, whatever the
    job holds. A device's models never change once built, so the conversion is kept; any
    change to the model (Aer's own copy of it included) forgets it.
    """

    def to_dict(self, serializable: bool = False) -> dict:
        memo = self.__dict__.setdefault("_qexp_dicts", {})
        if serializable not in memo:
            memo[serializable] = super().to_dict(serializable)
        return memo[serializable]

    def _changed(self) -> None:
        self.__dict__.pop("_qexp_dicts", None)

    def add_basis_gates(self, *args: Any, **kwargs: Any) -> None:
        self._changed()
        super().add_basis_gates(*args, **kwargs)

    def add_all_qubit_quantum_error(self, *args: Any, **kwargs: Any) -> None:
        self._changed()
        super().add_all_qubit_quantum_error(*args, **kwargs)

    def add_quantum_error(self, *args: Any, **kwargs: Any) -> None:
        self._changed()
        super().add_quantum_error(*args, **kwargs)

    def add_all_qubit_readout_error(self, *args: Any, **kwargs: Any) -> None:
        self._changed()
        super().add_all_qubit_readout_error(*args, **kwargs)

    def add_readout_error(self, *args: Any, **kwargs: Any) -> None:
        self._changed()
        super().add_readout_error(*args, **kwargs)


class DeviceNoise:
    """The fake device's noise, built per set of physical qubits when a circuit needs it.

    The recipe is the fake device's own (`FakeBackendV2._get_noise_model_from_backend_v2`):
    Aer's `basic_device_readout_errors` and `basic_device_gate_errors` on the device's
    properties, and a `RelaxationNoisePass` for delays. Each error depends only on its own
    gate and qubits, so it is built from a sub-device (those qubits re-indexed, those gates)
    and equals the full model's entry. Each gate's error is built once, when a circuit first
    touches its qubits, and shared by the models of every qubit set holding it: a run never
    builds more than the full model would, and usually a small part of it. The two choices
    the full model makes for the whole device (whether delays relax at all, whether excited
    populations are known) are taken once, over all qubits, as the full model takes them.
    """

    def __init__(self, device: BackendV2) -> None:
        self._properties = device.properties() if hasattr(device, "properties") else None
        self._basis_gates = list(device.configuration().basis_gates)
        self._dt = device.dt
        self._relaxation = self._delay_relaxation(device.num_qubits)
        self._lock = threading.Lock()
        self._models: dict[tuple[tuple[int, ...], frozenset[str] | None, bool], Any] = {}
        self._gate_errors: dict[tuple[str, tuple[int, ...]], Any] = {}
        self._channels: dict[tuple[str, tuple[int, ...]], Any] = {}
        self.built: list[tuple[int, ...]] = []
        """Every qubit set a model was assembled for, in order."""

    @property
    def gate_errors_built(self) -> list[tuple[str, tuple[int, ...]]]:
        """Every (gate, physical qubits) whose error was built, each once."""
        return list(self._gate_errors)

    def __getstate__(self) -> dict[str, Any]:
        """Picklable like the fake device itself: everything but the lock."""
        return {k: v for k, v in self.__dict__.items() if k != "_lock"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def for_qubits(
        self,
        qubits: tuple[int, ...],
        operations: frozenset[str] | None = None,
        channels: bool = False,
    ) -> NoiseModel | None:
        """The noise on `qubits` (physical indices, ascending), re-indexed 0..k-1.

        `operations`: the instructions the run's circuits apply, when known. The model then
        leaves out the errors of every other gate: Aer converts the whole model at each run
        (about 75 ms for five qubits of FakeTorino, half of it the errors of its `rzz`,
        which transpiled circuits do not use), and an error on a gate no circuit applies is
        never drawn, so the bits are the same (tested).

        `channels`: each gate error as its quantum channel (`as_channel`), for a run on
        density matrices, which apply that channel whatever form the error takes."""
        key = (qubits, operations, channels)
        with self._lock:
            if key not in self._models:
                self._models[key] = self._assemble(qubits, operations, channels)
                if qubits not in self.built:
                    self.built.append(qubits)
            return self._models[key]

    def _assemble(
        self, qubits: tuple[int, ...], operations: frozenset[str] | None, channels: bool
    ) -> NoiseModel | None:
        from qiskit_aer.noise.device.models import basic_device_readout_errors
        from qiskit_aer.noise.passes import RelaxationNoisePass

        if self._properties is None:
            return None
        index = {q: i for i, q in enumerate(qubits)}
        gates = [g for g in self._properties.gates if all(q in index for q in g.qubits)]
        if operations is not None:
            gates = [g for g in gates if g.gate in operations]
        self._build_gate_errors([g for g in gates if _key(g) not in self._gate_errors])
        model = SharedNoiseModel(basis_gates=self._basis_gates)
        for on, error in basic_device_readout_errors(_sub_properties(self._properties, qubits)):
            model.add_readout_error(error, on)
        for gate in gates:
            if (error := self._gate_error(_key(gate), channels)) is not None:
                model.add_quantum_error(error, gate.gate, [index[q] for q in gate.qubits])
        if self._relaxation is not None:
            # As the fake device does it: Aer has no public way to add a custom noise pass.
            t1s, t2s, excited = self._relaxation
            model._custom_noise_passes.append(
                RelaxationNoisePass(
                    t1s=[t1s[q] for q in qubits],
                    t2s=[t2s[q] for q in qubits],
                    dt=self._dt,
                    op_types=Delay,
                    excited_state_populations=None
                    if excited is None
                    else [excited[q] for q in qubits],
                )
            )
        return model

    def _gate_error(self, key: tuple[str, tuple[int, ...]], channel: bool) -> Any:
        """The gate's error (None if it has none), or that error as its channel."""
        error = self._gate_errors[key]
        if not channel or error is None:
            return error
        if key not in self._channels:
            self._channels[key] = as_channel(error)
        return self._channels[key]

    def _build_gate_errors(self, gates: list[Any]) -> None:
        """Each gate's error (None where the recipe gives none), on physical qubits."""
        from qiskit_aer.noise.device.models import basic_device_gate_errors

        if not gates:
            return
        involved = tuple(sorted({q for gate in gates for q in gate.qubits}))
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module="qiskit_aer.noise.device.models")
            built = basic_device_gate_errors(_sub_properties(self._properties, involved, gates))
        errors = {(name, tuple(involved[i] for i in on)): error for name, on, error in built}
        for gate in gates:
            self._gate_errors[_key(gate)] = errors.get(_key(gate))

    def _delay_relaxation(
        self, num_qubits: int
    ) -> tuple[list[float], list[float], list[float] | None] | None:
        """T1, T2 and excited populations of all qubits, or None if delays do not relax."""
        from qiskit_aer.noise.device.models import _excited_population
        from qiskit_ibm_runtime.models.exceptions import BackendPropertyError

        props = self._properties
        if props is None:
            return None
        try:
            t1s = [props.t1(q) for q in range(num_qubits)]
            t2s = [props.t2(q) for q in range(num_qubits)]
        except BackendPropertyError:
            return None
        try:
            excited = [
                _excited_population(freq=props.frequency(q), temperature=0)
                for q in range(num_qubits)
            ]
        except BackendPropertyError:
            return t1s, t2s, None
        return t1s, t2s, excited


def as_channel(error: QuantumError) -> QuantumError:
    """The error as one quantum channel (a Kraus map), where Aer takes it as a mixture of
    circuits.

    A density matrix applies an error as its superoperator whatever form it takes, but Aer
    builds that superoperator from the circuits at every run: a two-qubit gate's error on
    FakeTorino mixes 144 circuits (depolarizing times relaxation), and a run of one
    five-qubit circuit took 104 ms with the mixtures against 56 ms with their channels. The
    channel is summed here once, term by term, each instruction's superoperator computed
    once: exactly `error.to_quantumchannel()` (tested), in a fraction of its time (340 ms
    for such an error). The bits are the mixture's up to rounding in the last digit
    (120,000 shots of 60 circuits compared: all equal).
    """
    n = error.num_qubits
    total = np.zeros((4**n, 4**n), dtype=complex)
    arrays: dict[tuple[Any, ...], np.ndarray] = {}  # Kraus maps, by their matrices
    for circuit, probability in zip(error.circuits, error.probabilities, strict=True):
        index = {q: i for i, q in enumerate(circuit.qubits)}
        term = None
        for instruction in circuit.data:
            operation = instruction.operation
            on = tuple(index[q] for q in instruction.qubits)
            try:
                step = _instruction_superop(operation, on, n)
            except TypeError:  # array parameters: kept for this error only
                matrices = [np.asarray(p) for p in operation.params]
                key = (on, *((m.shape, m.dtype.str, m.tobytes()) for m in matrices))
                if key not in arrays:
                    arrays[key] = _superop(operation, on, n)
                step = arrays[key]
            term = step if term is None else step @ term
        total += probability * (np.eye(4**n) if term is None else term)
    return _Channel(SuperOp(total), ideal=error.ideal())


class _Channel(QuantumError):
    """An error given as its channel, which knows whether it is ideal: Aer's check tries a
    Kraus map as a Clifford first and formats every matrix into the message of the error
    it catches (12 ms for each error added to a model)."""

    def __init__(self, channel: SuperOp, ideal: bool) -> None:
        super().__init__(channel)
        self._ideal = ideal

    def ideal(self) -> bool:
        return self._ideal


def _instruction_superop(operation: Any, qubits: tuple[int, ...], n: int) -> np.ndarray:
    """The superoperator of `operation` on `qubits` of n, kept by name, parameters and
    qubits (an error's mixture repeats a few Paulis, resets and identities many times)."""
    key = (operation.name, tuple(operation.params), qubits, n)
    try:
        return _SUPEROPS[key]  # a TypeError for array parameters (a Kraus map)
    except KeyError:
        _SUPEROPS[key] = found = _superop(operation, qubits, n)
        return found


def _superop(operation: Any, qubits: tuple[int, ...], n: int) -> np.ndarray:
    circuit = QuantumCircuit(n)
    circuit.append(operation, list(qubits))
    return SuperOp(circuit).data


_SUPEROPS: dict[tuple[Any, ...], np.ndarray] = {}


def _key(gate: Any) -> tuple[str, tuple[int, ...]]:
    return gate.gate, tuple(gate.qubits)


def _sub_properties(properties: Any, qubits: tuple[int, ...], gates: Sequence[Any] = ()) -> Any:
    """The sub-device of `qubits`, re-indexed 0..k-1, holding `gates` (on those qubits)."""
    from qiskit_ibm_runtime.models import BackendProperties, GateProperties

    index = {q: i for i, q in enumerate(qubits)}
    return BackendProperties(
        backend_name=properties.backend_name,
        backend_version=properties.backend_version,
        last_update_date=properties.last_update_date,
        qubits=[properties.qubits[q] for q in qubits],
        gates=[
            GateProperties(
                qubits=[index[q] for q in g.qubits], gate=g.gate, parameters=g.parameters
            )
            for g in gates
        ],
        general=[],
    )


@dataclass(frozen=True)
class _Plan:
    """How one submitted circuit runs: on which physical qubits, as which circuit, how."""

    qubits: tuple[int, ...]
    circuit: QuantumCircuit
    method: str


class LocalDevice(ThreadedSimulator):
    """A fake device that simulates each circuit on the qubits it touches, with their noise.

    Circuits on the same qubits with the same method share one Aer run. Under one
    `seed_simulator` the bits are reproducible: the first such group runs with the seed
    itself, the g-th with a seed derived from it. They are not the raw fake device's bits.
    """

    def __init__(self, device: BackendV2) -> None:
        self._device = device
        super().__init__(target=device.target, configuration=_aer_configuration(device))
        self.online_date = device.online_date
        self._noise = DeviceNoise(device)
        self._simulator = OnePassSimulator()

    # The device as transpiler and runtime see it.
    @property
    def device(self) -> BackendV2:
        """The fake device this one simulates."""
        return self._device

    @property
    def noise(self) -> DeviceNoise:
        """The noise models built so far, shared by every copy of this backend."""
        return self._noise

    @property
    def target(self) -> Any:
        return self._device.target

    @property
    def max_circuits(self) -> Any:
        return self._device.max_circuits

    def configuration(self) -> Any:
        """The device's configuration: the runtime reads `simulator` from it (False)."""
        return self._device.configuration()

    def properties(self) -> Any:
        return self._device.properties()

    def run(
        self,
        circuits: QuantumCircuit | Iterable[QuantumCircuit],
        parameter_binds: list[dict] | None = None,
        **run_options: Any,
    ) -> AerJob:
        """Run like `AerSimulator.run`, each circuit on its own qubits. Returns at once."""
        return self._in_thread(circuits, parameter_binds, run_options)

    def _execute(
        self,
        circuits: list[QuantumCircuit],
        parameter_binds: list[dict] | None,
        options: dict[str, Any],
        job_id: str,
    ) -> Result:
        """Plan each circuit, run each (qubits, method) group once, restore the order."""
        options = dict(options)
        seed = options.pop("seed_simulator", None)
        if options.get("noise_model") is not None:
            plans = [_Plan(tuple(range(self.num_qubits)), c, options["method"]) for c in circuits]
        else:
            plans = [self._plan(c, options["shots"], options["method"]) for c in circuits]
        groups: dict[tuple[tuple[int, ...], str], list[int]] = {}
        for i, plan in enumerate(plans):
            groups.setdefault((plan.qubits, plan.method), []).append(i)

        per_circuit: list[list[Any]] = [[] for _ in circuits]
        runs: list[Result] = []
        for g, ((qubits, method), members) in enumerate(groups.items()):
            group_options = {**options, "method": method}
            if "max_parallel_threads" not in options:  # a count set on the options is kept
                group_options.update(_threads(method, len(qubits)))
            if seed is not None:
                group_options["seed_simulator"] = _group_seed(seed, g)
            result = run_aer(
                [plans[i].circuit for i in members],
                None if parameter_binds is None else [parameter_binds[i] for i in members],
                group_options,
                self.offload,
                self._simulator,
                noise=None
                if "noise_model" in options
                else (self._noise, qubits, operations(plans[i].circuit for i in members)),
            )
            runs.append(result)
            experiments = iter(result.results)
            for i in members:
                count = _experiment_count(parameter_binds[i] if parameter_binds else None)
                for _ in range(count):
                    experiment = next(experiments)
                    _describe_submitted(experiment, circuits[i])
                    per_circuit[i].append(experiment)
        return self._merge(runs, per_circuit, job_id)

    def _plan(self, circuit: QuantumCircuit, shots: int, method: str) -> _Plan:
        everything = tuple(range(circuit.num_qubits))
        if needs_whole_device(circuit):
            return _Plan(everything, circuit, method)
        qubits, final_measurements = _scan(circuit)
        run = circuit if qubits == everything else restrict(circuit, qubits)
        if method == "automatic":
            fits = final_measurements and _density_matrix_runs_all(circuit)
            method = simulation_method(len(qubits), shots, fits)
        return _Plan(qubits, run, method)

    def _merge(self, runs: list[Result], per_circuit: list[list[Any]], job_id: str) -> Result:
        """One result in the submitted order, shaped as AerSimulator's own."""
        metadata = dict(runs[0].metadata) if runs else {}
        metadata["time_taken_execute"] = sum(
            r.metadata.get("time_taken_execute", 0.0) for r in runs
        )
        return Result(
            backend_name=self.name,
            backend_version=self.backend_version,
            job_id=job_id,
            success=all(r.success for r in runs),
            results=[e for experiments in per_circuit for e in experiments],
            date=datetime.datetime.now().isoformat(),
            status="COMPLETED" if all(r.success for r in runs) else "PARTIAL COMPLETED",
            metadata=metadata,
            time_taken=sum(getattr(r, "time_taken", 0.0) for r in runs),
        )


def _aer_configuration(device: BackendV2) -> Any:
    """What `AerSimulator.__init__` takes its name, version and description from."""
    from qiskit_aer.backends.backendconfiguration import AerBackendConfiguration

    return AerBackendConfiguration(
        backend_name=device.name,
        backend_version=device.backend_version,
        n_qubits=device.num_qubits,
        basis_gates=list(device.operation_names),
        gates=[],
        max_shots=int(1e6),
        coupling_map=None,
        description=device.description,
    )


def _threads(method: str, num_qubits: int) -> dict[str, int]:
    """One thread for a small density matrix, Aer's own choice otherwise.

    Aer's threads cost more than they bring on a density matrix of up to 10 qubits. On 2
    cores, one thread against Aer's two: a job of 100 five-qubit circuits on FakeManilaV2
    0.49 s against 0.74 s; random circuits on FakeTorino, 1,000 shots, 20 of 5 qubits
    0.16 s against 0.28 s, 6 of 8 qubits 0.34 s against 0.64 s, 3 of 10 qubits 2.0 s
    against 2.4 s, but one of 12 qubits 21 s against 17 s. Jobs simulate side by side, one
    per core, anyway. The bits do not depend on the number of threads.
    """
    if method == "density_matrix" and num_qubits <= SERIAL_DENSITY_MATRIX_MAX_QUBITS:
        return {"max_parallel_threads": 1}
    return {}


def _group_seed(seed: int, group: int) -> int:
    """The seed of the g-th group of circuits: the user's for the first, derived after."""
    if group == 0:
        return seed
    return int(np.random.SeedSequence(seed, spawn_key=(group,)).generate_state(1)[0])


def _experiment_count(binds: dict | None) -> int:
    """Aer returns one experiment per parameter set a circuit is bound to."""
    if not binds:
        return 1
    return len(next(iter(binds.values())))


def _describe_submitted(experiment: Any, circuit: QuantumCircuit) -> None:
    """Let the experiment's header describe the circuit as submitted, on all its qubits,
    with its own metadata."""
    header = experiment.header
    if isinstance(header, dict):
        header["n_qubits"] = circuit.num_qubits
        header["qreg_sizes"] = [[r.name, r.size] for r in circuit.qregs]
        if "metadata" in header:  # a worker process saw a copy through QPY
            header["metadata"] = circuit.metadata
