"""Every example notebook executes, start to end, in a real Jupyter kernel.

The notebooks are jupytext percent scripts in docs/notebooks/ (reviewable diffs; the site
renders them). Each runs with nbclient in its own empty folder, as a user's would; any
error (an exception, a failed assert in a cell) fails the test with the cell's output.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO

pytestmark = pytest.mark.slow

NOTEBOOKS = sorted((REPO / "docs" / "notebooks").glob("*.py"))


def test_there_are_the_issues_notebooks():
    names = {path.stem for path in NOTEBOOKS}
    assert {"first_run", "sweep", "quantum_volume", "ibm_emulator", "readout_mitigation"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes(path: Path, tmp_path: Path):
    import jupytext
    from nbclient import NotebookClient

    notebook = jupytext.read(path)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError, with the cell and its traceback
    outputs = [o for cell in notebook.cells for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    if path.stem == "first_run":  # not quiet: the progress bar is Jupyter's live widget
        assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
