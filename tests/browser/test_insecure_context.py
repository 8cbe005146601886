"""A page outside a secure context: served over plain HTTP under a name, not from loopback.

Such a page has no AudioWorklet (nor the engine's own getUserMedia), so the shim plays
audio through a ScriptProcessorNode instead. Chromium resolves the name to loopback
(`--host-resolver-rules`), so the page's origin is `http://rtcshim.test:PORT`, which no
browser treats as secure, while every packet stays on loopback.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserType, Page

from rtcshim.serving import ServerThread

from ..conftest import PLAYWRIGHT_CONFIG
from .page_helpers import assert_tone, load_page_helpers

HOST = "rtcshim.test"
RESOLVE_TO_LOOPBACK = f"--host-resolver-rules=MAP {HOST} 127.0.0.1, MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


@pytest.fixture
def insecure_page(browser_type: BrowserType) -> Iterator[Page]:
    launch = PLAYWRIGHT_CONFIG.launch_args()
    args = [arg for arg in launch["args"] if not arg.startswith("--host-resolver-rules")]
    browser = browser_type.launch(**{**launch, "args": [*args, RESOLVE_TO_LOOPBACK]})
    # The page's origin is the name's, which only an explicit allowance lets in.
    with ServerThread(allowed_origins=["*"]) as server:
        context = browser.new_context()
        context.add_init_script(PLAYWRIGHT_CONFIG.REMOVE_NATIVE_WEBRTC)
        page = context.new_page()
        page.goto(f"http://{HOST}:{server.port}/static/blank.html")
        page.wait_for_function("window.rtcshim && window.rtcshim.installed")
        yield load_page_helpers(page)
        context.close()
    browser.close()


def test_remote_audio_and_video_play_without_audio_worklet(insecure_page: Page) -> None:
    assert insecure_page.evaluate("() => [isSecureContext, typeof AudioWorklet]") == [False, "undefined"]
    played = insecure_page.evaluate("""async () => {
      const { b } = await makeMediaCall();
      const tracks = await unmutedRemoteTracks(b);
      const video = await playVideo(new MediaStream(tracks.filter((track) => track.kind === 'video')));
      return {
        counters: await counterAdvances(video, 'the remote video'),
        tone: await tonePeak(new MediaStream(tracks.filter((track) => track.kind === 'audio')), 'the remote audio'),
      };
    }""")
    first, later = played["counters"]
    assert later > first
    assert_tone(played["tone"])
