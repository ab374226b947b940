"""`primitive.options`: the runtime's own options, as config, with their real effects.

The executor primitives build twirling, dynamical decoupling, TREX and ZNE on the client,
so each option runs offline on a fake device with the physics it has on hardware; through
the emulator the same runs go through IBM's unmodified client. Bad options are refused
before anything is submitted (tests/test_bad_input.py has one case per kind).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import h5py
import numpy as np
import pytest
from conftest import qexp_cli
from emulator import subprocess_env

from qexp.results import load_run, load_table

GHZ3_CORRELATORS = (
    "primitive=estimator",
    "backend=fake",
    "circuits.num_qubits=3",
    "primitive.observables=[ZZI,IZZ,XXX]",
    "run.progress=off",
)
"""GHZ-3 on FakeManilaV2: three correlators whose ideal value is +1."""


def mean_error(table) -> tuple[float, float]:
    """Mean distance of the correlators from +1, and the standard error of that mean."""
    values, stds = table["value"].to_numpy(), table["std"].to_numpy()
    return float(np.mean(1 - values)), float(math.sqrt(np.sum(stds**2)) / len(values))


def assert_levels_help(table) -> None:
    """Each resilience level moves the correlators toward +1, by more than shot noise."""
    errors = {
        level: mean_error(rows)
        for level, rows in table.groupby("primitive.options.resilience_level")
    }
    assert sorted(errors) == [0, 1, 2], errors
    for lower, higher in ((0, 1), (1, 2)):
        (before, s_before), (after, s_after) = errors[lower], errors[higher]
        noise = math.hypot(s_before, s_after)
        assert before - after > 2 * noise, (lower, higher, errors)


def test_a_sweep_over_resilience_levels_compares_them_in_its_table(cli, tmp_path):
    sweep = tmp_path / "sweep"
    done = cli(
        "-m",
        *GHZ3_CORRELATORS,
        "primitive.precision=0.0025",
        "primitive.options.resilience_level=0,1,2",
        f"hydra.sweep.dir={sweep}",
    )
    assert done.returncode == 0, done.stderr
    table = load_table(sweep)
    assert "primitive.options.resilience_level" in table.columns
    assert_levels_help(table)
    assert "primitive.options.resilience_level=2" in done.stdout  # the sweep's own table
    # The first line says why auto took the executor; every job keeps what it ran with.
    assert "estimator (executor: v2 would ignore primitive.options.resilience_level" in (
        done.stderr
    )
    for point, level in ((0, 0), (1, 1), (2, 2)):
        info = json.loads((sweep / str(point) / "manifest.json").read_text())
        recorded = info["options"]["estimator"]
        assert recorded["set"] == {"resilience_level": level}
        finalized = recorded["finalized"]
        assert finalized["resilience_level"] == level
        # The level's defaults, resolved as the runtime resolves them.
        assert finalized["resilience"]["measure_mitigation"] is (level >= 1)
        assert finalized["twirling"]["enable_measure"] is (level >= 1)
        assert finalized["twirling"]["enable_gates"] is (level == 2)
        assert finalized["resilience"]["zne_mitigation"] is (level == 2)
        with h5py.File(sweep / str(point) / "jobs/job-00000.h5") as f:
            assert json.loads(f.attrs["options_json"]) == {"resilience_level": level}
            assert json.loads(f.attrs["options_finalized_json"]) == finalized


def test_twirling_and_dynamical_decoupling_keep_the_sampler_physics(run, tmp_path):
    common = ("backend=fake", "circuits.num_qubits=3", "primitive.shots=4000", "run.progress=off")
    plain = run(*common)
    plain_table = load_table(plain.run_dir)
    twirled = _run_in(
        tmp_path / "twirled",
        *common,
        "primitive.options.twirling.enable_gates=true",
        "primitive.options.twirling.num_randomizations=8",
        "primitive.options.dynamical_decoupling.enable=true",
        "primitive.options.dynamical_decoupling.sequence_type=XY4",
    )
    (result,) = load_run(twirled)
    bits = result.data.meas
    assert bits.num_bits == 3 and bits.num_shots == 4000  # 8 randomizations of 500
    assert sum(bits.get_counts().values()) == 4000
    p_plain = plain_table["success_probability"].iloc[0]
    p_twirled = load_table(twirled)["success_probability"].iloc[0]
    sigma = math.sqrt(2 * p_plain * (1 - p_plain) / 4000)
    assert abs(p_twirled - p_plain) < 4 * sigma, (p_plain, p_twirled)
    info = json.loads((twirled / "manifest.json").read_text())
    finalized = info["options"]["sampler"]["finalized"]
    assert finalized["twirling"]["enable_gates"] is True
    assert finalized["dynamical_decoupling"]["enable"] is True
    assert info["implementation"] == "executor"


def _run_in(run_dir: Path, *overrides: str) -> Path:
    from conftest import run_config

    report = run_config(run_dir, *overrides)
    assert report.complete
    return run_dir


def executions(text: str) -> int:
    return int(re.search(r"plan: .*?, (\d+) executions", text).group(1))


def test_the_estimate_counts_twirled_executions_by_hand(cli, tmp_path):
    """1,000 shots in 16 randomizations: ceil(1000 / 16) = 63 shots each, 1,008 per
    circuit; three GHZ circuits."""
    done = cli(
        "backend=fake",
        "circuits.num_qubits=[2,3,4]",
        "primitive.shots=1000",
        "primitive.options.twirling.enable_gates=true",
        "primitive.options.twirling.num_randomizations=16",
        "run.dry_run=true",
        f"hydra.run.dir={tmp_path / 'run'}",
    )
    assert done.returncode == 0, done.stderr
    assert executions(done.stdout) == 3 * 16 * 63
    assert "sampler options: twirling.enable_gates=True" in done.stdout


def test_the_estimate_counts_zne_and_its_learning_circuits_by_hand(cli, tmp_path):
    """Level 2, precision 1/32: 1,024 shots, twirled as 16 randomizations of
    max(64, ceil(1024 / 32)) = 64 shots; ZNE runs noise factors 1, 3 and 5; the
    observables ZZZ and ZII share one measurement basis: 3 x 16 x 64. TREX learns the
    readout with as many randomizations as the twirling (`measure_noise_learning`'s
    `auto`), of 64 shots each: 16 x 64 more."""
    done = cli(
        "primitive=estimator",
        "backend=fake",
        "circuits.num_qubits=3",
        "primitive.observables=[ZZZ,ZII]",
        "primitive.precision=0.03125",
        "primitive.options.resilience_level=2",
        "run.dry_run=true",
        f"hydra.run.dir={tmp_path / 'run'}",
    )
    assert done.returncode == 0, done.stderr
    assert executions(done.stdout) == 3 * 16 * 64 + 16 * 64
    plain = cli(
        "primitive=estimator",
        "backend=fake",
        "circuits.num_qubits=3",
        "primitive.observables=[ZZZ,ZII]",
        "primitive.precision=0.03125",
        "primitive.implementation=executor",
        "run.dry_run=true",
        f"hydra.run.dir={tmp_path / 'plain'}",
    )
    assert executions(plain.stdout) == 1024  # locally: untwirled, unmitigated


@pytest.mark.slow
def test_levels_and_twirling_through_the_emulator(emulator_factory, tmp_path):
    emu = emulator_factory("--backends", "FakeManilaV2", "--job-seconds", "0.2")
    sweep = tmp_path / "sweep"
    done = qexp_cli(
        "-m",
        *[o for o in GHZ3_CORRELATORS if o != "backend=fake"],
        *emu.overrides,
        "backend.name=fake_manila",
        "run.poll_interval=0.1",
        "primitive.precision=0.0025",
        "primitive.options.resilience_level=0,1,2",
        f"hydra.sweep.dir={sweep}",
        cwd=tmp_path,
        env=subprocess_env(emu),
    )
    assert done.returncode == 0, done.stderr
    assert_levels_help(load_table(sweep))
    received = [job["options"] for job in emu.jobs()]
    assert [r["primitive"]["resilience_level"] for r in received] == [0, 1, 2]

    twirled = tmp_path / "twirled"
    done = qexp_cli(
        *emu.overrides,
        "backend.name=fake_manila",
        "run.poll_interval=0.1",
        "run.progress=off",
        "circuits.num_qubits=3",
        "primitive.shots=2000",
        "primitive.options.twirling.enable_gates=true",
        "primitive.options.dynamical_decoupling.enable=true",
        f"hydra.run.dir={twirled}",
        cwd=tmp_path,
        env=subprocess_env(emu),
    )
    assert done.returncode == 0, done.stderr
    (result,) = load_run(twirled)
    # 2,000 shots twirled as the runtime does: max(64, ceil(2000 / 32)) = 64 shots in each
    # of ceil(2000 / 64) = 32 randomizations.
    assert result.data.meas.num_shots == 32 * 64 and result.data.meas.num_bits == 3
    assert load_table(twirled)["success_probability"].iloc[0] > 0.75
    last = emu.jobs()[-1]["options"]["primitive"]
    assert last["twirling"]["enable_gates"] is True
    assert last["dynamical_decoupling"]["enable"] is True


@pytest.mark.slow
def test_the_emulator_runs_a_v2_jobs_service_side_options(emulator_factory, tmp_path):
    """A v2 job leaves resilience to the service; the emulator imitates it."""
    emu = emulator_factory("--backends", "FakeManilaV2", "--job-seconds", "0.2")
    sweep = tmp_path / "sweep"
    done = qexp_cli(
        "-m",
        *[o for o in GHZ3_CORRELATORS if o != "backend=fake"],
        *emu.overrides,
        "backend.name=fake_manila",
        "run.poll_interval=0.1",
        "primitive.implementation=v2",
        "primitive.precision=0.0025",
        "primitive.options.resilience_level=0,1",
        f"hydra.sweep.dir={sweep}",
        cwd=tmp_path,
        env=subprocess_env(emu),
    )
    assert done.returncode == 0, done.stderr
    table = load_table(sweep)
    (before, s0), (after, s1) = (
        mean_error(rows) for _, rows in table.groupby("primitive.options.resilience_level")
    )
    assert before - after > 2 * math.hypot(s0, s1)
    assert [job["options"]["resilience_level"] for job in emu.jobs()] == [0, 1]
    assert {job["program"] for job in emu.jobs()} == {"estimator"}
