"""Shared fixtures: compose configs with Hydra's compose API and run them in tmp_path."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, OmegaConf

from qexp.config import selection
from qexp.config.load import load
from qexp.config.registry import register
from qexp.run import runner

REPO = Path(__file__).resolve().parents[1]
CONF_DIR = REPO / "conf"

register()

pytest_plugins = ["emulator"]  # the ibm_emulator and emulator_factory fixtures

# Every test (and every qexp it starts) uses one fresh transpile cache, never the user's.
os.environ["QEXP_CACHE_DIR"] = tempfile.mkdtemp(prefix="qexp-test-cache-")

BELL_QASM2 = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0], q[1];
measure q -> c;
"""
"""A Bell pair in OpenQASM 2, for the tests that load QASM files."""


def write_pubs(path: Path, *, attrs: dict, pubs: list, result) -> None:
    """`store.write_job` for tests that hold StoredPubs (circuits and their specs)."""
    from qexp.store import PubRecord, dump_circuits, write_job

    write_job(
        path,
        attrs=attrs,
        records=[PubRecord.of(p.index, p.spec, p.observables) for p in pubs],
        circuits_qpy=dump_circuits([p.spec.circuit for p in pubs]),
        result=result,
    )


def table_as_schema_2(f: Any) -> Any:
    """Rewrite an open job file's table as schema 2 wrote it (one dataset per column, where
    schema 3 keeps a block per dtype), to test the reading of older files; its table group."""
    table = f["table"]
    for name in list(table):
        ds = table[name]
        if ds.ndim == 2:
            names, values = [str(n) for n in ds.attrs["columns"]], ds[()]
            del table[name]
            for column, data in zip(names, values, strict=True):
                table.create_dataset(column, data=data)
    f.attrs["schema_version"] = 2
    return table


def compose_config(*overrides: str) -> DictConfig:
    """The config `python -m qexp OVERRIDES` would compose (without the hydra section)."""
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose(config_name="config", overrides=selection.expand(overrides))


def run_config(run_dir: Path, *overrides: str) -> runner.RunReport:
    """Compose, check and run in-process, as `python -m qexp` would, into `run_dir`."""
    cfg = compose_config(*overrides)
    (run_dir / ".hydra").mkdir(parents=True, exist_ok=True)
    OmegaConf.save(cfg, run_dir / ".hydra/config.yaml")  # as Hydra does before the task runs
    return runner.run(load(cfg), run_dir, OmegaConf.to_yaml(cfg, resolve=True))


def qexp_cli(*args: str, cwd: Path, env: dict | None = None, module: str = "qexp"):
    """Run `python -m <module> ARGS` in a subprocess; return the CompletedProcess.

    `env` adds to this process's environment; a None value removes the variable. Without
    `env`, QISKIT_IBM_TOKEN is removed (no test reaches IBM Quantum by accident).
    """
    extra = env if env is not None else {"QISKIT_IBM_TOKEN": None}
    merged = {**os.environ, "HYDRA_FULL_ERROR": "0", **extra}
    full_env = {k: v for k, v in merged.items() if v is not None}
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def run(tmp_path: Path) -> Callable[..., runner.RunReport]:
    """run(*overrides) -> RunReport, into tmp_path/run."""
    return lambda *overrides: run_config(tmp_path / "run", *overrides)


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess]:
    """cli(*args) runs `python -m qexp` with its outputs under tmp_path."""
    return lambda *args, **kw: qexp_cli(*args, cwd=tmp_path, **kw)
