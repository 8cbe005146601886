"""Video and audio between a shimmed page and a native Chromium page, through the relay.

The shimmed page sends the server's synthetic camera (frames stamped with a counter) and
its 440 Hz microphone; the native page sends Chromium's fake camera and microphone. Both
trickle candidates through `/signal/<room>`. After the call is up, one side adds a second
camera and re-offers: the other must accept it (aiortc issue 686: aiortc renumbers RTP
header extensions in a re-offer, which Chromium refuses) and media must keep flowing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from .page_helpers import MIN_SOUND_LEVEL, assert_counters_advance, assert_tone
from .relay_calls import (
    CallPages,
    join_call,
    new_room,
    remote_sound_peak,
    remote_tone_peak,
    remote_video_changes,
    remote_video_stamps,
    renegotiate,
    shim_and_native,
    wait_call_up,
)

SYNTHETIC_TONE_HZ = 440


@pytest.fixture
def pages(shim_page: Page, native_page: Page) -> Iterator[CallPages]:
    yield from shim_and_native(shim_page, native_page)


def start_call(pages: CallPages, offerer: str) -> None:
    """Both pages join one room with camera and microphone; waits until each has the other's two tracks."""
    room = new_room("media-native")
    join_call(pages.shim, room, offerer=offerer == "shim")
    join_call(pages.native, room, offerer=offerer == "native")
    for name, page in pages._asdict().items():
        state = wait_call_up(page, remote_tracks=2, name=name)
        assert sorted(state["remoteKinds"]) == ["audio", "video"], state
        # Trickle ICE: candidates went through the relay both ways.
        assert state["candidatesSent"] > 0 and state["candidatesReceived"] > 0, state


def assert_video_flows(pages: CallPages, when: str) -> None:
    """The native page reads advancing stamps off the shim's first camera; the shim's copy
    of Chromium's first fake camera shows changing pictures."""
    stamps = remote_video_stamps(pages.native, 0, f"native page, {when}: the shim's first camera")
    assert_counters_advance(stamps)
    changes = remote_video_changes(pages.shim, 0, f"shimmed page, {when}: the native page's first camera")
    assert changes["width"] > 0 and changes["height"] > 0, changes
    assert len(set(changes["hashes"])) >= 2, changes


def assert_no_call_error(pages: CallPages) -> None:
    for name, page in pages._asdict().items():
        error = page.evaluate("window.call.error")
        assert error is None, f"{name} page: {error}"


@pytest.mark.parametrize("offerer", ["shim", "native"], ids=["shim_offers", "native_offers"])
def test_video_and_audio_flow_both_ways_when_either_offers(pages: CallPages, offerer: str) -> None:
    start_call(pages, offerer)
    assert_video_flows(pages, "once connected")

    # The shim's synthetic microphone plays a 440 Hz tone in the native page.
    assert_tone(remote_tone_peak(pages.native, "native page: shim microphone"), SYNTHETIC_TONE_HZ)
    # Chromium's fake microphone beeps; the shimmed page hears something above silence.
    beep = remote_sound_peak(pages.shim, "shimmed page: native microphone")
    assert beep["peak"] > MIN_SOUND_LEVEL, beep
    assert_no_call_error(pages)


@pytest.mark.parametrize("offerer", ["shim", "native"], ids=["after_shim_offered", "after_native_offered"])
def test_shim_renegotiation_adding_camera_is_accepted_by_native(pages: CallPages, offerer: str) -> None:
    start_call(pages, offerer)
    assert_video_flows(pages, "before renegotiation")

    settings = pages.shim.evaluate("window.call.addCamera({ width: 320, height: 240 })")
    assert (settings["width"], settings["height"]) == (320, 240)
    renegotiate(pages.shim, pages.native)
    assert_no_call_error(pages)
    assert pages.native.evaluate("window.call.descriptionsApplied").count("offer") == (
        2 if offerer == "shim" else 1
    )
    for page in pages:
        assert page.evaluate("window.call.pc.signalingState") == "stable"

    # The second camera reaches the native page at its own size, and both cameras play.
    second = remote_video_stamps(pages.native, 1, "native page: the shim's second camera")
    assert (second["width"], second["height"]) == (320, 240), second
    assert_counters_advance(second)
    assert_video_flows(pages, "after renegotiation")
    assert_tone(remote_tone_peak(pages.native, "native page: shim microphone after renegotiation"), SYNTHETIC_TONE_HZ)
    assert_no_call_error(pages)


@pytest.mark.parametrize("offerer", ["shim", "native"], ids=["after_shim_offered", "after_native_offered"])
def test_native_renegotiation_adding_camera_is_accepted_by_shim(pages: CallPages, offerer: str) -> None:
    start_call(pages, offerer)
    assert_video_flows(pages, "before renegotiation")

    pages.native.evaluate("window.call.addCamera()")
    renegotiate(pages.native, pages.shim)
    assert_no_call_error(pages)
    for page in pages:
        assert page.evaluate("window.call.pc.signalingState") == "stable"

    second = remote_video_changes(pages.shim, 1, "shimmed page: the native page's second camera")
    assert second["width"] > 0, second
    assert_video_flows(pages, "after renegotiation")
    assert_tone(remote_tone_peak(pages.native, "native page: shim microphone after renegotiation"), SYNTHETIC_TONE_HZ)
    assert_no_call_error(pages)
