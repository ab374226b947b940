"""Composing a sweep's points: the defaults tree once per choice of groups, not once per point.

Hydra composes every point of a `-m` sweep from scratch, twice (the sweeper checks the
batch, then the launcher runs it): the primary config, every group's file, the schemas,
merged one by one. Measured on a 20-point sweep of one-circuit runs, that was 60% of the
sweep's time. Yet points that choose the same groups differ only in values, and Hydra
itself applies value overrides to the composed config, after composition, one by one
(`ConfigLoaderImpl._apply_overrides_to_config`).

`PointComposer` does exactly that: it composes each distinct choice of groups (with every
`hydra.*` override) once, and gives each point a copy with its own value overrides applied
by Hydra's own function, and the `hydra` node set as Hydra sets it (the task overrides in
the order given, the override dirname). Which override is a value is decided by Hydra's own
rule: a key that names no config group, or a dict value. A sweep whose primary config adds
config folders of its own (`hydra.searchpath`) is composed point by point, as Hydra does.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from hydra._internal.config_loader_impl import ConfigLoaderImpl, get_overrides_dirname
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf, open_dict


class PointComposer:
    """Hydra's config loader, with `load_sweep_config` reusing each choice of groups."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader
        self._bases: dict[tuple[Any, ...], DictConfig] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_loader", "_bases"):
            raise AttributeError(name)  # not yet set (unpickling): never delegated
        return getattr(self._loader, name)

    def __getstate__(self) -> dict[str, Any]:
        """What a launcher's worker process gets (joblib pickles the context): the loader,
        not the compositions this process kept."""
        return {"_loader": self._loader, "_bases": {}}

    def load_sweep_config(self, master_config: DictConfig, sweep_overrides: list[str]) -> Any:
        hydra_overrides = list(OmegaConf.to_container(master_config.hydra.overrides.hydra) or [])
        lines = [str(o) for o in hydra_overrides] + list(sweep_overrides)
        parsed = _parser().parse_overrides(lines)
        is_value = [self._is_value(o) for o in parsed]
        values = [o for o, value in zip(parsed, is_value, strict=True) if value]
        searchpath = OmegaConf.select(master_config, "hydra.searchpath")
        if not values or searchpath or not all(self._plain(o) for o in values):
            return self._loader.load_sweep_config(master_config, list(sweep_overrides))
        choices = [o.input_line for o, value in zip(parsed, is_value, strict=True) if not value]
        key = (master_config.hydra.job.config_name, tuple(choices))
        if key not in self._bases:
            self._bases[key] = self._loader.load_configuration(
                config_name=master_config.hydra.job.config_name,
                overrides=choices,
                run_mode=RunMode.RUN,
            )
        cfg = copy.deepcopy(self._bases[key])
        ConfigLoaderImpl._apply_overrides_to_config(values, cfg)
        _set_overrides(cfg, parsed)
        OmegaConf.copy_cache(from_config=master_config, to_config=cfg)
        return cfg

    def _is_value(self, override: Override) -> bool:
        """Hydra's own rule (`defaults_list.Overrides`): a value, not a group choice."""
        if override.is_hydra_override():
            return False
        group = self._loader.repository.group_exists(override.key_or_group)
        return isinstance(override.value(), dict) or not group

    @staticmethod
    def _plain(override: Override) -> bool:
        """A value override that Hydra applies after composition, as it is given."""
        return not override.is_sweep_override() and override.package is None


@functools.cache
def _parser() -> OverridesParser:
    """Hydra's override parser, built once (building it costs more than a parse)."""
    return OverridesParser.create()


def _set_overrides(cfg: DictConfig, parsed: list[Override]) -> None:
    """The `hydra` node's record of the overrides, as Hydra writes it for a composition."""
    task = [o for o in parsed if not o.is_hydra_override()]
    with open_dict(cfg.hydra):
        cfg.hydra.overrides.task = [o.input_line for o in task]
        cfg.hydra.overrides.hydra = [o.input_line for o in parsed if o.is_hydra_override()]
        dirname = cfg.hydra.job.config.override_dirname
        cfg.hydra.job.override_dirname = get_overrides_dirname(
            overrides=task,
            kv_sep=dirname.kv_sep,
            item_sep=dirname.item_sep,
            exclude_keys=dirname.exclude_keys,
        )
