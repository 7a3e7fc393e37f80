"""Webhook rules without I/O: subscription input checks, signing and verifying deliveries, the retry schedule.

Signature header (Stripe-like, so receivers know the shape):

    Stockyard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>

A receiver checks it with `verify_signature(secret, header, body, tolerance)`: the HMAC over the exact bytes it
received, and a timestamp no older (or newer) than `tolerance` seconds, which stops a captured delivery from being
replayed later. After a secret is rotated the header may carry several v1= values; any one matching is enough.
"""

import hashlib
import hmac
import re
import secrets
import time
from datetime import timedelta
from urllib.parse import urlsplit

from stockyard.core.errors import ValidationFailed

SIGNATURE_HEADER = "Stockyard-Signature"
EVENT_ID_HEADER = "Stockyard-Event-Id"
EVENT_TYPE_HEADER = "Stockyard-Event-Type"
SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE = 300  # seconds

MAX_ATTEMPTS = 8  # per delivery: after this many failed attempts the delivery is given up ("failed")
DISABLE_AFTER = 10  # failed attempts in a row (across deliveries) that disable the subscription
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=6)

_EVENT_TYPE = re.compile(r"^[a-z_]+(\.[a-z_]+)+\.v[0-9]+$")
_SIGNATURE_PART = re.compile(r"^(t|v1)=([0-9a-fA-F]+)$")


class SignatureInvalid(Exception):
    """The delivery is not signed with this secret, or it is too old (or from the future)."""


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_hex(24)


def secret_hint(secret: str) -> str:
    return f"{SECRET_PREFIX}…{secret[-4:]}"


def check_url(url: str, field: str = "url") -> str:
    """An absolute http(s) URL with a host, at most 500 characters."""
    url = url.strip()
    if not url:
        raise ValidationFailed("give the URL that receives the webhooks", field=field)
    if len(url) > 500:
        raise ValidationFailed("must be at most 500 characters", field=field)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValidationFailed("is not a valid URL", field=field) from None
    if parts.scheme not in ("http", "https"):
        raise ValidationFailed("must start with http:// or https://", field=field)
    if not parts.hostname or any(c.isspace() for c in url):
        raise ValidationFailed("needs a host name, e.g. https://example.com/hooks", field=field)
    if port == 0:
        raise ValidationFailed("has an invalid port", field=field)
    return url


def check_event_types(types: list[str], field: str = "event_types") -> list[str]:
    """Exact versioned types ("order.placed.v1"), or "*" alone for every event; sorted, without duplicates."""
    cleaned = sorted({t.strip() for t in types if t.strip()})
    if not cleaned:
        raise ValidationFailed('choose at least one event type, or "*" for every event', field=field)
    if "*" in cleaned:
        if len(cleaned) > 1:
            raise ValidationFailed('"*" already means every event; give it alone', field=field)
        return cleaned
    for name in cleaned:
        if len(name) > 80 or not _EVENT_TYPE.match(name):
            raise ValidationFailed(f"'{name}' is not a versioned event type like 'order.placed.v1'", field=field)
    return cleaned


def wants(event_types: list[str], event_type: str) -> bool:
    return "*" in event_types or event_type in event_types


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify_signature(secret: str, header: str, body: bytes, tolerance: int = DEFAULT_TOLERANCE,
                     now: float | None = None) -> int:
    """For receivers: checks a `Stockyard-Signature` header against the raw request body. Returns the signed
    timestamp; raises SignatureInvalid when the header is malformed, no v1 signature matches, or the timestamp is
    more than `tolerance` seconds away from `now` (default: the current time)."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        match = _SIGNATURE_PART.match(part.strip())
        if match is None:
            raise SignatureInvalid("malformed signature header")
        key, value = match.groups()
        if key == "t":
            if timestamp is not None:
                raise SignatureInvalid("the header has two timestamps")
            timestamp = int(value) if value.isdigit() else None
            if timestamp is None:
                raise SignatureInvalid("the timestamp is not a number")
        else:
            candidates.append(value.lower())
    if timestamp is None or not candidates:
        raise SignatureInvalid("the header needs t= and v1=")
    expected = signature(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise SignatureInvalid("no signature matches this secret and body")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        minutes = f" ({tolerance // 60} minutes)" if tolerance % 60 == 0 else ""
        raise SignatureInvalid(f"the timestamp is more than {tolerance} seconds off{minutes}")
    return timestamp


def retry_delay(failed_attempts: int) -> timedelta:
    """How long to wait after the n-th failed attempt (n ≥ 1): 30 s, 1 min, 2 min, 4 min, … at most 6 hours."""
    if failed_attempts < 1:
        raise ValueError("failed_attempts counts from 1")
    if failed_attempts > 20:
        return LONGEST_WAIT
    return min(FIRST_RETRY * 2 ** (failed_attempts - 1), LONGEST_WAIT)


def is_success(status_code: int | None) -> bool:
    return status_code is not None and 200 <= status_code < 300
