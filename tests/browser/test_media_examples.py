"""The media example pages, driven through their own UI in a browser whose only WebRTC is the shim.

The server's synthetic cameras stamp every frame with a counter: a video element that shows
a readable counter which then grows is playing live frames. For the calls, the element is
the page's remote video, given the stream the peer connection received; the server's
registry shows the connections the call ran on and what each one sends.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from rtcshim.dispatchers.media_stream_track import MediaTrackDispatcher
from rtcshim.media.sources import (
    SYNTHETIC_CAMERA_LABEL,
    SYNTHETIC_MICROPHONE_LABEL,
    Device,
    MediaSources,
    synthetic_camera_device,
    synthetic_microphone_device,
)
from rtcshim.serving import ServerThread

from .example_pages import (
    CONNECT_TIMEOUT_MS,
    BridgedTransceiver,
    PageProblems,
    bridged_peer_connections,
    open_example,
)
from .page_helpers import assert_tone
from .relay_calls import new_room

# The picker's server offers a second camera and microphone that differ in what they give.
SMALL_CAMERA_LABEL = "rtcshim small camera"
HIGH_TONE_LABEL = "rtcshim 880 Hz microphone"
HIGH_TONE_HZ = 880.0
SMALL_CAMERA_MODE = {"width": 320, "height": 240, "frameRate": 15.0}
_NUMBER = re.compile(r"^\d+$")

def read_counter(page: Page, selector: str) -> int:
    """The first counter the element shows readably (waits for one)."""
    found = page.wait_for_function(
        "(selector) => { const counter = readCounter(document.querySelector(selector)); return counter !== null && { counter }; }",
        arg=selector, timeout=CONNECT_TIMEOUT_MS,
    )
    counter: int = found.json_value()["counter"]
    return counter


def assert_counter_advances(page: Page, selector: str) -> None:
    """The element shows a stamped frame, then a later one: live video, not a still."""
    first = read_counter(page, selector)
    page.wait_for_function(
        "([selector, first]) => readCounter(document.querySelector(selector)) > first",
        arg=[selector, first], timeout=CONNECT_TIMEOUT_MS,
    )


# --- what the server holds ----------------------------------------------------------


def live_device_tracks(server: ServerThread) -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, device label, settings) of every track capturing from a device and not ended."""

    async def collect() -> list[tuple[str, str, dict[str, Any]]]:
        return [
            (remote_object.kind, remote_object.device.label, dict(remote_object.settings))
            for remote_object in server.registry.objects()
            if isinstance(remote_object, MediaTrackDispatcher)
            and remote_object.device is not None and not remote_object.ended
        ]

    found: list[tuple[str, str, dict[str, Any]]] = server.run(collect())
    return found


# --- the two-tab video call ---------------------------------------------------------


def expect_in_call(page: Page, other: str) -> None:
    """Connected, playing the stream the peer connection received, with live frames in it."""
    expect(page.locator("#status")).to_contain_text(f"Connected: in a call with the {other}.", timeout=CONNECT_TIMEOUT_MS)
    page.wait_for_function(
        """() => pc && pc.getRemoteStreams().length === 1
                 && document.getElementById('remote-video').srcObject === pc.getRemoteStreams()[0]""",
        timeout=CONNECT_TIMEOUT_MS,
    )
    assert page.evaluate("document.getElementById('local-video').srcObject === localStream")
    assert_counter_advances(page, "#remote-video")
    assert_counter_advances(page, "#local-video")
    expect(page.locator("#hang-up")).to_be_enabled()


def assert_two_tab_call(server: ServerThread) -> None:
    """Each tab's own aiortc peer connection, connected, without ICE servers, sending its camera."""
    calls = bridged_peer_connections(server)
    assert len(calls) == 2
    assert len({call.session for call in calls}) == 2
    for call in calls:
        assert call.connection_state == "connected"
        assert call.ice_servers == 0
        assert call.transceivers == (BridgedTransceiver("video", "sendrecv", SYNTHETIC_CAMERA_LABEL),)


def expect_call_ended(page: Page, status: str) -> None:
    expect(page.locator("#status")).to_contain_text(status)
    expect(page.locator("#hang-up")).to_be_disabled()
    assert page.evaluate("pc === null && document.getElementById('remote-video').srcObject === null")


