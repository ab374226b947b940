"""`python -m qexp.emulator`: serve a local IBM Quantum service until stopped.

On start it prints, one per line, `export NAME=VALUE` for each setting the client reads,
then `backend.url=URL` (the value for qexp's `backend.url`). Stop it with SIGTERM or
Ctrl-C; it exits 0.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import warnings
from types import FrameType

from qexp.cli import command

from . import auth
from .devices import load_devices
from .faults import FaultPlan, parse_http_fault, parse_job_fault
from .server import (
    API_PREFIXES,
    CATALOG_PREFIX,
    IAM_PREFIX,
    SEARCH_PREFIX,
    Emulator,
    EmulatorServer,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=command("emulator"),
        description="A local IBM Quantum Platform service for the real qiskit-ibm-runtime "
        "client: fake devices run on Aer, with faults on demand.",
    )
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument(
        "--backends",
        default="FakeManilaV2",
        help="comma-separated fake devices of qiskit_ibm_runtime.fake_provider, each "
        "CLASS (served as the fake's own name, e.g. fake_manila) or CLASS=NAME",
    )
    parser.add_argument(
        "--job-seconds", type=float, default=1.0, help="least time a job runs (default 1)"
    )
    parser.add_argument("--workers", type=int, default=2, help="jobs running at once")
    parser.add_argument("--seed", type=int, default=0, help="seed of the jobs' extra delays")
    parser.add_argument(
        "--fail-job",
        action="append",
        default=[],
        metavar="N=KIND",
        help="end the N-th job created (0 first) as the service ends a KIND job: "
        "internal, rejected, too-long, batch-expired or cancelled (repeatable)",
    )
    parser.add_argument(
        "--http-fault",
        action="append",
        default=[],
        metavar="ROUTE=KIND[,OPTION...]",
        help="spoil requests: ROUTE submit|poll|results|list|cancel|session|backends|any, "
        "KIND error|drop|throttle, options count=K, status=S, after, retry_after=T, skip=N "
        "(repeatable)",
    )
    parser.add_argument(
        "--allocation",
        type=float,
        default=None,
        metavar="S",
        help="the instance's usage limit in seconds: once its jobs have used it, new jobs "
        "stay queued (default: an allocation no rehearsal reaches)",
    )
    parser.add_argument(
        "--bill-delay",
        type=float,
        default=0.0,
        metavar="S",
        help="seconds after a job ends before its bill is final (default 0)",
    )
    parser.add_argument("--log-level", default="WARNING")
    return parser.parse_args(argv)


def exports(base_url: str, api_key: str) -> list[str]:
    """The lines a parent process reads: the client's settings, then qexp's `backend.url`."""
    settings = {
        "QISKIT_IBM_TOKEN": api_key,
        "QISKIT_IBM_INSTANCE": auth.INSTANCE,
        "QISKIT_IBM_CHANNEL": "ibm_quantum_platform",
        "QISKIT_IBM_URL": base_url + API_PREFIXES[1],
        "IAM_URL": base_url + IAM_PREFIX,
        "GLOBAL_SEARCH_URL": base_url + SEARCH_PREFIX,
        "GLOBAL_CATALOG_URL": base_url + CATALOG_PREFIX,
    }
    lines = [f"export {name}={value}" for name, value in settings.items()]
    return [*lines, f"backend.url={base_url}{API_PREFIXES[0]}"]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level, format="qexp.emulator: %(message)s")
    # The local path warns per job that options such as twirling have no effect locally:
    # true here too, and said once in docs/ibm.md instead.
    warnings.filterwarnings("ignore", module=r"qiskit_ibm_runtime\.fake_provider")
    try:
        if args.job_seconds < 0 or args.workers < 1 or args.bill_delay < 0:
            raise ValueError("--job-seconds and --bill-delay must be >= 0, --workers >= 1")
        if args.allocation is not None and args.allocation < 0:
            raise ValueError("--allocation must be >= 0 seconds")
        devices = load_devices([name for name in args.backends.split(",") if name])
        if not devices:
            raise ValueError("--backends names no device")
        faults = FaultPlan()
        faults.arm(
            [parse_http_fault(spec) for spec in args.http_fault],
            dict(parse_job_fault(spec) for spec in args.fail_job),
        )
        emulator = Emulator.build(
            devices,
            faults,
            args.job_seconds,
            args.workers,
            args.seed,
            allocation=args.allocation,
            bill_delay=args.bill_delay,
        )
        server = EmulatorServer(("127.0.0.1", args.port), emulator)
    except (ValueError, OSError) as error:  # bad arguments, or the port is taken
        print(f"qexp.emulator: {error}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _stop)
    try:  # a reader may stop us as soon as it has read the settings
        print("\n".join(exports(server.base_url, emulator.iam.api_key)), flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
