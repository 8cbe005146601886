"""ICE server URLs (RFC 7064 stun:/stuns:, RFC 7065 turn:/turns:) parsed and validated as
webrtc-pc's "validate an ICE server" does, with the error names native Chromium gives.

shim.js runs the same checks synchronously in the RTCPeerConnection constructor and in
setConfiguration; the server runs them again, since any page may send any configuration.
Chromium throws SyntaxError for every malformed URL (also a bad port or transport), and
InvalidAccessError for a TURN URL without a username and a credential, checked after the
URL's scheme and query but before its host, port and transport value (Chromium 156,
tests/test_ice_urls.py keeps the table).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any, Literal

from .errors import BridgeError, InvalidAccessError

Transport = Literal["udp", "tcp"]

SCHEMES = ("stun", "stuns", "turn", "turns")
DEFAULT_PORTS = {"stun": 3478, "turn": 3478, "stuns": 5349, "turns": 5349}

# scheme ":" host-and-port [ "?" query ]: what Chromium tells apart before the credentials.
_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):(?P<hostport>[^?]*)(?:\?(?P<query>.*))?", re.DOTALL)
# Characters no host may hold (a reg-name is otherwise taken as the resolver takes it).
_NOT_IN_HOST = re.compile(r"[\s/#@\[\]:?\\]")


class IceServerSyntaxError(BridgeError):
    name = "SyntaxError"


@dataclass(frozen=True)
class IceServerUrl:
    """One parsed URL: what the server contacts, and how."""

    url: str  # as the page wrote it (the icecandidateerror event's url)
    scheme: str  # lowercase
    host: str  # an IP literal (IPv6 without brackets) or a name, as written
    port: int
    transport: Transport

    @property
    def is_turn(self) -> bool:
        return self.scheme.startswith("turn")

    @property
    def is_secure(self) -> bool:
        return self.scheme.endswith("s")


def validate_ice_servers(ice_servers: list[dict[str, Any]]) -> list[tuple[IceServerUrl, dict[str, Any]]]:
    """Every URL of every server, parsed, with its server; raises the page's error for the first bad one."""
    parsed = []
    for server in ice_servers:
        if not server["urls"]:
            raise IceServerSyntaxError("an ICE server needs at least one URL")
        for url in server["urls"]:
            parsed.append((parse_ice_url(url, has_credentials=(
                server.get("username") is not None and server.get("credential") is not None)), server))
    return parsed


def parse_ice_url(url: str, *, has_credentials: bool = True) -> IceServerUrl:
    """`url` parsed, or the page's SyntaxError / InvalidAccessError (see the module doc)."""
    match = _URL.fullmatch(url.strip(" \t\n\r\f"))  # the URL parser trims these
    if match is None:
        raise IceServerSyntaxError(f"{url!r} is not a valid URL")
    scheme = match["scheme"].lower()
    if scheme not in SCHEMES:
        raise IceServerSyntaxError(f"{url!r} is not a valid stun or turn URL")
    query = match["query"]
    if query is not None and (scheme.startswith("stun") or not re.fullmatch(r"transport=[^?&]+.*", query)):
        raise IceServerSyntaxError(f"{url!r} is not a valid stun or turn URL")
    if scheme.startswith("turn") and not has_credentials:
        raise InvalidAccessError(f"the TURN server {url!r} needs a username and a credential")
    host, port = _host_and_port(url, match["hostport"], DEFAULT_PORTS[scheme])
    transport: str = "tcp" if scheme == "turns" else "udp"
    if query is not None:
        transport = query.removeprefix("transport=").lower()
        if transport not in ("udp", "tcp"):
            raise IceServerSyntaxError(f"{url!r}: the transport must be udp or tcp")
    return IceServerUrl(url, scheme, host, port, "tcp" if transport == "tcp" else "udp")


def _host_and_port(url: str, hostport: str, default_port: int) -> tuple[str, int]:
    if hostport.startswith("["):
        literal, bracket, rest = hostport[1:].partition("]")
        try:
            host = str(ipaddress.IPv6Address(literal.split("%25")[0])) if bracket else ""
        except ValueError:
            host = ""
    else:
        host, colon, port_text = hostport.partition(":")
        rest = colon + port_text
        if _NOT_IN_HOST.search(host):
            if "@" in host:
                raise IceServerSyntaxError(f"{url!r}: user@host is not allowed")
            host = ""
    if not host:
        raise IceServerSyntaxError(f"{url!r}: invalid host")
    if not rest:
        return host, default_port
    digits = rest.removeprefix(":")
    if not rest.startswith(":") or not digits.isascii() or not digits.isdigit() or not 1 <= int(digits) <= 65535:
        raise IceServerSyntaxError(f"{url!r}: invalid port")
    return host, int(digits)
