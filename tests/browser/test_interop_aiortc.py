"""A shimmed page calls a plain aiortc RTCPeerConnection living in the test process.

The aiortc peer runs on the test server's event loop (`server.run`); SDP and candidates
cross between the page and it as strings, through `page.evaluate` and `server.run`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page

from rtcshim.serving import ServerThread

from .aiortc_peers import (
    AiortcPeer,
    accept_answer,
    answer,
    close_aiortc,
    create_aiortc_peer,
    offer_with_channel,
    receive_in_aiortc,
    send_from_aiortc,
    wait_channel_open,
)


@pytest.fixture
def aiortc_peer(server: ServerThread) -> Iterator[AiortcPeer]:
    peer = server.run(create_aiortc_peer())
    yield peer
    server.run(close_aiortc(peer))


@pytest.fixture
def page_peer(shim_page: Page) -> Page:
    assert not shim_page.evaluate("RTCPeerConnection.toString().includes('[native code]')")
    shim_page.evaluate("openPagePeer()")
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

    answer_sdp = server.run(answer(aiortc_peer.pc, offer["sdp"], offer["candidates"]))
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
    server.run(accept_answer(aiortc_peer.pc, answer_sdp))

    wait_page_channel_open(page_peer, "from-aiortc")
    wait_page_connected(page_peer)
    aiortc_state = server.run(wait_channel_open(aiortc_peer))
    assert aiortc_state["readyState"] == "open"
    assert aiortc_state["connectionState"] == "connected"
    exchange_messages(page_peer, server, aiortc_peer)

    page_peer.evaluate("() => window.peer.pc.close()")
    assert server.run(close_aiortc(aiortc_peer)) == "closed"
