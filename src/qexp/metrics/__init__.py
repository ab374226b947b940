"""The field's figures of merit: pure functions of measured counts (or values) and the ideal.

One module per concept: `scores` (per circuit: success and heavy-output probabilities,
Hellinger and normalized fidelity, the Estimator's error), `reference` (what an ideal
device scores with the run's shots), `intervals` (Wilson over shots, Student's t and the
bootstrap over circuits), `quantum_volume` (IBM's two-sigma rule), `ghz` (GHZ state
fidelity from populations and parity oscillations), `mirror` (mirror RB's effective
polarization and its decay with depth). Formulas and
references: docs/metrics.md. Everything is re-exported here: `from qexp import metrics`,
then `metrics.sampler_metrics(...)`.
"""

from qexp.metrics.ghz import GhzFidelity, ghz_fidelity, parity
from qexp.metrics.intervals import (
    BOOTSTRAP,
    CONFIDENCE,
    SMALL_SAMPLE,
    STUDENT_T,
    UNBOUNDED,
    WILSON,
    Estimate,
    bootstrap_interval,
    bootstrap_means,
    interval_method,
    lower_bound,
    mean_interval,
    t_interval,
    wilson_interval,
)
from qexp.metrics.mirror import Decay, effective_polarization, fit_decay
from qexp.metrics.quantum_volume import (
    QV_MIN_CIRCUITS,
    QV_THRESHOLD,
    QuantumVolumeVerdict,
    quantum_volume_verdict,
)
from qexp.metrics.reference import SUFFIX as REFERENCE_SUFFIX
from qexp.metrics.reference import shot_noise_reference
from qexp.metrics.scores import (
    Counts,
    distribution_metrics,
    error,
    estimator_metrics,
    heavy_output_probability,
    hellinger_fidelity,
    normalized_fidelity,
    rescaled,
    sampler_metrics,
    success_probability,
    tally,
    z_score,
)

__all__ = [
    "BOOTSTRAP",
    "CONFIDENCE",
    "QV_MIN_CIRCUITS",
    "QV_THRESHOLD",
    "REFERENCE_SUFFIX",
    "SMALL_SAMPLE",
    "STUDENT_T",
    "UNBOUNDED",
    "WILSON",
    "Counts",
    "Decay",
    "Estimate",
    "GhzFidelity",
    "QuantumVolumeVerdict",
    "bootstrap_interval",
    "bootstrap_means",
    "distribution_metrics",
    "effective_polarization",
    "error",
    "estimator_metrics",
    "fit_decay",
    "ghz_fidelity",
    "heavy_output_probability",
    "hellinger_fidelity",
    "interval_method",
    "lower_bound",
    "mean_interval",
    "normalized_fidelity",
    "parity",
    "quantum_volume_verdict",
    "rescaled",
    "sampler_metrics",
    "shot_noise_reference",
    "success_probability",
    "t_interval",
    "tally",
    "wilson_interval",
    "z_score",
]
