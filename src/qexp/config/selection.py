"""Both primitives in one run: Hydra's multiple selection, `primitive=[sampler,estimator]`.

Hydra merges every option of a multiple selection into the group's one package, so a
Sampler's `shots` and an Estimator's `shots` would overwrite each other. qexp therefore
turns the selection, before Hydra parses the command line, into one package per primitive:
`~primitive +primitive@primitive.sampler=sampler +primitive@primitive.estimator=estimator`.
Each keeps its own keys (`primitive.sampler.shots`, `primitive.estimator.precision`), and
`primitive=sampler` alone keeps `primitive.shots`, exactly as before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

GROUP = "primitive"
_LIST = re.compile(rf"^{GROUP}=\[(?P<options>[^\]]*)\]$")


def expand(argv: Sequence[str]) -> list[str]:
    """`argv` with `primitive=[a,b]` spelled as one package per primitive."""
    out: list[str] = []
    for arg in argv:
        match = _LIST.match(arg)
        if not match:
            out.append(arg)
            continue
        options = [o.strip() for o in match.group("options").split(",") if o.strip()]
        if len(options) == 1:
            out.append(f"{GROUP}={options[0]}")
            continue
        out.append(f"~{GROUP}")
        out += [f"+{GROUP}@{GROUP}.{option}={option}" for option in options]
    return out
