"""The transpile cache: a second run transpiles nothing, a corrupt entry is rebuilt, never
trusted, `transpile.cache=false` leaves no trace, and the folder keeps under its cap."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from conftest import run_config

from qexp.plan.transpile_cache import SUBDIR, TranspileCache
from qexp.results import load_run

RANDOM = ("circuits=random", "circuits.num_qubits=[3]", "circuits.count=6", "backend=fake")


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("QEXP_CACHE_DIR", str(folder))
    return folder


def _entries(cache_dir: Path) -> list[Path]:
    return sorted((cache_dir / SUBDIR).glob("*/*.qpy"))


def _line(caplog) -> str:
    """The run's one line about transpiling (the last run's, when several ran)."""
    return [r.getMessage() for r in caplog.records if "transpile" in r.getMessage()][-1]


def test_a_second_run_transpiles_nothing_and_says_so(tmp_path, cache_dir, caplog):
    caplog.set_level("INFO", logger="qexp")
    run_config(tmp_path / "a", *RANDOM, "run.progress=off")
    assert "0 of 6 circuits reused, 6 transpiled" in _line(caplog)
    assert len(_entries(cache_dir)) == 6
    caplog.clear()
    # Another sweep point: other shots and partitioning, the same circuits and target.
    run_config(
        tmp_path / "b",
        *RANDOM,
        "primitive.shots=77",
        "partition.max_circuits=4",
        "run.progress=off",
    )
    assert "6 of 6 circuits reused, nothing transpiled" in _line(caplog)
    caplog.clear()
    run_config(tmp_path / "c", *RANDOM, "seed=2", "run.progress=off")  # new circuits
    assert "0 of 6 circuits reused" in _line(caplog)


def test_cached_circuits_give_the_same_bits(tmp_path, cache_dir):
    run_config(tmp_path / "cold", *RANDOM, "transpile.cache=false", "run.progress=off")
    run_config(tmp_path / "warm1", *RANDOM, "run.progress=off")
    run_config(tmp_path / "warm2", *RANDOM, "run.progress=off")  # every ISA circuit cached
    cold, warm = load_run(tmp_path / "cold"), load_run(tmp_path / "warm2")
    for a, b in zip(cold, warm, strict=True):
        assert np.array_equal(a.data.meas.array, b.data.meas.array)


def test_a_corrupt_entry_is_rebuilt_never_trusted(tmp_path, cache_dir, caplog):
    run_config(tmp_path / "a", *RANDOM, "run.progress=off")
    reference = load_run(tmp_path / "a")
    damaged = _entries(cache_dir)[0]
    damaged.write_bytes(damaged.read_bytes()[:40])  # cut short
    other = _entries(cache_dir)[1]
    other.write_bytes(b"not qpy at all")
    caplog.set_level("INFO", logger="qexp")
    caplog.clear()
    run_config(tmp_path / "b", *RANDOM, "run.progress=off")
    assert "4 of 6 circuits reused, 2 transpiled" in _line(caplog)
    for a, b in zip(reference, load_run(tmp_path / "b"), strict=True):
        assert np.array_equal(a.data.meas.array, b.data.meas.array)
    assert len(_entries(cache_dir)) == 6  # rebuilt


def test_cache_false_leaves_no_trace(tmp_path, cache_dir, caplog):
    caplog.set_level("INFO", logger="qexp")
    run_config(tmp_path / "a", *RANDOM, "transpile.cache=false", "run.progress=off")
    assert not cache_dir.exists()
    assert "transpile.cache=false" in _line(caplog)


def test_the_cache_keeps_under_its_cap_dropping_the_least_recently_used(tmp_path):
    cache = TranspileCache(tmp_path, "context")
    from qiskit import QuantumCircuit

    for k in range(10):
        circuit = QuantumCircuit(2)
        circuit.rz(0.1 * k, 0)
        cache.put(cache.key(f"d{k}"), circuit)
        path = cache.path(cache.key(f"d{k}"))
        os.utime(path, (1000 + k, 1000 + k))  # entry k was used at time 1000 + k
    assert cache.get(cache.key("d0")) is not None  # using it makes it the most recent
    size = sum(p.stat().st_size for p in _entries(tmp_path))
    removed = cache.prune(size // 2)
    assert removed >= 4
    assert cache.get(cache.key("d0")) is not None
    assert cache.get(cache.key("d1")) is None  # the least recently used went first
    assert sum(p.stat().st_size for p in _entries(tmp_path)) <= size // 2
