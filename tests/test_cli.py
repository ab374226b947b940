"""`python -m qexp` end to end: the default run, sweeps, Hydra's options, the cloud seam."""

from __future__ import annotations

import os
import warnings

import pytest
from conftest import qexp_cli, run_config

from qexp.results import load_run

pytestmark = pytest.mark.slow


def test_default_experiment_from_the_command_line(cli, tmp_path):
    done = cli(f"hydra.run.dir={tmp_path}/run")
    assert done.returncode == 0, done.stderr
    assert f"run folder: {tmp_path}/run" in done.stdout
    files = sorted((tmp_path / "run/jobs").glob("*.h5"))
    assert [f.name for f in files] == ["job-00000.h5", "job-00001.h5"]
    assert (tmp_path / "run/.hydra/config.yaml").exists()
    assert len(load_run(tmp_path / "run")) == 4


def test_sweep_runs_every_point_into_its_own_folder(cli, tmp_path):
    done = cli(
        "-m",
        "circuits.num_qubits=2,3,4",
        "primitive=sampler,estimator",
        f"hydra.sweep.dir={tmp_path}/multi",
    )
    assert done.returncode == 0, done.stderr
    points = sorted(p for p in (tmp_path / "multi").iterdir() if p.is_dir())
    assert len(points) == 6
    for point in points:
        assert len(load_run(point)) == 1


def test_a_failing_sweep_point_does_not_stop_the_others(cli, tmp_path):
    done = cli("-m", "circuits.num_qubits=2,40,3", f"hydra.sweep.dir={tmp_path}/multi")
    assert done.returncode != 0
    assert "circuits.num_qubits" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
    assert len(load_run(tmp_path / "multi/0")) == 1
    assert not list((tmp_path / "multi/1").glob("jobs/*.h5"))
    assert len(load_run(tmp_path / "multi/2")) == 1


def test_joblib_launcher_sweep_reports_a_failed_point(cli, tmp_path):
    """Points run in worker processes; the sweep's exit code still counts every point."""
    done = cli(
        "-m",
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
        "circuits.num_qubits=2,40",
        f"hydra.sweep.dir={tmp_path}/multi",
    )
    assert done.returncode != 0
    assert "1 sweep point(s) failed" in done.stderr and f"{tmp_path}/multi/1" in done.stderr
    assert "circuits.num_qubits=[40] is not valid" in done.stderr  # the point's own message
    assert len(load_run(tmp_path / "multi/0")) == 1


@pytest.mark.parametrize("launcher", ["basic", "local"])
def test_a_sweep_ends_with_a_table_of_its_points(cli, tmp_path, launcher):
    """Any launcher: a row per point (overrides, folder, jobs done and failed, state), a
    total line, and an exit code that counts every point (2: a point's config was refused)."""
    done = cli(
        "-m",
        f"hydra/launcher={launcher}",
        "circuits.num_qubits=2,40,[3,4]",
        f"hydra.sweep.dir={tmp_path}/multi",
    )
    assert done.returncode == 2, done.stderr
    rows = done.stdout[done.stdout.index("point  overrides") :].splitlines()
    assert rows[1].split()[:5] == ["0", "circuits.num_qubits=2", f"{tmp_path}/multi/0", "1/1", "0"]
    assert rows[1].endswith("done")
    assert rows[2].split()[:5] == ["1", "circuits.num_qubits=40", f"{tmp_path}/multi/1", "0/?", "0"]
    assert "failed: circuits.num_qubits=[40] is not valid" in rows[2]
    assert rows[3].split()[:4] == ["2", "circuits.num_qubits=[3,4]", f"{tmp_path}/multi/2", "1/1"]
    assert rows[4] == "total: 3 points (2 done, 1 failed); jobs: 2 done, 0 failed, 2 planned"


def test_a_dry_run_sweep_succeeds_without_submitting(cli, tmp_path):
    done = cli("-m", "circuits.num_qubits=2,3", "run.dry_run=true", f"hydra.sweep.dir={tmp_path}/m")
    assert done.returncode == 0, done.stderr
    assert "dry run of a sweep, nothing submitted" in done.stdout
    assert "point 0 circuits.num_qubits=2: 1 circuits, 1 jobs, 1024 executions" in done.stdout
    assert "point 1 circuits.num_qubits=3: 1 circuits, 1 jobs, 1024 executions" in done.stdout
    assert "QPU time -" in done.stdout  # aer: no QPU
    assert not list(tmp_path.rglob("*.h5")) and not (tmp_path / "m").exists()


def test_hydra_cfg_job_prints_the_composed_config(cli, tmp_path):
    done = cli("--cfg", "job", "backend=fake", "backend.name=FakeTorino")
    assert done.returncode == 0, done.stderr
    assert "name: FakeTorino" in done.stdout and "max_circuits: 2" in done.stdout
    assert not (tmp_path / "outputs").exists()


def test_no_deprecation_warning_reaches_the_user(tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_config(tmp_path / "s", "primitive.implementation=v2")
        run_config(tmp_path / "e", "primitive=estimator", "primitive.implementation=v2")
    assert not [w for w in caught if issubclass(w.category, DeprecationWarning)]


def test_ibm_without_account_says_how_to_save_one(tmp_path):
    env = {k: None for k in os.environ if k.startswith("QISKIT_IBM")}
    env["HOME"] = str(tmp_path)  # no saved account either
    done = qexp_cli("backend=ibm", f"hydra.run.dir={tmp_path}/run", cwd=tmp_path, env=env)
    assert done.returncode == 2
    assert "save_account" in done.stderr + done.stdout
    assert not list(tmp_path.rglob("*.h5"))


def test_each_sweep_point_is_what_it_would_be_run_alone(cli, tmp_path):
    """Points that choose the same groups share one composition (`qexp.sweep.compose`):
    each point's saved config and its results are still exactly a run of its own overrides
    alone, and nothing of one point (its seed, its primitive's options) leaks into the next."""
    import numpy as np

    done = cli(
        "-m",
        "primitive=sampler,estimator",
        "seed=3,4",
        "circuits.num_qubits=3",
        f"hydra.sweep.dir={tmp_path}/multi",
    )
    assert done.returncode == 0, done.stderr
    points = sorted((p for p in (tmp_path / "multi").iterdir() if p.is_dir()), key=lambda p: p.name)
    assert len(points) == 4
    for point in points:
        overrides = (point / ".hydra/overrides.yaml").read_text().splitlines()
        args = [line.removeprefix("- ") for line in overrides]
        alone = tmp_path / f"alone-{point.name}"
        single = cli(*args, f"hydra.run.dir={alone}")
        assert single.returncode == 0, single.stderr
        for name in ("config.yaml", "overrides.yaml"):
            assert (point / ".hydra" / name).read_text() == (alone / ".hydra" / name).read_text()
        swept, own = load_run(point), load_run(alone)
        assert len(swept) == len(own) > 0
        for a, b in zip(swept, own, strict=True):
            for field in a.data:
                x, y = a.data[field], b.data[field]
                x, y = (x.array, y.array) if hasattr(x, "array") else (x, y)
                assert np.array_equal(x, y), (point.name, field)
