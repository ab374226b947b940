"""The config contract through Hydra's compose API: every conf file composes and loads,
overrides land where they should, and typos or wrong types fail with the full key."""

from __future__ import annotations

from operator import attrgetter
from pathlib import Path
from typing import Any

import pytest
from conftest import BELL_QASM2, CONF_DIR, compose_config, run_config
from omegaconf import OmegaConf

from qexp.config.load import load
from qexp.config.schema import DISCRIMINATORS, GROUPS, QexpConfig
from qexp.errors import ConfigError


def conf_files(group: str) -> list[str]:
    return sorted(path.stem for path in (CONF_DIR / group).glob("*.yaml"))


GROUP_FILES = [(group, name) for group in DISCRIMINATORS for name in conf_files(group)]
EXPERIMENTS = conf_files("experiment")


def required_overrides(group: str, name: str, tmp_path: Path) -> list[str]:
    """What a group file needs beyond `group=name` to be a complete config."""
    if (group, name) == ("check", "custom"):
        return ["check._target_=qexp.checks.max_std"]
    if (group, name) == ("circuits", "qasm"):
        path = tmp_path / "bell.qasm"
        path.write_text(BELL_QASM2)
        return [f"circuits.path={path}"]
    return []


def error_text(exc: BaseException) -> str:
    """The messages of an exception and everything it was raised from."""
    parts = []
    seen: BaseException | None = exc
    while seen is not None:
        parts.append(str(seen))
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


def test_every_group_has_files():
    for group in (*DISCRIMINATORS, "experiment"):
        assert conf_files(group), f"no conf/{group}/*.yaml found"


@pytest.mark.parametrize(("group", "name"), GROUP_FILES, ids=[f"{g}/{n}" for g, n in GROUP_FILES])
def test_group_file_composes_and_loads(group, name, tmp_path):
    cfg = compose_config(f"{group}={name}", *required_overrides(group, name, tmp_path))
    settings = load(cfg)
    assert isinstance(settings, QexpConfig)
    section = getattr(settings, group)
    assert isinstance(section, GROUPS[group][name]), f"conf/{group}/{name}.yaml lost its schema"
    assert getattr(section, DISCRIMINATORS[group]) == name


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_file_composes_and_loads(name):
    cfg = compose_config(f"experiment={name}")
    settings = load(cfg)
    assert isinstance(settings, QexpConfig)
    for group, schemas in GROUPS.items():
        section = getattr(settings, group)
        if section is not None:
            assert type(section) in schemas.values(), f"{group} of experiment={name} is untyped"


def test_default_config():
    cfg = compose_config()
    assert cfg.partition.max_circuits == 2
    assert cfg.circuits.name == "ghz"
    assert list(cfg.circuits.num_qubits) == [2, 3, 4, 5]
    settings = load(cfg)
    assert settings.partition.max_circuits == 2
    assert len(settings.circuits.num_qubits) == 4
    assert (settings.backend.kind, settings.primitive.name, settings.check) == (
        "aer",
        "sampler",
        None,
    )


OVERRIDES: list[tuple[tuple[str, ...], dict[str, Any]]] = [
    (
        ("backend=fake", "backend.name=FakeTorino", "partition.max_circuits=50"),
        {"backend.kind": "fake", "backend.name": "FakeTorino", "partition.max_circuits": 50},
    ),
    (
        (
            "primitive=estimator",
            "primitive.precision=0.05",
            "primitive.observables=[ZZ,XX]",
            "circuits.num_qubits=2",
        ),
        {
            "primitive.name": "estimator",
            "primitive.precision": 0.05,
            "primitive.observables": ["ZZ", "XX"],
            "primitive.shots": None,
            "circuits.num_qubits": 2,
        },
    ),
    (
        ("circuits=random", "circuits.count=3", "circuits.depth=2", "seed=7"),
        {"circuits.name": "random", "circuits.count": 3, "circuits.depth": 2, "seed": 7},
    ),
    (
        ("transpile.optimization_level=3", "run.progress=off", "run.poll_interval=0.5"),
        {"transpile.optimization_level": 3, "run.progress": "off", "run.poll_interval": 0.5},
    ),
    (
        ("partition.max_executions=5000", "run.max_retries=0", "backend.method=statevector"),
        {"partition.max_executions": 5000, "run.max_retries": 0, "backend.method": "statevector"},
    ),
    (
        # Command-line overrides win over the experiment file's values.
        ("experiment=ghz_fake_device", "primitive.shots=100", "check.min=0.25"),
        {
            "backend.name": "FakeManilaV2",
            "primitive.shots": 100,
            "check.name": "success_probability",
            "check.min": 0.25,
        },
    ),
    (
        ("primitive=estimator", "check=max_std", "check.max=0.1"),
        {"check.name": "max_std", "check.max": 0.1},
    ),
    (
        ("circuits=ansatz", "circuits.num_qubits=2", "circuits.points=[[0,1,2,3,4,5,6,7]]"),
        {"circuits.num_qubits": 2, "circuits.points": [[0, 1, 2, 3, 4, 5, 6, 7]]},
    ),
]


