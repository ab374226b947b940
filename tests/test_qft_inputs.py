"""QFT with random inputs: several circuits per width, each with its known answer."""

from __future__ import annotations

import pytest
from conftest import run_config
from qiskit.quantum_info import Statevector

from qexp.analysis.aggregate import STUDENT_T, metric_means
from qexp.circuits import catalog, generate
from qexp.circuits.qft import answer, prepared
from qexp.config.circuits import QftConfig, validate
from qexp.errors import ConfigError
from qexp.results import load_table


def test_random_inputs_each_give_their_input_plus_one():
    cfg = QftConfig(num_qubits=[3, 5], inputs="random", count=6)
    specs = generate(cfg, seed=4)
    assert [s.circuit.num_qubits for s in specs] == [3] * 6 + [5] * 6
    assert len(catalog(cfg, seed=4)) == 12
    for spec in specs:
        n, x = spec.circuit.num_qubits, spec.metadata["input"]
        probabilities = Statevector(spec.circuit).probabilities()
        expected = (x + 1) % 2**n
        assert probabilities[expected] == pytest.approx(1.0, abs=1e-9)
        assert spec.ideal_outcomes == (format(expected, f"0{n}b"),)
        assert spec.ideal.certain_outcome == expected == answer(n, x)
    inputs = {s.metadata["input"] for s in specs if s.circuit.num_qubits == 5}
    assert len(inputs) > 1  # a width's circuits differ
    again = generate(cfg, seed=4)
    assert [s.metadata for s in again] == [s.metadata for s in specs]  # seeded
    assert [s.metadata for s in generate(cfg, seed=4, indices=[7, 2])] == [
        specs[7].metadata,
        specs[2].metadata,
    ]
    assert [s.metadata["input"] for s in generate(cfg, seed=5)] != [
        s.metadata["input"] for s in specs
    ]


def test_fixed_input_is_unchanged():
    (spec,) = generate(QftConfig(num_qubits=3), seed=1)
    assert spec.ideal_outcomes == ("110",) and prepared(3) == 0b101
    assert "input" not in spec.metadata  # the circuits of older runs, as they were


@pytest.mark.parametrize(
    ("changes", "key"),
    [({"inputs": "sometimes"}, "circuits.inputs"), ({"count": 4}, "circuits.count")],
)
def test_bad_qft_settings_name_their_key(changes, key):
    with pytest.raises(ConfigError) as caught:
        validate(QftConfig(**changes))
    assert key in str(caught.value) and "circuits.inputs=random" in str(caught.value)


def test_a_width_of_random_inputs_has_a_spread_and_its_interval(tmp_path):
    run_config(
        tmp_path / "run",
        "circuits=qft",
        "circuits.inputs=random",
        "circuits.count=5",
        "circuits.num_qubits=[3]",
        "backend=fake",
        "primitive.shots=500",
        "run.progress=off",
    )
    table = load_table(tmp_path / "run")
    assert len(table) == 5 and table["input"].nunique() > 1
    assert table["success_probability"].std() > 0
    means = metric_means(table).set_index(["metric", "num_qubits"])
    row = means.loc[("success_probability", 3)]
    assert row["n"] == 5 and row["interval"] == STUDENT_T and row["low"] < row["high"]
