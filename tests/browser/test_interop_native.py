"""A shimmed page and a native Chromium page call each other through the signaling relay.

The shimmed page has no WebRTC of its own (`shim_context`); the native page loads the
shim with `mode: 'missing'`, which installs nothing in Chromium, so it keeps Chromium's
RTCPeerConnection. Both pages trickle their candidates through `/signal/<room>`, as the
examples do, and open one data channel; messages then cross it both ways.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from .relay_calls import join_call, new_room

IS_NATIVE = "RTCPeerConnection.toString().includes('[native code]')"


def wait_until_ready(page: Page) -> None:
    page.wait_for_function("window.call.ready || window.call.error !== null")
    assert page.evaluate("window.call.error") is None


def exchange_messages(sender: Page, receiver: Page, name: str) -> None:
    """`sender` sends one text and one binary message; `receiver` gets both, in order."""
    sender.evaluate(
        """(name) => {
          window.call.channel.send('hello from ' + name);
          window.call.channel.send(new Uint8Array([0, 1, 2, 254, 255]));
        }""",
        name,
    )
    receiver.wait_for_function("window.call.received.length >= 2 || window.call.error !== null")
    assert receiver.evaluate("window.call.received") == [
        f"hello from {name}",
        "bytes:0,1,2,254,255",
    ]


def call_summary(page: Page) -> dict[str, Any]:
    summary: dict[str, Any] = page.evaluate(
        """() => ({
          iceConnectionState: window.call.pc.iceConnectionState,
          connectionState: window.call.pc.connectionState,
          iceConnectionStates: window.call.iceConnectionStates,
          connectionStates: window.call.connectionStates,
          candidatesSent: window.call.candidatesSent,
          candidatesReceived: window.call.candidatesReceived,
          label: window.call.channel.label,
          channelId: window.call.channel.id,
        })"""
    )
    return summary


def run_call(shim_page: Page, native_page: Page, offerer: str) -> None:
    room = new_room("interop")
    # One data channel ("chat"), no media: `window.call` is `ready` once the channel is open
    # and both connection states were 'connected' (ICE may go on to 'completed').
    join_call(shim_page, room, offerer=offerer == "shim", media=None, channel="chat")
    join_call(native_page, room, offerer=offerer == "native", media=None, channel="chat")
    wait_until_ready(shim_page)
    wait_until_ready(native_page)

    for page in (shim_page, native_page):
        summary = call_summary(page)
        assert summary["iceConnectionState"] in ("connected", "completed"), summary
        assert "connected" in summary["iceConnectionStates"], summary
        assert summary["connectionState"] == "connected", summary
        assert summary["label"] == "chat"
        # Trickle ICE: each side sent candidates through the relay and received the other's.
        assert summary["candidatesSent"] > 0, summary
        assert summary["candidatesReceived"] > 0, summary

    # The channel has one id on both ends, of the offerer's parity: the answerer takes the
    # DTLS client role (even ids), so the offerer's in-band channel is odd (RFC 8832).
    ids = {call_summary(page)["channelId"] for page in (shim_page, native_page)}
    assert len(ids) == 1 and ids.pop() % 2 == 1, ids

    exchange_messages(shim_page, native_page, "shim")
    exchange_messages(native_page, shim_page, "native")

    for page in (shim_page, native_page):
        page.evaluate("() => { window.call.pc.close(); window.call.socket.close(); }")
        assert page.evaluate("window.call.pc.signalingState") == "closed"


def test_pages_use_shim_and_native_peer_connection(shim_page: Page, native_page: Page) -> None:
    assert native_page.evaluate(IS_NATIVE) is True
    assert native_page.evaluate("window.rtcshim.options.mode") == "missing"
    assert shim_page.evaluate(IS_NATIVE) is False
    assert shim_page.evaluate("window.rtcshim.native.RTCPeerConnection === undefined")


@pytest.mark.parametrize("offerer", ["shim", "native"])
def test_data_channel_works_when_either_offers(shim_page: Page, native_page: Page, offerer: str) -> None:
    assert native_page.evaluate(IS_NATIVE) and not shim_page.evaluate(IS_NATIVE)
    run_call(shim_page, native_page, offerer=offerer)
