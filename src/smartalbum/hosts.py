"""Which addresses are this machine, and which belong to the proxies an admin trusts."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def is_loopback(host: str) -> bool:
    """True for localhost and the loopback ranges (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The name or address of a Host header, without its port or brackets, lowercased:
    ``localhost:8000`` -> ``localhost``, ``[::1]:8000`` -> ``::1``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    if header.count(":") == 1:  # a name or IPv4 address with a port (a bare IPv6 has several)
        return header.split(":", 1)[0]
    return header


def networks(text: str) -> list[Network]:
    """The addresses and networks (``10.0.0.0/8``) of a ','-separated list; ValueError names
    the first part that is neither."""
    found = []
    for part in text.split(","):
        if part.strip():
            try:
                found.append(ipaddress.ip_network(part.strip().strip("[]"), strict=False))
            except ValueError:
                raise ValueError(part.strip()) from None
    return found


def within(host: str, among: Sequence[Network]) -> bool:
    """Whether an address lies in one of these networks (a name never does)."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return any(address in network for network in among)
