"""qexp: run many circuits as one IBM Runtime Batch, one HDF5 file per job."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("qexp")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
