"""Circuits loaded from OpenQASM 2 or 3 files.

`path` is a file, a folder (every `*.qasm` in it, sorted by name) or a glob pattern
(matches sorted). Relative paths resolve against the current working directory: with
`version_base="1.3"` Hydra does not change it. A file whose text has an `OPENQASM 3` header
is read with `qiskit.qasm3.loads`, any other with `qiskit.qasm2.loads` (legacy custom
instructions, as `qiskit.qasm2.load` of old).

Final measurements are stripped so the circuit fits `CircuitSpec`'s contract (the Sampler
adds `measure_all`). A circuit whose measurements cannot all be stripped (a mid-circuit
measurement, or an operation conditioned on classical bits) is kept exactly as written,
final measurements included: it is the one kind of spec whose circuit has classical bits
(`circuit.num_clbits > 0`), and the Sampler then reads its own classical registers
instead of adding `measure_all`.
"""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass
from pathlib import Path

from qiskit import QuantumCircuit, qasm2, qasm3

from qexp.circuits.base import CircuitSpec, z_observables
from qexp.errors import ConfigError

KEY = "circuits.path"
_QASM3_HEADER = re.compile(r"^\s*OPENQASM\s+3\b", re.MULTILINE)
_GLOB_CHARS = frozenset("*?[")


@dataclass
class QasmConfig:
    """Circuits read from OpenQASM files; their widths come from the files."""

    name: str = "qasm"
    path: str = ""
    """A .qasm file, a folder of .qasm files, or a glob such as `circuits/*.qasm`."""


def validate(cfg: QasmConfig) -> None:
    """Cheap: the files exist. Parsing happens once, in `generate`, still before submission."""
    files(cfg.path)


def generate(cfg: QasmConfig, seed: int) -> list[CircuitSpec]:
    return [_spec(file) for file in files(cfg.path)]


def files(path: str) -> list[Path]:
    """The files `path` names, sorted; a ConfigError if there are none."""
    if not isinstance(path, str) or not path.strip():
        raise ConfigError(KEY, path, "a file, folder or glob of OpenQASM files", _fix())
    expanded = str(Path(path).expanduser())
    if _GLOB_CHARS & set(expanded):
        found = sorted(Path(p) for p in glob.glob(expanded, recursive=True) if Path(p).is_file())
        problem = "the glob matches no file"
    elif Path(expanded).is_dir():
        found = sorted(p for p in Path(expanded).glob("*.qasm") if p.is_file())
        problem = "the folder holds no *.qasm file"
    elif Path(expanded).is_file():
        found = [Path(expanded)]
    else:
        found, problem = [], f"no such file or folder (looked in {Path.cwd()})"
    if not found:
        raise ConfigError(KEY, path, f"a file, folder or glob of OpenQASM files; {problem}", _fix())
    return [p.resolve() for p in found]


def load(file: Path) -> QuantumCircuit:
    """Parse one OpenQASM 2 or 3 file; a ConfigError naming the file if it does not parse."""
    try:
        text = file.read_text()
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(KEY, str(file), f"a readable text file; reading failed: {err}") from err
    version = 3 if _QASM3_HEADER.search(text) else 2
    try:
        if version == 3:
            return qasm3.loads(text)
        return qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    except Exception as err:  # the QASM 3 parser raises its own, sometimes empty, errors
        detail = str(err) or f"{type(err).__name__} (the parser gave no details)"
        raise ConfigError(
            KEY,
            str(file),
            f"valid OpenQASM {version}; parsing {file.name} failed: {detail}",
            f"fix {file} or leave it out of {KEY}",
        ) from err


def strip_final_measurements(circuit: QuantumCircuit) -> QuantumCircuit:
    """The circuit without final measurements, or unchanged if classical bits remain in use."""
    stripped = circuit.remove_final_measurements(inplace=False)
    if any(instruction.clbits for instruction in stripped.data):
        return circuit
    return stripped


def _spec(file: Path) -> CircuitSpec:
    circuit = strip_final_measurements(load(file))
    if circuit.num_qubits == 0:
        raise ConfigError(KEY, str(file), "a circuit on at least one qubit", f"fix {file}")
    if circuit.parameters:
        names = ", ".join(sorted(p.name for p in circuit.parameters))
        raise ConfigError(
            KEY,
            str(file),
            f"circuits without free parameters; {file.name} leaves {names} free",
            "bind the parameters in the file, or use circuits=ansatz for parameter scans",
        )
    if opaque := _opaque_gates(circuit):
        raise ConfigError(
            KEY,
            str(file),
            f"gates the transpiler can synthesize; {file.name} uses opaque gate(s) "
            f"{', '.join(sorted(opaque))} with no definition",
            f"define the gate(s) in {file.name} (gate name(...) q {{ ... }})",
        )
    circuit.name = file.stem
    circuit.metadata = {
        "generator": "qasm",
        "num_qubits": circuit.num_qubits,
        "file": str(file),
        "seed": None,
    }
    return CircuitSpec(circuit=circuit, observables=z_observables(circuit.num_qubits))


def _opaque_gates(circuit: QuantumCircuit) -> set[str]:
    """Names of gates with neither a definition nor a place in the standard library."""
    from qiskit.circuit.library import get_standard_gate_name_mapping

    standard = set(get_standard_gate_name_mapping()) | {"measure", "barrier", "reset", "delay"}
    return {
        op.name
        for inst in circuit.data
        if (op := inst.operation).name not in standard
        and not getattr(op, "blocks", None)  # control flow carries its own bodies
        and getattr(op, "definition", None) is None
    }


def _fix() -> str:
    return f"set {KEY}=path/to/circuit.qasm, {KEY}=path/to/folder or {KEY}='path/*.qasm'"
