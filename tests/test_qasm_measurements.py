"""A QASM file's own measurements are the user's intent: qexp returns exactly its registers.

Each file is also run through plain `AerSimulator` (the reference a user would trust), and
qexp's Sampler must give the same registers, named as in the file, with the same outcomes:
exactly for classical-reversible circuits, within shot noise for the others.
"""

from __future__ import annotations

import math
from collections import Counter

import pytest
from conftest import run_config
from qiskit import qasm2, transpile
from qiskit_aer import AerSimulator

from qexp.results import load_run

SHOTS = 2000

# A 4+1 qubit ripple adder (a = 0b101, b = 0b011) whose sum lands in `ans`, fed by 5 of
# its 10 qubits; the other qubits are scratch and are never measured.
ADDER = """OPENQASM 2.0;
include "qelib1.inc";
qreg cin[1];
qreg a[4];
qreg b[4];
qreg cout[1];
creg ans[5];
x a[0]; x a[2];
x b[0]; x b[1];
cx a[0],b[0]; cx a[0],cin[0]; ccx cin[0],b[0],a[0];
cx a[1],b[1]; cx a[1],a[0]; ccx a[0],b[1],a[1];
cx a[2],b[2]; cx a[2],a[1]; ccx a[1],b[2],a[2];
cx a[3],b[3]; cx a[3],a[2]; ccx a[2],b[3],a[3];
cx a[3],cout[0];
ccx a[2],b[3],a[3]; cx a[3],a[2]; cx a[2],b[3];
ccx a[1],b[2],a[2]; cx a[2],a[1]; cx a[1],b[2];
ccx a[0],b[1],a[1]; cx a[1],a[0]; cx a[0],b[1];
ccx cin[0],b[0],a[0]; cx a[0],cin[0]; cx cin[0],b[0];
measure b[0] -> ans[0];
measure b[1] -> ans[1];
measure b[2] -> ans[2];
measure b[3] -> ans[3];
measure cout[0] -> ans[4];
"""

# Two registers, one of them fed twice in a different order, and qelib1 gates.
TWO_REGISTERS = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[4];
creg low[2];
creg high[1];
u3(1.1,0.3,-0.2) q[0];
cu1(0.7) q[0],q[1];
h q[2];
crz(1.3) q[2],q[3];
swap q[1],q[3];
rzz(0.4) q[0],q[2];
cswap q[0],q[1],q[2];
measure q[3] -> low[0];
measure q[0] -> low[1];
measure q[2] -> high[0];
"""

NO_MEASUREMENT = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[3];
creg unused[2];
h q[0];
cx q[0],q[1];
x q[2];
"""


def _aer_counts(text: str, seed: int) -> dict[str, Counter]:
    """Plain AerSimulator counts per register, keyed by register name."""
    circuit = qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    backend = AerSimulator()
    counts = backend.run(transpile(circuit, backend), shots=SHOTS, seed_simulator=seed)
    joint = counts.result().get_counts()
    names = [r.name for r in circuit.cregs]
    per_register: dict[str, Counter] = {name: Counter() for name in names}
    for key, n in joint.items():
        for name, bits in zip(reversed(names), key.split(" "), strict=True):
            per_register[name][bits] += n
    return per_register


def _tvd(a: Counter, b: Counter) -> float:
    total_a, total_b = sum(a.values()), sum(b.values())
    return 0.5 * sum(abs(a[k] / total_a - b[k] / total_b) for k in set(a) | set(b))


@pytest.fixture
def qasm_run(tmp_path):
    def run(name: str, text: str):
        folder = tmp_path / "files"
        folder.mkdir(exist_ok=True)
        (folder / f"{name}.qasm").write_text(text)
        run_config(
            tmp_path / name,
            "circuits=qasm",
            f"circuits.path={folder / name}.qasm",
            f"primitive.shots={SHOTS}",
            "run.progress=off",
        )
        (result,) = load_run(tmp_path / name)
        return result

    return run


def test_a_register_fed_by_some_qubits_comes_back_as_written(qasm_run):
    result = qasm_run("adder", ADDER)
    assert list(result.data) == ["ans"]  # the file's register, not measure_all's `meas`
    assert result.data.ans.num_bits == 5
    # 5 + 3 = 8 = 0b01000: every shot, as plain Aer says too
    assert result.data.ans.get_counts() == {"01000": SHOTS}
    assert _aer_counts(ADDER, seed=3)["ans"] == Counter({"01000": SHOTS})


def test_several_registers_match_plain_aer_within_shot_noise(qasm_run):
    result = qasm_run("two_registers", TWO_REGISTERS)
    assert list(result.data) == ["low", "high"]
    assert (result.data.low.num_bits, result.data.high.num_bits) == (2, 1)
    reference = _aer_counts(TWO_REGISTERS, seed=5)
    bound = 4 * math.sqrt(4 / SHOTS)  # a generous shot-noise bound on TVD for <= 4 outcomes
    for name in ("low", "high"):
        got = Counter(result.data[name].get_counts())
        assert _tvd(got, reference[name]) < bound, name
    assert len(reference["low"]) > 1  # the test compares real distributions


def test_a_file_that_measures_nothing_gets_measure_all(qasm_run):
    result = qasm_run("bell", NO_MEASUREMENT)
    assert list(result.data) == ["meas"]  # its unused register is dropped, not returned
    assert set(result.data.meas.get_counts()) == {"100", "111"}
