"""Pytest fixtures that run `python -m qexp.emulator` and talk to it (a plugin module:
tests/conftest.py loads it with `pytest_plugins`).

Fixtures
    ibm_emulator          one emulator: FakeManilaV2, `--job-seconds 0.3`, stopped at teardown
    emulator_factory      `emulator_factory(*cli_args)` starts one more with those arguments,
                          e.g. ("--backends", "FakeManilaV2,FakeTorino", "--fail-job",
                          "2=internal"); every one it started is stopped at teardown

Both set IAM_URL, GLOBAL_SEARCH_URL and GLOBAL_CATALOG_URL in this process's environment
(restored at teardown), so a `QiskitRuntimeService` made in the test reaches the emulator.

`RunningEmulator`
    .env            the exported variables: QISKIT_IBM_TOKEN, QISKIT_IBM_INSTANCE,
                    QISKIT_IBM_CHANNEL, QISKIT_IBM_URL, IAM_URL, GLOBAL_SEARCH_URL,
                    GLOBAL_CATALOG_URL (pass `{**os.environ, **emulator.env}` to a subprocess)
    .url            the runtime API URL, the value of qexp's `backend.url`
    .token, .instance
    .overrides      ["backend=ibm", "backend.url=<url>"] for `python -m qexp`
    .service(**kw)  a QiskitRuntimeService on the emulator (url_resolver keeps the URL as is)
    .stats()        {"jobs": [...], "sessions": [...], "requests": [...], "token_seen": [...]}
    .jobs()         the jobs created, in order: id, order, session_id, backend, program,
                    tags, state, reason_code, created, running, finished
    .requests(route=None)   requests seen (time, method, path, route, status); routes are
                    submit, poll, results, list, cancel, session, backends, usage, iam, ...
    .rate(route)    requests of `route` per second, e.g. `rate("poll")` for status polls
    .inject(route, kind, count=1, status=500, after=False, retry_after=1.0, skip=0)
                    spoil the next `count` requests of `route`: kind "error" (HTTP `status`),
                    "drop" (connection closed, no answer) or "throttle" (429 + Retry-After);
                    `after=True` on route "submit": the job is created, then the answer lost
    .fail_jobs({N: KIND})   end the N-th job created (0 first) as KIND: internal, rejected,
                    too-long, batch-expired, cancelled
    .clear_faults()
    .cancel_job(id) the service cancels a job by hand (Cancelled, reason code 5202)
    .expire_batch(session_id)   the batch reaches its time to live now
    .allocate(seconds)  set the instance's usage limit (None: no limit); held jobs run
    .usage()        {"consumed": s, "allocation": s or None, "limit_reached": bool}
    .stop()         SIGTERM; returns the exit code

Example::

    def test_run(ibm_emulator):
        ibm_emulator.inject("poll", "drop", count=2)
        service = ibm_emulator.service()
        backend = service.backend("fake_manila")
        with Batch(backend=backend) as batch:
            job = Sampler(mode=batch).run([isa_circuit])
        assert job.result()[0].data.meas.num_shots == 1024
        assert len(ibm_emulator.jobs()) == 1
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

START_TIMEOUT = 90.0
CLIENT_URL_VARIABLES = ("IAM_URL", "GLOBAL_SEARCH_URL", "GLOBAL_CATALOG_URL")


class RunningEmulator:
    def __init__(self, args: tuple[str, ...], log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "qexp.emulator", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        self.env: dict[str, str] = {}
        self.url = ""
        try:
            self._read_settings()
        except BaseException:
            self.stop()
            raise
        self.token = self.env["QISKIT_IBM_TOKEN"]
        self.instance = self.env["QISKIT_IBM_INSTANCE"]
        self.admin = self.url.removesuffix("/api/v1") + "/_emulator"
        self.overrides = ["backend=ibm", f"backend.url={self.url}"]

    def _read_settings(self) -> None:
        """Read the printed settings, giving up after START_TIMEOUT seconds."""
        lines: queue.SimpleQueue[str] = queue.SimpleQueue()
        stdout = self.process.stdout
        assert stdout is not None

        def forward() -> None:
            for line in stdout:
                lines.put(line)

        threading.Thread(target=forward, daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self.url:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic())).strip()
            except queue.Empty:
                raise TimeoutError(f"the emulator printed no settings: {self.log_path}") from None
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").partition("=")
                self.env[name] = value
            elif line.startswith("backend.url="):
                self.url = line.removeprefix("backend.url=")

    # --- the client's side ---------------------------------------------------------
    def service(self, **kwargs: Any) -> Any:
        from qiskit_ibm_runtime import QiskitRuntimeService

        settings: dict[str, Any] = {
            "channel": "ibm_quantum_platform",
            "token": self.token,
            "instance": self.instance,
            "url": self.url,
            "url_resolver": lambda url, *_: url,
        }
        return QiskitRuntimeService(**{**settings, **kwargs})

    # --- the admin API -------------------------------------------------------------
    def _admin(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.admin + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.load(answer)

    def stats(self) -> dict[str, Any]:
        return self._admin("GET", "/stats")  # type: ignore[no-any-return]

    def jobs(self) -> list[dict[str, Any]]:
        return self.stats()["jobs"]  # type: ignore[no-any-return]

    def requests(self, route: str | None = None) -> list[dict[str, Any]]:
        seen = self.stats()["requests"]
        return [entry for entry in seen if route is None or entry["route"] == route]

    def rate(self, route: str) -> float:
        """Requests of `route` per second, over the span from its first to its last."""
        times = [entry["time"] for entry in self.requests(route)]
        if len(times) < 2:
            return 0.0
        return (len(times) - 1) / (times[-1] - times[0])

    def inject(self, route: str, kind: str, **options: Any) -> dict[str, Any]:
        fault = {"route": route, "kind": kind, **options}
        return self._admin("POST", "/faults", {"http": [fault]})  # type: ignore[no-any-return]

    def fail_jobs(self, kinds: dict[int, str]) -> dict[str, Any]:
        jobs = {str(order): kind for order, kind in kinds.items()}
        return self._admin("POST", "/faults", {"jobs": jobs})  # type: ignore[no-any-return]

    def clear_faults(self) -> None:
        self._admin("DELETE", "/faults")

    def cancel_job(self, job_id: str) -> dict[str, Any]:
        return self._admin("POST", f"/jobs/{job_id}/cancel", {})  # type: ignore[no-any-return]

    def expire_batch(self, session_id: str) -> dict[str, Any]:
        return self._admin("POST", f"/sessions/{session_id}/expire", {})  # type: ignore[no-any-return]

    def allocate(self, seconds: float | None) -> dict[str, Any]:
        return self._admin("POST", "/allocation", {"seconds": seconds})  # type: ignore[no-any-return]

    def usage(self) -> dict[str, Any]:
        return self.stats()["usage"]  # type: ignore[no-any-return]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode


@pytest.fixture
def emulator_factory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., RunningEmulator]]:
    started: list[RunningEmulator] = []

    def start(*args: str) -> RunningEmulator:
        emulator = RunningEmulator(args, tmp_path / f"emulator-{len(started)}.log")
        started.append(emulator)
        for name in CLIENT_URL_VARIABLES:
            monkeypatch.setenv(name, emulator.env[name])
        return emulator

    yield start
    for emulator in started:
        emulator.stop()


@pytest.fixture
def ibm_emulator(emulator_factory: Callable[..., RunningEmulator]) -> RunningEmulator:
    return emulator_factory("--backends", "FakeManilaV2", "--job-seconds", "0.3")


def subprocess_env(emulator: RunningEmulator) -> dict[str, str]:
    """os.environ plus the emulator's settings, for a `python -m qexp` subprocess."""
    return {**os.environ, **emulator.env}
