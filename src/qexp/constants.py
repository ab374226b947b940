"""File names, folder names and schema versions: every name a run folder is made of."""

from __future__ import annotations

HDF5_SCHEMA_VERSION = 3
"""Version of the job-file layout documented in docs/hdf5-schema.md."""

MANIFEST_SCHEMA_VERSION = 2
"""Version of manifest.json, documented beside the HDF5 schema."""

JOBS_DIR = "jobs"
CALIBRATION = "calibration"
"""The kind of job that calibrates readout (`mitigation=m3`), beside the primitives' jobs."""
CALIBRATION_DIR = "calibration"
"""Calibration jobs' files (the job-file schema), apart from the experiment's `jobs/`."""
MITIGATED_DIR = "mitigated"
"""Mitigated distributions and their metrics, one file per Sampler job (never the raw data)."""
MANIFEST_FILE = "manifest.json"
CIRCUITS_FILE = "circuits.jsonl"
"""Each job's circuit digests, appended before its first submission (resume checks them)."""
HYDRA_DIR = ".hydra"
SAVED_CONFIG_FILE = "config.yaml"
"""The composed config Hydra saves in `<run>/.hydra/`; resume reads it back."""
OVERRIDES_FILE = "overrides.yaml"
"""The command line's overrides Hydra saves in `<run>/.hydra/`."""
MULTIRUN_FILE = "multirun.yaml"
"""What Hydra writes in a `-m` sweep's folder: the sweep's overrides (its points)."""


def job_file_name(index: int) -> str:
    """`job-00042.h5`: zero-padded so that files sort in job order."""
    return f"job-{index:05d}.h5"


DRY_RUN_FILE = "dry-run.txt"
"""Written by `run.dry_run=true`: the plan as printed; such a folder is never resumed."""
REFUSED_FILE = "refused.json"
"""Written when a run is refused before anything is planned: the key and the message."""
