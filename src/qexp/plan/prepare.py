"""Partitions into ISA PUBs, in worker processes: generate, transpile or reuse, map.

Generating and transpiling are the CPU-bound parts of a run, and each partition is
independent, so they run in a process pool sized to the machine while earlier jobs
simulate or queue. A worker builds only its partition's circuits (never the whole run), so
memory stays bounded by what the running jobs need, and sends back the ISA circuits as QPY
bytes (several times cheaper than pickling circuits), the job file's records and the
logical circuits already serialized. Small runs skip the pool and prepare in-process.
The same workers run local jobs' Aer simulations between partitions (`qexp.backends.offload`).

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
import json
import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import BrokenExecutor, CancelledError, Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import scipy.linalg  # noqa: F401  (its BLAS threads start now: see _LIBRARY_THREADS)
from qiskit import QuantumCircuit, qpy
from qiskit.exceptions import QiskitError
from qiskit.transpiler import StagedPassManager, Target

from qexp import circuits
from qexp.circuits.catalog import CircuitInfo
from qexp.circuits.ideal import MAX_EXACT_QUBITS, Ideal
from qexp.circuits.identity import digest
from qexp.constants import CALIBRATION
from qexp.errors import ConfigError, RunError
from qexp.mitigation import calibration
from qexp.plan import primitives, transpile
from qexp.plan.partition import JobPlan
from qexp.plan.transpile_cache import TranspileCache
from qexp.store import PubRecord, dump_circuits

T = TypeVar("T")


@dataclass(frozen=True)
class PrepareContext:
    """Everything a worker needs to prepare any partition of the run (picklable)."""

    circuits: Any
    """The generator's parameters (its schema in `qexp.config.circuits`)."""
    primitives: dict[str, Any]
    """The run's primitives by name (`PrimitivePlan`s; several with
    `primitive=[sampler,estimator]`)."""
    seed: int
    target: Target
    optimization_level: int
    transpile_seed: int
    cache_dir: str | None = None
    """None: no transpile cache."""
    target_fingerprint: str = ""
    check_clifford: bool = False
    """Survey only: also check that every circuit is Clifford (Aer's stabilizer method)."""
    max_exact_qubits: int = MAX_EXACT_QUBITS
    """`metrics.max_exact_qubits`: each circuit's ideal answer is computed here, once."""
    mitigation: Any = None
    """A `MitigationPlan`: each circuit range also gets its calibration job's PUBs."""
    device_noise: Any = None
    """A fake device's noise (`DeviceNoise`): jobs simulated in a worker take their noise
    models from the worker's own copy, built there once per set of qubits."""


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
    """Each circuit's identity (`circuits.identity.digest` of the circuit as generated or
    read, whichever primitive runs it): what resume checks."""
    reused: int = 0
    """ISA circuits taken from the transpile cache."""
    transpiled_here: bool = True
    """False for the other primitives of a circuit range transpiled once for all of them."""
    file_attrs: dict[str, Any] = field(default_factory=dict)
    """Root attributes the job's file gets from its preparation (a calibration job: the
    physical qubits each circuit of its range measured)."""
    _pubs: list[tuple] | None = field(default=None, repr=False)

    def pubs(self) -> list[tuple]:
        """The PUBs to submit (decoded once from QPY when they crossed a process)."""
        if self._pubs is None:
            isa = self.isa
            if isinstance(isa, bytes):
                from qexp.backends.offload import loaded  # Aer: imported by then

                isa = loaded(isa)  # a worker that simulates them takes the same bytes
            self._pubs = [(c, *args) for c, args in zip(isa, self.pub_args, strict=True)]
        return self._pubs


Known = tuple[CircuitInfo, ...]
"""Per circuit of a partition, what the survey found."""

SURVEY_IDEAL_QUBITS = 6
"""Widest circuit whose Sampler ideal distributions the survey computes: at most 64
probabilities (512 bytes) each, which the run's catalog keeps until its job is prepared."""

SURVEY_CIRCUIT_BYTES = 32 * 2**20
"""QPY bytes of the circuits read from files that the survey hands to the partitions, at
most: each circuit is handed over if it takes at most its share (this budget over the
run's circuits: 33 KB each for 1,000 files, 1.1 KB for 30,000), else its partition reads
its file again."""


