"""What the command line spells more simply than Hydra: both primitives in one run, and the
runtime's options.

Both primitives: Hydra's multiple selection, `primitive=[sampler,estimator]`.

Hydra merges every option of a multiple selection into the group's one package, so a
Sampler's `shots` and an Estimator's `shots` would overwrite each other. qexp therefore
turns the selection, before Hydra parses the command line, into one package per primitive:
`~primitive +primitive@primitive.sampler=sampler +primitive@primitive.estimator=estimator`.
Each keeps its own keys (`primitive.sampler.shots`, `primitive.estimator.precision`), and
`primitive=sampler` alone keeps `primitive.shots`, exactly as before.

Options: `primitive.options` (or `primitive.estimator.options` in a run of both) holds any
of the runtime's options, whose names qexp does not restate (the runtime's own model checks
them when the run is planned: `qexp.plan.options`). Hydra would need `++` to set a key its
schema does not list, so `primitive.options.twirling.enable_gates=true` is passed on as
`++primitive.options.twirling.enable_gates=true`, in a sweep too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

GROUP = "primitive"
_LIST = re.compile(rf"^{GROUP}=\[(?P<options>[^\]]*)\]$")
_OPTION = re.compile(rf"^{GROUP}(\.\w+)?\.options\.[\w.]+=")


def expand(argv: Sequence[str]) -> list[str]:
    """`argv` with `primitive=[a,b]` spelled as one package per primitive, and options
    as Hydra adds keys a schema does not list."""
    out: list[str] = []
    for arg in argv:
        if _OPTION.match(arg):
            out.append(f"++{arg}")
            continue
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
