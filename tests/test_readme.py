"""The README's Python examples, run as written against a real run and a real sweep.

The examples name a run folder and a sweep folder of the author's machine; the test makes
a real run (the default experiment, as the README says) and the README's sweep of one key
(not `circuits` itself), puts their paths in place of those names and runs each block,
statement by statement, keeping the value of each expression to check what it claims.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from conftest import REPO, qexp_cli

pytestmark = pytest.mark.slow

README = (REPO / "README.md").read_text()
RUN_EXAMPLE = "outputs/2026-11-23/19-35-41"
SWEEP_EXAMPLE = "multirun/2026-11-23/19-40-00"
BLOCKS = re.findall(r"^```python\n(.*?)^```", README, re.DOTALL | re.MULTILINE)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(working folder, run folder, sweep folder), made by `python -m qexp` as a user would."""
    root = tmp_path_factory.mktemp("readme")
    run = qexp_cli(f"hydra.run.dir={root}/run", cwd=root)
    assert run.returncode == 0, run.stderr
    sweep = qexp_cli("-m", "circuits.num_qubits=2,3,4", f"hydra.sweep.dir={root}/sweep", cwd=root)
    assert sweep.returncode == 0, sweep.stderr
    return root, root / "run", root / "sweep"


def test_the_readme_has_python_examples_on_the_example_folders_only():
    assert len(BLOCKS) >= 2
    named = {
        path for block in BLOCKS for path in re.findall(r"\"((?:outputs|multirun)/[^\"]*)\"", block)
    }
    assert named, "the examples name no folder"
    for path in named:
        assert path.startswith((RUN_EXAMPLE, SWEEP_EXAMPLE)), (
            f"{path!r}: not a folder the test makes"
        )


@pytest.mark.parametrize("number", range(len(BLOCKS)))
def test_readme_python_example_runs(folders, number, monkeypatch):
    root, run, sweep = folders
    code = BLOCKS[number].replace(RUN_EXAMPLE, str(run)).replace(SWEEP_EXAMPLE, str(sweep))
    monkeypatch.chdir(root)  # files the examples write land here
    names: dict = {}
    values = run_script(code, f"README.md, python example {number + 1}", names)
    if "results" in names:  # the run: GHZ states, 2 to 5 qubits, ideal simulator
        assert len(names["results"]) == 4
        assert set(names["results"][0].data.meas.get_counts()) == {"00", "11"}
    if "table" in names:  # the sweep of circuits.num_qubits alone: no `circuits` column
        table = names["table"]
        assert table.attrs["overrides"] == ["circuits.num_qubits"]
        assert "circuits" not in table.columns
        per_point = [v for v in values if getattr(v, "name", None) == "success_probability"]
        assert len(per_point) == 1, "the README's mean success probability per point"
        assert per_point[0].index.name == "circuits.num_qubits"
        assert list(per_point[0].index) == [2, 3, 4]
        assert (per_point[0] == 1.0).all()  # GHZ states on the ideal simulator


def run_script(code: str, filename: str, names: dict) -> list:
    """Execute `code` in `names` as a script would; return each expression statement's value."""
    values = []
    for node in ast.parse(code, filename).body:
        if isinstance(node, ast.Expr):
            values.append(eval(compile(ast.Expression(node.value), filename, "eval"), names))
        else:
            exec(compile(ast.Module([node], type_ignores=[]), filename, "exec"), names)
    return values
