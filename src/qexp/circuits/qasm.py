"""Circuits loaded from OpenQASM 2 or 3 files.

`path` is a file, a folder (every `*.qasm` in it, sorted by name) or a glob pattern
(matches sorted). Relative paths resolve against the current working directory: with
`version_base="1.3"` Hydra does not change it. A file whose text has an `OPENQASM 3` header
is read with `qiskit.qasm3.loads`, any other as `qiskit.qasm2.loads` reads it (legacy
custom instructions, as `qiskit.qasm2.load` of old), its standard gates kept in Rust
(`qexp.circuits.qasm2_reader`).

A file's own measurements are the user's intent, so the circuit is kept exactly as
written: the Sampler returns the file's classical registers, named as in the file (a file
with `creg ans[5]` fed by 5 of its 10 qubits gives 5-bit outcomes in the field `ans`, as
plain Aer would). Only a file that measures nothing gets `measure_all`; the Estimator drops
final measurements (`qexp.plan.primitives.logical_circuit`). Each file is parsed once and never
deep-copied.

Qiskit's own exporter writes a `gate` definition for every standard gate outside
`qelib1.inc` (`gate cs q0,q1 { ... }`, `gate rzx(param0) ...`, `xx_plus_yy`, `ecr`, ...).
Read literally, each use becomes a custom gate that the transpiler unrolls through its
definition and that QPY stores with its body. A definition whose matrix is the standard
gate's (checked numerically, once per distinct definition text, up to a global phase,
which no measurement sees) is read as that standard gate instead: half the transpiling and
half the exact simulation of such files, and the preset pass manager synthesizes the
gate as it would had the circuit never left Qiskit. Any other definition is used as
written.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from qiskit import QuantumCircuit, qasm2, qasm3
from qiskit.circuit import Gate

from qexp.circuits import qasm2_reader
from qexp.circuits.base import CircuitSpec, z_observables
from qexp.config.circuits import QasmConfig
from qexp.errors import ConfigError

KEY = "circuits.path"
_QASM3_HEADER = re.compile(r"^\s*OPENQASM\s+3\b", re.MULTILINE)
_GLOB_CHARS = frozenset("*?[")


def generate(cfg: QasmConfig, seed: int, indices: Sequence[int] | None = None) -> list[CircuitSpec]:
    """The files' circuits in sorted order; only those at `indices` when given."""
    found = files(cfg.path)
    return [_spec(found[i]) for i in (range(len(found)) if indices is None else indices)]


def files(path: str) -> list[Path]:
    """The files `path` names, sorted, as absolute paths; a ConfigError if there are none.

    A folder's listing is kept while the folder is unchanged (its modification time), so the
    partitions of a run do not list it again, and a resume sees files added since.
    """
    if not isinstance(path, str) or not path.strip():
        raise ConfigError(KEY, path, "a file, folder or glob of OpenQASM files", _fix())
    cwd = os.getcwd()
    expanded = os.path.join(cwd, os.path.expanduser(path))
    if not (_GLOB_CHARS & set(path)) and os.path.isdir(expanded):
        return list(_listing(path, cwd, os.stat(expanded).st_mtime_ns))
    return _files(path, cwd)


@functools.lru_cache(maxsize=8)
def _listing(path: str, cwd: str, mtime_ns: int) -> tuple[Path, ...]:
    """A folder's *.qasm files, sorted, for one version of the folder (`mtime_ns`)."""
    return tuple(_files(path, cwd))


def _files(path: str, cwd: str) -> list[Path]:
    expanded = os.path.join(cwd, os.path.expanduser(path))
    if _GLOB_CHARS & set(path):
        found = sorted(p for p in glob.glob(expanded, recursive=True) if os.path.isfile(p))
        problem = "the glob matches no file"
    elif os.path.isdir(expanded):
        with os.scandir(expanded) as entries:
            found = sorted(e.path for e in entries if e.name.endswith(".qasm") and e.is_file())
        problem = "the folder holds no *.qasm file"
    elif os.path.isfile(expanded):
        found = [expanded]
    else:
        found, problem = [], f"no such file or folder (looked in {cwd})"
    if not found:
        raise ConfigError(KEY, path, f"a file, folder or glob of OpenQASM files; {problem}", _fix())
    return [Path(os.path.abspath(p)) for p in found]


def load(file: Path) -> QuantumCircuit:
    """Parse one OpenQASM 2 or 3 file; a ConfigError naming the file if it does not parse."""
    return _parse(file, _read(file))


def _read(file: Path) -> str:
    try:
        return file.read_text()
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(
            KEY,
            str(file),
            f"a readable text file; reading failed: {err}",
            f"make {file} readable, or leave it out of {KEY}",
        ) from err


def _parse(file: Path, text: str) -> QuantumCircuit:
    version = 3 if _QASM3_HEADER.search(text) else 2
    try:
        if version == 3:
            return qasm3.loads(text)
        return qasm2_reader.loads(text, _custom_instructions(text))
    except Exception as err:  # the QASM 3 parser raises its own, sometimes empty, errors
        detail = str(err) or f"{type(err).__name__} (the parser gave no details)"
        raise ConfigError(
            KEY,
            str(file),
            f"valid OpenQASM {version}; parsing {file.name} failed: {detail}",
            f"fix {file} or leave it out of {KEY}",
        ) from err


