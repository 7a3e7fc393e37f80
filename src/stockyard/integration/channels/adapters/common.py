"""Helpers the order adapters share: HMAC signatures and reading fields out of a platform's JSON payload with
errors that name the field."""

import base64
import hashlib
import hmac
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from stockyard.core.errors import NotAuthenticated, ValidationFailed
from stockyard.integration.channels.domain import InboundAddress, decimal_of


def hmac_sha256(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def base64_hmac(secret: str, body: bytes) -> str:
    """The signature Shopify and WooCommerce put in their webhook header: base64 of HMAC-SHA256 of the raw body."""
    return base64.b64encode(hmac_sha256(secret, body)).decode("ascii")


def check_base64_hmac(headers: Mapping[str, str], header: str, body: bytes, secret: str) -> None:
    sent = header_value(headers, header)
    if not sent:
        raise NotAuthenticated(f"the {header} header is missing", field=header)
    if not hmac.compare_digest(sent.strip().encode(), base64_hmac(secret, body).encode()):
        raise NotAuthenticated(f"the {header} signature does not match this connection's secret", field=header)


def header_value(headers: Mapping[str, str], name: str) -> str:
    """A header by name, whatever its case (a plain dict or Starlette's Headers)."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return ""


def obj(value: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValidationFailed("is missing or not an object", field=name)
    return value


def text(data: Mapping[str, Any], key: str, name: str, *, required: bool = False, limit: int = 200) -> str:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise ValidationFailed("is missing", field=name)
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValidationFailed("is not a text", field=name)
    result = str(value).strip()
    if len(result) > limit:
        raise ValidationFailed(f"is longer than {limit} characters", field=name)
    return result


def amount(data: Mapping[str, Any], key: str, name: str, default: Decimal | None = None) -> Decimal:
    value = data.get(key)
    if value is None or value == "":
        if default is None:
            raise ValidationFailed("is missing", field=name)
        return default
    return decimal_of(value, name)


def address(data: Mapping[str, Any] | None, name: str, *, first: str, last: str, line1: str, line2: str,
            city: str, region: str, postcode: str, country: str, phone: str = "phone",
            full_name: str | None = None) -> InboundAddress | None:
    """An address from a platform's field names; None when the payload has none."""
    if not data:
        return None
    person = text(data, full_name, f"{name}.{full_name}") if full_name else ""
    if not person:
        person = " ".join(p for p in (text(data, first, f"{name}.{first}"), text(data, last, f"{name}.{last}")) if p)
    return InboundAddress(
        name=person, line1=text(data, line1, f"{name}.{line1}"), line2=text(data, line2, f"{name}.{line2}"),
        city=text(data, city, f"{name}.{city}", limit=120), region=text(data, region, f"{name}.{region}", limit=120),
        postcode=text(data, postcode, f"{name}.{postcode}", limit=20),
        country=text(data, country, f"{name}.{country}", limit=2).upper(), phone=text(data, phone, f"{name}.{phone}",
                                                                                      limit=40))
