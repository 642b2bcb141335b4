"""This machine's addresses on the local network, found with the standard library alone."""

from __future__ import annotations

import contextlib
import ipaddress
import socket

from app.settings import LOOPBACK_HOSTS

WILDCARD_HOSTS = ("", "0.0.0.0", "::")
# TEST-NET-1 (RFC 5737): never routed. Connecting a UDP socket only asks the kernel which local
# address would reach it; no packet is sent.
_ROUTE_PROBE = ("192.0.2.1", 9)


def _usable(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return not (ip.is_loopback or ip.is_unspecified or ip.is_multicast)


def lan_addresses() -> list[str]:
    """IPv4 addresses other attendees can reach this machine at, the default route's first."""
    found: list[str] = []
    with (
        contextlib.suppress(OSError),
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe,
    ):
        probe.connect(_ROUTE_PROBE)
        found.append(probe.getsockname()[0])
    with contextlib.suppress(OSError):
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.append(str(info[4][0]))
    unique: list[str] = []
    for address in found:
        if _usable(address) and address not in unique:
            unique.append(address)
    return unique


def served_addresses(host: str) -> list[str]:
    """The addresses a server bound to `host` answers on: a wildcard means every interface."""
    if host in WILDCARD_HOSTS:
        return ["127.0.0.1", *lan_addresses()]
    return [host]


def host_names(host: str) -> list[str]:
    """Host header names to accept for a server bound to `host` (no others: DNS rebinding)."""
    names = served_addresses(host)
    if host in WILDCARD_HOSTS or host in LOOPBACK_HOSTS:
        names += list(LOOPBACK_HOSTS)
    if host in WILDCARD_HOSTS:
        hostname = socket.gethostname()
        names += [hostname, f"{hostname}.local"]
    return list(dict.fromkeys(n.lower() for n in names if n))


def public_address(host: str) -> str:
    """The one address to print for others to use: the LAN address when bound to every one."""
    if host in WILDCARD_HOSTS:
        lan = lan_addresses()
        return lan[0] if lan else "127.0.0.1"
    return host


def base_url(address: str, port: int) -> str:
    """http://address:port, IPv6 literals in brackets."""
    if ":" in address and not address.startswith("["):
        address = f"[{address}]"
    return f"http://{address}:{port}"
