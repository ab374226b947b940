"""Imported only as the preload of the forkserver that starts qexp's worker processes.

The forkserver ignores the signals its parent handles: a scheduler's SIGTERM (Slurm's
scancel, a time limit's warning) is the main process's to act on, and a forkserver that died
of it would leave the run unable to start a worker. Forked workers then set their own
handlers (`qexp.plan.prepare._init_worker`).
"""

import signal

for _name in ("SIGTERM", "SIGUSR1", "SIGUSR2"):
    signal.signal(getattr(signal, _name), signal.SIG_IGN)

import qiskit_ibm_runtime  # noqa: E402, F401  (the transpiler loads its plugins: once, here)

import qexp.plan.prepare  # noqa: E402, F401  (the workers' code, imported once for every fork)
