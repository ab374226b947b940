"""The config contract: schemas in the ConfigStore, value checks before anything runs."""

from qexp.config.schema import QexpConfig, RunConfig, register
from qexp.config.validate import load, primitive_configs

__all__ = ["QexpConfig", "RunConfig", "load", "primitive_configs", "register"]
