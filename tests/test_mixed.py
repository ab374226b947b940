"""Both primitives in one run (`primitive=[sampler,estimator]`) and a sweep in one batch.

The circuits are transpiled once and both primitives' jobs go into one Batch; GHZ counts and
GHZ correlators come from the same run with their exact ideal values (within shot noise on
a fake device). A sweep with `run.batch=shared` on IBM Quantum (the service emulator) puts
every point's jobs into one batch.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import qexp_cli, run_config
from emulator import subprocess_env

from qexp.errors import ConfigError
from qexp.results import load_run, load_table

BOTH = "primitive=[sampler,estimator]"


def manifest(run_dir: Path) -> dict:
    return json.loads((run_dir / "manifest.json").read_text())


def _zz_from_counts(counts: dict[str, int], i: int, j: int) -> tuple[float, float]:
    """<Z_i Z_j> and its shot-noise standard error, from sampled bitstrings (qubit 0 last)."""
    shots = sum(counts.values())
    signs = {b: 1 - 2 * ((int(b[-1 - i]) + int(b[-1 - j])) % 2) for b in counts}
    mean = sum(signs[b] * n for b, n in counts.items()) / shots
    return mean, float(np.sqrt(max(1 - mean**2, 1e-12) / shots))


@pytest.mark.parametrize("backend", ["aer", "fake"])
def test_ghz_counts_and_correlators_from_one_run(tmp_path, backend):
    """Ideal simulator: the exact values. Fake device: the Estimator's ZZ correlators equal
    the ones the Sampler's counts give, within shot noise (both see the same device noise),
    and the X parity keeps its sign."""
    run_dir = tmp_path / "run"
    report = run_config(
        run_dir,
        BOTH,
        f"backend={backend}",
        "circuits.num_qubits=[2,3]",
        "primitive.sampler.shots=4000",
        "primitive.estimator.precision=0.015",
        "run.progress=off",
    )
    assert report.complete and report.primitive == "sampler+estimator"
    results = load_run(run_dir)
    assert set(results) == {"sampler", "estimator"}
    for n, sampled, estimated in zip((2, 3), results["sampler"], results["estimator"], strict=True):
        counts = sampled.data.meas.get_counts()
        evs, stds = estimated.data.evs, estimated.data.stds
        assert evs.shape == (n,)  # the n-1 neighbouring ZZ correlators, then X...X
        if backend == "aer":
            assert set(counts) == {"0" * n, "1" * n}
            assert abs(counts["0" * n] / 4000 - 0.5) < 4 * np.sqrt(0.25 / 4000)
            assert np.array_equal(evs, np.ones(n))
            continue
        assert (counts.get("0" * n, 0) + counts.get("1" * n, 0)) / 4000 > 0.75
        for q in range(n - 1):
            from_counts, noise = _zz_from_counts(counts, q, q + 1)
            assert abs(evs[q] - from_counts) < 4 * np.hypot(noise, stds[q]), (q, evs, counts)
            assert from_counts < 0.99  # the device's noise is really there
        assert evs[-1] > 0.5
    jobs = manifest(run_dir)["jobs"]
    assert [j["primitive"] for j in jobs] == ["sampler", "estimator"]
    assert jobs[0]["circuits"] == jobs[1]["circuits"]


def test_each_primitive_keeps_its_own_keys_and_one_transpilation(tmp_path, caplog):
    caplog.set_level("INFO", logger="qexp")
    run_dir = tmp_path / "run"
    run_config(
        run_dir,
        BOTH,
        "primitive.sampler.shots=123",
        "primitive.estimator.shots=77",
        "circuits.num_qubits=[2,3,4]",
        "partition.max_circuits=2",
        "transpile.cache=false",
        "run.progress=off",
    )
    table = load_table(run_dir)
    assert set(table["primitive"]) == {"sampler", "estimator"}
    assert set(table[table.primitive == "sampler"]["shots"]) == {123}
    assert set(table[table.primitive == "estimator"]["shots"]) == {77}
    line = next(r.getMessage() for r in caplog.records if "transpiled" in r.getMessage())
    assert re.search(r"transpiled 3 circuits", line), line  # 3 circuits, not 6
    jobs = manifest(run_dir)["jobs"]
    assert [(j["primitive"], j["circuits"]) for j in jobs] == [
        ("sampler", {"start": 0, "stop": 2}),
        ("estimator", {"start": 0, "stop": 2}),
        ("sampler", {"start": 2, "stop": 3}),
        ("estimator", {"start": 2, "stop": 3}),
    ]


def test_single_primitives_keep_their_keys(tmp_path):
    assert run_config(tmp_path / "s", "primitive=sampler", "primitive.shots=50").complete
    assert run_config(tmp_path / "e", "primitive=estimator", "primitive.shots=50").complete


def test_checks_apply_to_the_jobs_they_fit(tmp_path):
    report = run_config(
        tmp_path / "run", BOTH, "check=success_probability", "check.min=0.9", "run.progress=off"
    )
    assert report.complete  # the Sampler's jobs were checked, the Estimator's left alone
    with pytest.raises(ConfigError, match=r"max_std checks estimator jobs"):
        run_config(tmp_path / "bad", "primitive=sampler", "check=max_std")


def test_a_mixed_run_resumes_like_any_other(tmp_path):
    from qexp.resume import resume

    run_dir = tmp_path / "run"
    run_config(run_dir, BOTH, "circuits.num_qubits=[2,3]", "run.progress=off")
    before = load_run(run_dir)
    (run_dir / "jobs/job-00001.h5").unlink()  # the Estimator's job
    assert resume(run_dir).complete
    after = load_run(run_dir)
    assert np.array_equal(after["estimator"][0].data.evs, before["estimator"][0].data.evs)


# --- a sweep in one batch, on the service emulator ---------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize(("mode", "sessions"), [("shared", 1), ("per_point", 4)])
def test_a_sweep_in_one_batch(emulator_factory, tmp_path, mode, sessions):
    emu = emulator_factory("--backends", "FakeManilaV2", "--job-seconds", "0.2")
    sweep = tmp_path / "sweep"
    done = qexp_cli(
        "-m",
        *emu.overrides,
        "backend.name=fake_manila",
        "run.poll_interval=0.1",
        f"run.batch={mode}",
        "circuits.num_qubits=2,3,4,5",
        f"hydra.sweep.dir={sweep}",
        cwd=tmp_path,
        env=subprocess_env(emu),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    stats = emu.stats()
    assert len(stats["sessions"]) == sessions
    assert {j["session_id"] for j in stats["jobs"]} == {s["id"] for s in stats["sessions"]}
    if mode == "shared":
        recorded = json.loads((sweep / "batch.json").read_text())["id"]
        assert {j["session_id"] for j in stats["jobs"]} == {recorded}
