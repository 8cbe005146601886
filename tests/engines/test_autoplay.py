"""Autoplay rules: remote audio a page attached before any user gesture plays after one.

WebKitGTK's MiniBrowser on its default policy (the other engine tests run it with
`--autoplay-policy=allow`) keeps an AudioContext made before a gesture suspended, as a
desktop browser does. The shim's playback context is made when the page first plays one of
our streams: a page that attaches its remote audio before the user clicks stays silent
unless the shim resumes that context on the gesture, as the engine would start a native
element's audio. The click is WebDriver's, a real gesture to the engine (a script is not).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from rtcshim.serving import ServerThread

from ..browser.page_helpers import assert_tone
from ..browser.selenium_page import SeleniumPage
from .conftest import load_shim_page
from .webkit import WEBKITGTK_ARGS, start_webkitgtk

# WebKitGTK with the engine's own autoplay policy.
DEFAULT_AUTOPLAY_ARGS = [argument for argument in WEBKITGTK_ARGS if not argument.startswith("--autoplay-policy")]

ATTACH_BEFORE_A_GESTURE = """async () => {
  const { b } = await makeMediaCall();
  const audio = (await unmutedRemoteTracks(b)).find((track) => track.kind === 'audio');
  window.remoteAudio = new MediaStream([audio]);
  const element = new Audio();
  element.srcObject = remoteAudio;
  element.play().catch(() => {});  // refused without a gesture, as for any element
  const button = Object.assign(document.createElement('button'), { id: 'answer', textContent: 'Answer' });
  document.body.appendChild(button);
}"""

CONTEXT_STATE = "async () => { const c = new AudioContext(); await new Promise((r) => setTimeout(r, 300)); return c.state; }"


@pytest.fixture
def gesture_page(server: ServerThread) -> Iterator[SeleniumPage]:
    with tempfile.TemporaryDirectory(prefix="rtcshim-webkitgtk-") as folder:
        browser = start_webkitgtk(Path(folder), DEFAULT_AUTOPLAY_ARGS)
        try:
            page = browser.page
            load_shim_page(page, "webkitgtk", server)
            yield page
            assert not page.page_errors()
            page.leave()
        finally:
            browser.quit()


@pytest.mark.xdist_group("webkitgtk")
def test_remote_audio_attached_before_a_gesture_plays_after_it(gesture_page: SeleniumPage) -> None:
    assert gesture_page.evaluate(CONTEXT_STATE) == "suspended", "the engine's autoplay rule applies"
    gesture_page.evaluate(ATTACH_BEFORE_A_GESTURE)
    gesture_page.driver.find_element(By.ID, "answer").click()
    assert_tone(gesture_page.evaluate("() => tonePeak(remoteAudio, 'the remote audio after a click')"))
