"""The circuit generators: counts, metadata, determinism, and the QASM loader."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import BELL_QASM2
from qiskit.quantum_info import Statevector

from qexp import circuits
from qexp.circuits import CircuitSpec
from qexp.config import circuits as schemas
from qexp.config.circuits import (
    AnsatzConfig,
    CliffordConfig,
    GhzConfig,
    MirrorConfig,
    QasmConfig,
    QftConfig,
    QuantumVolumeConfig,
    RandomConfig,
)
from qexp.config.primitive import EstimatorConfig, SamplerConfig
from qexp.errors import ConfigError
from qexp.plan import primitives

BASE_KEYS = {"generator", "num_qubits", "seed"}

# (config, specs per width, metadata keys beyond BASE_KEYS, random family?)
CASES = [
    (GhzConfig(num_qubits=[2, 3]), 1, set(), False),
    (QftConfig(num_qubits=[2, 3]), 1, set(), False),
    (RandomConfig(num_qubits=[2, 3], count=4, depth=3), 4, {"depth", "index_in_width"}, True),
    (QuantumVolumeConfig(num_qubits=[2, 3], count=3), 3, {"index_in_width"}, True),
    (CliffordConfig(num_qubits=[2, 3], count=3), 3, {"index_in_width"}, True),
    (
        MirrorConfig(num_qubits=[2, 3], depth=2, count=3),
        3,
        {"depth", "index_in_width", "two_qubit_gate_density"},
        True,
    ),
    (AnsatzConfig(num_qubits=[2, 3], num_points=5), 1, {"ansatz", "reps"}, True),
]
IDS = [case[0].name for case in CASES]

QASM3 = """// a comment before the header
OPENQASM 3.0;
include "stdgates.inc";
qubit[3] q;
bit[3] c;
x q[2];
cx q[2], q[1];
c = measure q;
"""
QASM2_MID = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
measure q[0] -> c[0];
cx q[0], q[1];
measure q[1] -> c[1];
"""


def _comparable(spec: CircuitSpec):
    """The circuit, bound at its first point if parameterized.

    Parameters compare by a random UUID, so two separately built ansatz circuits are never
    `==`; bound at the same values (and with the same parameter names) they are.
    """
    if spec.parameter_values is None:
        return spec.circuit
    return spec.circuit.assign_parameters(spec.parameter_values[0])


def _same(a: list[CircuitSpec], b: list[CircuitSpec]) -> bool:
    return len(a) == len(b) and all(
        _comparable(x) == _comparable(y)
        and [p.name for p in x.circuit.parameters] == [p.name for p in y.circuit.parameters]
        and x.circuit.metadata == y.circuit.metadata
        and np.array_equal(
            x.parameter_values if x.parameter_values is not None else np.empty(0),
            y.parameter_values if y.parameter_values is not None else np.empty(0),
        )
        for x, y in zip(a, b, strict=True)
    )


@pytest.mark.parametrize(("cfg", "per_width", "extra", "_"), CASES, ids=IDS)
def test_counts_widths_and_metadata(cfg, per_width, extra, _):
    specs = circuits.generate(cfg, seed=11)
    assert [s.circuit.num_qubits for s in specs] == [2] * per_width + [3] * per_width
    for spec in specs:
        meta = spec.metadata
        assert set(meta) == BASE_KEYS | extra
        assert meta["generator"] == cfg.name
        assert meta["num_qubits"] == spec.circuit.num_qubits
        assert spec.circuit.num_clbits == 0
        assert len(spec.observables) == spec.circuit.num_qubits
        assert json.loads(json.dumps(meta)) == meta
    if "index_in_width" in extra:
        assert [s.metadata["index_in_width"] for s in specs] == list(range(per_width)) * 2
    if cfg.name in {"ghz", "qft"}:
        assert all(s.metadata["seed"] is None for s in specs)
    else:
        seeds = [s.metadata["seed"] for s in specs]
        assert all(isinstance(s, int) and s >= 1 for s in seeds)
        assert len(set(seeds)) == len(seeds)


