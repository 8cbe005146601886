"""RTCConfiguration as the page sends it (already normalised by shim.js) -> aiortc's."""

from __future__ import annotations

from typing import Any

from aiortc import RTCConfiguration
from aiortc.rtcconfiguration import RTCBundlePolicy, RTCIceTransportPolicy

from .errors import InvalidModificationError
from .ice_urls import validate_ice_servers


def to_aiortc_configuration(configuration: dict[str, Any]) -> RTCConfiguration:
    validate_ice_servers(configuration["iceServers"])
    return RTCConfiguration(
        # No ICE server for aiortc: rtcshim gathers from the page's itself, after
        # setLocalDescription and through the network policy (ice_gathering.py). An empty
        # list, not None: aiortc's default is a public STUN server.
        iceServers=[],
        iceTransportPolicy=RTCIceTransportPolicy(configuration["iceTransportPolicy"]),
        bundlePolicy=RTCBundlePolicy(configuration["bundlePolicy"]),
    )


def check_update(current: dict[str, Any], requested: dict[str, Any]) -> None:
    """setConfiguration may change ICE servers and policy, not what shaped the transports."""
    for key in ("bundlePolicy", "rtcpMuxPolicy", "certificates"):
        if requested[key] != current[key]:
            raise InvalidModificationError(f"setConfiguration cannot change {key}")
    validate_ice_servers(requested["iceServers"])


def apply_update(target: RTCConfiguration, requested: dict[str, Any]) -> None:
    """Change the configuration aiortc holds; transports made from now on use it (the
    ICE servers stay rtcshim's, read from the page's configuration at each gathering)."""
    target.iceTransportPolicy = RTCIceTransportPolicy(requested["iceTransportPolicy"])
