"""A peer connection's iceConnectionState and connectionState, from its transports' states.

aiortc's own aggregates count every transport it made, including the one a re-offer makes
for a new section before the answer bundles it away: at each such re-offer its
iceConnectionState went connected -> new -> connected and its connectionState dropped to
connecting, where a browser, which puts a new section on the transport its BUNDLE group
already uses, stays connected. So rtcshim applies webrtc-pc's rules itself
(RTCIceConnectionState, RTCPeerConnectionState) to the transports a browser would have:
those of the descriptions, without the ones waiting to be bundled onto a started one
(`bundled_away_mids`). Only onto one of a BUNDLE group both sides agreed on: without one
(the answer bundled nothing, its offerer with bundlePolicy max-compat), a browser gives a
re-offer's new section a transport of its own, and its connectionState goes through
connecting again until that transport connects or the answer bundles it away.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

BUNDLE_GROUP = re.compile(r"^a=group:BUNDLE(.*?)\r?$", re.M)


@dataclass(frozen=True)
class TransportStates:
    """One transport as the page sees it: its first section's mid and both states."""

    mid: str | None
    ice: str  # RTCIceTransportState
    dtls: str  # RTCDtlsTransportState


def ice_connection_state(transports: Iterable[TransportStates]) -> str:
    states = {transport.ice for transport in transports}
    if "failed" in states:
        return "failed"
    if "disconnected" in states:
        return "disconnected"
    if states <= {"new", "closed"}:
        return "new"
    if states & {"new", "checking"}:
        return "checking"
    if states <= {"completed", "closed"}:
        return "completed"
    return "connected"


def connection_state(transports: Iterable[TransportStates]) -> str:
    listed = list(transports)
    ice = {transport.ice for transport in listed}
    dtls = {transport.dtls for transport in listed}
    if "failed" in ice | dtls:
        return "failed"
    if "disconnected" in ice:
        return "disconnected"
    if (ice | dtls) <= {"new", "closed"}:
        return "new"
    if ice & {"new", "checking"} or dtls & {"new", "connecting"}:
        return "connecting"
    return "connected"


def negotiated_bundle_tags(local: str, remote: str) -> set[str | None]:
    """The first mid of each BUNDLE group both current descriptions carry (the answer's
    groups are those of the offer it accepted)."""
    def tags(sdp: str) -> set[str | None]:
        return {group[0] for group in _bundle_groups(sdp)}
    return tags(local) & tags(remote)


def bundled_away_mids(pending_offer: str | None, started: set[str | None]) -> set[str]:
    """The sections whose transport a pending offer bundles onto one that started (given by
    the first mid it carries): in a browser they are on that transport from the offer on,
    while aiortc makes each a transport of its own until the answer."""
    if pending_offer is None:
        return set()
    return {mid for group in _bundle_groups(pending_offer) if group[0] in started for mid in group[1:]}


def _bundle_groups(sdp: str) -> list[list[str]]:
    """Each BUNDLE group's mids, read from its line alone: the states are derived at every
    change of a transport, and a whole description takes long to parse."""
    return [mids for match in BUNDLE_GROUP.finditer(sdp) if (mids := match.group(1).split())]