@pytest.mark.parametrize(("cfg", "_per_width", "_extra", "is_random"), CASES, ids=IDS)
def test_deterministic_per_seed(cfg, _per_width, _extra, is_random):
    first, again = circuits.generate(cfg, seed=5), circuits.generate(cfg, seed=5)
    assert _same(first, again)
    other = circuits.generate(cfg, seed=6)
    assert _same(first, other) is not is_random


def test_random_circuits_differ_within_a_width():
    specs = circuits.generate(RandomConfig(num_qubits=4, count=3, depth=4), seed=1)
    assert specs[0].circuit != specs[1].circuit != specs[2].circuit
    assert {s.metadata["depth"] for s in specs} == {4}


@pytest.mark.parametrize("n", [2, 3, 5])
def test_ghz_statevector(n):
    (spec,) = circuits.generate(GhzConfig(num_qubits=n), seed=1)
    expected = np.zeros(2**n, dtype=complex)
    expected[0] = expected[-1] = 1 / np.sqrt(2)
    assert Statevector(spec.circuit).equiv(Statevector(expected))
    assert np.allclose(Statevector(spec.circuit).data, expected)
    assert spec.ideal_outcomes == ("0" * n, "1" * n)


@pytest.mark.parametrize(("n", "expected"), [(1, "0"), (2, "10"), (3, "110"), (6, "010110")])
def test_qft_adds_one_to_0101_in_the_fourier_basis(n, expected):
    """x = 0101...01 prepared, +1 in the Fourier basis: one bitstring, x + 1 (mod 2**n)."""
    (spec,) = circuits.generate(QftConfig(num_qubits=n), seed=1)
    probabilities = Statevector(spec.circuit).probabilities()
    assert probabilities[int(expected, 2)] == pytest.approx(1.0)
    assert spec.ideal_outcomes == (expected,)
    assert spec.ideal is not None and spec.ideal.certain_outcome == int(expected, 2)
    assert len(spec.observables) == n
    # Between the transforms the state is spread evenly: the Fourier transform really runs.
    half = spec.circuit.copy()
    half.data = half.data[: [op.operation.name for op in half.data].index("qft") + 1]
    assert np.allclose(Statevector(half).probabilities(), 1 / 2**n)


def test_clifford_circuit_is_clifford():
    from qiskit.quantum_info import Clifford

    for spec in circuits.generate(CliffordConfig(num_qubits=3, count=2), seed=3):
        assert Clifford(spec.circuit).num_qubits == 3


@pytest.mark.parametrize(
    ("ansatz", "params_for_3q"), [("efficient_su2", 12), ("real_amplitudes", 6)]
)
def test_ansatz_random_points(ansatz, params_for_3q):
    cfg = AnsatzConfig(num_qubits=[2, 3], ansatz=ansatz, reps=1, num_points=7)
    specs = circuits.generate(cfg, seed=2)
    values = specs[1].parameter_values
    assert values.shape == (7, params_for_3q) == (7, specs[1].circuit.num_parameters)
    assert specs[0].parameter_values.shape == (7, specs[0].circuit.num_parameters)
    assert values.min() >= 0 and values.max() < 2 * np.pi
    assert specs[1].num_points == 7
    assert specs[1].metadata == {
        "generator": "ansatz",
        "num_qubits": 3,
        "ansatz": ansatz,
        "reps": 1,
        "seed": specs[1].metadata["seed"],
    }
    assert specs[1].metadata["seed"] != specs[0].metadata["seed"]


