"""A Clifford QASM file wider than `metrics.max_exact_qubits` gets its stabilizer ideal,
for the classical bits its measurements feed (docs/metrics.md promises it at any width)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run_config
from qiskit import QuantumCircuit
from qiskit.quantum_info import random_clifford

from qexp.circuits import ideal
from qexp.circuits.base import CircuitSpec
from qexp.results import counts, load_table

WIDE = 22


@pytest.mark.parametrize("trial", range(40))
def test_the_stabilizer_marginal_equals_the_statevector_marginal(trial):
    """Random Cliffords measured into registers fed by some qubits in any order (one qubit
    read into two bits in some trials): the stabilizer form's marginal, used above the
    exact limit, equals the statevector's below it, outcome by outcome."""
    rng = np.random.default_rng(trial)
    n = int(rng.integers(2, 7))
    qubits = [int(q) for q in rng.permutation(n)[: int(rng.integers(1, n + 1))]]
    if trial % 4 == 0:
        qubits.append(qubits[0])  # both bits read the same qubit: always equal
    qc = QuantumCircuit(n, len(qubits))
    qc.compose(random_clifford(n, seed=trial).to_circuit(), inplace=True)
    for bit, qubit in enumerate(qubits):
        qc.measure(qubit, bit)
    (dense,) = ideal.distributions(CircuitSpec(qc), max_exact_qubits=20)
    (stabilizer,) = ideal.distributions(CircuitSpec(qc), max_exact_qubits=0)
    assert dense.is_dense and not stabilizer.is_dense
    every = np.arange(2 ** len(qubits), dtype=np.uint64)
    assert stabilizer.probability(every) == pytest.approx(dense.probability(every), abs=1e-12)
    if trial % 4 == 0:  # the two bits of one qubit never differ
        last, first = len(qubits) - 1, 0
        differ = ((every >> np.uint64(last)) ^ (every >> np.uint64(first))) & np.uint64(1)
        assert dense.probability(every[differ == 1]).sum() == 0


def test_a_measured_22_qubit_ghz_file_gets_its_ideal_and_its_metrics(tmp_path, monkeypatch):
    lines = ["OPENQASM 2.0;", 'include "qelib1.inc";', f"qreg q[{WIDE}];", f"creg c[{WIDE}];"]
    lines += ["h q[0];", *(f"cx q[{k}], q[{k + 1}];" for k in range(WIDE - 1))]
    lines += ["measure q -> c;"]
    path = tmp_path / "ghz22.qasm"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    spec = CircuitSpec(QuantumCircuit.from_qasm_file(str(path)))
    (found,) = ideal.distributions(spec)  # the default limit, 20, is below 22
    ends = np.array([0, 2**WIDE - 1, 5], dtype=np.uint64)
    assert found.probability(ends).tolist() == [0.5, 0.5, 0.0]
    monkeypatch.chdir(tmp_path)
    run_config(
        tmp_path / "run",
        "circuits=qasm",
        f"circuits.path={path.name}",
        "primitive.shots=200",
        "run.progress=off",
    )
    (row,) = load_table(tmp_path / "run").itertuples(index=False)
    (record,) = counts(tmp_path / "run")
    zeros = record["counts"].get("0" * WIDE, 0) / 200
    assert row.success_probability == 1.0  # every shot on 0...0 or 1...1
    by_hand = (np.sqrt(zeros / 2) + np.sqrt((1 - zeros) / 2)) ** 2
    assert row.hellinger_fidelity == pytest.approx(by_hand, abs=1e-12)
    floor = 2.0 ** (1 - WIDE)  # the uniform distribution against GHZ
    assert row.normalized_fidelity == pytest.approx((by_hand - floor) / (1 - floor), abs=1e-12)
    assert row.hellinger_fidelity_reference == pytest.approx(1.0, abs=0.01)
