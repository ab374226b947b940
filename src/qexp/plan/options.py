"""`primitive.options`: the runtime's own options, checked by its own models before anything runs.

The names, types and ranges are those of qiskit-ibm-runtime's pydantic models
(`options_models.SamplerOptions` / `EstimatorOptions` for the executor-based primitives,
`options.SamplerOptions` / `EstimatorOptions` for the v2 ones), read from the installed
client: a new client option works without a qexp release. qexp adds only what the models
cannot know:

- options qexp sets itself (shots, precision, the simulator's seed, job tags, the time
  limit) are refused with the qexp key that sets them: they also partition and price jobs;
- options an implementation would ignore are never dropped: `auto` takes the executor
  primitives when an option needs them (locally the v2 ones ignore twirling, dynamical
  decoupling and mitigation), and an explicit `v2` is refused, naming the option;
- hardware timings (`execution.rep_delay`, ...) on a local simulator are said to have no
  effect there (they still price the QPU-time estimate).
"""

from __future__ import annotations

import difflib
import json
import logging
import math
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

from qexp.errors import ConfigError

log = logging.getLogger(__name__)

RESERVED = {
    "default_shots": "primitive.shots",
    "default_precision": "primitive.precision",
    "max_execution_time": "run.max_execution_time",
    "environment.max_execution_time": "run.max_execution_time",
    "environment.job_tags": "",
    "simulator.seed_simulator": "seed",
}
"""Options qexp sets itself, each with the qexp key that sets it (empty: qexp alone)."""

CLIENT_SIDE = ("twirling", "dynamical_decoupling", "resilience", "resilience_level")
"""Sections the executor primitives build on the client, and that the v2 primitives leave
to the service: in local mode v2 ignores them."""

RECORDED_ELSEWHERE = {
    "default_shots",
    "default_precision",
    "max_execution_time",
    "simulator",
    "environment",
    "experimental",
}
"""Left out of the finalized record: qexp's own settings (shots, precision, time limit,
seed, tags: recorded as attributes of their own) and the local simulator's."""

HARDWARE_ONLY = (
    "execution.init_qubits",
    "execution.rep_delay",
    "execution.scheduler_timing",
    "execution.stretch_values",
    "environment.private",
    "environment.image",
)
"""Options a local simulator has no use for: they apply on IBM Quantum only."""


