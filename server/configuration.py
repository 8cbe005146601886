"""RTCConfiguration as the page sends it (already normalised by shim.js) -> aiortc's."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from aiortc import RTCConfiguration, RTCIceServer
from aiortc.rtcconfiguration import RTCBundlePolicy, RTCIceTransportPolicy

from .errors import BridgeError, InvalidAccessError, InvalidModificationError

ICE_URL_SCHEMES = ("stun", "stuns", "turn", "turns")


class IceServerSyntaxError(BridgeError):
    name = "SyntaxError"


def validate_ice_servers(ice_servers: list[dict[str, Any]]) -> None:
    """The checks of webrtc-pc "validate an ICE server", which also guard the server."""
    for server in ice_servers:
        if not server["urls"]:
            raise IceServerSyntaxError("an ICE server needs at least one URL")
        for url in server["urls"]:
            scheme = urlsplit(url).scheme if ":" in url else ""
            if scheme not in ICE_URL_SCHEMES:
                raise IceServerSyntaxError(f"{url!r} is not a stun:, stuns:, turn: or turns: URL")
            if scheme.startswith("turn") and (
                server.get("username") is None or server.get("credential") is None
            ):
                raise InvalidAccessError(f"{url!r} needs a username and a credential")


def to_aiortc_configuration(configuration: dict[str, Any]) -> RTCConfiguration:
    validate_ice_servers(configuration["iceServers"])
    return RTCConfiguration(
        # An empty list, not None: aiortc's default is a public STUN server.
        iceServers=[_ice_server(server) for server in configuration["iceServers"]],
        iceTransportPolicy=RTCIceTransportPolicy(configuration["iceTransportPolicy"]),
        bundlePolicy=RTCBundlePolicy(configuration["bundlePolicy"]),
    )


def _ice_server(server: dict[str, Any]) -> RTCIceServer:
    return RTCIceServer(
        urls=list(server["urls"]), username=server.get("username"),
        credential=server.get("credential"),
    )


def check_update(current: dict[str, Any], requested: dict[str, Any]) -> None:
    """setConfiguration may change ICE servers and policy, not what shaped the transports."""
    for key in ("bundlePolicy", "rtcpMuxPolicy", "certificates"):
        if requested[key] != current[key]:
            raise InvalidModificationError(f"setConfiguration cannot change {key}")
    validate_ice_servers(requested["iceServers"])


def apply_update(target: RTCConfiguration, requested: dict[str, Any]) -> None:
    """Change the configuration aiortc holds; transports made from now on use it."""
    target.iceServers = [_ice_server(server) for server in requested["iceServers"]]
    target.iceTransportPolicy = RTCIceTransportPolicy(requested["iceTransportPolicy"])
