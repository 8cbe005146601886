"""A shimmed Chromium page and a native Firefox ESR page call each other.

The shimmed page has no WebRTC of its own (`shim_page`); the Firefox page keeps Firefox's
(`firefox_page`, no shim at all). Each opens page_helpers.js's `openPagePeer`, and the
test carries offer, answer and candidates between them as JSON. Media: the shim sends the
server's synthetic camera (frames stamped with a counter) and its 440 Hz microphone;
Firefox sends its fake camera (a picture that keeps changing) and its fake microphone's tone.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import pytest
from playwright.sync_api import Page

from .firefox import FIREFOX_FAKE_TONE_HZ, FirefoxPage
from .page_helpers import assert_counters_advance, assert_tone
from .page_peer_calls import PeerPage, connect, negotiate, remote_tone, remote_video, start_media_call

SYNTHETIC_TONE_HZ = 440
IS_NATIVE = "() => String(RTCPeerConnection).includes('[native code]')"


class CallPages(NamedTuple):
    shim: Page
    firefox: FirefoxPage


@pytest.fixture
def pages(shim_page: Page, firefox_page: FirefoxPage) -> Iterator[CallPages]:
    assert shim_page.evaluate(IS_NATIVE) is False
    call_pages = CallPages(shim_page, firefox_page)
    for page in call_pages:
        page.evaluate("() => openPagePeer()")
    yield call_pages
    for page in call_pages:
        page.evaluate("() => window.peer.close()")


def ends(pages: CallPages, offerer: str) -> tuple[PeerPage, PeerPage]:
    """(offering page, answering page)."""
    return (pages.shim, pages.firefox) if offerer == "shim" else (pages.firefox, pages.shim)


def assert_video_flows(pages: CallPages, when: str) -> None:
    """Firefox reads advancing stamps off the shim's first camera; the shim's copy of
    Firefox's first camera shows changing pictures."""
    assert_counters_advance(remote_video(pages.firefox, 0, "videoStamps", f"Firefox, {when}: the shim's camera"))
    changes = remote_video(pages.shim, 0, "videoChanges", f"shimmed page, {when}: Firefox's camera")
    assert changes["width"] > 0 and changes["height"] > 0, changes


def assert_stable(pages: CallPages) -> None:
    for name, page in pages._asdict().items():
        assert page.evaluate("() => window.peer.pc.signalingState") == "stable", name


def test_pages_use_shim_and_firefox_peer_connection(pages: CallPages) -> None:
    assert "Firefox/" in pages.firefox.evaluate("() => navigator.userAgent")
    assert pages.firefox.evaluate(IS_NATIVE) is True
    assert pages.shim.evaluate("() => window.rtcshim.native.RTCPeerConnection === undefined") is True


@pytest.mark.parametrize("offerer", ["shim", "firefox"], ids=["shim_offers", "firefox_offers"])
def test_data_channel_carries_messages_both_ways_when_either_offers(pages: CallPages, offerer: str) -> None:
    offering, _ = ends(pages, offerer)
    offering.evaluate("() => window.peer.adopt(window.peer.pc.createDataChannel('chat'))")
    connect(pages._asdict(), offerer)

    channels = [
        page.evaluate(
            """() => until(() => window.peer.channel && window.peer.channel.readyState === 'open', 'the chat channel opens')
                 .then(() => [window.peer.channel.label, window.peer.channel.id])"""
        )
        for page in pages
    ]
    # One channel, one id on both ends, of the offerer's parity: the answerer takes the DTLS
    # client role (even ids), so the offerer's channel is odd (RFC 8832).
    assert channels[0] == channels[1] and channels[0][0] == "chat" and channels[0][1] % 2 == 1, channels

    for sender, receiver, name in ((pages.shim, pages.firefox, "shim"), (pages.firefox, pages.shim, "firefox")):
        sender.evaluate(
            """(name) => {
              window.peer.channel.send('hello from ' + name);
              window.peer.channel.send(new Uint8Array([0, 1, 2, 254, 255]));
            }""",
            name,
        )
        received = receiver.evaluate(
            "(name) => until(() => window.peer.received.length >= 2 && window.peer.received, `two messages from ${name}`)",
            name,
        )
        assert received == [f"hello from {name}", "bytes:0,1,2,254,255"]


