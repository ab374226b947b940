"""qexp installed from its wheel, run from anywhere; a user's own config folder."""

from __future__ import annotations

import site
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from conftest import REPO

from qexp.results import load_run

pytestmark = pytest.mark.slow

USER_EXPERIMENT = """\
# @package _global_
# A user's experiment, kept in their own repository: python -m qexp --config-dir my_conf
# experiment=my_scan
defaults:
  - override /circuits: bell_and_ghz3

primitive:
  shots: 300
partition:
  max_circuits: 1
"""
USER_CIRCUITS = """\
# A user's own choice of circuits= (the ghz generator, their widths)
defaults:
  - /schema/circuits/ghz@_here_

name: ghz
num_qubits: [2, 3]
"""


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """`python -m build`: the sdist, and the wheel built from that sdist.

    `--no-isolation`: with the build backend (hatchling) from the test extras, nothing is
    downloaded, so the suite runs offline once the README's test command has installed it.
    """
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out


def test_sdist_and_wheel_carry_conf(dist):
    (sdist,) = dist.glob("qexp-*.tar.gz")
    (wheel,) = dist.glob("qexp-*.whl")
    with tarfile.open(sdist) as tar:
        names = {Path(*Path(n).parts[1:]).as_posix() for n in tar.getnames()}
    assert {"conf/config.yaml", "conf/hydra/launcher/slurm.yaml", "tools/slurm-local.sh"} <= names
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
        entry_points = next(whl.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    confs = sorted((REPO / "conf").rglob("*.yaml"))
    assert {f"qexp/conf/{c.relative_to(REPO / 'conf').as_posix()}" for c in confs} <= names
    assert {"hydra_plugins/qexp/launchers.py", "hydra_plugins/qexp/sweeper.py"} <= names
    for script in ("qexp", "qexp-resume", "qexp-status", "qexp-show", "qexp-report"):
        assert f"{script} = " in entry_points


def test_wheel_installed_in_a_fresh_venv_runs_from_an_empty_folder(dist, tmp_path):
    """The wheel alone (--no-deps, no index), its dependencies from this environment."""
    (wheel,) = dist.glob("qexp-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    (own,) = (venv / "lib").glob("python3*/site-packages")
    # This environment's packages (qiskit, hydra, ...) after the venv's own; a plain path
    # line, so this checkout's editable qexp (a .pth there) is not picked up.
    (own / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    pip = [str(venv / "bin/python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index"]
    subprocess.run([*pip, str(wheel)], check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run(
        [str(venv / "bin/python"), "-c", "import qexp; print(qexp.__file__)"],
        cwd=elsewhere, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert where.stdout.startswith(str(own))
    done = subprocess.run(
        [str(venv / "bin/qexp"), "hydra.run.dir=run"],
        cwd=elsewhere, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(load_run(elsewhere / "run")) == 4  # the default experiment: GHZ of 2 to 5 qubits
    same = subprocess.run(
        [str(venv / "bin/python"), "-m", "qexp", "-m", "experiment=ghz_fake_device",
         "run.dry_run=true", "hydra/launcher=slurm"],
        cwd=elsewhere, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert same.returncode == 0, same.stderr
    assert "4 circuits, 2 jobs, 16000 executions" in same.stdout
    status = subprocess.run([str(venv / "bin/qexp-status"), "run"], cwd=elsewhere, check=False)
    assert status.returncode == 0


@pytest.mark.parametrize("how", ["config-dir", "searchpath"])
def test_a_users_config_folder_adds_experiments_and_circuits(cli, tmp_path, how):
    my_conf = tmp_path / "my_conf"
    (my_conf / "experiment").mkdir(parents=True)
    (my_conf / "circuits").mkdir()
    (my_conf / "experiment/my_scan.yaml").write_text(USER_EXPERIMENT)
    (my_conf / "circuits/bell_and_ghz3.yaml").write_text(USER_CIRCUITS)
    extra = (
        ["--config-dir", "my_conf"]
        if how == "config-dir"
        else ["hydra.searchpath=[file://my_conf]"]
    )
    done = cli(*extra, "experiment=my_scan", "hydra.run.dir=run")
    assert done.returncode == 0, done.stderr
    results = load_run(tmp_path / "run")
    assert [r.data.meas.num_shots for r in results] == [300, 300]
    assert [r.data.meas.num_bits for r in results] == [2, 3]
    assert sorted((tmp_path / "run/jobs").glob("*.h5")) == [
        tmp_path / "run/jobs/job-00000.h5",
        tmp_path / "run/jobs/job-00001.h5",
    ]
