"""Every seed of a run, derived from the one `seed` in the config.

A stream is named by a path such as ("simulator", job_index) or ("circuits", "random", 3, k).
The same (seed, path) always gives the same value, whatever else the run does, so a resumed
or re-partitioned run reproduces the same bits. Values are never 0: the runtime's local mode
silently ignores a simulator seed of 0.
"""

from __future__ import annotations

import zlib

import numpy as np

_MAX = 2**31 - 1


def derive_seed(seed: int, *path: int | str) -> int:
    """A seed in [1, 2**31 - 1) for the stream `path` of the run seeded with `seed`."""
    key = [p if isinstance(p, int) else zlib.crc32(p.encode()) for p in path]
    state = np.random.SeedSequence(entropy=seed, spawn_key=key).generate_state(1, np.uint32)[0]
    return int(state) % (_MAX - 1) + 1
