"""Bad input through the real CLI: a message naming the key, no traceback, nothing submitted.

Each case runs `python -m qexp` in a subprocess (about 2-3 s each), in its own tmp_path.
Its one error line on stderr ends with a fix hint; every config key the hint names is a
real one: each `key=value` it suggests composes with Hydra in place of the bad input.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import compose_config
from hydra.errors import HydraException
from omegaconf import OmegaConf

BAD_QASM = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
h q[0];
cx q[0] q[1]
"""
# Parses, but `mygate` has no definition: nothing can transpile it.
OPAQUE_QASM = """OPENQASM 2.0;
include "qelib1.inc";
opaque mygate q;
qreg q[2];
mygate q[0];
cx q[0], q[1];
"""
# Measures mid-circuit: a Sampler can run it, an Estimator cannot.
MID_CIRCUIT_QASM = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
measure q[0] -> c[0];
cx q[0], q[1];
"""
# Parses, but leaves a free parameter that nothing binds.
PARAMETRIC_QASM = """OPENQASM 3.0;
include "stdgates.inc";
input float theta;
qubit[2] q;
rx(theta) q[0];
cx q[0], q[1];
"""


def case(name, key, *args, files=None, expect=(), env=None, bug=None, hint=True):
    """One bad input: CLI args, the key its message must name, files to write into tmp_path.

    `hint=False`: the fix lies outside the config (an account), so it names no key.
    """
    marks = [pytest.mark.xfail(reason=bug, strict=True)] if bug else []
    return pytest.param(args, key, files or {}, expect, env, hint, id=name, marks=marks)


CASES = [
    case("num_qubits_zero", "circuits.num_qubits", "circuits.num_qubits=0"),
    case(
        "wider_than_fake_device",
        "circuits.num_qubits",
        "backend=fake",
        "backend.name=FakeManilaV2",
        "circuits.num_qubits=6",
    ),
    case("unknown_fake_device", "backend.name", "backend=fake", "backend.name=FakeNowhereV2"),
    case("optimization_level_7", "transpile.optimization_level", "transpile.optimization_level=7"),
    case("max_circuits_zero", "partition.max_circuits", "partition.max_circuits=0"),
    case("precision_zero", "primitive.precision", "primitive=estimator", "primitive.precision=0"),
    case(
        "observables_wrong_width",
        "primitive.observables",
        "primitive=estimator",
        "primitive.observables=[ZZZZZZZ]",
    ),
    case(
        "observables_bad_letter",
        "primitive.observables",
        "primitive=estimator",
        "primitive.observables=[ZQ]",
    ),
    case("qasm_missing_file", "circuits.path", "circuits=qasm", "circuits.path=missing.qasm"),
    case(
        "qasm_unparsable",
        "circuits.path",
        "circuits=qasm",
        "circuits.path=bad.qasm",
        files={"bad.qasm": BAD_QASM},
    ),
    case("random_depth_zero", "circuits.depth", "circuits=random", "circuits.depth=0"),
    case(
        "ansatz_points_wrong_length",
        "circuits.points",
        "circuits=ansatz",
        "circuits.num_qubits=3",
        "circuits.points=[[0.1,0.2]]",
    ),
    case("unknown_ansatz", "circuits.ansatz", "circuits=ansatz", "circuits.ansatz=hea"),
    case("negative_seed", "seed", "seed=-1"),
    case("success_min_above_one", "check.min", "check=success_probability", "check.min=2"),
    case(
        "success_without_outcomes",
        "check.outcomes",
        "circuits=random",
        "check=success_probability",
    ),
    case("unknown_implementation", "primitive.implementation", "primitive.implementation=fast"),
    case(
        "ibm_without_account",
        "backend",
        "backend=ibm",
        expect=("save_account", "QISKIT_IBM_TOKEN"),
        env="no_account",
        hint=False,
    ),
    case(
        "pub_over_max_executions",
        "partition.max_executions",
        "primitive.shots=2000",
        "partition.max_executions=1000",
    ),
    case("unknown_progress_mode", "run.progress", "run.progress=fancy"),
    # --- bugs found while writing this file, since fixed in src/: regressions ------------
    case(
        "qasm_opaque_gate",
        "circuits.path",
        "circuits=qasm",
        "circuits.path=opaque.qasm",
        files={"opaque.qasm": OPAQUE_QASM},
    ),
    case(
        "qasm_unbound_parameter",
        "circuits.path",
        "circuits=qasm",
        "circuits.path=param.qasm",
        files={"param.qasm": PARAMETRIC_QASM},
    ),
    case("primitive_name_override", "primitive.name", "primitive.name=estimator"),
    case("seed_beyond_uint64", "seed", "seed=18446744073709551616"),
    case(
        "success_outcomes_not_bitstrings",
        "check.outcomes",
        "check=success_probability",
        "check.outcomes=[abc]",
    ),
    case(
        "aer_method_unfit_for_circuits",
        "backend.method",
        "circuits=qft",
        "backend.method=stabilizer",
    ),
    case(
        "executor_estimator_parameters_on_aer",
        "primitive.implementation",
        "circuits=ansatz",
        "primitive=estimator",
        "primitive.implementation=executor",
    ),
    case(
        "custom_check_wrong_signature",
        "check._target_",
        "check=custom",
        "check._target_=builtins.len",
    ),
    # --- every other hint qexp gives: each must name real keys -----------------------
    case("shots_negative", "primitive.shots", "primitive.shots=-5"),
    case("group_removed", "circuits", "~circuits"),
    case("choice_set_by_its_key", "circuits.name", "circuits.name=qft"),
    case("unknown_key_near_a_real_one", "circuits.num_qbits", "+circuits.num_qbits=3"),
    case("unknown_key", "circuits.colour", "+circuits.colour=red"),
    case("max_retries_negative", "run.max_retries", "run.max_retries=-1"),
    case("retry_backoff_negative", "run.retry_backoff", "run.retry_backoff=-1"),
    case("poll_interval_zero", "run.poll_interval", "run.poll_interval=0"),
    case("max_qpu_seconds_zero", "run.max_qpu_seconds", "run.max_qpu_seconds=0"),
    case("max_executions_zero", "partition.max_executions", "partition.max_executions=0"),
    case("cache_max_mb_zero", "transpile.cache_max_mb", "transpile.cache_max_mb=0"),
    case("workers_negative", "transpile.workers", "transpile.workers=-1"),
    case("max_exact_qubits_negative", "metrics.max_exact_qubits", "metrics.max_exact_qubits=-1"),
    case("aer_method_unknown", "backend.method", "backend.method=unitary"),
    case("ibm_channel_unknown", "backend.channel", "backend=ibm", "backend.channel=ibm_q"),
    case("flaky_base_unknown", "backend.base", "backend=flaky", "backend.base=nowhere"),
    case(
        "flaky_negative_submission",
        "backend.fail_submissions",
        "backend=flaky",
        "backend.fail_submissions=[-1]",
    ),
    case(
        "executor_on_flaky",
        "primitive.implementation",
        "backend=flaky",
        "primitive.implementation=executor",
    ),
    case("qasm_without_path", "circuits.path", "circuits=qasm"),
    case(
        "qasm_mid_circuit_measurement_for_estimator",
        "primitive",
        "circuits=qasm",
        "circuits.path=mid.qasm",
        "primitive=estimator",
        files={"mid.qasm": MID_CIRCUIT_QASM},
    ),
    case(
        "ansatz_points_for_two_widths",
        "circuits.points",
        "circuits=ansatz",
        "circuits.num_qubits=[2,3]",
        "circuits.points=[[0.1]]",
    ),
    case("check_for_the_other_primitive", "check", "check=max_std"),
    case(
        "check_max_std_negative",
        "check.max",
        "primitive=estimator",
        "check=max_std",
        "check.max=-1",
    ),
    case(
        "success_outcomes_of_two_widths",
        "check.outcomes",
        "circuits.num_qubits=[2,3]",
        "check=success_probability",
        "check.outcomes=[00]",
    ),
    case(
        "custom_check_not_importable",
        "check._target_",
        "check=custom",
        "check._target_=nowhere_at_all.fn",
    ),
    # --- primitive.options: the runtime's own models say what is allowed ---------------
    case(
        "option_unknown_name",
        "primitive.options.resilence_level",
        "primitive=estimator",
        "primitive.options.resilence_level=1",
    ),
    case(
        "option_unknown_name_in_a_section",
        "primitive.options.twirling.enable_gate",
        "primitive=estimator",
        "primitive.options.twirling.enable_gate=true",
    ),
    case(
        "option_wrong_type",
        "primitive.options.twirling.enable_gates",
        "primitive=estimator",
        "primitive.options.twirling.enable_gates=maybe",
    ),
    case(
        "option_out_of_range",
        "primitive.options.twirling.num_randomizations",
        "primitive=estimator",
        "primitive.options.twirling.num_randomizations=0",
    ),
    case(
        "option_not_one_of_its_choices",
        "primitive.options.resilience_level",
        "primitive=estimator",
        "primitive.options.resilience_level=3",
    ),
    case(
        "option_a_section_given_a_value",
        "primitive.options.twirling",
        "primitive=estimator",
        "primitive.options.twirling=true",
    ),
    case(
        "option_of_the_other_primitive",
        "primitive.options.resilience_level",
        "primitive.options.resilience_level=1",
        expect=("an option of the Estimator",),
    ),
    case(
        "option_of_the_other_primitive_in_a_run_of_both",
        "primitive.sampler.options.resilience_level",
        "primitive=[sampler,estimator]",
        "primitive.sampler.options.resilience_level=1",
    ),
    case(
        "option_the_explicit_v2_would_ignore",
        "primitive.options.dynamical_decoupling.enable",
        "backend=fake",
        "primitive.implementation=v2",
        "primitive.options.dynamical_decoupling.enable=true",
        expect=("implementation=executor",),
    ),
    case(
        "option_qexp_sets_itself",
        "primitive.options.default_shots",
        "primitive.options.default_shots=100",
        expect=("primitive.shots=100",),
    ),
    case(
        "option_flaky_cannot_run",
        "primitive.options.twirling.enable_gates",
        "backend=flaky",
        "primitive.options.twirling.enable_gates=true",
    ),
    case(
        "budget_exceeded",
        "run.max_qpu_seconds",
        "backend=fake",
        "run.max_qpu_seconds=0.001",
        expect=("exceeds the budget",),
    ),
]


def write_files(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).write_text(text)


@pytest.mark.parametrize(("args", "key", "files", "expect", "env", "hint"), CASES)
def test_bad_input_fails_cleanly(cli, tmp_path, monkeypatch, args, key, files, expect, env, hint):
    write_files(tmp_path, files)
    extra_env = None
    if env == "no_account":
        # No token in the environment and an empty home: no saved account can be found.
        for var in ("QISKIT_IBM_TOKEN", "QISKIT_IBM_INSTANCE", "QISKIT_IBM_CHANNEL"):
            monkeypatch.delenv(var, raising=False)
        home = tmp_path / "home"
        home.mkdir()
        extra_env = {"HOME": str(home)}

    proc = cli(*args, f"hydra.run.dir={tmp_path / 'run'}", env=extra_env)
    output = proc.stdout + proc.stderr

    assert proc.returncode == 2, output
    assert "Traceback" not in output, output
    assert f"{key}=" in output and ("is not valid" in output or expect), output
    for text in expect:
        assert text in output, output
    assert not sorted(tmp_path.rglob("*.h5*")), output
    # One plain error line on stderr (after progress lines, if any), nothing on stdout; a
    # command in it is never a bare `python`.
    assert proc.stdout == "", proc.stdout
    lines = proc.stderr.splitlines()
    assert all(line.startswith("qexp: ") for line in lines), output
    assert [line for line in lines if line.startswith("qexp: error: ")] == lines[-1:], output
    assert not re.search(r"(?<![/\w])python3? ", output), output
    if hint:
        assert_hint_names_real_keys(proc.stderr, key, args)


GROUPS = ("circuits", "backend", "primitive", "check", "partition", "transpile", "run", "metrics")
OVERRIDE = re.compile(r"(?<![\w.=/+~-])([a-z_]\w*(?:[./]\w+)*)=(\S+?)(?=[,;?.)]*(?:\s|$))")
"""A `key=value` a hint suggests; its value ends before a space or trailing punctuation."""
BARE_KEY = re.compile(rf"\b(?:{'|'.join(GROUPS)})\.\w+\b(?!=)")
"""A full key a hint names without a value (`leave it out of circuits.path`)."""


def assert_hint_names_real_keys(stderr: str, key: str, args: tuple) -> None:
    """Each suggestion (adjacent `key=value`s go together: `backend=fake backend.name=X`)
    composes in place of the bad input, and each key named alone exists in the config."""
    assert "Fix: " in stderr, stderr
    fix = stderr.split("Fix: ", 1)[1].strip()
    suggestions: list[list[str]] = []
    end = None
    for found in OVERRIDE.finditer(fix):
        if end is not None and not fix[end : found.start()].strip():
            suggestions[-1].append(found.group(0))
        else:
            suggestions.append([found.group(0)])
        end = found.end()
    bare = BARE_KEY.findall(OVERRIDE.sub("", fix))
    assert suggestions or bare, f"the hint names no config key: {fix}"
    given = [a for a in args if not a.startswith("hydra.")]
    for suggestion in suggestions:
        overrides = [*replace(given, [key, *(o.split("=")[0] for o in suggestion)]), *suggestion]
        try:
            compose_config(*overrides)
        except HydraException as exc:
            pytest.fail(f"hint {' '.join(suggestion)!r} does not compose: {exc}\n{stderr}")
    config = compose_config(*given)
    for name in bare:
        assert OmegaConf.select(config, name, default=KeyError) is not KeyError, (name, fix)


def replace(args: list[str], keys: list[str]) -> list[str]:
    """`args` without the overrides of `keys` (or of keys under a group in `keys`)."""
    names = [a.split("=")[0].lstrip("+~") for a in args]
    return [
        arg
        for arg, name in zip(args, names, strict=True)
        if not any(name == k or name.startswith(f"{k}.") for k in keys)
    ]
