"""Cross-engine calls: a shimmed WebKit page (WebKitGTK or WPE, neither with WebRTC of its
own) calls a native page of another engine (Firefox ESR or Chromium, each with its own
WebRTC and fake devices, no shim), both sending camera and microphone.

Each page opens page_helpers.js's `openPagePeer`; the test carries offer, answer and
candidates between them (page_peer_calls). The native end must read the shim's synthetic
camera (its stamped counters advance) and hear its 440 Hz tone. The shimmed end must see
the native camera move: its pixels change in WebKitGTK; in WPE, whose video pixels no page
can read (test_media_call), its element decodes frames as time runs, kept out of the
document (headless WPE crashes painting a playing video). It must hear the native
microphone: Firefox's steady fake tone, or Chromium's fake beeps (sound above silence).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from rtcshim.serving import ServerThread

from ..browser.firefox import FIREFOX_FAKE_TONE_HZ, firefox, firefox_page  # noqa: F401 (fixtures)
from ..browser.page_helpers import MIN_SOUND_LEVEL, assert_counters_advance, assert_tone
from ..browser.page_peer_calls import PeerPage, remote_audio, remote_tone, remote_video, start_media_call
from .chromium import ChromiumPage
from .engine_page import EnginePage
from .test_media_call import VIDEO_READABLE

SYNTHETIC_TONE_HZ = 440
IS_NATIVE = "() => String(RTCPeerConnection).includes('[native code]') && !window.rtcshim"

# (shimmed engine, native far end); each runs in its shimmed engine's xdist group, whose
# worker has that engine's browser.
PAIRINGS = [
    pytest.param(engine, native, marks=pytest.mark.xdist_group(engine), id=f"{engine}-calls-{native}")
    for engine, native in (("webkitgtk", "firefox"), ("webkitgtk", "chromium"), ("wpe", "chromium"))
]


@pytest.fixture
def chromium_native_page(browser: Browser, server: ServerThread) -> Iterator[ChromiumPage]:
    """Chromium with its own WebRTC (the launch flags give it fake devices) on the shim-free
    /static/native.html, with the page helpers; no uncaught error after the test."""
    context = browser.new_context()
    page = ChromiumPage(context)
    page.load(f"{server.url}/static/native.html")
    yield page
    errors = page.page_errors()
    context.close()
    assert not errors, f"uncaught in the Chromium page: {json.dumps(errors, indent=1)}"


@pytest.fixture
def native_page(native: str, request: pytest.FixtureRequest) -> PeerPage:
    page: PeerPage = request.getfixturevalue("firefox_page" if native == "firefox" else "chromium_native_page")
    assert page.evaluate(IS_NATIVE) is True
    return page


@pytest.mark.parametrize(("engine", "native"), PAIRINGS)
def test_shimmed_page_calls_native_page_with_media_both_ways(
        engine: str, native: str, engine_page: EnginePage, native_page: PeerPage) -> None:
    readable = VIDEO_READABLE[engine]
    engine_page.evaluate("(videosInDocument) => openPagePeer({ videosInDocument })", readable)
    native_page.evaluate("() => openPagePeer()")
    pages = {engine: engine_page, native: native_page}
    try:
        start_media_call(pages, offerer=engine)

        assert_counters_advance(remote_video(native_page, 0, "videoStamps", f"{native}: the shim's camera"))
        assert_tone(remote_tone(native_page, f"{native}: the shim's microphone"), SYNTHETIC_TONE_HZ)

        if readable:
            changes = remote_video(engine_page, 0, "videoChanges", f"{engine}: the {native} camera")
            assert changes["width"] > 0 and changes["height"] > 0 and len(changes["hashes"]) >= 2, changes
        else:
            decoded = remote_video(engine_page, 0, "framesDecoded", f"{engine}: the {native} camera")
            assert decoded["width"] > 0 and decoded["height"] > 0 and decoded["frames"] >= 15, decoded
        if native == "firefox":
            assert_tone(remote_tone(engine_page, f"{engine}: the Firefox microphone"), FIREFOX_FAKE_TONE_HZ)
        else:
            beep = remote_audio(engine_page, f"soundPeak(entry.stream, what, {MIN_SOUND_LEVEL})",
                                f"{engine}: the Chromium microphone")
            assert beep["peak"] > MIN_SOUND_LEVEL, beep
    finally:
        for page in pages.values():
            page.evaluate("() => window.peer && window.peer.close()")