@pytest.mark.parametrize("offerer", ["shim", "firefox"], ids=["shim_offers", "firefox_offers"])
def test_video_and_audio_flow_both_ways_when_either_offers(pages: CallPages, offerer: str) -> None:
    start_media_call(pages._asdict(), offerer)
    assert_video_flows(pages, "once connected")
    assert_tone(remote_tone(pages.firefox, "Firefox: the shim's microphone"), SYNTHETIC_TONE_HZ)
    assert_tone(remote_tone(pages.shim, "shimmed page: Firefox's microphone"), FIREFOX_FAKE_TONE_HZ)


@pytest.mark.parametrize(
    ("offerer", "renegotiator"),
    [("firefox", "shim"), ("shim", "firefox")],
    ids=["shim_reoffers_after_firefox_offered", "firefox_reoffers_after_shim_offered"],
)
def test_renegotiation_adding_a_camera(pages: CallPages, offerer: str, renegotiator: str) -> None:
    """The side that answered first adds a second camera and offers: the other accepts it."""
    start_media_call(pages._asdict(), offerer)
    assert_video_flows(pages, "before renegotiation")
    reoffering, reanswering = ends(pages, renegotiator)

    settings = reoffering.evaluate("() => window.peer.addMedia({ video: { width: 320, height: 240 } })")
    assert [track["kind"] for track in settings] == ["video"]
    negotiate(reoffering, reanswering)
    assert_stable(pages)

    what = f"{'Firefox' if renegotiator == 'shim' else 'shimmed page'}: the second camera"
    if renegotiator == "shim":
        second = remote_video(pages.firefox, 1, "videoStamps", what)
        assert (second["width"], second["height"]) == (320, 240), second
        assert_counters_advance(second)
    else:
        second = remote_video(pages.shim, 1, "videoChanges", what)
        assert second["width"] > 0, second
    assert_video_flows(pages, "after renegotiation")
    assert_tone(remote_tone(pages.firefox, "Firefox: the shim's microphone after renegotiation"), SYNTHETIC_TONE_HZ)


def test_stats_show_rtp_counters_growing_on_both_sides(pages: CallPages) -> None:
    start_media_call(pages._asdict(), "shim")
    for name, page in pages._asdict().items():
        counters = page.evaluate(
            """async (name) => {
              // Packets per "<type> <kind>", summed over the report's RTP streams.
              const packets = (stats) => {
                const sums = {};
                for (const [type, field] of [['inbound-rtp', 'packetsReceived'], ['outbound-rtp', 'packetsSent']]) {
                  for (const entry of ofType(stats, type)) {
                    sums[`${type} ${entry.kind}`] = (sums[`${type} ${entry.kind}`] || 0) + entry[field];
                  }
                }
                return sums;
              };
              // The first snapshot once every stream has sent or received a packet: a
              // stream's entry appears only with its first packet.
              const streams = ['inbound-rtp audio', 'inbound-rtp video', 'outbound-rtp audio', 'outbound-rtp video'];
              const first = packets(await whenStats(window.peer.pc,
                (stats) => streams.every((key) => packets(stats)[key] > 0), `${name}: every RTP stream has packets`));
              const grown = (stats) => Object.keys(first).every((key) => packets(stats)[key] > first[key]);
              const later = packets(await whenStats(window.peer.pc, grown, `${name}: every RTP counter grows`));
              return { first, later };
            }""",
            name,
        )
        first, later = counters["first"], counters["later"]
        assert sorted(first) == ["inbound-rtp audio", "inbound-rtp video", "outbound-rtp audio", "outbound-rtp video"], (
            name, counters)
        assert all(later[key] > first[key] > 0 for key in first), (name, counters)
