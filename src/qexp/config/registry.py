"""Every schema in Hydra's ConfigStore, where conf/'s files find them (`/schema/<group>/<name>`)."""

from __future__ import annotations

from hydra.core.config_store import ConfigStore
from omegaconf import OmegaConf

from qexp.config.fresh import fresh_folder
from qexp.config.help import SCHEMA_GROUP, register_resolvers
from qexp.config.schema import GROUPS, QexpConfig


def register() -> None:
    """Put every schema in Hydra's ConfigStore, and conf/config.yaml's resolvers
    (idempotent)."""
    register_resolvers()
    # Cached per composed config, as Hydra's `now` is: a run's folder is chosen once.
    OmegaConf.register_new_resolver("qexp.fresh", fresh_folder, replace=True, use_cache=True)
    cs = ConfigStore.instance()
    cs.store(name="schema_config", node=QexpConfig)
    for group, schemas in GROUPS.items():
        for name, schema in schemas.items():
            cs.store(group=f"{SCHEMA_GROUP}/{group}", name=name, node=schema)
