"""The HTTP layer: one threaded server for IAM, Global Search and Catalog, the runtime API
and the emulator's admin API, each under its own path prefix on 127.0.0.1.

Faults are applied here, around the routes: an armed fault answers in place of the route
(or after it, for a submission whose job is created and whose answer is then lost).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import auth
from .admin import PREFIX as ADMIN_PREFIX
from .admin import AdminApi
from .devices import Device
from .faults import FaultPlan, HttpFault
from .ledger import Ledger
from .routes import Reply, Request, ServiceApi
from .scheduler import Scheduler
from .state import Refused, ServiceState

log = logging.getLogger(__name__)

API_PREFIXES = ("/api/v1", "/experimental/api/v1")
"""The runtime API answers under both: the second is the URL a client uses without a
`url_resolver` (a URL holding `experimental` is taken as given)."""
IAM_PREFIX = "/iam"
SEARCH_PREFIX = "/global-search"
CATALOG_PREFIX = "/global-catalog/api/v1"

DROP = Reply(-1)
"""Close the connection without an answer."""


@dataclass
class Emulator:
    """Everything one running emulator holds."""

    devices: dict[str, Device]
    state: ServiceState
    faults: FaultPlan
    scheduler: Scheduler
    iam: auth.Iam
    ledger: Ledger
    api: ServiceApi
    admin: AdminApi

    @classmethod
    def build(
        cls,
        devices: dict[str, Device],
        faults: FaultPlan,
        job_seconds: float,
        workers: int,
        seed: int,
        api_key: str | None = None,
        allocation: float | None = None,
        bill_delay: float = 0.0,
    ) -> Emulator:
        state = ServiceState(bill_delay=bill_delay, allocation=allocation)
        scheduler = Scheduler(state, devices, faults, job_seconds, workers, seed)
        iam = auth.Iam(api_key)
        ledger = Ledger(iam.api_key)
        api = ServiceApi(state, devices, scheduler)
        return cls(
            devices, state, faults, scheduler, iam, ledger, api, AdminApi(state, faults, ledger)
        )

    def answer(self, request: Request) -> tuple[str, Reply]:
        """(route name, reply) for one request, faults included."""
        path = request.path
        if path.startswith(ADMIN_PREFIX + "/"):
            request.path = path[len(ADMIN_PREFIX) :]
            return "admin", _guard(self.admin.handle, request)
        if path == IAM_PREFIX + "/identity/token" and request.method == "POST":
            form = parse_qs(request.body.decode("latin-1"))
            status, body = self.iam.token(form)
            return "iam", Reply(status, body)
        if not self.iam.authorized(request.headers.get("authorization")):
            return "unauthorized", Reply.error(401, "Invalid or missing IAM access token.")
        if path == SEARCH_PREFIX + "/v3/resources/search" and request.method == "POST":
            return "search", Reply(200, auth.search_result())
        if path.startswith(CATALOG_PREFIX + "/") and request.method == "GET":
            entry = auth.catalog_entry(path[len(CATALOG_PREFIX) + 1 :])
            return "catalog", Reply(200, entry) if entry else Reply.error(404, "No such entry.")
        for prefix in API_PREFIXES:
            if path.startswith(prefix + "/"):
                request.path = path[len(prefix) :]
                return self._api(request)
        return "unknown", Reply.error(404, f"No route {request.method} {path}.")

    def _api(self, request: Request) -> tuple[str, Reply]:
        found = self.api.match(request.method, request.path)
        if found is None:
            return "unknown", Reply.error(404, f"No route {request.method} {request.path}.")
        route, handler = found
        fault = self.faults.take(route)
        if fault is None:
            return route, _guard(handler, request)
        if fault.kind == "throttle":
            reply = Reply.error(429, "Too many requests: slow down.")
            reply.headers["Retry-After"] = f"{fault.retry_after:g}"
            return route, reply
        if fault.after:
            _guard(handler, request)  # the service acts; its answer is then lost
        return route, _failure(fault)


def _failure(fault: HttpFault) -> Reply:
    if fault.kind == "drop":
        return DROP
    return Reply.error(fault.status, f"Injected server error {fault.status}.")


def _guard(handler: Callable[[Request], Reply], request: Request) -> Reply:
    """The handler's reply, or the error the service answers when it refuses."""
    try:
        return handler(request)
    except Refused as refusal:
        return Reply.error(refusal.status, refusal.message)


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        super().__init__(address, Handler)
        self.emulator = emulator

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: EmulatorServer

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _handle(self) -> None:
        emulator = self.server.emulator
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        emulator.ledger.look_for_key(self.command, self.path, headers, body)
        target = urlsplit(self.path)
        request = Request(self.command, target.path, parse_qs(target.query), body, headers)
        try:
            route, reply = emulator.answer(request)
        except Exception as error:  # a bug: answer as a server would, and say why in the log
            log.exception("%s %s", self.command, self.path)
            route, reply = "error", Reply.error(500, f"Emulator error: {error!r}")
        if route != "admin":
            status = "dropped" if reply is DROP else reply.status
            emulator.ledger.record(self.command, target.path, route, status)
        if reply is DROP:
            self._drop()
        else:
            self._send(reply)

    def _send(self, reply: Reply) -> None:
        if reply.body is None:
            payload, content_type = b"", None
        elif isinstance(reply.body, str):
            payload, content_type = reply.body.encode(), "application/json"
        else:
            payload, content_type = json.dumps(reply.body).encode(), "application/json"
        self.send_response(reply.status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _drop(self) -> None:
        """Close the socket with no response at all, as a dying proxy would."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
        self.wfile = io.BytesIO()  # the server flushes it afterwards: let that go nowhere

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.address_string(), *args)
