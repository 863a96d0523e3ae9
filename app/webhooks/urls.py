"""Which URLs webhooks may be sent to: the operator's allow-list of hosts
(`CAMKET_WEBHOOK_ALLOWED_HOSTS`), and public addresses only unless
`CAMKET_WEBHOOK_ALLOW_PRIVATE`, so that a subscriber cannot make the service call into its own
network (server-side request forgery). A subscription's URL is checked when it is saved; the
addresses its host resolves to are checked again at every delivery, and the delivery connects
to the address checked, so a name that resolves elsewhere later (DNS rebinding) gains nothing."""

import ipaddress
import socket
from urllib.parse import urlsplit

import httpx

from app.core.config import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeURLError(Exception):
    """Why the service refuses to send to a URL."""


def _allowed_host(host: str) -> bool:
    patterns = [p.strip().lower() for p in settings.webhook_allowed_hosts.split(",") if p.strip()]
    if not patterns:
        return True
    for pattern in patterns:
        if pattern.startswith("*.") and host.endswith(pattern[1:]):
            return True
        if host == pattern:
            return True
    return False


def is_public(address: IPAddress) -> bool:
    """Routable on the internet: not private, loopback, link-local, shared (CGNAT), reserved or
    multicast, including an IPv4 address written as IPv6."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check_url(url: str) -> None:
    """Raise UnsafeURLError unless the service may send to `url` (no DNS look-up: that is left to
    the delivery, whose own check is the one that counts)."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 (raises for a port out of range)
        httpx.URL(url)  # what the delivery will send to
    except (ValueError, httpx.InvalidURL):
        raise UnsafeURLError("The URL is malformed.") from None
    if parts.scheme not in {"http", "https"} or not host or any(c.isspace() for c in url):
        raise UnsafeURLError("The URL must be http:// or https:// with a host.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURLError("The URL must not carry credentials: receivers check signatures.")
    if not _allowed_host(host):
        raise UnsafeURLError(
            f"The host {host!r} is not among the hosts the operator allows for webhooks."
        )
    if settings.webhook_allow_private:
        return
    address = _literal(host)
    if (address is not None and not is_public(address)) or (
        host == "localhost" or host.endswith((".localhost", ".local", ".internal"))
    ):
        raise UnsafeURLError(f"The host {host!r} is not a public address.")


def resolve(url: str) -> list[IPAddress]:
    """The addresses to connect to for `url`, after checking it again; every address the host
    resolves to must be public (unless allowed), not merely the first."""
    check_url(url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise UnsafeURLError(f"The host {host!r} does not resolve: {error}.") from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    if not settings.webhook_allow_private:
        for address in addresses:
            if not is_public(address):
                raise UnsafeURLError(f"The host {host!r} resolves to {address}, not public.")
    if not addresses:
        raise UnsafeURLError(f"The host {host!r} does not resolve.")
    return addresses
