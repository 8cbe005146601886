"""A shimmed page calls a plain aiortc RTCPeerConnection living in the test process.

The aiortc peer runs on the test server's event loop (`server.run`); SDP and candidates
cross between the page and it as strings, through `page.evaluate` and `server.run`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiortc import (
    RTCConfiguration,
    RTCDataChannel,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.sdp import candidate_from_sdp
from playwright.sync_api import Page

from rtcshim.serving import ServerThread

# Bounds how long the test process waits for the aiortc side; a failure, not a measure.
WAIT_SECONDS = 15

# `window.peer` in the page: one shimmed peer connection whose remote end is aiortc.
PAGE_PEER = """() => {
  const peer = window.peer = {
    received: [], candidates: [], iceConnectionStates: [], connectionStates: [], channel: null,
  };
  const pc = peer.pc = new RTCPeerConnection({ iceServers: [] });
  pc.oniceconnectionstatechange = () => peer.iceConnectionStates.push(pc.iceConnectionState);
  pc.onconnectionstatechange = () => peer.connectionStates.push(pc.connectionState);
  // Set when the null candidate (end of candidates) arrives.
  peer.candidatesEnded = false;
  pc.onicecandidate = (event) => {
    if (event.candidate) peer.candidates.push(event.candidate.toJSON());
    else peer.candidatesEnded = true;
  };
  const adopt = (channel) => {
    peer.channel = channel;
    channel.binaryType = 'arraybuffer';
    channel.onmessage = (event) => peer.received.push(typeof event.data === 'string'
      ? event.data : 'bytes:' + Array.from(new Uint8Array(event.data)).join(','));
  };
  peer.adopt = adopt;
  pc.ondatachannel = (event) => adopt(event.channel);
}"""


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
    # Never the default public STUN server: no ICE servers at all.
    peer = AiortcPeer(RTCPeerConnection(RTCConfiguration(iceServers=[])))
    peer.pc.on("datachannel", peer.adopt)
    return peer


async def answer(peer: AiortcPeer, offer_sdp: str, candidates: list[dict[str, Any]]) -> str:
    """Answer the page's offer, then add its trickled candidates and end-of-candidates."""
    await peer.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
    await peer.pc.setLocalDescription(await peer.pc.createAnswer())
    for init in candidates:
        candidate = candidate_from_sdp(init["candidate"].removeprefix("candidate:"))
        candidate.sdpMid = init["sdpMid"]
        candidate.sdpMLineIndex = init["sdpMLineIndex"]
        await peer.pc.addIceCandidate(candidate)
    await peer.pc.addIceCandidate(None)
    return str(peer.pc.localDescription.sdp)


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


async def accept_answer(peer: AiortcPeer, answer_sdp: str) -> None:
    await peer.pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))


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


@pytest.fixture
def aiortc_peer(server: ServerThread) -> Iterator[AiortcPeer]:
    peer = server.run(create_aiortc_peer())
    yield peer
    server.run(close_aiortc(peer))


@pytest.fixture
def page_peer(shim_page: Page) -> Page:
    assert not shim_page.evaluate("RTCPeerConnection.toString().includes('[native code]')")
    shim_page.evaluate(PAGE_PEER)
    return shim_page


def wait_page_channel_open(page: Page, label: str) -> None:
    page.wait_for_function("window.peer.channel && ['open', 'closed'].includes(window.peer.channel.readyState)")
    assert page.evaluate("[window.peer.channel.label, window.peer.channel.readyState]") == [
        label,
        "open",
    ]


def wait_page_connected(page: Page) -> dict[str, Any]:
    page.wait_for_function(
        "window.peer.pc.connectionState === 'connected'"
        " || ['failed', 'closed'].includes(window.peer.pc.connectionState)"
    )
    states: dict[str, Any] = page.evaluate(
        """() => ({
          connectionState: window.peer.pc.connectionState,
          iceConnectionStates: window.peer.iceConnectionStates,
        })"""
    )
    assert states["connectionState"] == "connected", states
    assert "connected" in states["iceConnectionStates"], states
    return states


def exchange_messages(page: Page, server: ServerThread, peer: AiortcPeer) -> None:
    page.evaluate(
        """() => {
          window.peer.channel.send('hello from the page');
          window.peer.channel.send(new Uint8Array([0, 1, 2, 254, 255]));
        }"""
    )
    assert server.run(receive_in_aiortc(peer, 2)) == [
        "hello from the page",
        b"\x00\x01\x02\xfe\xff",
    ]

    server.run(send_from_aiortc(peer, ["hello from aiortc", b"\xff\x00\x7f"]))
    page.wait_for_function("window.peer.received.length >= 2")
    assert page.evaluate("window.peer.received") == ["hello from aiortc", "bytes:255,0,127"]


def test_data_channel_works_when_page_offers(page_peer: Page, server: ServerThread, aiortc_peer: AiortcPeer) -> None:
    offer = page_peer.evaluate(
        """async () => {
          window.peer.adopt(window.peer.pc.createDataChannel('from-page'));
          const offer = await window.peer.pc.createOffer();
          await window.peer.pc.setLocalDescription(offer);
          return { sdp: offer.sdp };
        }"""
    )
    page_peer.wait_for_function("window.peer.candidatesEnded")
    offer["candidates"] = page_peer.evaluate("window.peer.candidates")
    # The offer is the one createOffer returned, without candidates: aiortc learns them
    # only from the page's icecandidate events.
    assert "a=candidate:" not in offer["sdp"]
    assert offer["candidates"], "the shimmed page emitted no icecandidate events"

    answer_sdp = server.run(answer(aiortc_peer, offer["sdp"], offer["candidates"]))
    page_peer.evaluate("(sdp) => window.peer.pc.setRemoteDescription({ type: 'answer', sdp })", answer_sdp)
    wait_page_channel_open(page_peer, "from-page")
    wait_page_connected(page_peer)
    aiortc_state = server.run(wait_channel_open(aiortc_peer))
    assert aiortc_state == {
        "label": "from-page",
        "readyState": "open",
        "connectionState": "connected",
        "iceConnectionState": "completed",
    }
    exchange_messages(page_peer, server, aiortc_peer)

    page_peer.evaluate("() => window.peer.pc.close()")
    assert server.run(close_aiortc(aiortc_peer)) == "closed"


def test_data_channel_works_when_aiortc_offers(page_peer: Page, server: ServerThread, aiortc_peer: AiortcPeer) -> None:
    offer_sdp = server.run(offer_with_channel(aiortc_peer, "from-aiortc"))
    page_peer.evaluate(
        """async (sdp) => {
          const pc = window.peer.pc;
          await pc.setRemoteDescription({ type: 'offer', sdp });
          await pc.setLocalDescription(await pc.createAnswer());
        }""",
        offer_sdp,
    )
    page_peer.wait_for_function("window.peer.pc.iceGatheringState === 'complete'")
    answer_sdp = page_peer.evaluate("window.peer.pc.localDescription.sdp")
    assert "a=candidate:" in answer_sdp
    server.run(accept_answer(aiortc_peer, answer_sdp))

    wait_page_channel_open(page_peer, "from-aiortc")
    wait_page_connected(page_peer)
    aiortc_state = server.run(wait_channel_open(aiortc_peer))
    assert aiortc_state["readyState"] == "open"
    assert aiortc_state["connectionState"] == "connected"
    exchange_messages(page_peer, server, aiortc_peer)

    page_peer.evaluate("() => window.peer.pc.close()")
    assert server.run(close_aiortc(aiortc_peer)) == "closed"
