"""qexp's version, as installed (what every file it writes records)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("qexp")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"
