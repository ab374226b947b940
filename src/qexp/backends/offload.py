"""Aer runs in the run's worker processes, so that jobs simulate beside the main process.

Aer holds the GIL while it turns circuits into its own instructions and while it
simulates. In one process, then, nothing else of the run moves while a job simulates: not
the next submission, not the primitive turning memory into bits, not the writer. Measured
on 1,000 five-qubit circuits on `aer`, Aer held the main process's GIL 2.6 s of 7.

The local backends (`LocalSimulator` here for `backend=aer`, `qexp.backends.local_device` for
`backend=fake`) hand each Aer run to an `Offload`, the run's worker pool
(`qexp.plan.prepare.Preparer.simulate`), which transpiles the next partitions between runs. The
run's options travel with it, seed included, so the bits are the same in a worker as in
this process. Whatever a worker cannot take (parameter bindings, circuits QPY cannot
write, a pool that is gone) runs here as before.
"""

from __future__ import annotations

import copy
import io
import logging
import os
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from qiskit import QuantumCircuit, qpy
from qiskit.qpy.exceptions import QpyError
from qiskit.result import Result
from qiskit_aer import AerSimulator
from qiskit_aer.jobs import AerJob

from qexp.backends.one_pass import OnePassSimulator

log = logging.getLogger(__name__)

Offload = Callable[[bytes, dict[str, Any]], Result]
"""Runs `simulate(circuits_qpy, options)` in a worker process and returns its Result;
raises `Unavailable` when it cannot."""


class Unavailable(Exception):
    """No worker can take this run: the caller simulates it in its own process."""


class NoiseSource(Protocol):
    """A device's noise by physical qubits (`qexp.backends.local_device.DeviceNoise`)."""

    def for_qubits(
        self, qubits: tuple[int, ...], operations: frozenset[str] | None, channels: bool
    ) -> Any: ...


Noise = tuple[NoiseSource, tuple[int, ...], frozenset[str] | None]
"""A device's noise, the qubits whose model a run takes, and the instructions it applies."""

CIRCUIT_NAMES = "qexp_circuit_names"
"""The run option naming the circuits of QPY they were loaded from (`loaded`), as they are
named now."""

NOISE_QUBITS = "qexp_noise_qubits"
"""The run option naming the qubits whose noise a worker takes from its own device noise,
and the instructions the run applies (`NoiseSource.for_qubits`)."""


def run_aer(
    circuits: list[QuantumCircuit],
    parameter_binds: list[dict] | None,
    options: dict[str, Any],
    offload: Offload | None,
    local: AerSimulator,
    noise: Noise | None = None,
) -> Result:
    """`local.run(circuits, parameter_binds, **options).result()`, in a worker when it can.

    `noise`: the device's noise, the qubits whose model the run takes and the instructions
    it applies (`Noise`). A worker builds and keeps that model from its own copy of the
    device's noise (`use_device_noise`), so a job sends its circuits and options, never a
    noise model (about 1 MB pickled, and as much again to unpickle, for every job of a
    large fake device).
    """
    if offload is not None and parameter_binds is None:
        try:
            sent = options if noise is None else {**options, NOISE_QUBITS: noise[1:]}
            data, names = _qpy(circuits)
            if names is not None:
                sent = {**sent, CIRCUIT_NAMES: names}
            return offload(data, sent)
        except Unavailable as exc:  # the simulation's own errors are raised as they are
            log.debug("simulating in this process: %s", exc)
        except (QpyError, TypeError, ValueError) as exc:  # e.g. metadata JSON cannot hold
            log.debug("simulating in this process, QPY cannot write the circuits: %s", exc)
    if noise is not None:
        model = noise[0].for_qubits(noise[1], noise[2], _on_density_matrices(options))
        options = {**options, "noise_model": model}
    return local.run(circuits, parameter_binds=parameter_binds, **options).result()


@dataclass(frozen=True, eq=False)
class Loaded:
    """Where a circuit loaded from QPY came from (`loaded`): its job's QPY bytes, its place
    among them, and what it was then. A run of exactly those circuits, as they were, sends
    those bytes to a worker instead of writing them again (0.12 s of the main process per
    1,000 circuits): the runtime deep-copies a job's circuits and the primitive copies them
    to bind their parameters, each copy keeping its mark."""

    qpy: bytes
    index: int
    count: int
    shape: tuple[Any, ...]

    def __deepcopy__(self, memo: dict) -> Loaded:
        return self


_LOADED = "_qexp_loaded"
"""The attribute of a circuit that holds its `Loaded`."""


def loaded(data: bytes) -> list[QuantumCircuit]:
    """The circuits of the QPY `data`, each marked with where it came from (`Loaded`)."""
    circuits = list(qpy.load(io.BytesIO(data)))
    for index, circuit in enumerate(circuits):
        if not circuit.parameters:  # bound copies of a parametric circuit are other circuits
            setattr(circuit, _LOADED, Loaded(data, index, len(circuits), _shape(circuit)))
    return circuits


def _shape(circuit: QuantumCircuit) -> tuple[Any, ...]:
    """What a change to a circuit between its load and its run would change (its name
    aside: the primitive's copies get new ones, which the worker gives them back)."""
    return (
        len(circuit.data),
        circuit.num_qubits,
        circuit.num_clbits,
        circuit.global_phase,
        dict(circuit.metadata or {}),
    )