@pytest.mark.parametrize(
    ("overrides", "expected"), OVERRIDES, ids=[" ".join(o) for o, _ in OVERRIDES]
)
def test_overrides_land_where_expected(overrides, expected):
    cfg = compose_config(*overrides)
    settings = load(cfg)
    for key, value in expected.items():
        assert OmegaConf.select(cfg, key) == value, key
        assert attrgetter(key)(settings) == value, key


COMPOSITION_ERRORS = [
    "circuits.nmu_qubits=3",
    "partition.max_circutis=2",
    "backend.nmae=FakeTorino",
    "partition.max_circuits=abc",
    "primitive.shots=abc",
    "transpile.optimization_level=high",
    "run.max_retries=1.5",
    "seed=abc",
    "check.min=0.5",  # no check= chosen: check is null, it has no keys
]


@pytest.mark.parametrize("override", COMPOSITION_ERRORS)
def test_bad_key_or_type_fails_composition_naming_the_key(override):
    key = override.split("=", 1)[0]
    with pytest.raises(Exception) as info:
        compose_config(override)
    assert key in error_text(info.value)


# Found while writing this file (load() used to accept both), since fixed in src/.
def test_appended_unknown_key_is_rejected():
    """Hydra's typo message suggests `+key=value`, which composes: load() must refuse it."""
    with pytest.raises(ConfigError) as info:
        load(compose_config("+circuits.nmu_qubits=3"))
    assert "circuits.nmu_qubits" in str(info.value)


def test_check_section_without_a_check_choice_is_rejected():
    with pytest.raises(ConfigError) as info:
        load(compose_config("+check.min=0.5"))
    assert "check" in str(info.value)


def shrinking_overrides(name: str) -> list[str]:
    """Overrides that keep experiment=NAME's shape but make it run in seconds."""
    cfg = compose_config(f"experiment={name}")
    overrides = []
    if "count" in cfg.circuits:
        overrides.append("circuits.count=2")
    if "num_points" in cfg.circuits and cfg.circuits.get("points") is None:
        overrides.append("circuits.num_points=3")
    if cfg.primitive.name == "sampler":
        overrides.append("primitive.shots=256")
    elif cfg.primitive.shots is None and (cfg.check is None or cfg.check.name != "max_std"):
        overrides.append("primitive.precision=0.1")
    return overrides


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_runs_end_to_end(name, tmp_path):
    run_dir = tmp_path / name
    report = run_config(run_dir, f"experiment={name}", *shrinking_overrides(name))
    assert report.complete, report.jobs
    total = sum(report.jobs.values())
    assert total >= 1 and report.jobs["done"] == total
    assert len(report.files) == total
    assert all(path.is_file() for path in report.files)
    assert sorted(report.files) == sorted((run_dir / "jobs").glob("job-*.h5"))
    assert (run_dir / "manifest.json").is_file()


@pytest.mark.parametrize(
    ("launcher", "target", "keys"),
    [
        ("slurm", "hydra_plugins.qexp.launchers.SlurmLauncher", {"timeout_min": 120, "mem_gb": 4}),
        ("local", "hydra_plugins.qexp.launchers.LocalLauncher", {"timeout_min": 120}),
    ],
)
def test_qexp_launchers_compose_with_defaults_a_user_overrides(launcher, target, keys):
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(
            config_name="config",
            overrides=[f"hydra/launcher={launcher}", "hydra.launcher.cpus_per_task=8"],
            return_hydra_config=True,
        )
    assert cfg.hydra.launcher._target_ == target
    assert cfg.hydra.launcher.cpus_per_task == 8
    assert {k: cfg.hydra.launcher[k] for k in keys} == keys
    assert cfg.hydra.sweeper._target_ == "hydra_plugins.qexp.sweeper.QexpSweeper"
