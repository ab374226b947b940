"""Read back the config Hydra saved in a run folder, typed by the same schemas."""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from qexp.cli import command
from qexp.config.schema import DISCRIMINATORS, GROUPS, QexpConfig
from qexp.config.validate import is_mixed
from qexp.constants import HYDRA_DIR, SAVED_CONFIG_FILE
from qexp.errors import QexpError


def saved_config_path(run_dir: Path) -> Path:
    return run_dir / HYDRA_DIR / SAVED_CONFIG_FILE


def saved_config_text(run_dir: Path) -> str:
    """The saved config as YAML, interpolations resolved: what every job file keeps."""
    return OmegaConf.to_yaml(OmegaConf.load(saved_config_path(run_dir)), resolve=True)


def load_saved(run_dir: Path) -> DictConfig:
    """The run's composed config, each group merged onto its schema as at composition."""
    path = saved_config_path(run_dir)
    if not path.is_file():
        raise QexpError(
            f"{run_dir} cannot be resumed: it holds no saved config ({path} is missing; the run "
            f"was stopped before Hydra wrote it). Start it again: {command('run')} with the "
            "same overrides."
        )
    saved = OmegaConf.load(path)
    assert isinstance(saved, DictConfig)
    typed = OmegaConf.structured(QexpConfig)
    for group, key in DISCRIMINATORS.items():
        node = saved.get(group)
        if node is None:
            continue
        if group == "primitive" and is_mixed(node):  # primitive=[sampler,estimator]
            typed[group] = {
                name: OmegaConf.merge(OmegaConf.structured(GROUPS[group][name]), child)
                for name, child in node.items()
            }
        else:
            schema = GROUPS[group][node[key]]
            typed[group] = OmegaConf.merge(OmegaConf.structured(schema), node)
        saved.pop(group)
    merged = OmegaConf.merge(typed, saved)
    assert isinstance(merged, DictConfig)
    return merged
