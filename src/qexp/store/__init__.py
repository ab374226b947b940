"""The data at rest: job files (HDF5), the run's ledger (manifest), run folders.

The package's own names are the job file's API, as readers without qexp's runner use it:
`write_job`, `read_job`, `read_results`, `read_table`, `read_ideals`, `is_complete`, and
the types they return. Modules: `job_file` (schema version 2, written and read),
`job_file_v1` (version 1, read), `records` (the types), `encoding` (QPY and JSON),
`rows` (each PUB's table rows), `manifest`, `run_folder`.
"""

from qexp.store.encoding import dump_circuits, load_circuits_bytes
from qexp.store.job_file import (
    TABLE_ATTRS,
    is_complete,
    package_versions,
    read_ideals,
    read_job,
    read_results,
    read_table,
    write_job,
)
from qexp.store.records import (
    CorruptJobFile,
    JobFile,
    JobResults,
    JobTable,
    PubRecord,
    StoredIdeal,
    StoredPub,
)

__all__ = [
    "TABLE_ATTRS",
    "CorruptJobFile",
    "JobFile",
    "JobResults",
    "JobTable",
    "PubRecord",
    "StoredIdeal",
    "StoredPub",
    "dump_circuits",
    "is_complete",
    "load_circuits_bytes",
    "package_versions",
    "read_ideals",
    "read_job",
    "read_results",
    "read_table",
    "write_job",
]
