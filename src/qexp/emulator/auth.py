"""IBM Cloud's side of signing in: IAM tokens, and the instance lookup.

The client trades its API key for an access token at IAM (`POST /identity/token`), then
finds its instance through Global Search and its plan through Global Catalog. IAM refuses
every API key but the emulator's own, with the answer IBM's IAM gives. The access token
is an unsigned JWT: ibm-cloud-sdk-core reads `iat` and `exp` without checking a signature.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from typing import Any

ACCOUNT = "0123456789abcdef0123456789abcdef"
INSTANCE_GUID = "00000000-0000-4000-8000-0000e8a1a7e0"
INSTANCE = f"crn:v1:bluemix:public:quantum-computing:us-east:a/{ACCOUNT}:{INSTANCE_GUID}::"
INSTANCE_NAME = "qexp-emulator"
PLAN_ID = "emulator-open-plan"
TOKEN_SECONDS = 3600

INVALID_API_KEY = {
    "errorCode": "BXNIM0415E",
    "errorMessage": "Provided API key could not be found.",
    "context": {"requestType": "incoming.Identity_Token"},
}
"""IAM's answer (HTTP 400) to an API key it does not know."""


class Iam:
    """Issues access tokens for one API key and recognises the tokens it issued."""

    def __init__(self, api_key: str | None = None) -> None:
        self.api_key = api_key or secrets.token_urlsafe(32)
        self._issued: set[str] = set()
        self._lock = threading.Lock()

    def token(self, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        """Answer `POST /identity/token`: (HTTP status, JSON body)."""
        if form.get("apikey") != [self.api_key]:
            return 400, INVALID_API_KEY
        issued = int(time.time())
        access_token = _unsigned_jwt(
            {
                "iam_id": f"IBMid-{ACCOUNT[:10]}",
                "sub": "qexp-emulator@example.com",
                "account": {"bss": ACCOUNT},
                "iat": issued,
                "exp": issued + TOKEN_SECONDS,
                "jti": secrets.token_hex(8),
            }
        )
        with self._lock:
            self._issued.add(access_token)
        return 200, {
            "access_token": access_token,
            "refresh_token": "not_supported",
            "token_type": "Bearer",
            "expires_in": TOKEN_SECONDS,
            "expiration": issued + TOKEN_SECONDS,
            "scope": "ibm openid",
        }

    def authorized(self, authorization: str | None) -> bool:
        """Does this `Authorization` header carry a token this IAM issued?"""
        scheme, _, token = (authorization or "").partition(" ")
        with self._lock:
            return scheme == "Bearer" and token in self._issued


def search_result() -> dict[str, Any]:
    """Global Search's answer: one Quantum instance, with a backend allocation."""
    return {
        "items": [
            {
                "crn": INSTANCE,
                "name": INSTANCE_NAME,
                "service_plan_unique_id": PLAN_ID,
                "tags": [],
                "doc": {"extensions": {"allocation": {"emulated": True}}},
            }
        ],
        "limit": 100,
    }


def catalog_entry(entry_id: str) -> dict[str, Any] | None:
    """Global Catalog's entry for the instance's plan."""
    if entry_id != PLAN_ID:
        return None
    return {
        "id": PLAN_ID,
        "name": "open",
        "overview_ui": {"en": {"display_name": "Open"}},
        "metadata": {"pricing": {"type": "free"}},
    }


def _unsigned_jwt(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."