def test_ansatz_explicit_points():
    points = [[0, 1.5, 2, 3], [0.1, 0.2, 0.3, 0.4]]  # ints as OmegaConf hands them over
    cfg = AnsatzConfig(num_qubits=2, ansatz="real_amplitudes", reps=1, points=points)
    (spec,) = circuits.generate(cfg, seed=2)
    assert spec.parameter_values.dtype == np.float64
    assert np.array_equal(spec.parameter_values, np.array(points, dtype=float))
    assert spec.metadata["seed"] is None
    assert spec.num_points == 2


def test_ansatz_points_of_wrong_length():
    cfg = AnsatzConfig(num_qubits=2, ansatz="real_amplitudes", points=[[0.1, 0.2, 0.3]])
    with pytest.raises(ConfigError) as info:
        circuits.validate(cfg)
    message = str(info.value)
    assert info.value.key == "circuits.points"
    assert "circuits.points" in message
    assert "length 3" in message and "needs 4" in message
    assert "Fix:" in message and "exactly 4 values" in message


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"num_qubits": [2, 3], "points": [[0.0] * 4]}, "circuits.points"),
        ({"points": [[0.0, "a", 0.0, 0.0]]}, "circuits.points"),
        ({"points": []}, "circuits.points"),
        ({"ansatz": "two_local"}, "circuits.ansatz"),
        ({"num_points": 0}, "circuits.num_points"),
        ({"reps": 0}, "circuits.reps"),
        ({"num_qubits": 0}, "circuits.num_qubits"),
    ],
)
def test_ansatz_bad_config(changes, key):
    base = {"num_qubits": 2, "ansatz": "real_amplitudes"}
    with pytest.raises(ConfigError) as info:
        circuits.validate(AnsatzConfig(**{**base, **changes}))
    assert info.value.key == key
    assert key in str(info.value)


@pytest.mark.parametrize(
    ("cfg", "key"),
    [
        (RandomConfig(count=0), "circuits.count"),
        (RandomConfig(depth=0), "circuits.depth"),
        (QuantumVolumeConfig(num_qubits=1), "circuits.num_qubits"),
        (CliffordConfig(num_qubits=[2, "x"]), "circuits.num_qubits"),
        (QftConfig(num_qubits=[]), "circuits.num_qubits"),
        (MirrorConfig(depth=3), "circuits.depth"),  # a benchmark depth is even
        (MirrorConfig(count=-1), "circuits.count"),
        (MirrorConfig(num_qubits=0), "circuits.num_qubits"),
    ],
)
def test_bad_values_name_their_key(cfg, key):
    with pytest.raises(ConfigError) as info:
        circuits.validate(cfg)
    assert info.value.key == key


def test_unknown_generator():
    with pytest.raises(ConfigError) as info:
        circuits.generate(GhzConfig(name="bell"), seed=1)
    assert info.value.key == "circuits"
    assert "quantum_volume" in str(info.value) and "'bell'" in str(info.value)


def test_registry_names_match_schemas():
    assert set(circuits.GENERATORS) == set(schemas.SCHEMAS)
    for name, schema in schemas.SCHEMAS.items():
        assert schema().name == name
        assert hasattr(circuits.GENERATORS[name], "generate")


@pytest.fixture
def qasm_dir(tmp_path):
    folder = tmp_path / "qasm"
    folder.mkdir()
    (folder / "b_bell.qasm").write_text(BELL_QASM2)
    (folder / "a_three.qasm").write_text(QASM3)
    (folder / "notes.txt").write_text("not a circuit")
    return folder


def test_qasm2_file(qasm_dir):
    (spec,) = circuits.generate(QasmConfig(path=str(qasm_dir / "b_bell.qasm")), seed=1)
    assert spec.circuit.num_qubits == 2
    assert [r.name for r in spec.circuit.cregs] == ["c"]  # the file's own register, kept
    assert [i.operation.name for i in spec.circuit.data] == ["h", "cx", "measure", "measure"]
    sampled = primitives.logical_circuit(SamplerConfig(), spec)
    assert sampled is spec.circuit  # it measures: nothing added
    estimated = primitives.logical_circuit(EstimatorConfig(), spec)
    assert estimated.num_clbits == 0
    assert [i.operation.name for i in estimated.data] == ["h", "cx"]
    assert spec.metadata == {
        "generator": "qasm",
        "num_qubits": 2,
        "file": str(qasm_dir / "b_bell.qasm"),
        "seed": None,
    }
    assert spec.observables == ("IZ", "ZI")


