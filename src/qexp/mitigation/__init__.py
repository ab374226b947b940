"""Readout-error mitigation (`mitigation=m3`), calibrated by jobs of the run's own Batch.

Per circuit range, a calibration job runs beside the Sampler job, in the same Batch, on
exactly the physical qubits the range's ISA circuits measure (`calibration`). Once both are
done, mthree corrects each circuit's counts with the matrices measured there (`correct`),
and the mitigated distributions and their metrics go to `mitigated/job-NNNNN.h5` beside
the raw files, which are never changed (`files`, `runs`). `load_table` joins the
`<metric>_mitigated` columns; `load_mitigated(run_dir)` gives the distributions.

mthree is imported only when a calibration is built or applied.
"""

from __future__ import annotations

from typing import Any


def load_mitigated(run_dir: Any) -> list[dict[str, Any]]:
    """Every mitigated distribution of a run (see `qexp.mitigation.runs.load_mitigated`)."""
    from qexp.mitigation.runs import load_mitigated as load

    return load(run_dir)
