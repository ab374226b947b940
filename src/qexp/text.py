"""Short texts that messages, tables and status lines share."""

from __future__ import annotations

from collections.abc import Iterable


def format_indices(indices: Iterable[int]) -> str:
    """`0-3, 7, 9-10`: sorted indices with consecutive runs collapsed."""
    ranges: list[list[int]] = []
    for index in sorted(indices):
        if ranges and index == ranges[-1][1] + 1:
            ranges[-1][1] = index
        else:
            ranges.append([index, index])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges)