def test_qasm3_file(qasm_dir):
    (spec,) = circuits.generate(QasmConfig(path=str(qasm_dir / "a_three.qasm")), seed=1)
    assert spec.circuit.num_qubits == 3
    assert spec.circuit.num_clbits == 3
    unmeasured = primitives.without_final_measurements(spec.circuit)
    assert Statevector(unmeasured).probabilities_dict() == {"110": 1.0}


def test_qasm_folder_is_sorted_and_skips_other_files(qasm_dir):
    specs = circuits.generate(QasmConfig(path=str(qasm_dir)), seed=1)
    assert [s.circuit.name for s in specs] == ["a_three", "b_bell"]
    assert [s.circuit.num_qubits for s in specs] == [3, 2]


def test_qasm_glob_and_relative_path(qasm_dir, monkeypatch):
    monkeypatch.chdir(qasm_dir.parent)
    specs = circuits.generate(QasmConfig(path="qasm/b_*.qasm"), seed=1)
    assert [s.circuit.name for s in specs] == ["b_bell"]
    assert specs[0].metadata["file"] == str(qasm_dir / "b_bell.qasm")


def test_qasm_deterministic(qasm_dir):
    cfg = QasmConfig(path=str(qasm_dir))
    assert _same(circuits.generate(cfg, seed=1), circuits.generate(cfg, seed=2))


def test_qasm_mid_circuit_measurement_is_kept(tmp_path):
    file = tmp_path / "mid.qasm"
    file.write_text(QASM2_MID)
    (spec,) = circuits.generate(QasmConfig(path=str(file)), seed=1)
    names = [i.operation.name for i in spec.circuit.data]
    assert names == ["h", "measure", "cx", "measure"]
    assert spec.circuit.num_clbits == 2


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("missing.qasm", "no such file or folder"),
        ("*.nothing", "the glob matches no file"),
        ("empty", "the folder holds no *.qasm file"),
        ("", "a file, folder or glob"),
    ],
)
def test_qasm_path_errors(tmp_path, monkeypatch, path, problem):
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        circuits.validate(QasmConfig(path=path))
    message = str(info.value)
    assert message.startswith(f"circuits.path={path!r}")
    assert problem in message


@pytest.mark.parametrize(
    ("text", "version", "detail"),
    [
        ("OPENQASM 2.0;\nqreg q[1];\nfoo q[0];\n", 2, "'foo' is not defined"),
        ('OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[1] q;\nfoo q[0];\n', 3, "'foo'"),
        ("OPENQASM 3.0;\nqubit[2 q;\n", 3, "QASM3ParsingError"),
    ],
)
def test_qasm_parse_errors(tmp_path, text, version, detail):
    file = tmp_path / "bad.qasm"
    file.write_text(text)
    with pytest.raises(ConfigError) as info:
        circuits.generate(QasmConfig(path=str(tmp_path)), seed=1)
    message = str(info.value)
    assert "circuits.path" in message
    assert f"valid OpenQASM {version}" in message
    assert "bad.qasm" in message and detail in message


