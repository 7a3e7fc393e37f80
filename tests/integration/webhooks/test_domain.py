"""Webhook rules without I/O: signatures a receiver can verify (and forgeries or stale ones it refuses), the retry
schedule, and the checks of a subscription's URL and event types."""

import time
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stockyard.core.errors import ValidationFailed
from stockyard.integration.webhooks import domain
from stockyard.integration.webhooks.domain import SignatureInvalid, signature_header, verify_signature

secrets_ = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=8, max_size=60)
bodies = st.binary(max_size=2000)
NOW = 1_800_000_000


@given(secret=secrets_, body=bodies, age=st.integers(min_value=-300, max_value=300))
def test_a_signed_body_verifies_within_the_tolerance(secret: str, body: bytes, age: int) -> None:
    header = signature_header(secret, NOW - age, body)
    assert verify_signature(secret, header, body, tolerance=300, now=NOW) == NOW - age


@given(secret=secrets_, other=secrets_, body=bodies)
def test_another_secret_is_refused(secret: str, other: str, body: bytes) -> None:
    if other == secret:
        return
    with pytest.raises(SignatureInvalid):
        verify_signature(other, signature_header(secret, NOW, body), body, now=NOW)


@given(secret=secrets_, body=bodies, extra=st.binary(min_size=1, max_size=20))
def test_an_altered_body_is_refused(secret: str, body: bytes, extra: bytes) -> None:
    header = signature_header(secret, NOW, body)
    with pytest.raises(SignatureInvalid):
        verify_signature(secret, header, body + extra, now=NOW)


@given(secret=secrets_, body=bodies, age=st.integers(min_value=301, max_value=10**7))
def test_an_old_or_future_timestamp_is_refused(secret: str, body: bytes, age: int) -> None:
    for timestamp in (NOW - age, NOW + age):
        with pytest.raises(SignatureInvalid, match="seconds off"):
            verify_signature(secret, signature_header(secret, timestamp, body), body, tolerance=300, now=NOW)


def test_a_replayed_header_with_a_new_timestamp_does_not_verify() -> None:
    """Changing t= to look fresh breaks the HMAC, which covers the timestamp."""
    body = b'{"id":"1"}'
    old = signature_header("whsec_x", NOW - 3600, body)
    forged = old.replace(f"t={NOW - 3600}", f"t={NOW}")
    with pytest.raises(SignatureInvalid, match="no signature matches"):
        verify_signature("whsec_x", forged, body, now=NOW)


@pytest.mark.parametrize("header", ["", "t=1", "v1=ab", "t=abc,v1=ab", "t=1,t=2,v1=ab", "x=1,v1=ab", "t=1;v1=ab"])
def test_malformed_headers_are_refused(header: str) -> None:
    with pytest.raises(SignatureInvalid):
        verify_signature("whsec_x", header, b"{}", now=NOW)


def test_any_of_several_signatures_may_match_and_the_default_clock_is_now() -> None:
    body = b"{}"
    good = signature_header("new", int(time.time()), body)
    t, v1 = good.split(",")
    assert verify_signature("new", f"{t},v1={'0' * 64},{v1}", body) > 0


def test_the_retry_schedule_doubles_up_to_six_hours() -> None:
    delays = [domain.retry_delay(n) for n in range(1, 16)]
    assert delays[:5] == [timedelta(seconds=s) for s in (30, 60, 120, 240, 480)]
    assert all(a <= b for a, b in zip(delays, delays[1:], strict=False))
    assert delays[-1] == timedelta(hours=6) and domain.retry_delay(1000) == timedelta(hours=6)
    with pytest.raises(ValueError):
        domain.retry_delay(0)


@given(st.integers(min_value=1, max_value=500))
def test_every_delay_is_positive_and_bounded(n: int) -> None:
    assert timedelta(seconds=30) <= domain.retry_delay(n) <= timedelta(hours=6)


@pytest.mark.parametrize("url", ["ftp://example.com/x", "example.com/hooks", "https://", "http:///path",
                                 "https://exa mple.com/", "https://example.com:0/", "https://example.com:99999/", ""])
def test_bad_urls_are_refused_naming_the_field(url: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        domain.check_url(url)
    assert caught.value.field == "url"


def test_good_urls_pass() -> None:
    assert domain.check_url(" https://hooks.example.com/stockyard?x=1 ") == "https://hooks.example.com/stockyard?x=1"
    assert domain.check_url("http://127.0.0.1:8080/in") == "http://127.0.0.1:8080/in"


def test_event_types_are_versioned_or_star_alone() -> None:
    assert domain.check_event_types(["order.placed.v1", " stock.changed.v1", "order.placed.v1"]) == [
        "order.placed.v1", "stock.changed.v1"]
    assert domain.check_event_types(["*"]) == ["*"]
    for bad in ([], ["order.placed"], ["*", "order.placed.v1"], ["Order.Placed.v1"]):
        with pytest.raises(ValidationFailed) as caught:
            domain.check_event_types(bad)
        assert caught.value.field == "event_types"
    assert domain.wants(["*"], "x.y.v1") and domain.wants(["x.y.v1"], "x.y.v1")
    assert not domain.wants(["x.y.v1"], "x.y.v2")


def test_new_secrets_are_random_and_hinted_by_their_end() -> None:
    a, b = domain.new_secret(), domain.new_secret()
    assert a != b and a.startswith("whsec_") and len(a) > 40
    assert domain.secret_hint(a) == f"whsec_…{a[-4:]}"
