"""The signature scheme (like Stripe's): the header

    X-ServiceOps-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>

The signed text is the timestamp, a dot and the raw request body (bytes, as sent). Right after a
secret rotation there is one `v1=` per valid secret: a receiver accepts the request when any of
them matches its secret, and refuses a timestamp older than its tolerance (replays)."""

from __future__ import annotations

import hashlib
import hmac
import secrets as _secrets
import time

SECRET_PREFIX = "whsec_"  # noqa: S105 - a public marker, not a secret
DEFAULT_TOLERANCE = 300  # seconds


def new_secret() -> str:
    return SECRET_PREFIX + _secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(int(timestamp)).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets: list[str], timestamp: int, body: bytes) -> str:
    parts = [f"t={int(timestamp)}"]
    parts += [f"v1={signature(secret, timestamp, body)}" for secret in secrets]
    return ",".join(parts)


def verify(
    header: str,
    body: bytes,
    secret: str,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> bool:
    """What a receiver does (the README has the same few lines for partners)."""
    items = [part.split("=", 1) for part in header.split(",") if "=" in part]
    stamps = [value for key, value in items if key.strip() == "t"]
    candidates = [value.strip() for key, value in items if key.strip() == "v1"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit() or not candidates:
        return False
    timestamp = int(stamps[0])
    if tolerance and abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
