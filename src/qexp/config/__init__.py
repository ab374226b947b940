"""The config contract: schemas in the ConfigStore, value checks before anything runs."""

from qexp.config.schema import QexpConfig, RunConfig, register
from qexp.config.validate import load

__all__ = ["QexpConfig", "RunConfig", "load", "register"]