@pytest.mark.parametrize("first", ["caller", "callee"], ids=["caller_first", "callee_first"])
def test_video_call_plays_each_side_and_hangs_up(
    shim_context: BrowserContext, server: ServerThread, first: str
) -> None:
    problems = PageProblems()
    room = new_room("test")
    second = "callee" if first == "caller" else "caller"
    pages: dict[str, Page] = {}
    pages[first] = open_example(shim_context, problems, f"/examples/video-call-{first}.html?room={room}", first)
    # The first tab has its camera and is alone in the room before the second one opens.
    expect(pages[first].locator("#status")).to_contain_text(f'In room "{room}"')
    assert_counter_advances(pages[first], "#local-video")
    pages[second] = open_example(shim_context, problems, f"/examples/video-call-{second}.html?room={room}", second)
    caller, callee = pages["caller"], pages["callee"]

    expect_in_call(caller, "callee")
    expect_in_call(callee, "caller")
    assert_two_tab_call(server)

    # Hang up on the caller's side: both ends close; the caller can call again.
    caller.click("#hang-up")
    expect_call_ended(caller, "You hung up.")
    expect_call_ended(callee, "The caller hung up.")
    caller.click("#call")  # waits for the button to be enabled
    expect_in_call(caller, "callee")
    expect_in_call(callee, "caller")

    # Now the callee hangs up.
    callee.click("#hang-up")
    expect_call_ended(callee, "You hung up.")
    expect_call_ended(caller, "The callee hung up.")
    expect(caller.locator("#call")).to_be_enabled()
    assert problems.reports == []


# --- the loopback call ----------------------------------------------------------------


def test_video_loopback_plays_remote_video_with_live_readout(
    shim_context: BrowserContext, server: ServerThread
) -> None:
    problems = PageProblems()
    page = open_example(shim_context, problems, "/examples/video-loopback.html", "loopback")

    expect(page.locator("#status")).to_contain_text("Connected", timeout=CONNECT_TIMEOUT_MS)
    page.wait_for_function(
        "() => document.getElementById('remote-video').srcObject === bob.getRemoteStreams()[0]",
        timeout=CONNECT_TIMEOUT_MS,
    )
    assert_counter_advances(page, "#remote-video")
    assert_counter_advances(page, "#local-video")

    # The readout follows the remote frames: its counter grows, with a latency for each.
    readout = page.locator("#frame-counter")
    expect(readout).to_have_text(_NUMBER, timeout=CONNECT_TIMEOUT_MS)
    shown = int(readout.inner_text())
    page.wait_for_function(
        "(shown) => Number(document.getElementById('frame-counter').textContent) > shown", arg=shown,
        timeout=CONNECT_TIMEOUT_MS,
    )
    # A frame is on screen after its capture: latency is a count of milliseconds, never negative.
    expect(page.locator("#latency")).to_have_text(_NUMBER)
    expect(page.locator("#latency-median")).to_have_text(_NUMBER)

    calls = bridged_peer_connections(server)
    assert len(calls) == 2
    assert len({call.session for call in calls}) == 1
    assert all(call.connection_state == "connected" and call.ice_servers == 0 for call in calls)
    # Alice sends her camera; Bob, who added nothing, only receives.
    assert {call.transceivers for call in calls} == {
        (BridgedTransceiver("video", "sendonly", SYNTHETIC_CAMERA_LABEL),),
        (BridgedTransceiver("video", "recvonly", None),),
    }

    page.click("#hang-up")
    expect(page.locator("#status")).to_have_text("Hung up.")
    assert page.evaluate("alice.signalingState === 'closed' && bob.signalingState === 'closed'")
    assert page.evaluate("localStream.getTracks().every((track) => track.readyState === 'ended')")
    assert problems.reports == []



# --- the device picker ------------------------------------------------------------------


def small_camera() -> Device:
    """A synthetic camera that cannot do more than 320x240 at 15 fps."""
    camera = synthetic_camera_device(label=SMALL_CAMERA_LABEL, group=SMALL_CAMERA_LABEL)
    width, height, frame_rate = (SMALL_CAMERA_MODE[name] for name in ("width", "height", "frameRate"))
    return dataclasses.replace(camera, capabilities={
        **camera.capabilities,
        "width": {"min": 1, "max": width},
        "height": {"min": 1, "max": height},
        "frameRate": {"min": 1.0, "max": frame_rate},
        "aspectRatio": {"min": 1 / height, "max": float(width)},
    })


