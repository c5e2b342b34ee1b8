"""Requests a reverse proxy sent on: telling them apart, and whom to believe about the client.

A request that carries a proxy's headers (``X-Forwarded-For``, ``Forwarded``, ``X-Real-IP``,
any ``X-Forwarded-*``, ``Via``) was passed on by a proxy, so it comes from beyond this
machine whatever address it arrives from: the gate (``web/auth.py``) decides on that. Only
the proxies the admin names (``SMARTALBUM_TRUSTED_PROXIES``) are believed about who the
client is and which scheme it used; for their requests this middleware puts the forwarded
address and scheme in the ASGI scope, so throttling, sessions, ``Secure`` cookies and the
same-origin check see the client, under any ASGI server.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from smartalbum.hosts import Network, within

# Headers only a proxy sets (browsers never send them); any X-Forwarded-* counts too.
PROXY_HEADERS = frozenset(
    {"forwarded", "x-real-ip", "via", "true-client-ip", "cf-connecting-ip", "x-client-ip"}
)
SCHEMES = {"http": ("http", "https"), "websocket": ("ws", "wss")}


def carries_proxy_headers(headers: Headers) -> bool:
    """Whether a proxy passed this request on (it carries a header only proxies set)."""
    return any(name in PROXY_HEADERS or name.startswith("x-forwarded-") for name in headers)


def _address(value: str) -> str:
    """The address in one forwarded entry: quotes, brackets and a port taken off."""
    value = value.strip().strip('"')
    if value.startswith("["):
        return value[1:].partition("]")[0]
    host, colon, port = value.partition(":")
    return host if colon and port.isdigit() and ":" not in port else value


def _forwarded_pairs(header: str, key: str) -> list[str]:
    """The values of ``key`` (``for``, ``proto``) in an RFC 7239 ``Forwarded`` header."""
    found = []
    for element in header.split(","):
        for pair in element.split(";"):
            name, equals, value = pair.partition("=")
            if equals and name.strip().lower() == key:
                found.append(value.strip().strip('"'))
    return found


def forwarded_chain(headers: Headers) -> list[str]:
    """The addresses a request passed through, client first, as its proxies say."""
    if "x-forwarded-for" in headers:
        values = ",".join(headers.getlist("x-forwarded-for")).split(",")
    elif "forwarded" in headers:
        values = _forwarded_pairs(",".join(headers.getlist("forwarded")), "for")
    else:
        values = headers.getlist("x-real-ip")
    return [_address(v) for v in values if v.strip()]


def forwarded_client(peer: str, headers: Headers, trusted: Sequence[Network]) -> str:
    """The client's address: walking back from the peer, the first one not a trusted proxy
    (a client cannot push a proxy aside by sending its own X-Forwarded-For)."""
    chain = [*forwarded_chain(headers), peer]
    for address in reversed(chain):
        if not within(address, trusted):
            return address
    return chain[0]


def forwarded_scheme(headers: Headers) -> str | None:
    """The scheme the client used, as the nearest proxy says (None: it does not say)."""
    said = ",".join(headers.getlist("x-forwarded-proto")).split(",")
    if not said[-1].strip() and "forwarded" in headers:
        said = _forwarded_pairs(",".join(headers.getlist("forwarded")), "proto")
    return said[-1].strip().lower() if said and said[-1].strip() else None


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


class TrustedProxyMiddleware:
    """For a request from a trusted proxy: the forwarded client and scheme in the scope."""

    def __init__(self, app: ASGIApp, trusted: Sequence[Network]) -> None:
        self.app = app
        self.trusted = list(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        peer = scope.get("client")
        if scope["type"] in SCHEMES and self.trusted and peer and within(peer[0], self.trusted):
            headers = Headers(scope=scope)
            client = forwarded_client(peer[0], headers, self.trusted)
            if _is_address(client):  # "unknown" or "_hidden" leave the proxy's own
                scope["client"] = (client, 0)
            scheme = forwarded_scheme(headers)
            plain, secure = SCHEMES[scope["type"]]
            if scheme in ("http", "https", "ws", "wss"):
                scope["scheme"] = secure if scheme in ("https", "wss") else plain
        await self.app(scope, receive, send)
