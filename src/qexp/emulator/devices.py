"""The devices the emulator offers: qiskit-ibm-runtime's fake backends.

The service answers configuration and properties with the device's own JSON, the files
the fake backend was built from. Jobs run on the fake backend's noisy simulator, built
once per device: a 133-qubit noise model costs seconds, and the local runtime path would
rebuild it for every job.
"""

from __future__ import annotations

import json
import os
import threading
from functools import cached_property
from typing import Any

from qiskit.transpiler import Target
from qiskit_aer import AerSimulator
from qiskit_ibm_runtime import fake_provider
from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2


class SharedSimulator(AerSimulator):
    """An AerSimulator that is not copied.

    `run_quantum_program` deep-copies an AerSimulator for every job (seconds for a large
    device). Each job passes its seed to `run` itself, so sharing one is safe.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> SharedSimulator:
        return self


class Device:
    """One fake device: its service name, its JSON, and its simulators (built on demand)."""

    def __init__(self, class_name: str, name: str | None = None) -> None:
        found = getattr(fake_provider, class_name, None)
        if not (isinstance(found, type) and issubclass(found, FakeBackendV2)):
            raise ValueError(f"{class_name!r} is not a fake device of qiskit_ibm_runtime")
        cls: type[FakeBackendV2] = found
        self.class_name = class_name
        self.name: str = name or cls.backend_name
        self._cls = cls
        # The device's JSON names the real device (`ibmq_manila`); the service answers with
        # the name it lists, as the fake backend itself does.
        self.configuration: dict[str, Any] = {
            **_load(cls.dirname, cls.conf_filename),
            "backend_name": self.name,
        }
        self.properties: dict[str, Any] | None = (
            _load(cls.dirname, cls.props_filename) if cls.props_filename else None
        )
        self.num_qubits: int = self.configuration["n_qubits"]
        self._lock = threading.Lock()
        self.busy = threading.Lock()
        """Held while a job simulates: one job at a time per device, as on a QPU. The
        executor path sets the shared simulator's seed option, and Aer ignores a `None`
        seed at run time, so two jobs at once could share a seed."""

    @cached_property
    def backend(self) -> FakeBackendV2:
        """The fake backend, with its noisy simulator built (the v2 primitives run on it)."""
        with self._lock:
            backend = self._cls()
            backend._setup_sim()  # what its first run() would do, done once here
            return backend

    @cached_property
    def target(self) -> Target:
        """The device's target, whose gate and readout durations time its jobs' bills."""
        with self._lock:
            return self._cls().target

    @cached_property
    def simulator(self) -> SharedSimulator:
        """`AerSimulator.from_backend(device)`, as the local executor path builds it."""
        with self._lock:
            return SharedSimulator.from_backend(self._cls())


def _load(dirname: str, filename: str) -> dict[str, Any]:
    with open(os.path.join(dirname, filename)) as file:
        result: dict[str, Any] = json.load(file)
        return result


def load_devices(specs: list[str]) -> dict[str, Device]:
    """Service name -> Device, for specs `CLASS` or `CLASS=NAME`.

    `FakeTorino` is served as `fake_torino`; `FakeTorino=ibm_torino` under the name a
    real run's configuration asks for.
    """
    devices = [Device(*spec.split("=", 1)) for spec in specs]
    return {device.name: device for device in devices}
