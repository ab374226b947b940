"""From Hydra's composed config to a checked `QexpConfig`: the door between the two.

Hydra has checked types and keys against the schemas already; here the composed
`DictConfig` becomes plain dataclasses (`OmegaConf.to_object`), each group is checked to be
a real choice of its own schema, no `+key` slipped past one, and every value range is
checked (`qexp.config.validate`). Nothing below the plan ever sees a `DictConfig`.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from qexp.config.schema import DISCRIMINATORS, GROUPS, OPTIONAL_GROUPS, QexpConfig
from qexp.config.validate import is_mixed, validate
from qexp.errors import ConfigError


def load(cfg: DictConfig | QexpConfig) -> QexpConfig:
    """The composed config as a checked `QexpConfig`, or a ConfigError naming the key."""
    if isinstance(cfg, DictConfig):
        _check_structure(cfg)
        try:
            settings: Any = OmegaConf.to_object(cfg)
        except OmegaConfBaseException as exc:
            key = getattr(exc, "full_key", "") or "config"
            raise ConfigError(key, getattr(exc, "value", None), str(exc).splitlines()[0]) from exc
    else:
        settings = cfg
    validate(settings)
    return settings


def _check_structure(cfg: DictConfig) -> None:
    """Each group is a real choice of its own schema, and no `+key` slipped past a schema."""
    for group, key in DISCRIMINATORS.items():
        if OmegaConf.is_missing(cfg, group):
            raise ConfigError(group, "???", f"a {group}= choice", f"add {_example(group)}")
        node = cfg[group]
        if node is None and group in OPTIONAL_GROUPS:
            continue
        if group == "primitive" and isinstance(node, DictConfig) and is_mixed(node):
            for name in map(str, node):  # primitive=[sampler,estimator]: one node each
                _check_choice(group, key, node[name], f"{group}.{name}")
            continue
        _check_choice(group, key, node, group)
    _reject_unknown_keys(cfg, "")


def _check_choice(group: str, key: str, node: Any, where: str) -> None:
    """`node` is a real choice of `group`, made by choosing it (not by setting its key)."""
    choices = ", ".join(GROUPS[group])
    schema = OmegaConf.get_type(node) if isinstance(node, DictConfig) else None
    if schema not in GROUPS[group].values():
        raise ConfigError(
            where,
            OmegaConf.to_container(node) if isinstance(node, DictConfig) else node,
            f"a {group}= choice ({choices})",
            f"choose one before setting its keys, e.g. {_example(group)}",
        )
    if GROUPS[group].get(node[key]) is not schema:
        raise ConfigError(
            f"{where}.{key}",
            node[key],
            f"set only by choosing {group}=<choice> ({choices})",
            f"choose {_example(group, node[key])} instead of setting {where}.{key}",
        )


def _reject_unknown_keys(node: DictConfig, prefix: str) -> None:
    schema = OmegaConf.get_type(node)
    if dataclasses.is_dataclass(schema):
        allowed = {f.name for f in dataclasses.fields(schema)}
        for key in map(str, node):
            if key not in allowed:
                raise ConfigError(
                    f"{prefix}{key}",
                    node[key],
                    f"a key of {schema.__name__} ({', '.join(sorted(allowed))})",
                    _spelling_fix(prefix, key, allowed, node[key]),
                )
    for key in map(str, node):
        child = node._get_node(key)
        if isinstance(child, DictConfig) and not child._is_none():
            _reject_unknown_keys(child, f"{prefix}{key}.")


def _example(group: str, choice: Any = None) -> str:
    """`group=choice` for a hint: `choice` when it is one, else the group's first."""
    return f"{group}={choice if choice in GROUPS[group] else next(iter(GROUPS[group]))}"


def _spelling_fix(prefix: str, key: str, allowed: set[str], value: Any) -> str:
    """The nearest real key (a '+' override cannot add keys to a schema)."""
    near = difflib.get_close_matches(key, sorted(allowed), n=1)
    if not near:
        return f"drop {prefix}{key}; a '+' override cannot add keys to a schema"
    return (
        f"did you mean {prefix}{near[0]}={_as_override(value)}? A '+' override cannot add keys "
        "to a schema"
    )


def _as_override(value: Any) -> str:
    """A value as Hydra's override grammar reads it back."""
    if isinstance(value, DictConfig | ListConfig):
        value = OmegaConf.to_container(value)
    if value is None or isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)