class WorkersStopped(RunError):
    """The worker processes (or the forkserver that starts them) died under the run."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(
            f"the processes that transpile the circuits stopped ({type(cause).__name__}: "
            f"{cause}); the jobs submitted so far are kept, and resume prepares the rest"
        )


class Preparer:
    """Prepares partitions in a process pool (`workers` > 0) or in this process."""

    def __init__(
        self, context: PrepareContext, workers: int, surveyed: list[CircuitInfo] | None = None
    ) -> None:
        self.workers = workers
        self.surveyed = surveyed
        """The survey's view of every circuit, when there was one: partitions take their
        digests and ideal distributions from it for circuits read from the same text."""
        self.pool: ProcessPoolExecutor | None = None
        self.local: _Worker | None = None
        if workers > 0:
            mp_context = _context()
            self.pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=mp_context,
                initializer=_init_worker,
                initargs=(context, os.getpid()),
            )
            if mp_context.get_start_method() == "fork":
                _fork_workers(self.pool)
        else:
            self.local = _Worker(context)
        self._groups: dict[tuple[int, ...], tuple[Future, set[str]]] = {}
        """Circuit ranges being prepared for several primitives, until each has asked."""
        self.primitives = list(context.primitives)
        if context.mitigation is not None:
            self.primitives.append(CALIBRATION)

    def prepare(self, job: JobPlan) -> Future[PreparedJob]:
        """A future PreparedJob; in-process preparation is done before this returns.

        With several primitives, the jobs of one circuit range share one preparation: the
        range is built and transpiled once, and each primitive's PUBs come from it.
        """
        if not job.primitive:
            return self._run(_prepare, job.index, tuple(job.circuits), self._known(job))
        group = self._groups.get(job.circuits)
        if group is None or job.primitive in group[1]:  # new range, or prepared again
            group = (self._run(_prepare_group, tuple(job.circuits), self._known(job)), set())
            self._groups[job.circuits] = group
        group[1].add(job.primitive)
        if len(group[1]) == len(self.primitives):  # every primitive has its future: let go
            del self._groups[job.circuits]
        future: Future[PreparedJob] = Future()

        def pick(done: Future) -> None:
            try:
                future.set_result(replace(done.result()[job.primitive], index=job.index))
            except Exception as exc:
                future.set_exception(exc)

        group[0].add_done_callback(pick)
        return future

    def _known(self, job: JobPlan) -> Known | None:
        """What the survey found about each circuit of `job`, if it surveyed."""
        if self.surveyed is None:
            return None
        return tuple(self.surveyed[i] for i in job.circuits)

    def _run(self, fn: Any, *args: Any) -> Future:
        if self.pool is not None:
            try:
                return self.pool.submit(fn, *args)
            except (BrokenExecutor, EOFError, ConnectionError) as exc:
                raise WorkersStopped(exc) from exc
        future: Future = Future()
        try:
            future.set_result(fn(*args, worker=self.local))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def survey(
        self, count: int, chunk: int = 50, meanwhile: Callable[[], object] | None = None
    ) -> list[CircuitInfo]:
        """Build and check every circuit of the run once (QASM files, resume's identity
        check), in parallel; raises the first ConfigError in circuit order.

        `meanwhile` runs in this process while the workers read (the runtime's imports)."""
        chunks = [tuple(range(i, min(i + chunk, count))) for i in range(0, count, chunk)]
        share = SURVEY_CIRCUIT_BYTES // max(count, 1)
        if self.pool is not None:
            yields = meanwhile is not None
            futures = [self.pool.submit(_survey, c, share, yields) for c in chunks]
            try:
                if meanwhile is not None:
                    meanwhile()
                parts = [future.result() for future in futures]
            finally:
                for future in futures:
                    future.cancel()
        else:
            assert self.local is not None
            if meanwhile is not None:
                meanwhile()
            parts = [self.local.survey(c, share) for c in chunks]
        return [info for part in parts for info in part]

    def simulate(self, circuits_qpy: bytes, options: dict[str, Any]) -> Any:
        """One Aer run in a worker process (`qexp.backends.offload`); blocks until it is done."""
        from qexp.backends import offload

        return self.call(offload.simulate, circuits_qpy, options)

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)` in a worker process; blocks until it is done. Raises
        `qexp.backends.offload.Unavailable` where no worker can take it (no pool, a pool
        gone or shut down, arguments that cannot be sent): the caller then runs it itself.
        What `fn` raises is raised as it is."""
        from qexp.backends.offload import Unavailable

        pool = self.pool
        if pool is None:
            raise Unavailable("no worker processes")
        try:
            future = pool.submit(fn, *args, **kwargs)
        except (BrokenExecutor, RuntimeError, EOFError, ConnectionError) as exc:
            raise Unavailable(f"the workers are gone: {exc}") from exc
        try:
            return future.result()
        except (BrokenExecutor, CancelledError) as exc:
            raise Unavailable(f"the workers are gone: {exc!r}") from exc
        except pickle.PicklingError as exc:
            raise Unavailable(f"the call cannot be sent: {exc}") from exc

    @property
    def lookahead(self) -> int:
        """Partitions worth preparing ahead of submission: enough to keep workers busy."""
        return 2 * self.workers if self.workers else 1

    def close(self, wait: bool = False) -> None:
        """Stop the workers; `wait` until they and the pool's thread have ended."""
        if self.pool is not None:
            self.pool.shutdown(wait=wait, cancel_futures=True)
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
    ctx.set_forkserver_preload(["qexp.plan.forkserver"])
    return ctx


def _fork_workers(pool: ProcessPoolExecutor) -> None:
    """Fork every worker now, while this process has no thread of its own, with what exists
    now frozen out of their garbage collector. This process's own is left as it was, unless
    the command line froze its imports already: then what is frozen now stays so."""
    frozen_before = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        pool.submit(_started)  # a fork pool starts all its workers at its first task
    finally:
        if not frozen_before:
            gc.unfreeze()


def _threads() -> int:
    """Threads of this process as the kernel counts them (native ones included)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 0  # unknown: take the safe way


_LIBRARY_THREADS = max(_threads(), 1)
"""Threads once Qiskit, numpy and scipy's linear algebra are imported (this module's
imports): the main thread and their BLAS pools, idle and fork-safe (OpenBLAS re-initializes
itself in a forked child). Imported here, not later by the runtime, so that they count."""


# --- in a worker process ------------------------------------------------------------------

_worker: _Worker | None = None


def _init_worker(context: PrepareContext, main_pid: int) -> None:
    global _worker
    # Signals are the main process's to handle (Ctrl-C, a scheduler's SIGTERM or SIGUSR1
    # before a time limit); a worker ends when the main process is gone, and never runs
    # handlers it inherited by fork (submitit's, for one).
    for name in ("SIGINT", "SIGTERM", "SIGUSR1", "SIGUSR2"):
        signal.signal(getattr(signal, name), signal.SIG_IGN)
    os.environ["QISKIT_IN_PARALLEL"] = "TRUE"  # one thread per worker: the pool is the parallelism
    gc.freeze()  # what the worker starts with lives as long as it does
    threading.Thread(target=_end_with, args=(main_pid,), name="qexp-watch", daemon=True).start()
    _worker = _Worker(context)
    if context.device_noise is not None:
        from qexp.backends import offload

        offload.use_device_noise(context.device_noise)


WATCH_INTERVAL = 0.5
"""Seconds between a worker's looks at whether the main process still runs."""


def _end_with(main_pid: int) -> None:
    """End this worker once the main process has ended.

    A main process that ends without shutting the pool down (kill -9, or the quick exit
    of a stopped run that abandons its local jobs) leaves a worker that was sending back
    a result blocked forever on a full pipe: its sibling, forked with the same pipe,
    keeps the reading end open, so the write never fails.
    """
    while _running(main_pid):
        time.sleep(WATCH_INTERVAL)
    os._exit(0)


def _running(pid: int) -> bool:
    """Whether process `pid` exists and has not ended (a zombie has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel (which counts a zombie as running)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def _started() -> None:
    """The first task of a forked pool: it only makes the pool start its workers."""


def _prepare(
    index: int,
    circuit_indices: tuple[int, ...],
    known: Known | None = None,
    worker: _Worker | None = None,
) -> PreparedJob:
    worker = worker or _worker
    assert worker is not None
    return worker.prepare(index, circuit_indices, ship=worker is _worker, known=known)


def _prepare_group(
    circuit_indices: tuple[int, ...], known: Known | None = None, worker: _Worker | None = None
) -> dict[str, PreparedJob]:
    worker = worker or _worker
    assert worker is not None
    return worker.prepare_group(circuit_indices, ship=worker is _worker, known=known)


def _adopt(specs: list[Any], known: Known | None, max_exact_qubits: int) -> list[str]:
    """Each circuit's digest: the survey's when the circuit was read from the same file and
    text, else computed here. Such a circuit also takes the ideal distributions the survey
    computed, where it already held the gate definitions they need."""
    if known is None:
        return [digest(spec.circuit) for spec in specs]
    digests = []
    for spec, info in zip(specs, known, strict=True):
        if not (info.digest and info.source_digest and info.source_digest == spec.source_digest):
            digests.append(digest(spec.circuit))
            continue
        digests.append(info.digest)
        if info.ideals is not None:
            spec.adopt_ideals(info.ideals, max_exact_qubits)
    return digests


def _specs(ctx: PrepareContext, circuit_indices: Sequence[int], known: Known | None) -> list[Any]:
    """The partition's circuits: as the survey read them when it handed over every one
    (each file read and parsed once a run), else built here."""
    if known is not None and all(info.circuit_qpy is not None for info in known):
        return [info.spec() for info in known]
    return circuits.generate(ctx.circuits, ctx.seed, circuit_indices)


def _handed_over(spec: Any, share: int) -> bytes | None:
    """A circuit read from a file, as QPY of at most `share` bytes, for the partition that
    prepares it; None for anything else (a generator builds its own circuits again, at no
    parsing cost)."""
    if (
        share <= 0
        or spec.source_digest is None
        or spec.parameter_values is not None
        or spec.ideal is not None
        or spec.ideal_outcomes is not None
    ):
        return None
    buffer = io.BytesIO()
    try:
        qpy.dump(spec.circuit, buffer)
    except Exception:  # what QPY cannot write, the partition reads from the file again
        return None
    return buffer.getvalue() if buffer.tell() <= share else None


SURVEY_NICENESS = 10
"""How much a checking worker yields the cores to the main process's own work meanwhile:
the runtime's import, which the transpiling workers wait for, took 0.8 s instead of 0.6 s
beside two checking workers of equal priority (1,000 QASM files on aer: 0.565x to 0.553x
and 0.574x to 0.546x the plain script, five rounds each, interleaved)."""


def _survey(circuit_indices: tuple[int, ...], share: int, yields: bool) -> list[CircuitInfo]:
    """`share`: `SURVEY_CIRCUIT_BYTES` per circuit. `yields`: the main process works
    meanwhile (the runtime's import, on the run's critical path): this worker takes the
    cores it leaves. Only a pool made for the check yields, and it ends with the check."""
    assert _worker is not None
    if yields and os.getpriority(os.PRIO_PROCESS, 0) < SURVEY_NICENESS:
        os.setpriority(os.PRIO_PROCESS, 0, SURVEY_NICENESS)
    return _worker.survey(circuit_indices, share)


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

    def prepare(
        self, index: int, circuit_indices: Sequence[int], ship: bool, known: Known | None = None
    ) -> PreparedJob:
        """The job's PUBs, for a run of one primitive."""
        ctx = self.context
        (primitive,) = ctx.primitives.values()
        specs = _specs(ctx, circuit_indices, known)
        logical = [primitives.logical_circuit(primitive, spec) for spec in specs]
        digests = _adopt(specs, known, ctx.max_exact_qubits)
        isa, reused = self._isa(logical, digests, specs)
        return self._assemble(index, primitive, circuit_indices, specs, isa, digests, reused, ship)

    def prepare_group(
        self, circuit_indices: Sequence[int], ship: bool, known: Known | None = None
    ) -> dict[str, PreparedJob]:
        """Each primitive's PUBs for one circuit range, transpiled once: the circuits
        without their final measurements are transpiled, and the Sampler's measurements
        are put back on the physical qubits the layout gave each measured qubit."""
        ctx = self.context
        specs = _specs(ctx, circuit_indices, known)
        bare = [primitives.without_final_measurements(spec.circuit) for spec in specs]
        digests = _adopt(specs, known, ctx.max_exact_qubits)
        isa, reused = self._isa(bare, digests, specs)
        prepared = {}
        sampled: list[QuantumCircuit] = []
        for name, primitive in ctx.primitives.items():
            logical = [primitives.logical_circuit(primitive, spec) for spec in specs]
            own = isa
            if name == "sampler":
                own = sampled = [measured(c, lg) for c, lg in zip(isa, logical, strict=True)]
            prepared[name] = self._assemble(
                -1, primitive, circuit_indices, specs, own, digests, reused, ship
            )
            prepared[name].transpiled_here = len(prepared) == 1
        if ctx.mitigation is not None:
            prepared[CALIBRATION] = self._calibration(circuit_indices, sampled, digests, ship)
        return prepared

    def _calibration(
        self,
        circuit_indices: Sequence[int],
        sampled: list[QuantumCircuit],
        digests: list[str],
        ship: bool,
    ) -> PreparedJob:
        """The range's calibration job: mthree's calibration circuits on exactly the
        physical qubits its Sampler ISA circuits read, as ISA circuits of the device."""
        cfg = self.context.mitigation
        read = {
            i: calibration.measured_qubits(c) for i, c in zip(circuit_indices, sampled, strict=True)
        }
        qubits = sorted({q for found in read.values() if found for q in found})
        if not qubits:  # every bit read mid-circuit: calibrate the qubits read at all
            qubits = sorted({c.find_bit(q).index for c in sampled for q in _read(c)})
        states = calibration.prepared_states(len(qubits), cfg.method)
        width = max(c.num_qubits for c in sampled)
        isa = calibration.circuits(states, qubits, width, self.context.target)
        shots = calibration.shots_per_circuit(cfg.shots, len(isa))
        records = [
            PubRecord(
                index=k,
                metadata={
                    "generator": CALIBRATION,
                    "method": cfg.method,
                    "prepared": calibration.bitstring(state),
                    "num_qubits": len(qubits),
                    "physical_qubits": qubits,
                },
                ideal_outcomes=(calibration.bitstring(state),),
            )
            for k, state in enumerate(states)
        ]
        return PreparedJob(
            index=-1,
            isa=_shipped(isa, ship),
            pub_args=[(None, shots)] * len(isa),
            records=records,
            circuits_qpy=dump_circuits(isa),
            digests=digests,
            transpiled_here=False,
            file_attrs={
                calibration.MEASURED_QUBITS_ATTR: json.dumps({str(i): q for i, q in read.items()}),
                "calibration_method": cfg.method,
            },
        )

    def _assemble(
        self,
        index: int,
        primitive: Any,
        circuit_indices: Sequence[int],
        specs: list[Any],
        isa: list[QuantumCircuit],
        digests: list[str],
        reused: int,
        ship: bool,
    ) -> PreparedJob:
        observables = [
            primitives.observables_for(primitive, spec) if primitive.name == "estimator" else None
            for spec in specs
        ]
        pub_args = [
            primitives.build_pub(primitive, spec, circuit)[1:]
            for spec, circuit in zip(specs, isa, strict=True)
        ]
        records = [
            PubRecord.of(
                i,
                spec,
                obs,
                max_exact_qubits=self.context.max_exact_qubits,
                isa_depth=transpile.depth(circuit),
            )
            for i, spec, obs, circuit in zip(circuit_indices, specs, observables, isa, strict=True)
        ]
        return PreparedJob(
            index=index,
            isa=_shipped(isa, ship),
            pub_args=pub_args,
            records=records,
            circuits_qpy=dump_circuits([spec.circuit for spec in specs]),
            digests=digests,
            reused=reused,
        )

    def _isa(
        self, logical: list[QuantumCircuit], digests: list[str], specs: list[Any]
    ) -> tuple[list[QuantumCircuit], int]:
        """ISA circuits: from the cache where it has them, transpiled (and cached) else.

        A circuit is cached under its own digest: the one of the circuit as generated
        (`digests`) when the primitive runs it unchanged, else its own."""
        cache = self.cache
        keys = (
            [
                cache.key(d if circuit is spec.circuit else digest(circuit))
                for circuit, d, spec in zip(logical, digests, specs, strict=True)
            ]
            if cache
            else []
        )
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

    def survey(self, circuit_indices: Sequence[int], share: int = 0) -> list[CircuitInfo]:
        """Build and check the circuits at `circuit_indices`; describe each, with a circuit
        read from a file handed over as QPY when it takes at most `share` bytes."""
        ctx = self.context
        infos = []
        for spec in circuits.generate(ctx.circuits, ctx.seed, circuit_indices):
            source = spec.metadata.get("file") or spec.circuit.name
            try:  # every primitive can run it (the Estimator refuses mid-circuit measurements)
                for primitive in ctx.primitives.values():
                    primitives.logical_circuit(primitive, spec)
            except ValueError as exc:
                raise ConfigError(
                    "primitive",
                    "estimator",
                    f"a primitive that can run {source}: {exc}",
                    "use primitive=sampler for circuits that measure mid-circuit",
                ) from exc
            clifford = _is_clifford(spec.circuit) if ctx.check_clifford else None
            info = CircuitInfo.of(spec, digest(spec.circuit))  # builds the gate definitions
            infos.append(
                replace(
                    info,
                    clifford=clifford,
                    ideals=self._small_ideals(spec),
                    circuit_qpy=_handed_over(spec, share),
                )
            )
        return infos

    def _small_ideals(self, spec: Any) -> tuple[Ideal, ...] | None:
        """The Sampler's ideal distributions of a small circuit read from a file, or None.

        Computed here, where the digest has just built the definitions of the gates the
        file defines (a third of the cost): the partition that prepares the circuit from
        the same text takes them."""
        ctx = self.context
        if (
            spec.source_digest is None
            or "sampler" not in ctx.primitives
            or spec.circuit.num_qubits > SURVEY_IDEAL_QUBITS
        ):
            return None
        try:
            found = spec.ideals(ctx.max_exact_qubits)
        except QiskitError:  # the partition meets the same error, and records no ideal
            return None
        return None if found is None else tuple(found)


def _shipped(isa: list[QuantumCircuit], ship: bool) -> list[QuantumCircuit] | bytes:
    """The ISA circuits as a worker sends them back: QPY bytes, several times cheaper to
    send than pickled circuits; as they are in this process."""
    if not ship:
        return isa
    buffer = io.BytesIO()
    qpy.dump(isa, buffer)
    return buffer.getvalue()


def measured(isa: QuantumCircuit, logical: QuantumCircuit) -> QuantumCircuit:
    """The ISA circuit of `logical` without its final measurements, with those
    measurements put back: each measured qubit read where the layout finally put it."""
    out = isa.copy()
    for register in logical.cregs:
        out.add_register(register)
    physical = isa.layout.final_index_layout() if isa.layout else list(range(isa.num_qubits))
    qubit = {q: i for i, q in enumerate(logical.qubits)}
    clbit = {c: i for i, c in enumerate(logical.clbits)}
    measures = [inst for inst in logical.data if inst.operation.name == "measure"]
    if measures:
        out.barrier([physical[qubit[inst.qubits[0]]] for inst in measures])
    for inst in measures:
        out.measure(physical[qubit[inst.qubits[0]]], out.clbits[clbit[inst.clbits[0]]])
    return out


def _read(circuit: QuantumCircuit) -> list[Any]:
    """The qubits some measurement of `circuit` reads."""
    return [inst.qubits[0] for inst in circuit.data if inst.operation.name == "measure"]


def _is_clifford(circuit: QuantumCircuit) -> bool:
    from qiskit.quantum_info import Clifford

    try:
        Clifford(circuit.remove_final_measurements(inplace=False))
    except Exception:
        return False
    return True