PICKER_SOURCES = MediaSources.default() + MediaSources((
    small_camera(), synthetic_microphone_device(HIGH_TONE_HZ, label=HIGH_TONE_LABEL, group=SMALL_CAMERA_LABEL),
))


def device_id(label: str) -> str:
    found: str = next(device.device_id for device in PICKER_SOURCES.devices if device.label == label)
    return found


class TestPickSource:
    @pytest.fixture
    def server(self) -> Iterator[ServerThread]:
        """The picker's own server: two cameras and two microphones to pick from."""
        running = ServerThread(strict=True, media_sources=PICKER_SOURCES).start()
        try:
            yield running
        finally:
            running.stop()

    def shown_settings(self, page: Page, kind: str) -> dict[str, Any]:
        settings: dict[str, Any] = json.loads(page.locator(f"#{kind}-settings").inner_text())
        return settings

    def test_pick_source_lists_devices_and_plays_the_chosen_ones(
        self, shim_context: BrowserContext, server: ServerThread
    ) -> None:
        problems = PageProblems()
        page = open_example(shim_context, problems, "/examples/pick-source.html", "picker")

        # Every device the server offers, by its label, then the choice of none.
        expect(page.locator("#camera option")).to_have_text([SYNTHETIC_CAMERA_LABEL, SMALL_CAMERA_LABEL, "No camera"])
        expect(page.locator("#microphone option")).to_have_text(
            [SYNTHETIC_MICROPHONE_LABEL, HIGH_TONE_LABEL, "No microphone"]
        )
        # At first the first of each plays.
        expect(page.locator("#status")).to_have_text("Playing the devices you picked.", timeout=CONNECT_TIMEOUT_MS)
        expect(page.locator("#video-label")).to_have_text(SYNTHETIC_CAMERA_LABEL)
        expect(page.locator("#audio-label")).to_have_text(SYNTHETIC_MICROPHONE_LABEL)
        assert self.shown_settings(page, "video")["width"] == 640
        assert_counter_advances(page, "#preview")

        # The small camera and the high tone: the preview plays them, at their own settings.
        page.select_option("#camera", label=SMALL_CAMERA_LABEL)
        expect(page.locator("#video-label")).to_have_text(SMALL_CAMERA_LABEL)
        page.select_option("#microphone", label=HIGH_TONE_LABEL)
        expect(page.locator("#audio-label")).to_have_text(HIGH_TONE_LABEL)
        expect(page.locator("#status")).to_have_text("Playing the devices you picked.")

        video_settings = self.shown_settings(page, "video")
        assert video_settings["deviceId"] == device_id(SMALL_CAMERA_LABEL)
        assert {name: video_settings[name] for name in SMALL_CAMERA_MODE} == SMALL_CAMERA_MODE
        assert self.shown_settings(page, "audio")["deviceId"] == device_id(HIGH_TONE_LABEL)
        page.wait_for_function(
            "() => { const video = document.getElementById('preview');"
            " return video.videoWidth === 320 && video.videoHeight === 240; }",
            timeout=CONNECT_TIMEOUT_MS,
        )
        assert_counter_advances(page, "#preview")
        peak = page.evaluate("tonePeak(document.getElementById('preview').srcObject, 'the preview')")
        assert_tone(peak, HIGH_TONE_HZ, bins=2)
        # The 2013 way: the element plays a blob: URL made for the stream.
        assert page.evaluate("document.getElementById('preview').src.startsWith('blob:')")

        # The server captures from the devices picked.
        live = {(kind, label) for kind, label, _ in live_device_tracks(server)}
        assert ("video", SMALL_CAMERA_LABEL) in live
        assert ("audio", HIGH_TONE_LABEL) in live

        # No microphone: video alone.
        page.select_option("#microphone", label="No microphone")
        expect(page.locator("#audio-label")).to_have_text("\N{EN DASH}")  # the page's "none"
        expect(page.locator("#audio-settings")).to_be_empty()
        expect(page.locator("#video-label")).to_have_text(SMALL_CAMERA_LABEL)
        assert page.evaluate("currentStream.getAudioTracks().length") == 0
        assert_counter_advances(page, "#preview")
        assert problems.reports == []