def _qpy(circuits: list[QuantumCircuit]) -> tuple[bytes, list[str] | None]:
    """The QPY of `circuits`: the bytes they were loaded from, with the circuits' names now,
    when they are all of them, in order and as they were (`loaded`); else written now."""
    marks = [getattr(circuit, _LOADED, None) for circuit in circuits]
    first = marks[0] if marks else None
    if first is not None and first.count == len(circuits):
        same = all(
            mark is not None
            and mark.qpy is first.qpy
            and mark.index == index
            and mark.shape == _shape(circuit)
            for index, (mark, circuit) in enumerate(zip(marks, circuits, strict=True))
        )
        if same:
            return first.qpy, [circuit.name for circuit in circuits]
    buffer = io.BytesIO()
    qpy.dump(circuits, buffer)
    return buffer.getvalue(), None


_simulator: AerSimulator | None = None
_device_noise: NoiseSource | None = None


def use_device_noise(noise: NoiseSource | None) -> None:
    """In a worker process: the device noise its runs take their models from."""
    global _device_noise
    _device_noise = noise


def simulate(circuits_qpy: bytes, options: dict[str, Any]) -> Result:
    """In a worker process: one Aer run, on a simulator the worker keeps."""
    global _simulator
    if _simulator is None:
        _simulator = OnePassSimulator()
    if NOISE_QUBITS in options:
        if _device_noise is None:
            raise Unavailable("this worker holds no device noise")
        options = dict(options)
        qubits, names = options.pop(NOISE_QUBITS)
        options["noise_model"] = _device_noise.for_qubits(
            tuple(qubits), names, _on_density_matrices(options)
        )
    circuits = qpy.load(io.BytesIO(circuits_qpy))
    if CIRCUIT_NAMES in options:
        options = dict(options)
        for circuit, name in zip(circuits, options.pop(CIRCUIT_NAMES), strict=True):
            circuit.name = name
    # One thread: the pool is the parallelism (one worker per core), and Aer's threads in
    # each worker would only spin against the other workers'. Bits do not depend on it.
    options = {"max_parallel_threads": 1, **options}
    result = _simulator.run(circuits, **options).result()
    result.metadata["qexp_pid"] = os.getpid()  # where it ran: tests check it was not here
    return result


def _on_density_matrices(options: dict[str, Any]) -> bool:
    """Whether the run simulates density matrices, which apply each error as its channel."""
    return options.get("method") == "density_matrix"


class ThreadedSimulator(OnePassSimulator):
    """An AerSimulator whose jobs each run `_execute` in a thread of their own, and whose
    deep copy is a shallow clone with its own options.

    One thread per job, not Aer's single shared worker: a job waits on its Aer runs (in a
    worker process, or queued here), and jobs wait side by side. The runtime copies the
    backend for every local job, and the executor path sets a seed on its copy, so copies
    must not share options, and need share nothing else (targets, noise, the offload).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offload: Offload | None = None
        """Where Aer runs go when the run has worker processes (`Preparer.simulate`)."""

    def __deepcopy__(self, memo: dict) -> ThreadedSimulator:
        clone = copy.copy(self)
        clone._options = copy.copy(self._options)
        clone._options_configuration = dict(self._options_configuration)
        return clone

    def _in_thread(
        self,
        circuits: QuantumCircuit | Iterable[QuantumCircuit],
        parameter_binds: list[dict] | None,
        run_options: dict[str, Any],
    ) -> AerJob:
        """An AerJob running `_execute(circuits, parameter_binds, options, job_id)` with the
        backend's options and the run's merged; returns at once."""
        if isinstance(circuits, QuantumCircuit):
            circuits = [circuits]
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"qexp-{self.name}")
        job = AerJob(
            self,
            str(uuid.uuid4()),
            self._execute_merged,
            circuits=list(circuits),
            parameter_binds=parameter_binds,
            run_options=run_options,
            executor=pool,
        )
        job.submit()
        pool.shutdown(wait=False)
        return job

    def _execute_merged(
        self,
        circuits: list[QuantumCircuit],
        parameter_binds: list[dict] | None,
        run_options: dict[str, Any],
        job_id: str,
    ) -> Result:
        options = {k: v for k, v in self.options.__dict__.items() if v is not None}
        options.update({k: v for k, v in run_options.items() if v is not None})
        return self._execute(circuits, parameter_binds, options, job_id)

    def _execute(
        self,
        circuits: list[QuantumCircuit],
        parameter_binds: list[dict] | None,
        options: dict[str, Any],
        job_id: str,
    ) -> Result:
        raise NotImplementedError


class LocalSimulator(ThreadedSimulator):
    """`backend=aer`: the ideal AerSimulator, with its Target built once and its runs in
    the run's worker processes when it has some (`offload`).

    The runtime asks for the backend's `target` at every PUB it submits, and AerSimulator
    builds a new one at every ask (0.8 s for 1,000 PUBs).
    """

    def __init__(self, method: str = "automatic") -> None:
        super().__init__(method=method)
        self._built_target: Any = None

    @property
    def target(self) -> Any:
        if self._built_target is None:
            self._built_target = super().target
        return self._built_target

    def run(
        self,
        circuits: QuantumCircuit | Iterable[QuantumCircuit],
        parameter_binds: list[dict] | None = None,
        **run_options: Any,
    ) -> AerJob:
        """Run like `AerSimulator.run` (which it does, without an offload); returns at once."""
        if self.offload is None:
            return super().run(circuits, parameter_binds=parameter_binds, **run_options)
        return self._in_thread(circuits, parameter_binds, run_options)

    def _execute(
        self,
        circuits: list[QuantumCircuit],
        parameter_binds: list[dict] | None,
        options: dict[str, Any],
        job_id: str,
    ) -> Result:
        result = run_aer(circuits, parameter_binds, options, self.offload, OnePassSimulator())
        result.job_id = job_id
        result.backend_name = self.name
        return result
