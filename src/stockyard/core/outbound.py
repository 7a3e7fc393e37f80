"""HTTP clients for calls to addresses that staff typed in (webhook endpoints, connected sites).

Such a URL must not make this server call its own services or the private network behind it (server-side request
forgery): the database's HTTP-speaking neighbours, a cloud's metadata service at 169.254.169.254, an admin port on
loopback. Entered URLs naming such an address are refused with a clear message (`check_public_url`); at call time
the host is resolved and a private, loopback, link-local or reserved address refuses the request (`outbound_client`),
which also covers a public name that resolves inward. `STOCKYARD_OUTBOUND_PRIVATE_ALLOWED=true` lifts both.
"""

import ipaddress
import socket
from typing import Any

import httpx

from stockyard.core.errors import ValidationFailed
from stockyard.core.settings import get_settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def private_allowed() -> bool:
    return get_settings().outbound_private_allowed


def check_public_url(url: str, field: str) -> None:
    """Refuses a URL whose host is a private address or a local name; public names are checked when called."""
    if private_allowed():
        return
    host = (httpx.URL(url).host or "").lower().rstrip(".")
    literal = _literal(host)
    if host in LOCAL_NAMES or host.endswith(".localhost") or (literal is not None and not is_public(literal)):
        raise ValidationFailed(f"points at a private or local address ({host}); only public addresses can be "
                               "called (STOCKYARD_OUTBOUND_PRIVATE_ALLOWED=true allows private ones)", field=field)


def refused_address(host: str, port: int) -> IPAddress | None:
    """The first non-public address `host` resolves to, if any (None: every address is public)."""
    literal = _literal(host)
    if literal is not None:
        return None if is_public(literal) else literal
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return None  # the connection attempt reports the unknown name itself
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if not is_public(address):
            return address
    return None


class PublicOnlyTransport(httpx.HTTPTransport):
    """Refuses, before connecting, a request whose host resolves to a non-public address."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not private_allowed():
            port = request.url.port or (443 if request.url.scheme == "https" else 80)
            address = refused_address(request.url.host, port)
            if address is not None:
                raise httpx.ConnectError(f"{request.url.host} is a private or local address ({address}); only "
                                         "public addresses can be called", request=request)
        return super().handle_request(request)


def outbound_client(**options: Any) -> httpx.Client:
    """An httpx.Client (any of its options) whose requests only reach public addresses."""
    return httpx.Client(transport=PublicOnlyTransport(), **options)