def _custom_instructions(text: str) -> tuple[qasm2.CustomInstruction, ...]:
    """qelib1's gates as Qiskit's own (what `qasm2.load` did of old), and each standard gate
    the file defines exactly as Qiskit does (`_standard_definition`)."""
    if "gate" not in text:
        return qasm2.LEGACY_CUSTOM_INSTRUCTIONS
    standard = _definable_standard_gates()
    verdicts: dict[str, bool] = {}  # a name written twice is only standard if both are
    for m in _GATE_DEFINITION.finditer(_COMMENT.sub("", text)):
        if (name := m.group("name")) in standard:
            verdicts[name] = verdicts.get(name, True) and _standard_definition(name, m.group(0))
    return qasm2.LEGACY_CUSTOM_INSTRUCTIONS + tuple(
        standard[name] for name, same in verdicts.items() if same
    )


_GATE_DEFINITION = re.compile(r"\bgate\s+(?P<name>[A-Za-z_]\w*)[^{;]*\{[^}]*\}")
_COMMENT = re.compile(r"//[^\n]*")


@functools.cache
def _definable_standard_gates() -> dict[str, qasm2.CustomInstruction]:
    """Qiskit's standard gates that `qelib1.inc` lacks, by name (files define them), each
    as the parser's instruction for a definition in the file (`builtin=False`)."""
    from qiskit.circuit.library import get_standard_gate_name_mapping

    legacy = {c.name for c in qasm2.LEGACY_CUSTOM_INSTRUCTIONS}
    return {
        name: qasm2.CustomInstruction(
            name, len(gate.params), gate.num_qubits, gate.base_class, builtin=False
        )
        for name, gate in get_standard_gate_name_mapping().items()
        if name not in legacy and isinstance(gate, Gate) and gate.num_qubits > 0
    }


_PROBE_VALUES = ((0.7313, -1.9172, 2.4113), (2.2369, 0.3179, -0.8751))
"""Parameter values at which a definition is compared with the standard gate: two points,
so that a body equal to the gate by coincidence at one of them is still told apart."""


@functools.lru_cache(maxsize=256)
def _standard_definition(name: str, definition: str) -> bool:
    """Whether a file's `gate name(...) ... { body }` is Qiskit's standard gate `name`.

    The definition is parsed on its own (with `qelib1.inc`; a body that uses another of
    the file's gates fails that and is kept as written) and its matrix compared with the
    standard gate's at two parameter points.
    """
    from qiskit.quantum_info import Operator

    standard = _definable_standard_gates()[name]
    k, qubits, gate = standard.num_params, standard.num_qubits, standard.constructor
    targets = ",".join(f"q[{i}]" for i in range(qubits))
    for values in _PROBE_VALUES:
        args = f"({','.join(repr(v) for v in values[:k])})" if k else ""
        program = (
            f'OPENQASM 2.0;\ninclude "qelib1.inc";\n{definition}\n'
            f"qreg q[{qubits}];\n{name}{args} {targets};\n"
        )
        try:
            circuit = qasm2.loads(program, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
            written = Operator(circuit).data
            expected = np.asarray(gate(*values[:k]).to_matrix())
        except Exception:  # not a definition of this gate that stands on its own
            return False
        phase = np.vdot(expected.reshape(-1), written.reshape(-1)) / len(expected)
        if not (np.isclose(abs(phase), 1.0) and np.allclose(written, phase * expected)):
            return False
    return True


def _spec(file: Path) -> CircuitSpec:
    text = _read(file)
    circuit = _parse(file, text)
    if circuit.num_qubits == 0:
        raise ConfigError(
            KEY,
            str(file),
            "a circuit on at least one qubit",
            f"fix {file} or leave it out of {KEY}",
        )
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
            f"define the gate(s) in {file.name} (gate name(...) q {{ ... }}), or leave it "
            f"out of {KEY}",
        )
    circuit.name = file.stem
    circuit.metadata = {
        "generator": "qasm",
        "num_qubits": circuit.num_qubits,
        "file": str(file),
        "seed": None,
    }
    source = hashlib.sha256(f"{file}\0{text}".encode()).hexdigest()
    return CircuitSpec(
        circuit=circuit, observables=z_observables(circuit.num_qubits), source_digest=source
    )


def _opaque_gates(circuit: QuantumCircuit) -> set[str]:
    """Names of gates with neither a definition nor a place in the standard library."""
    standard, opaque, seen = _standard_names(), set(), set()
    for inst in circuit.data:
        if inst.name in standard or inst.name in seen:
            continue
        seen.add(inst.name)
        op = inst.operation
        # control flow carries its own bodies
        if not getattr(op, "blocks", None) and getattr(op, "definition", None) is None:
            opaque.add(op.name)
    return opaque


@functools.cache
def _standard_names() -> frozenset[str]:
    from qiskit.circuit.library import get_standard_gate_name_mapping

    return frozenset(get_standard_gate_name_mapping()) | {"measure", "barrier", "reset", "delay"}


def _fix() -> str:
    return f"set {KEY}=path/to/circuit.qasm, {KEY}=path/to/folder or {KEY}='path/*.qasm'"