def _exported_with_standard_gates() -> str:
    """What `qasm2.dumps` writes for standard gates outside qelib1.inc: a definition each."""
    from qiskit import QuantumCircuit, qasm2
    from qiskit.circuit.library import (
        CSGate,
        ECRGate,
        RGate,
        RZXGate,
        XXMinusYYGate,
        XXPlusYYGate,
        iSwapGate,
    )

    circuit = QuantumCircuit(3)
    circuit.h(0)
    circuit.append(CSGate(), [0, 1])
    circuit.append(RZXGate(0.41), [1, 2])
    circuit.append(XXPlusYYGate(1.3, -0.2), [2, 0])
    circuit.append(XXMinusYYGate(0.7, 0.9), [0, 2])
    circuit.append(ECRGate(), [1, 0])
    circuit.append(RGate(0.3, 1.1), [2])
    circuit.append(iSwapGate(), [2, 1])
    circuit.measure_all()
    return qasm2.dumps(circuit)


def _literal(text: str):
    """The file as `qasm2.loads` reads it literally: every `gate` a custom gate."""
    from qiskit import qasm2

    return qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)


def _unitary(circuit):
    from qiskit.quantum_info import Operator

    return Operator(circuit.remove_final_measurements(inplace=False)).data


def test_qasm_standard_gates_a_file_defines_are_read_as_qiskits_own(tmp_path):
    text = _exported_with_standard_gates()
    assert "gate xx_plus_yy(" in text and "gate rzx(" in text  # defined in the file
    (tmp_path / "std.qasm").write_text(text)
    (spec,) = circuits.generate(QasmConfig(path=str(tmp_path)), seed=1)
    kinds = {i.operation.name: type(i.operation).__name__ for i in spec.circuit.data}
    assert kinds["cs"].endswith("CSGate") and kinds["rzx"] == "RZXGate"
    assert kinds["xx_plus_yy"] == "XXPlusYYGate" and kinds["xx_minus_yy"] == "XXMinusYYGate"
    assert kinds["ecr"].endswith("ECRGate") and kinds["r"] == "RGate"
    assert kinds["iswap"].endswith("iSwapGate")
    assert spec.circuit.data[2].operation.params == [0.41]  # the file's angle
    # The same operator as the file read literally, up to a global phase
    ours, literal = _unitary(spec.circuit), _unitary(_literal(text))
    phase = np.vdot(ours.reshape(-1), literal.reshape(-1)) / len(ours)
    assert abs(phase) == pytest.approx(1.0)
    np.testing.assert_allclose(literal, phase * ours, atol=1e-10)


@pytest.mark.parametrize(
    "definition",
    [
        "gate cs a,b { cz a,b; }",  # a standard name, another gate
        "gate rzx(t) a,b { h b; cx a,b; rz(2*t) b; cx a,b; h b; }",  # another angle convention
        "gate r(t) a { rx(t) a; }",  # another signature than Qiskit's RGate(theta, phi)
        "gate mine a,b { cx a,b; }\ngate dcx a,b { mine a,b; mine b,a; }",  # uses the file's own
        # Qiskit's own definition in a comment, another one in the program
        "// gate cs q0,q1 { t q0; cx q0,q1; tdg q1; cx q0,q1; t q1; }\ngate cs a,b { cz a,b; }",
    ],
)
def test_qasm_definitions_that_are_not_qiskits_gate_are_used_as_written(tmp_path, definition):
    name = definition.rsplit("gate ", 1)[1].split("(")[0].split(" ")[0]
    args = "(0.37)" if "(t)" in definition.rsplit("gate ", 1)[1] else ""
    qubits = "q[0]" if name == "r" else "q[0],q[1]"
    text = (
        f'OPENQASM 2.0;\ninclude "qelib1.inc";\n{definition}\nqreg q[2];\n'
        f"h q[0];\nh q[1];\n{name}{args} {qubits};\n"
    )
    (tmp_path / "own.qasm").write_text(text)
    (spec,) = circuits.generate(QasmConfig(path=str(tmp_path)), seed=1)
    (gate,) = [i.operation for i in spec.circuit.data if i.operation.name == name]
    assert type(gate).__name__ == "_DefinedGate"
    np.testing.assert_allclose(_unitary(spec.circuit), _unitary(_literal(text)), atol=1e-12)
