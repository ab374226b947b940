"""`circuits=`: each generator's parameters (its schema) and their value checks.

The generators themselves live in `qexp.circuits`, one module per choice; what they need
beyond the values (a QASM file that exists, explicit points that fit the ansatz's
parameters) is checked there, when the plan builds the catalog, still before submission.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qexp.errors import ConfigError

ANSATZE = ("efficient_su2", "real_amplitudes")
"""The ansatz families `circuits=ansatz` builds (`qexp.circuits.ansatz`)."""


@dataclass
class GhzConfig:
    """One GHZ circuit per width, and with `parity` its parity-oscillation circuits."""

    name: str = "ghz"
    num_qubits: Any = 3
    """An int or a list of ints: one circuit per width."""
    parity: bool = False
    """Add, per width n, the 2n + 2 parity-oscillation circuits (a phase on every qubit,
    then a Hadamard on every qubit) that the GHZ state fidelity needs (Monz et al. 2011)."""


QFT_INPUTS = ("fixed", "random")
"""What the QFT adder's circuits start from (`qexp.circuits.qft`)."""


@dataclass
class QftConfig:
    """QFT adder circuits: one per width from a fixed input, or `count` per width from
    random inputs (each with its known answer)."""

    name: str = "qft"
    num_qubits: Any = 3
    """An int or a list of ints."""
    inputs: str = "fixed"
    """`fixed`: one circuit per width, input 0101...01; `random`: `count` circuits per
    width, each from its own seeded random input, so the figures see the spread between
    circuits."""
    count: int = 1
    """Circuits per width with `inputs=random` (1 with `inputs=fixed`)."""


@dataclass
class RandomConfig:
    """`count` random circuits of `depth` layers for each width."""

    name: str = "random"
    num_qubits: Any = 3
    """An int or a list of ints: `count` circuits per width."""
    count: int = 10
    """Circuits per width, each with its own seed derived from the run's seed."""
    depth: int = 5
    """Layers of random gates (before transpilation)."""


@dataclass
class QuantumVolumeConfig:
    """`count` quantum-volume circuits for each width."""

    name: str = "quantum_volume"
    num_qubits: Any = 3
    """An int >= 2 or a list of such ints: `count` circuits per width."""
    count: int = 10
    """Circuits per width, each with its own seed derived from the run's seed."""


@dataclass
class CliffordConfig:
    """`count` random Clifford circuits for each width."""

    name: str = "clifford"
    num_qubits: Any = 3
    """An int or a list of ints: `count` circuits per width."""
    count: int = 10
    """Circuits per width, each with its own seed derived from the run's seed."""


@dataclass
class MirrorConfig:
    """Mirror randomized benchmarking (Proctor et al. 2022): `count` circuits per width and
    benchmark depth."""

    name: str = "mirror"
    num_qubits: Any = 5
    """An int or a list of ints."""
    depth: Any = 4
    """Benchmark depth d, or a list of them (the fit across depths needs two or more): an
    even int >= 0, the number of random layers and inverted layers (d / 2 of each), each
    with its random Pauli layer; the edge single-qubit Clifford layers are not counted."""
    count: int = 10
    """Circuits per width and depth, each with its own seed derived from the run's seed."""
    two_qubit_gate_density: float = 0.25
    """xi: the expected share of qubits in a CZ gate per layer (n xi / 2 gates on average),
    as pyGSTi's edge-grab sampler defines it; 0 to 1."""


@dataclass
class AnsatzConfig:
    """One parameterized ansatz circuit per width, run at `num_points` parameter points."""

    name: str = "ansatz"
    num_qubits: Any = 3
    """An int or a list of ints: one circuit per width (a single int when `points` is set)."""
    ansatz: str = "efficient_su2"
    """Which circuit family: efficient_su2 or real_amplitudes."""
    reps: int = 1
    """Entangling layers (repetitions) of the ansatz."""
    num_points: int = 8
    """Random parameter points per circuit, drawn in [0, 2 pi); ignored when `points` is set."""
    points: list[Any] | None = None
    """Explicit parameter points: a list of vectors, each of length num_parameters.

    Typed loosely on purpose: OmegaConf 2.3 rejects ints such as `[[0, 1.5]]` in a
    `list[list[float]]` field instead of converting them; the values are checked here.
    """


@dataclass
class QasmConfig:
    """Circuits read from OpenQASM files; their widths come from the files."""

    name: str = "qasm"
    path: str = ""
    """A .qasm file, a folder of .qasm files, or a glob such as `circuits/*.qasm`."""


SCHEMAS: dict[str, type] = {
    "ghz": GhzConfig,
    "qft": QftConfig,
    "random": RandomConfig,
    "quantum_volume": QuantumVolumeConfig,
    "clifford": CliffordConfig,
    "mirror": MirrorConfig,
    "ansatz": AnsatzConfig,
    "qasm": QasmConfig,
}
"""Config name -> its dataclass schema."""


