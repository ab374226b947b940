"""qexp: run many circuits as one IBM Runtime Batch, one HDF5 file per job."""

from qexp.version import __version__

__all__ = ["__version__"]
