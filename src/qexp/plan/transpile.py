"""ISA circuits for the backend, through Qiskit's preset pass managers, with a disk cache.

Each circuit is transpiled on its own by one seeded pass manager, so its ISA circuit depends
only on the circuit, the backend's target, the options and the seed: never on which other
circuits share its job or its worker process. That is what lets qexp transpile partitions
in parallel processes, and reuse an ISA circuit from the cache (`qexp.plan.transpile_cache`)
when a later run or sweep point asks for the same one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from qiskit import QuantumCircuit
from qiskit.transpiler import StagedPassManager, Target, generate_preset_pass_manager

PARALLEL_MIN_CIRCUITS = 64
"""Below this many circuits, starting worker processes costs more than it saves."""


def pass_manager(optimization_level: int, target: Target, seed: int) -> StagedPassManager:
    """One seeded pass manager: each circuit's transpilation depends only on it and the seed.

    Built from the backend's target (not the backend object), which gives the same ISA
    circuits and can be sent to worker processes.
    """
    return generate_preset_pass_manager(
        optimization_level=optimization_level, target=target, seed_transpiler=seed
    )


def to_isa(pm: StagedPassManager, circuits: Sequence[QuantumCircuit]) -> list[QuantumCircuit]:
    """Transpile serially in this process (qexp parallelises across processes itself)."""
    return list(pm.run(list(circuits), num_processes=1))


def target_fingerprint(target: Target) -> str:
    """A digest of everything in the target the transpiler may use: instructions, their
    qubits, errors and durations, and the timing constraints. A recalibrated device gets a
    new fingerprint, so the cache never hands out circuits laid out for old error rates."""
    h = hashlib.sha256()
    h.update(repr((target.num_qubits, target.dt, sorted(target.operation_names))).encode())
    for name in sorted(target.operation_names):
        properties = target[name]
        entries = []
        for qargs, props in properties.items():
            error = getattr(props, "error", None) if props is not None else None
            duration = getattr(props, "duration", None) if props is not None else None
            entries.append((qargs, error, duration))
        entries.sort(key=lambda entry: repr(entry[0]))
        h.update(repr((name, entries)).encode())
    return h.hexdigest()[:32]


def depth(circuit: QuantumCircuit) -> int:
    """`circuit.depth()` (barriers not counted), through the DAG: ten times faster, in Rust."""
    from qiskit.converters import circuit_to_dag

    try:
        dag = circuit_to_dag(circuit, copy_operations=False)
        dag.remove_all_ops_named("barrier")
        return int(dag.depth())
    except Exception:  # control flow: the circuit's own count
        return circuit.depth()
