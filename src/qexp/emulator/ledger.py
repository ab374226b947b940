"""What tests count: every request by route and time, and every place the API key went.

The API key may travel to IAM only; anywhere else (a header, a query, a body sent to the
runtime API) is a leak, and the ledger says exactly where it was seen.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Ledger:
    api_key: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    key_seen: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, method: str, path: str, route: str, status: int | str) -> None:
        """One request and what it got (`status` is "dropped" for a closed connection)."""
        entry = {"time": time.time(), "method": method, "path": path, "route": route}
        entry["status"] = status
        with self._lock:
            self.requests.append(entry)

    def look_for_key(self, method: str, target: str, headers: dict[str, str], body: bytes) -> None:
        """Note each part of this request (query, header, body) that carries the API key."""
        places = [f"header:{name}" for name, value in headers.items() if self.api_key in value]
        path, _, query = target.partition("?")
        if self.api_key in path:
            places.append("path")
        if self.api_key in query:
            places.append("query")
        if self.api_key.encode() in body:
            places.append("body")
        if places:
            with self._lock:
                self.key_seen.extend(
                    {"method": method, "path": path, "where": place} for place in places
                )

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": [dict(entry) for entry in self.requests],
                "token_seen": [dict(entry) for entry in self.key_seen],
            }