def flatten(options: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{"twirling": {"enable_gates": True}}` -> `{"twirling.enable_gates": True}`."""
    flat: dict[str, Any] = {}
    for name, value in options.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{key}."))
        else:
            flat[key] = value
    return flat


def plain(options: Any) -> dict[str, Any]:
    """The options as plain JSON-able nested dicts (a config node, or already plain)."""
    return json.loads(json.dumps(options or {}, default=_listed))


def _listed(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if hasattr(value, "__iter__"):
        return list(value)
    raise TypeError(f"{value!r} is not an option value")


def needs_client_side(options: Mapping[str, Any]) -> list[str]:
    """The options (dotted) that only the executor primitives honour in local mode."""
    return [key for key in flatten(options) if key.split(".")[0] in CLIENT_SIDE]


def choose(
    requested: str,
    primitive: str,
    options: Mapping[str, Any],
    on_ibm: bool,
    v2_available: bool,
    key: str,
) -> tuple[str, str]:
    """(`executor` or `v2`, why when it matters) for a primitive with these options.

    `auto` takes the executor on IBM Quantum (the supported path) and where an option
    needs it; v2 locally otherwise (about 10x faster on noisy fake devices).
    """
    client_side = [] if on_ibm else needs_client_side(options)
    if requested == "auto":
        if on_ibm or not v2_available:
            return "executor", ""
        if client_side:
            return "executor", f"v2 would ignore {key}.options.{client_side[0]} locally"
        return "v2", ""
    if requested == "v2" and client_side:
        first = client_side[0]
        raise ConfigError(
            f"{key}.options.{first}",
            flatten(options)[first],
            f"an option the v2 {primitive.capitalize()} honours in local mode (only "
            "simulator.* and execution.meas_type): it leaves twirling, dynamical decoupling "
            "and mitigation to the service, so here it would ignore this one",
            f"set {key}.implementation=executor (or auto): the executor primitives build it "
            "on the client",
        )
    return requested, ""


def check(
    primitive: str,
    implementation: str,
    options: Mapping[str, Any],
    key: str,
    local: bool,
) -> None:
    """Refuse a name, type or value the runtime's model for `implementation` refuses, and
    the options qexp sets itself; warn about hardware timings on a local simulator."""
    if not options:
        return
    flat = flatten(options)
    for name, value in flat.items():
        if name in RESERVED:
            _reserved(name, value, key)
    model = model_class(primitive, implementation)
    errors = _validation_errors(model, options)
    if errors:
        _refuse(errors, options, primitive, implementation, key)
    if local:
        timings = [name for name in flat if name in HARDWARE_ONLY]
        for name in timings:
            log.warning(
                "%s.options.%s=%r has no effect on a local simulator; it applies on IBM "
                "Quantum (and prices the QPU-time estimate)",
                key,
                name,
                flat[name],
            )


def model_class(primitive: str, implementation: str) -> type:
    """The runtime's own options model for this primitive and implementation."""
    if implementation == "executor":
        from qiskit_ibm_runtime.options_models.estimator import EstimatorOptions
        from qiskit_ibm_runtime.options_models.sampler import SamplerOptions
    else:
        from qiskit_ibm_runtime.options import EstimatorOptions, SamplerOptions
    return SamplerOptions if primitive == "sampler" else EstimatorOptions


def build(primitive: str, implementation: str, options: Mapping[str, Any]) -> Any:
    """An options object of the runtime's model holding `options` (already checked)."""
    model = model_class(primitive, implementation)
    made = model()
    if options:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            made.update(**plain(options))
    return made


def finalized(primitive: str, implementation: str, made: Any) -> dict[str, Any]:
    """The options as the primitive runs them: for the executor, the resilience level's
    defaults resolved and the twirling that mitigation forces on (the runtime's own
    `finalize_*_options`); for v2, the options as sent (the service finalizes them)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if implementation == "executor":
            if primitive == "sampler":
                from qiskit_ibm_runtime.executor_sampler.finalize_options import (
                    finalize_sampler_options as finalize,
                )
            else:
                from qiskit_ibm_runtime.executor_estimator.finalize_options import (
                    finalize_estimator_options as finalize,
                )
            return finalize(made).model_dump(mode="json", exclude=RECORDED_ELSEWHERE)
        from qiskit_ibm_runtime.options.utils import Unset

        dumped = _without(_asdict(made), Unset)
        for name in RECORDED_ELSEWHERE:
            dumped.pop(name, None)
        return plain(dumped)


def _asdict(made: Any) -> dict[str, Any]:
    import dataclasses

    return dataclasses.asdict(made)


def _without(value: Any, unset: Any) -> Any:
    """`value` without the v2 options' `Unset` entries, and sections left empty."""
    if not isinstance(value, dict):
        return value
    kept = {k: _without(v, unset) for k, v in value.items() if v is not unset}
    return {k: v for k, v in kept.items() if v != {} and not k.startswith("_")}


# --- what a job executes, with its options -------------------------------------------------


def executions_per_point(primitive: str, finalized_options: Mapping[str, Any], shots: int) -> int:
    """Executions one parameter set of one circuit costs with these (finalized) options,
    as the runtime's client counts them: twirling rounds shots up to randomizations of
    equal size, ZNE runs every noise factor, PEC samples up to its overhead. Measurement
    bases and TREX's learning circuits are per job and counted by the estimate. Without
    such options nothing is imported: a run without them never waits for the runtime."""
    twirling = finalized_options.get("twirling") or {}
    resilience = finalized_options.get("resilience") or {}
    count = shots
    if twirling.get("enable_gates") or twirling.get("enable_measure"):
        from qiskit_ibm_runtime.executor.calculate_twirling_shots import (
            calculate_twirling_shots,
        )

        randomizations, per_randomization = calculate_twirling_shots(
            shots,
            twirling.get("num_randomizations", "auto"),
            twirling.get("shots_per_randomization", "auto"),
        )
        count = randomizations * per_randomization
    if primitive == "estimator" and resilience.get("zne_mitigation"):
        count *= len(_noise_factors(resilience.get("zne") or {}))
    if primitive == "estimator" and resilience.get("pec_mitigation"):
        overhead = (resilience.get("pec") or {}).get("max_overhead")
        count = math.ceil(count * (overhead if overhead is not None else 100.0))
    return count


def _noise_factors(zne: Mapping[str, Any]) -> list[float]:
    """ZNE's noise factors as the runtime resolves `auto`."""
    from qiskit_ibm_runtime.executor_estimator.utils import resolve_noise_factors
    from qiskit_ibm_runtime.options_models.zne import ZneOptions

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        factors, _ = resolve_noise_factors(ZneOptions(**dict(zne)))
    return list(factors)


# --- errors, each naming the full key ------------------------------------------------------


def _reserved(name: str, value: Any, key: str) -> None:
    own = RESERVED[name]
    if own:
        fix = f"set {own.replace('primitive.', f'{key}.')}={_override(value)} instead"
        what = f"an option qexp does not set itself: qexp sets {name} from {own}"
    else:
        fix = f"drop {key}.options.{name}; qexp tags each job with its run, index and attempt"
        what = "an option qexp does not set itself: qexp tags every job to find it again"
    raise ConfigError(f"{key}.options.{name}", value, what, fix)


def _validation_errors(model: type, options: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The model's own complaints about `options`, most specific first."""
    from pydantic import TypeAdapter, ValidationError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            TypeAdapter(model).validate_python(plain(options))
        except ValidationError as exc:
            found: list[dict[str, Any]] = [dict(e) for e in exc.errors()]
        else:
            return []
    for error in found:
        error["path"] = _path(error["loc"], options)
    meaningful = [e for e in found if e["type"] != "is_instance_of"] or found
    return sorted(meaningful, key=lambda e: -len(e["path"]))


def _refuse(
    errors: list[dict[str, Any]],
    options: Mapping[str, Any],
    primitive: str,
    implementation: str,
    key: str,
) -> None:
    first = errors[0]
    path: list[str] = first["path"]
    name = ".".join(path)
    value = _value_at(options, path)
    model = model_class(primitive, implementation)
    where = model.__name__
    if first["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
        _unknown(path, value, primitive, implementation, key, model)
    if first["type"] in ("model_type", "model_attributes_type", "dataclass_type"):
        fields = _fields(model, path)
        example = f"{key}.options.{name}.{fields[0]}={_example(model, [*path, fields[0]])}"
        raise ConfigError(
            f"{key}.options.{name}",
            value,
            f"a section of {where}, whose options are set one by one ({', '.join(fields)})",
            f"set its options one by one, e.g. {example}",
        )
    same = [e for e in errors if e["path"] == path]
    allowed = "; or ".join(dict.fromkeys(_message(e) for e in same))
    default = _default(model, path)
    if first["type"] == "bool_parsing":
        fix = f"set {key}.options.{name}=true (or false)"
    elif default is not None:
        fix = f"set {key}.options.{name}={_override(default)} (the runtime's default)"
    else:
        fix = f"drop {key}.options.{name} (the runtime's default applies)"
    raise ConfigError(f"{key}.options.{name}", value, f"a value {where} accepts: {allowed}", fix)


def _unknown(
    path: list[str], value: Any, primitive: str, implementation: str, key: str, model: type
) -> None:
    name = ".".join(path)
    fields = _fields(model, path[:-1])
    other = "estimator" if primitive == "sampler" else "sampler"
    other_model = model_class(other, implementation)
    if path and _has(other_model, path) and not _has(model, path):
        raise ConfigError(
            f"{key}.options.{name}",
            value,
            f"an option of the {primitive.capitalize()} ({model.__name__}); {name} is an "
            f"option of the {other.capitalize()}",
            f"use primitive={other}, or drop {key}.options.{name}",
        )
    near = difflib.get_close_matches(path[-1], fields, n=1) if path else []
    section = ".".join(path[:-1])
    where = f"{model.__name__}.{section}" if section else model.__name__
    fix = (
        f"did you mean {key}.options.{'.'.join([*path[:-1], near[0]])}={_override(value)}?"
        if near
        else f"drop {key}.options.{name}"
    )
    raise ConfigError(
        f"{key}.options.{name}", value, f"an option of {where} ({', '.join(fields)})", fix
    )


def _path(loc: tuple, options: Mapping[str, Any]) -> list[str]:
    """The option a pydantic error location points at, as the user wrote its keys (the
    location's class names, union tags and list indices are not keys)."""
    path: list[str] = []
    node: Any = options
    for part in loc:
        if isinstance(node, Mapping) and isinstance(part, str) and part in node:
            path.append(part)
            node = node[part]
    return path


def _value_at(options: Mapping[str, Any], path: list[str]) -> Any:
    node: Any = options
    for part in path:
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


def _submodel(model: Any, path: list[str]) -> Any:
    """The options model (class) of the section at `path`, or None."""
    for part in path:
        annotation = _annotation(model, part)
        if annotation is None:
            return None
        model = annotation
    return model


def _annotation(model: Any, name: str) -> Any:
    fields = getattr(model, "model_fields", None)
    if fields is not None:
        info = fields.get(name)
        if info is None:
            return None
        annotation = info.annotation
        return annotation if hasattr(annotation, "model_fields") else None
    import dataclasses

    if dataclasses.is_dataclass(model):
        for f in dataclasses.fields(model):
            if f.name == name:
                default = f.default_factory() if callable(f.default_factory) else None
                return type(default) if dataclasses.is_dataclass(default) else None
    return None


def _fields(model: Any, path: list[str]) -> list[str]:
    found = _submodel(model, path)
    if found is None:
        return []
    if hasattr(found, "model_fields"):
        return list(found.model_fields)
    import dataclasses

    return [f.name for f in dataclasses.fields(found) if not f.name.startswith("_")]


def _has(model: Any, path: list[str]) -> bool:
    return bool(path) and path[-1] in _fields(model, path[:-1])


def _default(model: Any, path: list[str]) -> Any:
    section = _submodel(model, path[:-1]) if path else None
    if section is None or not hasattr(section, "model_fields"):
        return None
    info = section.model_fields.get(path[-1])
    if info is None or info.is_required():
        return None
    default = info.get_default(call_default_factory=True)
    return default if isinstance(default, str | int | float | bool | list | tuple) else None


def _example(model: Any, path: list[str]) -> str:
    """A value to show for the option at `path`: its default, else `true`."""
    default = _default(model, path)
    return "true" if default is None else _override(default)


def _message(error: Mapping[str, Any]) -> str:
    text = str(error.get("msg", "")).removeprefix("Value error, ")
    text = text[:1].lower() + text[1:]
    index = next((p for p in error.get("loc", ()) if isinstance(p, int)), None)
    return f"{text} (entry {index})" if index is not None else text


def _override(value: Any) -> str:
    """A value as Hydra's override grammar reads it back."""
    if isinstance(value, tuple):
        value = list(value)
    if value is None or isinstance(value, bool | list | dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def describe(options: Mapping[str, Any]) -> Iterator[str]:
    """`twirling.enable_gates=True`, one per option set, for messages and tables."""
    for name, value in flatten(options).items():
        yield f"{name}={value}"
