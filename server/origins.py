"""Which web origins may open the bridge and the relay: the OriginPolicy.

Any page the user visits can open a WebSocket to the server's port; the browser names the
page's origin in the handshake's Origin header, which a page cannot forge. By default the
policy accepts loopback origins (http or https, any port: localhost, *.localhost,
127.0.0.0/8, [::1]) and the server's own origin (the handshake's scheme and Host), and
refuses every other origin, `null` (sandboxed frames, file: pages, data: URLs) and a
missing header. `--allowed-origin` adds exact origins, `null`, or `*` for every origin.

The own origin counts only when its host is an IP address or a loopback name: a page on
attacker.example whose name was rebound to the server's address (DNS rebinding) is
same-origin with the server under that name, so a name is trusted only when listed.
docs/security/origins.md gives the reasons.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

NULL_ORIGIN = "null"
ALL_ORIGINS = "*"
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
# The page's origin for a WebSocket of this scheme.
PAGE_SCHEMES = {"ws": "http", "wss": "https", "http": "http", "https": "https"}


def normalise_origin(text: str) -> str:
    """`text` as a browser serialises an origin: `scheme://host[:port]`, lower-case, the
    scheme's default port left out, a non-ASCII name in punycode. ValueError when `text`
    is no origin (a path, a query, user info, no host)."""
    if text == NULL_ORIGIN:
        return text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as error:
        raise ValueError(f"{text!r} is not an origin: {error}") from None
    if not parts.scheme or not parts.hostname or parts.path or parts.query or parts.fragment \
            or "@" in parts.netloc or text.endswith(("?", "#")):
        raise ValueError(f"{text!r} is not an origin (scheme://host[:port], no path)")
    scheme = parts.scheme.lower()
    host = parts.hostname.encode("idna").decode("ascii") if not parts.hostname.isascii() else parts.hostname
    host = f"[{host}]" if ":" in host else host
    if port is None or port == DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def is_loopback_host(host: str) -> bool:
    """`host` (a URL's host, IPv6 in brackets or not) names this machine by loopback."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def is_loopback_origin(origin: str) -> bool:
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.hostname is not None and is_loopback_host(parts.hostname)


def cannot_be_rebound(host: str) -> bool:
    """A Host that DNS rebinding cannot produce: an IP address or a loopback name."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return is_loopback_host(host)
    return True


def own_origin(scheme: str, host_header: str | None) -> str | None:
    """The origin of a page served by this server at `host_header` (the request's Host)
    over `scheme` (ws/wss for a WebSocket, http/https for a page); None when the Host is
    missing or malformed."""
    if not host_header or scheme not in PAGE_SCHEMES:
        return None
    try:
        return normalise_origin(f"{PAGE_SCHEMES[scheme]}://{host_header}")
    except ValueError:
        return None


@dataclass(frozen=True)
class OriginPolicy:
    """`allowed`: normalised origins accepted beyond the defaults (`null` among them for
    opaque origins); `allow_all`: every origin, and a missing one."""

    allowed: frozenset[str] = frozenset()
    allow_all: bool = False

    @classmethod
    def from_options(cls, values: Iterable[str]) -> OriginPolicy:
        """The policy of `--allowed-origin` values; ValueError names a malformed one."""
        values = list(values)
        return cls(
            frozenset(normalise_origin(value) for value in values if value != ALL_ORIGINS),
            ALL_ORIGINS in values,
        )

    def allows(self, origin: str | None, own: str | None) -> bool:
        """Whether a handshake from a page of `origin` (the Origin header, None when
        absent) may open a socket on the server whose own origin is `own`."""
        if self.allow_all:
            return True
        if origin is None:
            return False
        try:
            origin = normalise_origin(origin)
        except ValueError:
            return False
        return origin in self.allowed or is_loopback_origin(origin) or (origin == own and _unrebindable(own))


def _unrebindable(origin: str) -> bool:
    hostname = urlsplit(origin).hostname
    return hostname is not None and cannot_be_rebound(hostname)
