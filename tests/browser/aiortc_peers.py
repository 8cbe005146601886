"""A plain aiortc RTCPeerConnection in the test process, as the other end of a shimmed page's call.

It lives on the test server's event loop (`server.run`); SDP and candidates cross between
it and the page (page_helpers.js's `openPagePeer`) as strings, through `page.evaluate`
and `server.run`. `AiortcPeer` is one with a data channel; the media tests add tracks to
a connection of their own from `new_connection`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCConfiguration, RTCDataChannel, RTCPeerConnection, RTCSessionDescription
from aiortc.sdp import candidate_from_sdp

# Bounds how long the test process waits for the aiortc side; a failure, not a measure.
WAIT_SECONDS = 20


def new_connection() -> RTCPeerConnection:
    """Never the default public STUN server: no ICE servers at all."""
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


async def answer(pc: RTCPeerConnection, offer_sdp: str, candidates: list[dict[str, Any]]) -> str:
    """Answer the page's offer, then add its trickled candidates and end-of-candidates."""
    await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    for init in candidates:
        candidate = candidate_from_sdp(init["candidate"].removeprefix("candidate:"))
        candidate.sdpMid = init["sdpMid"]
        candidate.sdpMLineIndex = init["sdpMLineIndex"]
        await pc.addIceCandidate(candidate)
    await pc.addIceCandidate(None)
    return str(pc.localDescription.sdp)


async def accept_answer(pc: RTCPeerConnection, answer_sdp: str) -> None:
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))


@dataclass
class AiortcPeer:
    """A plain aiortc peer connection and what it received; used only on the server loop."""

    pc: RTCPeerConnection
    messages: asyncio.Queue[str | bytes] = field(default_factory=asyncio.Queue)
    channel: asyncio.Future[RTCDataChannel] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    # Set for a channel aiortc created: resolved by its "open" event.
    opened: asyncio.Future[None] | None = None

    def adopt(self, channel: RTCDataChannel) -> None:
        channel.on("message", self.messages.put_nowait)
        if not self.channel.done():
            self.channel.set_result(channel)


async def create_aiortc_peer() -> AiortcPeer:
    peer = AiortcPeer(new_connection())
    peer.pc.on("datachannel", peer.adopt)
    return peer


async def offer_with_channel(peer: AiortcPeer, label: str) -> str:
    channel = peer.pc.createDataChannel(label)
    opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @channel.on("open")
    def report_open() -> None:
        if not opened.done():
            opened.set_result(None)

    peer.adopt(channel)
    peer.opened = opened
    await peer.pc.setLocalDescription(await peer.pc.createOffer())
    return str(peer.pc.localDescription.sdp)


async def wait_channel_open(peer: AiortcPeer) -> dict[str, str]:
    channel = await asyncio.wait_for(peer.channel, WAIT_SECONDS)
    if peer.opened is not None:
        await asyncio.wait_for(peer.opened, WAIT_SECONDS)
    return {
        "label": channel.label,
        "readyState": channel.readyState,
        "connectionState": peer.pc.connectionState,
        "iceConnectionState": peer.pc.iceConnectionState,
    }


async def send_from_aiortc(peer: AiortcPeer, messages: list[str | bytes]) -> None:
    channel = await peer.channel
    for message in messages:
        channel.send(message)


async def receive_in_aiortc(peer: AiortcPeer, count: int) -> list[str | bytes]:
    return [await asyncio.wait_for(peer.messages.get(), WAIT_SECONDS) for _ in range(count)]


async def close_aiortc(peer: AiortcPeer) -> str:
    await peer.pc.close()
    return str(peer.pc.connectionState)
