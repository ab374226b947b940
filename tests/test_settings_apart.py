"""A folder's figures keep apart every setting that varies between its runs.

A sweep over `transpile.optimization_level` (or a mitigation setting, a backend, ...) is one
series per value in the per-width figure and one panel per value in the volumetric plot,
never one average.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_config

from qexp.analysis.aggregate import volumetric_cells
from qexp.analysis.report import SERIES, build_report, sweep_table, varying_settings
from qexp.analysis.show import RunView, read_run

LEVELS = (0, 3)


@pytest.fixture(scope="module")
def levels(tmp_path_factory) -> Path:
    """Random circuits on a fake device at two optimization levels, as a sweep folder would
    hold them (the overrides Hydra records)."""
    root = tmp_path_factory.mktemp("levels")
    for point, level in enumerate(LEVELS):
        overrides = (f"transpile.optimization_level={level}",)
        run_config(
            root / str(point),
            "circuits=random",
            "circuits.num_qubits=[3]",
            "circuits.count=4",
            "primitive.shots=300",
            "backend=fake",
            "run.progress=off",
            *overrides,
        )
        (root / str(point) / ".hydra" / "overrides.yaml").write_text(
            "".join(f"- {o}\n" for o in overrides), encoding="utf-8"
        )
    return root


def test_a_sweeps_volumetric_cells_are_kept_apart_by_setting(levels):
    views = [read_run(levels / str(point)) for point in range(len(LEVELS))]
    assert varying_settings(views) == ["transpile.optimization_level"]
    table = sweep_table(views)
    assert set(table[SERIES]) == {f"transpile.optimization_level={n}" for n in LEVELS}
    cells = volumetric_cells(table, by=[SERIES])
    assert len(cells) == 2  # one cell per level, not one average of both
    for cell in cells.itertuples(index=False):
        part = table[table[SERIES] == getattr(cell, SERIES)]
        assert cell.fidelity == pytest.approx(part["normalized_fidelity"].mean())
        assert cell.depth_mean == pytest.approx(part["isa_depth"].mean())
    deeper, shallower = cells.sort_values(SERIES)["depth_mean"]
    assert deeper > shallower  # level 0 leaves the circuits deeper than level 3 does
    report = build_report(levels)
    text = report.read_text(encoding="utf-8")
    assert "One panel per combination of the settings that vary" in text
    assert "one line per combination of the settings that vary" in text


def _view(config: dict, overrides: dict | None = None) -> RunView:
    return RunView(Path("x"), overrides or {}, config, None)


def test_settings_that_vary_without_a_sweep_come_from_the_saved_configs():
    """Runs gathered in one folder without overrides: the config keys that differ; a group
    chosen differently counts once, by its name; the seed and how a run ran are not
    settings."""
    ghz = {"seed": 1, "circuits": {"name": "ghz", "num_qubits": [2, 3]}, "run": {"progress": "a"}}
    random = {
        "seed": 2,
        "circuits": {"name": "random", "num_qubits": [2, 3], "count": 10, "depth": 5},
        "run": {"progress": "b"},
    }
    assert varying_settings([_view(ghz), _view(random)]) == ["circuits.name"]
    level = [{**ghz, "transpile": {"optimization_level": n}} for n in (1, 2)]
    assert varying_settings([_view(c) for c in level]) == ["transpile.optimization_level"]
    swept = [_view(ghz, {"circuits": "ghz"}), _view(random, {"circuits": "random"})]
    assert varying_settings(swept) == ["circuits"]  # the override names it
