"""The public reader, as `from qexp.results import load_run, load_table, ...` (the README's
spelling): every name of `qexp.analysis.results`, which says how to use them."""

from qexp.analysis.results import *  # noqa: F403
from qexp.analysis.results import __all__ as __all__
