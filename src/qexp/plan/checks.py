"""Per-job result checks (`check=`): a failing one cancels the rest of the run.

A check sees one job's `PrimitiveResult` and the circuits it holds as soon as the job
arrives, and returns a `Verdict`. Choose one with `check=success_probability`,
`check=max_std`, or your own function with `check=custom check._target_=pkg.mod.fn`
(called as `fn(result, specs)`, returning a bool or a Verdict).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from qiskit.primitives import PrimitiveResult

from qexp.circuits.base import CircuitSpec
from qexp.circuits.catalog import CircuitInfo
from qexp.config import check as check_schemas
from qexp.constants import CALIBRATION
from qexp.errors import ConfigError

if TYPE_CHECKING:
    from qexp.store import PubRecord


@dataclass(frozen=True)
class Verdict:
    ok: bool
    message: str = ""


Check = Callable[[PrimitiveResult, Sequence["PubRecord"], bytes], Verdict]
"""(the job's result, its PUB records, its logical circuits as QPY) -> Verdict."""


FITS = {"success_probability": "sampler", "max_std": "estimator"}
"""The primitive whose jobs each built-in check applies to; a custom check sees every job."""


@dataclass(frozen=True)
class JobCheck:
    """The run's check, built once: what it says of a job, and which jobs it looks at."""

    verdict: Check
    applies_to: Callable[[str], bool]
    """Whether a job of a given primitive is checked (in a run of both, a Sampler check
    skips the Estimator's jobs and the other way round; never a calibration job)."""


def validate(cfg: Any, primitives: Sequence[str], catalog: Sequence[CircuitInfo]) -> None:
    """Check the check's values, and that it fits some job of the run (`primitives`)."""
    if cfg is None:
        return
    if cfg.name in FITS and FITS[cfg.name] not in primitives:
        other = "max_std" if cfg.name == "success_probability" else "success_probability"
        raise ConfigError(
            "check",
            cfg.name,
            f"a check that fits a job of this run: {cfg.name} checks {FITS[cfg.name]} jobs, "
            f"and this run has {' and '.join(primitives)} jobs only",
            f"use check={other}, or add primitive={FITS[cfg.name]}",
        )
    if cfg.name == "success_probability":
        if not cfg.outcomes and not all(info.has_ideal for info in catalog):
            raise ConfigError(
                "check.outcomes",
                cfg.outcomes,
                "expected bitstrings, since this generator does not know its ideal outcomes",
                "set check.outcomes=[000,111]",
            )
        _check_outcomes(cfg.outcomes or [], catalog)
    elif cfg.name == "max_std":
        pass  # its value range is the schema's (qexp.config.check); it fits by FITS above
    elif cfg.name == "custom":
        fn = _custom_function(cfg._target_)
        try:
            inspect.signature(fn).bind(None, None)
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                "check._target_",
                cfg._target_,
                f"a function callable as fn(result, specs) ({exc})",
                "point check._target_ at a function def my_check(result, specs) -> bool, "
                "e.g. check._target_=mypackage.checks.my_check",
            ) from exc
    elif cfg.name not in check_schemas.SCHEMAS:
        raise ConfigError(
            "check",
            cfg.name,
            f"one of {', '.join(check_schemas.SCHEMAS)} or null",
            "set check=null",
        )


def build(cfg: Any) -> JobCheck | None:
    """The check of the config's `check` section, or None when no check is configured."""
    if cfg is None:
        return None
    wanted = FITS.get(cfg.name)

    def applies_to(primitive: str) -> bool:
        return primitive != CALIBRATION and (wanted is None or primitive == wanted)

    return JobCheck(_verdict(cfg), applies_to)


def _verdict(cfg: Any) -> Check:
    if cfg.name == "success_probability":
        minimum, outcomes = cfg.min, list(cfg.outcomes) if cfg.outcomes else None
        return lambda result, records, _: success_probability(result, records, minimum, outcomes)
    if cfg.name == "max_std":
        maximum = cfg.max
        return lambda result, records, _: max_std(result, maximum)
    target = cfg._target_
    fn = _custom_function(target)

    def custom(result: PrimitiveResult, records: Sequence[PubRecord], circuits: bytes) -> Verdict:
        verdict = fn(result, specs(records, circuits))
        return verdict if isinstance(verdict, Verdict) else Verdict(bool(verdict), target)

    return custom


def specs(records: Sequence[PubRecord], circuits: bytes) -> list[CircuitSpec]:
    """The job's circuits as a custom check sees them (decoded from the job's QPY)."""
    from qexp.store import load_circuits_bytes

    return [
        CircuitSpec(
            circuit=circuit,
            parameter_values=record.parameter_values,
            observables=record.natural_observables,
            ideal_outcomes=record.ideal_outcomes,
        )
        for record, circuit in zip(records, load_circuits_bytes(circuits), strict=True)
    ]


def success_probability(
    result: PrimitiveResult,
    records: Sequence[PubRecord],
    minimum: float,
    outcomes: Sequence[str] | None = None,
) -> Verdict:
    for pub, record in zip(result, records, strict=True):
        expected = set(outcomes or record.ideal_outcomes or ())
        counts = pub.join_data().get_counts()
        share = sum(counts.get(o, 0) for o in expected) / max(1, sum(counts.values()))
        if share < minimum:
            return Verdict(
                False,
                f"success probability {share:.4f} of circuit {record.index} "
                f"({_label(record.metadata)}) is below "
                f"check.min={minimum}",
            )
    return Verdict(True)


def _label(metadata: dict[str, Any]) -> str:
    return ", ".join(f"{k}={metadata[k]}" for k in ("generator", "num_qubits") if k in metadata)


def max_std(result: PrimitiveResult, maximum: float) -> Verdict:
    for pub in result:
        worst = float(np.max(pub.data.stds))
        if worst > maximum:
            return Verdict(False, f"standard error {worst:.4g} is above check.max={maximum}")
    return Verdict(True)


def _check_outcomes(outcomes: Sequence[str], catalog: Sequence[CircuitInfo]) -> None:
    widths = {info.num_qubits for info in catalog}
    for outcome in map(str, outcomes):
        if set(outcome) - {"0", "1"} or len(widths) != 1 or len(outcome) not in widths:
            raise ConfigError(
                "check.outcomes",
                list(outcomes),
                f"bitstrings of 0 and 1 as wide as the circuits ({sorted(widths)} qubits)",
                "list outcomes such as check.outcomes=[000,111] for circuits of one width",
            )


def _custom_function(target: str) -> Callable[..., Any]:
    """The function at a dotted path (`pkg.mod.fn`, `pkg.mod.Class.method`), or a ConfigError.

    Not hydra.utils.get_method: it logs an error of its own before raising, a second line
    for one mistake."""
    parts, problem = target.split("."), ""
    for cut in range(len(parts) - 1, 0, -1):
        module = ".".join(parts[:cut])
        try:
            found: Any = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name and f"{module}.".startswith(f"{exc.name}."):  # the path, not an import
                continue  # inside the module: a shorter path may be the module
            problem = f"; importing {module} failed: {exc}"
        except Exception as exc:
            problem = f"; importing {module} failed: {type(exc).__name__}: {exc}"
        else:
            for name in parts[cut:]:
                found = getattr(found, name, None)
            if callable(found):
                return found
        break
    raise ConfigError(
        "check._target_",
        target,
        f"the dotted path of an importable function{problem}",
        "set check._target_=mypackage.checks.my_check",
    )
