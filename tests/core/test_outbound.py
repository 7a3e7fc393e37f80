"""Calls to addresses staff typed in (webhook endpoints, connected sites) reach public addresses only: a URL naming
this server's own services or the private network is refused when entered, and a host that resolves inward is
refused when called, before anything is sent."""

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from stockyard.core import outbound
from stockyard.core.errors import ValidationFailed
from stockyard.core.outbound import check_public_url, outbound_client
from stockyard.core.settings import get_settings
from stockyard.core.uow import perform
from stockyard.integration.channels.connections import ConnectionIn, create_connection
from stockyard.integration.webhooks.services import SubscriptionIn, create_subscription
from stockyard.sales.channels import ChannelIn, create_channel
from tests.conftest import TenantCtx
from tests.inventory.support import tenant_rows


@pytest.fixture
def guarded(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("STOCKYARD_OUTBOUND_PRIVATE_ALLOWED", "false")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[str], list[str]]]:
    """An HTTP server on loopback that records the paths it was sent."""
    hits: list[str] = []
    hosts: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return None

        def do_POST(self) -> None:  # noqa: N802
            hits.append(self.path)
            hosts.append(self.headers.get("Host", ""))
            self.send_response(204)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits, hosts
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:5432/", "http://localhost:8000/hooks", "https://api.localhost/x", "http://10.1.2.3/hooks",
    "http://192.168.0.10/", "http://172.16.5.4/", "http://169.254.169.254/latest/meta-data/", "http://[::1]:8080/",
    "http://[fd00::1]/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/", "http://100.64.0.1/"])
def test_a_private_or_local_address_is_refused_when_entered(guarded: None, url: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        check_public_url(url, "url")
    assert refused.value.field == "url"
    assert "private or local address" in refused.value.message


@pytest.mark.parametrize("url", ["https://example.com/hooks", "http://93.184.216.34/in", "https://[2606:4700::1]/"])
def test_a_public_address_is_accepted(guarded: None, url: str) -> None:
    check_public_url(url, "url")


def test_a_call_to_a_host_that_resolves_inward_is_refused_before_anything_is_sent(
        guarded: None, receiver: tuple[str, list[str], list[str]]) -> None:
    url, hits, _ = receiver
    with outbound_client(timeout=5) as client:
        for target in (f"{url}/direct", url.replace("127.0.0.1", "localhost") + "/by-name"):
            with pytest.raises(httpx.ConnectError, match="private or local address"):
                client.post(target, json={})
    assert hits == []


def _resolving(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> None:
    """Names in `answers` resolve to their next address (the last one from then on); others as usual."""
    real = socket.getaddrinfo

    def fake(host: str, port: object, *args: object, **kwargs: object) -> list[tuple]:
        if host in answers:
            address = answers[host].pop(0) if len(answers[host]) > 1 else answers[host][0]
            return real(address, port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def test_a_name_that_rebinds_inward_after_the_check_is_not_followed(
        guarded: None, receiver: tuple[str, list[str], list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    """The first answer is public, every later one loopback: the call goes to the public address it checked (which
    does not answer here), never to loopback."""
    url, hits, _ = receiver
    port = url.rsplit(":", 1)[1]
    _resolving(monkeypatch, {"rebind.example": ["1.1.1.1", "127.0.0.1"]})
    with outbound_client(timeout=0.5) as client, pytest.raises(httpx.TransportError):
        client.post(f"http://rebind.example:{port}/in", json={})
    assert hits == []


def test_the_checked_address_is_called_with_the_names_host_header(
        guarded: None, receiver: tuple[str, list[str], list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    url, hits, hosts = receiver
    port = url.rsplit(":", 1)[1]
    _resolving(monkeypatch, {"shop.example": ["127.0.0.1"]})
    monkeypatch.setattr(outbound, "is_public", lambda address: True)  # let loopback stand in for a public host
    with outbound_client(timeout=5) as client:
        assert client.post(f"http://shop.example:{port}/in", json={}).status_code == 204
    assert (hits, hosts) == (["/in"], [f"shop.example:{port}"])


def test_the_setting_lets_calls_reach_private_addresses(receiver: tuple[str, list[str], list[str]]) -> None:
    url, hits, _ = receiver
    assert get_settings().outbound_private_allowed  # the test suite's own setting (tests/conftest.py)
    with outbound_client(timeout=5) as client:
        assert client.post(f"{url}/allowed", json={}).status_code == 204
    assert hits == ["/allowed"]


def test_webhooks_and_connected_sites_on_private_addresses_are_refused_and_nothing_is_saved(
        guarded: None, tenant: TenantCtx) -> None:
    channel_id = perform(tenant.engine, tenant.actor, create_channel, ChannelIn(code="SITE", name="Site",
                                                                                 kind="marketplace", currency="EUR"))
    before = tenant_rows(tenant)
    with pytest.raises(ValidationFailed) as refused:
        perform(tenant.engine, tenant.actor, create_subscription, SubscriptionIn(url="http://127.0.0.1:6379/"))
    assert refused.value.field == "url"
    with pytest.raises(ValidationFailed) as refused:
        perform(tenant.engine, tenant.actor, create_connection, ConnectionIn(
            channel_id=channel_id, name="Internal", adapter="generic", base_url="http://192.168.1.20/shop"))
    assert refused.value.field == "base_url"
    assert tenant_rows(tenant) == before
    perform(tenant.engine, tenant.actor, create_subscription, SubscriptionIn(url="https://hooks.example.com/in"))
