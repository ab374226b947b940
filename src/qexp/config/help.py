"""What `python -m qexp --help` lists: the groups a user chooses from, and commands that run.

Hydra's `$APP_CONFIG_GROUPS` lists every group it can see, the schemas' `schema/<group>`
ones included, which a config file pulls in but nobody should choose. conf/config.yaml's
help template asks `${qexp.choices:}` instead, and `${qexp.command:NAME}` for each
command line it shows, so that the help prints what works on this installation.
"""

from __future__ import annotations

from hydra.core.config_loader import ConfigLoader
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

from qexp.cli import command

SCHEMA_GROUP = "schema"
"""Where `qexp.config.registry.register` stores each group's schemas: `schema/<group>`."""

HYDRA_CHOICES = ("hydra/launcher",)
"""Hydra's own groups a qexp user chooses from: where sweep points run."""


def choices() -> str:
    """`group: option, option` for each group a user chooses from, as Hydra lists them."""
    if not GlobalHydra.instance().is_initialized():
        return ""
    loader = GlobalHydra.instance().config_loader()
    lines = []
    for group in sorted(_groups(loader, "")):
        if group.split("/")[0] not in (SCHEMA_GROUP, "hydra") or group in HYDRA_CHOICES:
            lines.append(f"{group}: {', '.join(sorted(loader.get_group_options(group)))}")
    return "\n".join(lines)


def _groups(loader: ConfigLoader, parent: str) -> list[str]:
    """Every group under `parent` that holds a config, as Hydra's own help walks them."""
    found = []
    for name in loader.list_groups(parent):
        group = f"{parent}/{name}" if parent else name
        if loader.get_group_options(group):
            found.append(group)
        found += _groups(loader, group)
    return found


def register_resolvers() -> None:
    """`${qexp.choices:}` and `${qexp.command:NAME}` for conf/config.yaml (idempotent)."""
    OmegaConf.register_new_resolver("qexp.choices", choices, replace=True)
    OmegaConf.register_new_resolver("qexp.command", command, replace=True)
