"""A call between two pages through the signaling relay: page_helpers.js's `joinCall`, from Python.

`join_call(page, room, ...)` joins `/signal/<room>` with the page's getUserMedia tracks
(or none) and, for the offerer, a data channel if asked; the other helpers wait for the
call to come up and read what the remote tracks carry, from `window.call`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any, NamedTuple

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from .page_helpers import MIN_SOUND_LEVEL

CAMERA_AND_MICROPHONE = {"video": True, "audio": True}
IS_NATIVE = "RTCPeerConnection.toString().includes('[native code]')"


class CallPages(NamedTuple):
    """A shimmed page and a native Chromium page, calling each other."""

    shim: Page
    native: Page


def shim_and_native(shim_page: Page, native_page: Page) -> Iterator[CallPages]:
    """For a fixture: the two pages, checked to be what they say; their calls end after."""
    call_pages = CallPages(shim_page, native_page)
    assert call_pages.native.evaluate(IS_NATIVE) is True
    assert call_pages.shim.evaluate(IS_NATIVE) is False
    yield call_pages
    for page in call_pages:
        if page.evaluate("Boolean(window.call)"):
            close_call(page)


def new_room(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


def join_call(
    page: Page, room: str, *, offerer: bool, media: dict[str, Any] | None = CAMERA_AND_MICROPHONE,
    channel: str | None = None, configuration: dict[str, Any] | None = None,
) -> None:
    """Joins `room`: with `media`, the page's getUserMedia tracks; with `channel`, the
    offerer opens a data channel of that label; `configuration`: the RTCPeerConnection's
    (default: no ICE server)."""
    page.evaluate("(params) => window.joinCall(params)", {
        "room": room, "offerer": offerer, "media": media, "channel": channel, "configuration": configuration})


def wait_call_up(page: Page, remote_tracks: int, name: str) -> dict[str, Any]:
    """Waits until the call is connected and `remote_tracks` remote tracks arrived."""
    state: dict[str, Any] = page.evaluate(
        """async ([count, name]) => {
          await window.call.until((call) => call.pc.connectionState === 'connected' && call.remote.length >= count,
            () => `${name}: connected with ${count} remote tracks; connectionStates `
              + `${JSON.stringify(window.call.connectionStates)}, ${window.call.remote.length} remote tracks`);
          const call = window.call;
          return {
            connectionState: call.pc.connectionState, signalingState: call.pc.signalingState,
            candidatesSent: call.candidatesSent, candidatesReceived: call.candidatesReceived,
            remoteKinds: call.remote.map((entry) => entry.kind),
          };
        }""",
        [remote_tracks, name],
    )
    return state


def remote_video_stamps(page: Page, index: int, what: str, count: int = 3) -> dict[str, Any]:
    """Stamps read from the `index`-th remote video track of `window.call`."""
    result: dict[str, Any] = page.evaluate(
        """async ([index, what, count]) => {
          const video = await window.call.until((call) => call.remote.filter((entry) => entry.kind === 'video')[index],
            `${what}: remote video track ${index}`);
          return videoStamps(video.element, what, count);
        }""",
        [index, what, count],
    )
    return result


def remote_video_changes(page: Page, index: int, what: str) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(
        """async ([index, what]) => {
          const video = await window.call.until((call) => call.remote.filter((entry) => entry.kind === 'video')[index],
            `${what}: remote video track ${index}`);
          return videoChanges(video.element, what);
        }""",
        [index, what],
    )
    return result


def remote_tone_peak(page: Page, what: str) -> dict[str, Any]:
    """The steady peak frequency of the first remote audio track of `window.call`."""
    return _listen_remote_audio(page, "tonePeak(audio.stream, what)", what)


def remote_sound_peak(page: Page, what: str) -> dict[str, Any]:
    """The loudest sample of the first remote audio track, once it carries any sound."""
    return _listen_remote_audio(page, f"soundPeak(audio.stream, what, {MIN_SOUND_LEVEL})", what)


def _listen_remote_audio(page: Page, listen: str, what: str) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(
        f"""async (what) => {{
          const audio = await window.call.until((call) => call.remote.find((entry) => entry.kind === 'audio'),
            `${{what}}: a remote audio track`);
          return {listen};
        }}""",
        what,
    )
    return result


def renegotiate(offerer: Page, answerer: Page) -> None:
    """`offerer` re-offers; fails with the answering page's error if it refused the offer."""
    try:
        offerer.evaluate("window.call.renegotiate()")
    except PlaywrightError as error:
        refusal = answerer.evaluate("window.call.error")
        raise AssertionError(f"the re-offer was not answered: {error.message}; the answering page: {refusal}") from error


def close_call(page: Page) -> None:
    page.evaluate("leaveCall()")
