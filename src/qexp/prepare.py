"""Partitions into ISA PUBs, in worker processes: generate, transpile or reuse, map.

Generating and transpiling are the CPU-bound parts of a run, and each partition is
independent, so they run in a process pool sized to the machine while earlier jobs
simulate or queue. A worker builds only its partition's circuits (never the whole run), so
memory stays bounded by what the running jobs need, and sends back the ISA circuits as QPY
bytes (several times cheaper than pickling circuits), the job file's records and the
logical circuits already serialized. Small runs skip the pool and prepare in-process.

Workers are forked from this process, when the pool is made, if it has started no thread
of its own (the command line, before any job starts: instant, and Qiskit is already
imported). The idle BLAS thread pools that numpy and scipy start on import do not count:
they are fork-safe. Otherwise workers come from a `forkserver`, never from a fork of a
process whose simulator, writer or runtime threads could hold a lock. A worker's garbage
collector ignores every object it started with (`gc.freeze`): it never walks Qiskit's
module-level objects, which made parsing and transpiling several times slower, and its
collections leave the memory pages it shares with this process untouched.
"""

from __future__ import annotations

import gc
import io
import multiprocessing
import os
import signal
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from qiskit import QuantumCircuit, qpy
from qiskit.transpiler import StagedPassManager, Target

from qexp import circuits, primitives, transpile
from qexp.circuits.catalog import CircuitInfo
from qexp.circuits.identity import digest
from qexp.errors import ConfigError
from qexp.store import PubRecord, dump_circuits
from qexp.transpile_cache import TranspileCache


@dataclass(frozen=True)
class PrepareContext:
    """Everything a worker needs to prepare any partition of the run (picklable)."""

    circuits: Any
    """The `circuits` config section."""
    primitive: Any
    """The `primitive` config section."""
    seed: int
    target: Target
    optimization_level: int
    transpile_seed: int
    cache_dir: str | None = None
    """None: no transpile cache."""
    target_fingerprint: str = ""
    check_clifford: bool = False
    """Survey only: also check that every circuit is Clifford (Aer's stabilizer method)."""


@dataclass
class PreparedJob:
    """One job's ISA PUBs and what its file will keep, ready to submit."""

    index: int
    isa: list[QuantumCircuit] | bytes
    """The ISA circuits, or their QPY bytes when they came from a worker process."""
    pub_args: list[tuple]
    """Per PUB, what follows the circuit in the PUB tuple (parameters, observables, ...)."""
    records: list[PubRecord]
    circuits_qpy: bytes
    """The job's logical circuits, in PUB order, for its file."""
    digests: list[str]
    reused: int = 0
    """ISA circuits taken from the transpile cache."""
    _pubs: list[tuple] | None = field(default=None, repr=False)

    def pubs(self) -> list[tuple]:
        """The PUBs to submit (decoded once from QPY when they crossed a process)."""
        if self._pubs is None:
            isa = self.isa
            if isinstance(isa, bytes):
                isa = list(qpy.load(io.BytesIO(isa)))
            self._pubs = [(c, *args) for c, args in zip(isa, self.pub_args, strict=True)]
        return self._pubs


class Preparer:
    """Prepares partitions in a process pool (`workers` > 0) or in this process."""

    def __init__(self, context: PrepareContext, workers: int) -> None:
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None
        self.local: _Worker | None = None
        if workers > 0:
            mp_context = _context()
            self.pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=mp_context,
                initializer=_init_worker,
                initargs=(context,),
            )
            if mp_context.get_start_method() == "fork":
                _fork_workers(self.pool)
        else:
            self.local = _Worker(context)

    def prepare(self, index: int, circuit_indices: Sequence[int]) -> Future[PreparedJob]:
        """A future PreparedJob; in-process preparation is done before this returns."""
        if self.pool is not None:
            return self.pool.submit(_prepare, index, tuple(circuit_indices))
        assert self.local is not None
        future: Future[PreparedJob] = Future()
        try:
            future.set_result(self.local.prepare(index, circuit_indices, ship=False))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def survey(self, count: int, chunk: int = 50) -> list[CircuitInfo]:
        """Build and check every circuit of the run once (QASM files, resume's identity
        check), in parallel; raises the first ConfigError in circuit order."""
        chunks = [tuple(range(i, min(i + chunk, count))) for i in range(0, count, chunk)]
        if self.pool is not None:
            parts = list(self.pool.map(_survey, chunks))
        else:
            assert self.local is not None
            parts = [self.local.survey(c) for c in chunks]
        return [info for part in parts for info in part]

    @property
    def lookahead(self) -> int:
        """Partitions worth preparing ahead of submission: enough to keep workers busy."""
        return 2 * self.workers if self.workers else 1

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None


def default_workers(num_circuits: int, num_jobs: int, requested: int | None) -> int:
    """One worker per core for runs big enough to gain from it, else 0 (in-process)."""
    if requested is not None:
        return requested
    if num_jobs < 2 or num_circuits < transpile.PARALLEL_MIN_CIRCUITS:
        return 0
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _context() -> Any:
    if threading.active_count() == 1 and 0 < _threads() <= _LIBRARY_THREADS:
        return multiprocessing.get_context("fork")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["qexp.prepare"])
    return ctx