def validate(cfg: Any) -> None:
    """The generator's values: widths, counts and depths, choices, a path given."""
    name = getattr(cfg, "name", None)
    if name not in SCHEMAS:
        raise ConfigError(
            "circuits", name, f"one of {', '.join(SCHEMAS)}", "choose e.g. circuits=ghz"
        )
    if name == "qasm":
        if not isinstance(cfg.path, str) or not cfg.path.strip():
            raise ConfigError(
                "circuits.path",
                cfg.path,
                "a file, folder or glob of OpenQASM files",
                "set circuits.path=path/to/circuit.qasm, circuits.path=path/to/folder or "
                "circuits.path='path/*.qasm'",
            )
        return
    widths(cfg.num_qubits, minimum=2 if name in ("ghz", "quantum_volume") else 1)
    if name == "mirror":
        _validate_mirror(cfg)
        return
    if name == "ghz" and not isinstance(cfg.parity, bool):
        raise ConfigError(
            "circuits.parity",
            cfg.parity,
            "true or false",
            "set circuits.parity=true to add the parity-oscillation circuits",
        )
    for key in ("count", "depth"):
        if hasattr(cfg, key):
            positive(getattr(cfg, key), f"circuits.{key}")
    if name == "ansatz":
        _validate_ansatz(cfg)
    if name == "qft":
        _validate_qft(cfg)


def _validate_mirror(cfg: MirrorConfig) -> None:
    positive(cfg.count, "circuits.count")
    mirror_depths(cfg.depth)
    xi = cfg.two_qubit_gate_density
    if isinstance(xi, bool) or not isinstance(xi, int | float) or not 0 <= xi <= 1:
        raise ConfigError(
            "circuits.two_qubit_gate_density",
            xi,
            "a number from 0 to 1: the expected share of qubits in a two-qubit gate per layer",
            "set circuits.two_qubit_gate_density=0.25 (Proctor et al.'s choice)",
        )


def mirror_depths(value: Any) -> list[int]:
    """Mirror benchmark depths as a list: an even int >= 0, or a list of such ints."""
    items = list(value) if isinstance(value, Sequence) and not isinstance(value, str) else [value]
    good = all(
        not isinstance(d, bool) and isinstance(d, int) and d >= 0 and d % 2 == 0 for d in items
    )
    if not items or not good or len(set(items)) != len(items):
        raise ConfigError(
            "circuits.depth",
            value,
            "an even int >= 0 (the benchmark depth: as many random layers as inverted ones) "
            "or a list of distinct such ints",
            "set circuits.depth=[0,2,4,8,16] (a fit across depths needs two or more)",
        )
    return items


def _validate_qft(cfg: QftConfig) -> None:
    if cfg.inputs not in QFT_INPUTS:
        raise ConfigError(
            "circuits.inputs",
            cfg.inputs,
            f"one of {', '.join(QFT_INPUTS)}",
            "set circuits.inputs=random circuits.count=10 for several circuits per width",
        )
    if cfg.inputs == "fixed" and cfg.count != 1:
        raise ConfigError(
            "circuits.count",
            cfg.count,
            "1 with circuits.inputs=fixed (every circuit of a width would be the same)",
            f"set circuits.inputs=random to run {cfg.count} circuits per width",
        )


def _validate_ansatz(cfg: AnsatzConfig) -> None:
    if cfg.ansatz not in ANSATZE:
        raise ConfigError(
            "circuits.ansatz",
            cfg.ansatz,
            f"one of {', '.join(ANSATZE)}",
            "set circuits.ansatz=efficient_su2",
        )
    positive(cfg.reps, "circuits.reps")
    if cfg.points is None:
        positive(cfg.num_points, "circuits.num_points")
        return
    ns = widths(cfg.num_qubits)
    if len(ns) != 1:
        raise ConfigError(
            "circuits.points",
            cfg.points,
            "explicit points need a single width, since the number of parameters "
            f"depends on it (got circuits.num_qubits={cfg.num_qubits!r})",
            f"set circuits.num_qubits={ns[0]} (one width), or circuits.points=null to "
            "draw circuits.num_points random points per width",
        )


def widths(value: Any, key: str = "circuits.num_qubits", minimum: int = 1) -> list[int]:
    """`num_qubits` as a list: an int or a list of ints, each at least `minimum`."""
    items = list(value) if isinstance(value, Sequence) and not isinstance(value, str) else [value]
    if not items:
        raise ConfigError(key, value, "a non-empty list of qubit counts", f"set {key}=3")
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int) or item < minimum:
            raise ConfigError(
                key,
                value,
                f"an int >= {minimum} or a list of such ints",
                f"set {key}={max(minimum, 3)} or {key}=[2,3,4]",
            )
    return items


def positive(value: Any, key: str, minimum: int = 1) -> int:
    """Check an integer parameter such as `count` or `depth`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(key, value, f"an integer >= {minimum}", f"set {key}={minimum}")
    return value
