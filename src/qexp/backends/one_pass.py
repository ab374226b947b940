"""An AerSimulator that reads a plain circuit once: its gates to Aer's in one pass.

Before simulating, Aer's Python side walks every circuit four times (the operation types,
control flow, conditions and variables, then the gates themselves), and each walk makes a
Python object of every instruction, which Qiskit keeps in Rust: about 7 us per instruction
and walk, 3.4 ms for a five-qubit circuit of depth 30, where Aer's C++ simulates its 100
shots in about half of one. Most circuits a run sends are plain: standard gates with
numeric parameters, measurements and barriers. Those are handed to Aer here in one walk
that reads each instruction's name, parameters, label and bits without making its Python
object; Aer gets the same circuits, options, noise and seed, so the bits are the same
(tested against `AerSimulator.run`). Anything else (parameters to bind, control flow,
variables, delays, other instructions, a gate outside the simulator's basis) takes Aer's
own path, unchanged. One difference, by design: a label given to a gate's Python object
after the gate joined the circuit is not the circuit's (Qiskit keeps it on that object
only), so a noise model keyed to such a label applies on Aer's path and not here.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Sequence
from typing import Any

from qiskit import QuantumCircuit
from qiskit.circuit import ParameterExpression
from qiskit_aer import AerError, AerSimulator
from qiskit_aer.backends.aer_compiler import generate_aer_config
from qiskit_aer.backends.backend_utils import CircuitHeader
from qiskit_aer.backends.controller_wrappers import AerCircuit

log = logging.getLogger(__name__)

GATES = frozenset(
    {
        "ccx", "ccz", "cp", "cswap", "csx", "cx", "cy", "cz", "ecr", "h", "id", "p", "r",
        "rx", "rxx", "ry", "ryy", "rz", "rzx", "rzz", "s", "sdg", "swap", "sx", "sxdg",
        "t", "tdg", "u", "x", "y", "z", "u1", "u2", "u3", "cu", "cu1", "cu3",
        "crx", "cry", "crz",
    }
)  # fmt: skip
"""Qiskit's standard gates that Aer's assembler hands to `AerCircuit.gate` by name, as
they are (`qiskit_aer.backends.aer_compiler._assemble_op`)."""


def assemble(circuit: QuantumCircuit, basis: frozenset[str] | None) -> AerCircuit | None:
    """The AerCircuit Aer's own `assemble_circuit` makes of a plain `circuit`, or None when
    the circuit is not plain (Aer's own path then takes it)."""
    if circuit.num_vars or circuit.num_parameters or _symbolic(circuit.global_phase):
        return None
    qubits = {bit: index for index, bit in enumerate(circuit.qubits)}
    clbits = {bit: index for index, bit in enumerate(circuit.clbits)}
    ops: list[tuple[str, list[int], list[Any], str | None]] = []
    for inst in circuit.data:
        name = inst.name
        if name in GATES and inst.is_standard_gate():
            if basis is not None and name not in basis:
                return None
            ops.append((name, [qubits[q] for q in inst.qubits], inst.params, inst.label))
        elif name == "measure":
            clbit_indices = [clbits[c] for c in inst.clbits]
            ops.append((name, [qubits[q] for q in inst.qubits], clbit_indices, None))
        elif name != "barrier":  # a barrier is no operation to Aer
            return None
    num_qubits, num_memory = circuit.num_qubits, circuit.num_clbits
    global_phase = float(circuit.global_phase)
    aer = AerCircuit()
    aer.set_header(
        CircuitHeader(
            n_qubits=num_qubits,
            qreg_sizes=[[reg.name, reg.size] for reg in circuit.qregs],
            memory_slots=num_memory,
            creg_sizes=[[reg.name, reg.size] for reg in circuit.cregs],
            name=circuit.name,
            global_phase=global_phase,
        )
    )
    aer.num_qubits = num_qubits
    aer.num_memory = num_memory
    aer.global_phase_angle = global_phase
    for name, targets, values, label in ops:
        if name == "measure":
            aer.measure(targets, values, [])
        else:
            aer.gate(name, targets, values, [], -1, None, label or name)
    return aer


def _assemble_all(
    circuits: Sequence[QuantumCircuit], basis: frozenset[str] | None
) -> list[AerCircuit] | None:
    """Every circuit assembled in one pass, or None if one of them is not plain."""
    assembled = []
    for circuit in circuits:
        aer = assemble(circuit, basis)
        if aer is None:
            return None
        assembled.append(aer)
    return assembled


def _symbolic(phase: Any) -> bool:
    return isinstance(phase, ParameterExpression) and bool(phase.parameters)


class OnePassSimulator(AerSimulator):
    """`AerSimulator` whose runs of plain circuits are assembled in one pass (above)."""

    def _execute_circuits_job(
        self,
        circuits: Sequence[QuantumCircuit],
        parameter_binds: Any,
        run_options: dict[str, Any],
        job_id: str = "",
        format_result: bool = True,
    ) -> Any:
        start = time.time()
        basis = frozenset(self.configuration().basis_gates) if self._target is not None else None
        assembled = None if parameter_binds else _assemble_all(circuits, basis)
        if not assembled:  # not plain, or nothing to run: Aer's own path
            return super()._execute_circuits_job(
                circuits, parameter_binds, run_options, job_id, format_result
            )
        for circ_id, aer in enumerate(assembled):
            aer.circ_id = circ_id
        # What Aer's `_compile` leaves of a run without quantum-error instructions or
        # delays: the run's noise model, else the simulator's.
        noise_model = run_options.get("noise_model", getattr(self.options, "noise_model", None))
        config = generate_aer_config(circuits, self.options, **run_options)
        output = self._execute_circuits(assembled, noise_model, config)
        if not isinstance(output, dict):  # as Aer's own path reports it
            raise AerError("simulation terminated without returning valid output.")
        output["job_id"] = job_id
        output["date"] = datetime.datetime.now().isoformat()
        output["backend_name"] = self.name
        output["backend_version"] = self.configuration().backend_version
        for result in output["results"]:
            if "header" in result:
                result["header"]["metadata"] = circuits[result.pop("circ_id")].metadata
        output["time_taken"] = time.time() - start
        if not output.get("success", False):
            log.warning("Simulation failed and returned: %s", output.get("status"))
        return self._format_results(output) if format_result else output