def _fork_workers(pool: ProcessPoolExecutor) -> None:
    """Fork every worker now, while this process has no thread of its own, with what exists
    now frozen out of their garbage collector (this process's own is left as it was)."""
    gc.freeze()
    try:
        pool.submit(_started)  # a fork pool starts all its workers at its first task
    finally:
        gc.unfreeze()


def _threads() -> int:
    """Threads of this process as the kernel counts them (native ones included)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 0  # unknown: take the safe way


_LIBRARY_THREADS = max(_threads(), 1)
"""Threads once Qiskit, numpy, scipy and the runtime are imported (this module's imports):
the main thread and the BLAS pools, idle and fork-safe."""


# --- in a worker process ------------------------------------------------------------------

_worker: _Worker | None = None


def _init_worker(context: PrepareContext) -> None:
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    os.environ["QISKIT_IN_PARALLEL"] = "TRUE"  # one thread per worker: the pool is the parallelism
    gc.freeze()  # what the worker starts with lives as long as it does
    _worker = _Worker(context)


def _started() -> None:
    """The first task of a forked pool: it only makes the pool start its workers."""


def _prepare(index: int, circuit_indices: tuple[int, ...]) -> PreparedJob:
    assert _worker is not None
    return _worker.prepare(index, circuit_indices, ship=True)


def _survey(circuit_indices: tuple[int, ...]) -> list[CircuitInfo]:
    assert _worker is not None
    return _worker.survey(circuit_indices)


class _Worker:
    """The state a worker keeps across partitions: one pass manager, one cache."""

    def __init__(self, context: PrepareContext) -> None:
        self.context = context
        self._pm: StagedPassManager | None = None
        self.cache = (
            TranspileCache(
                context.cache_dir,
                f"{context.target_fingerprint}|level {context.optimization_level}|"
                f"seed {context.transpile_seed}",
            )
            if context.cache_dir
            else None
        )

    @property
    def pm(self) -> StagedPassManager:
        if self._pm is None:
            ctx = self.context
            self._pm = transpile.pass_manager(
                ctx.optimization_level, ctx.target, ctx.transpile_seed
            )
        return self._pm

    def prepare(self, index: int, circuit_indices: Sequence[int], ship: bool) -> PreparedJob:
        ctx = self.context
        specs = circuits.generate(ctx.circuits, ctx.seed, circuit_indices)
        logical = [primitives.logical_circuit(ctx.primitive, spec) for spec in specs]
        digests = [digest(circuit) for circuit in logical]
        isa, reused = self._isa(logical, digests)
        observables = [
            primitives.observables_for(ctx.primitive, spec)
            if ctx.primitive.name == "estimator"
            else None
            for spec in specs
        ]
        pub_args = [
            primitives.build_pub(ctx.primitive, spec, circuit)[1:]
            for spec, circuit in zip(specs, isa, strict=True)
        ]
        records = [
            PubRecord.of(i, spec, obs)
            for i, spec, obs in zip(circuit_indices, specs, observables, strict=True)
        ]
        payload: list[QuantumCircuit] | bytes = isa
        if ship:
            buffer = io.BytesIO()
            qpy.dump(isa, buffer)
            payload = buffer.getvalue()
        return PreparedJob(
            index=index,
            isa=payload,
            pub_args=pub_args,
            records=records,
            circuits_qpy=dump_circuits([spec.circuit for spec in specs]),
            digests=digests,
            reused=reused,
        )

    def _isa(
        self, logical: list[QuantumCircuit], digests: list[str]
    ) -> tuple[list[QuantumCircuit], int]:
        """ISA circuits: from the cache where it has them, transpiled (and cached) else."""
        cache = self.cache
        keys = [cache.key(d) for d in digests] if cache else []
        found: list[QuantumCircuit | None] = (
            [cache.get(k) for k in keys] if cache else [None] * len(logical)
        )
        missing = [i for i, circuit in enumerate(found) if circuit is None]
        fresh = transpile.to_isa(self.pm, [logical[i] for i in missing]) if missing else []
        for i, circuit in zip(missing, fresh, strict=True):
            found[i] = circuit
            if cache:
                cache.put(keys[i], circuit)
        return [c for c in found if c is not None], len(logical) - len(missing)

    def survey(self, circuit_indices: Sequence[int]) -> list[CircuitInfo]:
        """Build and check the circuits at `circuit_indices`; describe each."""
        ctx = self.context
        infos = []
        for spec in circuits.generate(ctx.circuits, ctx.seed, circuit_indices):
            source = spec.metadata.get("file") or spec.circuit.name
            try:
                logical = primitives.logical_circuit(ctx.primitive, spec)
            except ValueError as exc:
                raise ConfigError(
                    "primitive",
                    ctx.primitive.name,
                    f"a primitive that can run {source}: {exc}",
                    "use primitive=sampler for circuits that measure mid-circuit",
                ) from exc
            clifford = _is_clifford(spec.circuit) if ctx.check_clifford else None
            infos.append(replace(CircuitInfo.of(spec, digest(logical)), clifford=clifford))
        return infos


def _is_clifford(circuit: QuantumCircuit) -> bool:
    from qiskit.quantum_info import Clifford

    try:
        Clifford(circuit.remove_final_measurements(inplace=False))
    except Exception:
        return False
    return True
