"""Run a job's program on its device and answer in the service's result format.

Everything here is qiskit-ibm-runtime's own code: its JSON decoder and encoder, its local
service for the v2 `sampler`/`estimator` programs, its executor params converters and
`run_quantum_program` for the `executor` program. The emulator adds only the last step
of the service: the executor result encoded as the `QuantumProgramResultModel` the
client's decoder expects.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from ibm_quantum_schemas.common import CompressedTensorModel
from ibm_quantum_schemas.executor.version_2_0 import QuantumProgramResultModel
from ibm_quantum_schemas.executor.version_2_0.models import (
    ItemMetadataModel,
    MetadataModel,
    QuantumProgramResultItemModel,
)
from qiskit.primitives import DataBin, PrimitiveResult
from qiskit_ibm_runtime.fake_provider.executor.run_quantum_program import run_quantum_program
from qiskit_ibm_runtime.fake_provider.local_service import QiskitRuntimeLocalService
from qiskit_ibm_runtime.quantum_program.converters.converters_2_0 import passthrough_data_to_2_0
from qiskit_ibm_runtime.quantum_program.params_converters import QUANTUM_PROGRAM_PARAMS_CONVERTERS
from qiskit_ibm_runtime.results.quantum_program import QuantumProgramResult
from qiskit_ibm_runtime.utils.json import RuntimeDecoder, RuntimeEncoder
from samplomatic.quantum_program import SamplexItem

from .devices import Device

PROGRAMS = ("sampler", "estimator", "executor")


def run_program(program_id: str, params_json: str, device: Device) -> str:
    """The result body of `GET /jobs/{id}/results` for a job that completed."""
    with device.busy:
        if program_id == "executor":
            return _run_executor(json.loads(params_json), device)
        return _run_primitive(program_id, json.loads(params_json, cls=RuntimeDecoder), device)


SERVICE_SIDE = ("twirling", "dynamical_decoupling", "resilience", "resilience_level")
"""A v2 job's options the service applies itself: the emulator runs them through the
runtime's own client-side implementation (the executor primitives), which builds the same
twirling, dynamical decoupling and mitigation."""


def _run_primitive(program_id: str, inputs: dict[str, Any], device: Device) -> str:
    """`sampler`/`estimator`: the local service's own path, on the cached fake backend; a
    job whose options ask for what the service does itself runs through the client-side
    primitives with those options."""
    chosen = v2_options(inputs)
    if any(key in chosen for key in SERVICE_SIDE):
        result = _run_with_service_options(program_id, inputs["pubs"], chosen, device)
        return json.dumps(_with_array_fields(result), cls=RuntimeEncoder)
    job = QiskitRuntimeLocalService()._run(
        program_id=program_id,  # type: ignore[arg-type]
        inputs=inputs,
        options={"backend": device.backend},
        calibration_id=None,
    )
    return json.dumps(_with_array_fields(job.result()), cls=RuntimeEncoder)


def v2_options(inputs: dict[str, Any]) -> dict[str, Any]:
    """A v2 job's options: its `options`, and the resilience level the client sends
    beside them."""
    chosen = dict(inputs.get("options") or {})
    if inputs.get("resilience_level") is not None:
        chosen["resilience_level"] = inputs["resilience_level"]
    return chosen


def _run_with_service_options(
    program_id: str, pubs: list[Any], chosen: dict[str, Any], device: Device
) -> PrimitiveResult:
    """The v2 job's PUBs through the executor primitive of the same kind, in local mode on
    the device, with every option it shares with the v2 options (the rest were recorded)."""
    import warnings

    from qiskit_ibm_runtime import Batch

    if program_id == "sampler":
        from qiskit_ibm_runtime.executor_sampler import Sampler as Primitive
    else:
        from qiskit_ibm_runtime.executor_estimator import Estimator as Primitive
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Batch(backend=device.backend) as batch:
            primitive = Primitive(mode=batch)
            shared = _shared(primitive.options, chosen)
            primitive.options.update(**shared)
            result = primitive.run(pubs).result()
    pubs_out = [type(pub)(pub.data, _plain(pub.metadata)) for pub in result]
    return PrimitiveResult(pubs_out, metadata=_plain(result.metadata))


def _plain(value: Any) -> Any:
    """Metadata as the service's JSON carries it: the client-side primitives' dataclasses
    (the executor's `Metadata`) as plain dicts."""
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _shared(options: Any, chosen: dict[str, Any]) -> dict[str, Any]:
    """The entries of `chosen` that the executor options model also has, recursively."""
    fields = getattr(type(options), "model_fields", {})
    shared: dict[str, Any] = {}
    for name, value in chosen.items():
        if name not in fields:
            continue
        current = getattr(options, name)
        if hasattr(type(current), "model_fields") and isinstance(value, dict):
            shared[name] = _shared(current, value)
        else:
            shared[name] = value
    return shared


def _with_array_fields(result: PrimitiveResult) -> PrimitiveResult:
    """Every data field as an array, as the service answers.

    The local estimator gives a 0-d PUB's `stds` as a NumPy scalar, which JSON turns into
    a plain float with no `shape`.
    """
    pubs = []
    for pub in result:
        fields = {
            name: np.asarray(value) if isinstance(value, np.generic) else value
            for name, value in pub.data.items()
        }
        pubs.append(type(pub)(DataBin(**fields, shape=pub.data.shape), pub.metadata))
    return PrimitiveResult(pubs, metadata=result.metadata)


def _run_executor(params: dict[str, Any], device: Device) -> str:
    """`executor`: decode the params as the service does, run, encode the result model."""
    converter = QUANTUM_PROGRAM_PARAMS_CONVERTERS[params.get("schema_version", "v2.0")]
    program, options = converter.decoder(converter.model.model_validate(params))
    for item in program.items:
        if isinstance(item, SamplexItem):  # the decoder returns it unfinalized
            item.samplex.finalize()
    options.simulator.seed_simulator = executor_seed(program.passthrough_data)
    result = run_quantum_program(device.simulator, program, options.simulator)
    return encode_quantum_program_result(result).model_dump_json()


def executor_seed(passthrough_data: Any) -> int | None:
    """The simulator seed a client-side Sampler/Estimator was given, if any.

    The executor's params carry no simulator options (the service runs on hardware), but
    the client-side primitives pass their whole options to their own post-processor in
    the passthrough data. Reading the seed there makes seeded runs reproducible, as they
    are in local mode.
    """
    try:
        seed = passthrough_data["post_processor"]["options"]["simulator"]["seed_simulator"]
    except (KeyError, TypeError):
        return None
    return seed if isinstance(seed, int) else None


def encode_quantum_program_result(result: QuantumProgramResult) -> QuantumProgramResultModel:
    """The inverse of the client's `quantum_program_result_from_2_0`.

    The service also reports chunk timing and scheduler metadata; a simulator has neither,
    so both stay empty.
    """
    return QuantumProgramResultModel(
        data=[
            QuantumProgramResultItemModel(
                results={
                    name: CompressedTensorModel.from_numpy(value) for name, value in item.items()
                },
                metadata=ItemMetadataModel(),
            )
            for item in result
        ],
        metadata=MetadataModel(chunk_timing=[]),
        passthrough_data=passthrough_data_to_2_0(result.passthrough_data),
        semantic_role=result._semantic_role,
    )
