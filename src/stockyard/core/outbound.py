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


def resolve_public(host: str, port: int) -> tuple[IPAddress | None, IPAddress | None]:
    """(the address to connect to, the first non-public address `host` resolves to). A name that does not resolve
    gives (None, None): the connection attempt then reports the unknown name itself."""
    literal = _literal(host)
    if literal is not None:
        return (literal, None) if is_public(literal) else (None, literal)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return None, None
    addresses = [ipaddress.ip_address(str(sockaddr[0]).split("%")[0]) for *_, sockaddr in found]
    refused = next((a for a in addresses if not is_public(a)), None)
    return (None, refused) if refused is not None else (addresses[0] if addresses else None, None)


class PublicOnlyTransport(httpx.HTTPTransport):
    """Refuses, before connecting, a request whose host resolves to a non-public address, and connects to the very
    address it checked (the Host header and the TLS server name stay the name's), so a DNS answer that changes
    between the check and the connection (rebinding) cannot lead inward."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not private_allowed():
            host = request.url.host
            port = request.url.port or (443 if request.url.scheme == "https" else 80)
            address, refused = resolve_public(host, port)
            if refused is not None:
                raise httpx.ConnectError(f"{host} is a private or local address ({refused}); only public addresses "
                                         "can be called", request=request)
            if address is not None and _literal(host) is None:
                request.extensions = {**request.extensions, "sni_hostname": host}
                request.url = request.url.copy_with(host=str(address))
        return super().handle_request(request)


def outbound_client(**options: Any) -> httpx.Client:
    """An httpx.Client (any of its options) whose requests only reach public addresses."""
    return httpx.Client(transport=PublicOnlyTransport(), **options)
