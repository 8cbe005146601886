"""Playback where the engine has no MediaStream at all, as in WPE: through Media Source Extensions.

Chromium stands in for such an engine: besides its WebRTC, the page loses MediaStream,
canvas and media-element captureStream and WebAudio's MediaStream nodes, so shim.js can
make no native track. A media element given one of our streams then plays a MediaSource
the server feeds with live WebM (VP8, Vorbis), and an AudioContext reads our streams
through a worklet. Unlike WPE's, Chromium's video pixels can be read back, so the frame
counter stamped by the synthetic camera proves what the element shows (WPE's own run is
in tests/engines).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from rtcshim.dispatchers.media_stream_track import MediaTrackDispatcher
from rtcshim.serving import ServerThread

from ..conftest import PLAYWRIGHT_CONFIG
from .conftest import SHIM_INSTALLED
from .page_helpers import assert_tone, load_page_helpers

REMOVE_MEDIA_STREAMS = """
(() => {
  delete HTMLCanvasElement.prototype.captureStream;
  delete HTMLMediaElement.prototype.captureStream;
  for (const name of ['createMediaStreamSource', 'createMediaStreamDestination', 'createMediaStreamTrackSource']) {
    delete AudioContext.prototype[name];
  }
})();
"""

# Resolves to the callee's remote stream of a call (server camera and microphone) in the page.
REMOTE_STREAM = """async () => {
  const { b } = await makeMediaCall();
  window.remoteStream = new MediaStream(await unmutedRemoteTracks(b));
}"""


@pytest.fixture
def page(browser: Browser, server: ServerThread) -> Iterator[Page]:
    context = browser.new_context(base_url=server.url)
    context.add_init_script(PLAYWRIGHT_CONFIG.REMOVE_NATIVE_WEBRTC)
    context.add_init_script(REMOVE_MEDIA_STREAMS)
    page = context.new_page()
    page.goto("/static/blank.html")
    page.wait_for_function(SHIM_INSTALLED)
    assert page.evaluate("() => [typeof HTMLCanvasElement.prototype.captureStream, rtcshim.native.MediaStream]") == [
        "undefined", None]
    yield load_page_helpers(page)
    context.close()


@pytest.mark.parametrize("how", ["srcObject", "src"])
def test_remote_video_plays_through_media_source(page: Page, how: str) -> None:
    page.evaluate(REMOTE_STREAM)
    played = page.evaluate("""async (how) => {
      const video = await playVideo(remoteStream, how);
      return {
        counters: await counterAdvances(video, 'the remote video through MSE'),
        source: video.src.startsWith('blob:'), srcObject: video.srcObject === remoteStream,
        size: [video.videoWidth, video.videoHeight],
      };
    }""", how)
    first, later = played["counters"]
    assert later > first
    assert played["source"] and played["srcObject"] and played["size"] == [640, 480]


def test_remote_audio_plays_in_an_element_and_in_web_audio(page: Page) -> None:
    page.evaluate(REMOTE_STREAM)
    heard = page.evaluate("""async () => {
      const audioOnly = new MediaStream(remoteStream.getAudioTracks());
      const element = new Audio();
      element.srcObject = audioOnly;
      await within(element.play(), 'an <audio> plays the remote audio through MSE');
      await until(() => element.currentTime > 0.5, 'the <audio> advances');
      return tonePeak(audioOnly, 'the remote audio through a worklet');
    }""")
    assert_tone(heard)


def test_detaching_the_stream_stops_its_webm_streams(page: Page, server: ServerThread) -> None:
    page.evaluate(REMOTE_STREAM)
    page.evaluate("""async () => {
      const video = await playVideo(remoteStream);
      await counterAdvances(video, 'the remote video through MSE');
      video.srcObject = null;
      await roundTrip();
      window.detached = video;
    }""")
    renderers = server.run(_webm_renderers(server))
    assert renderers == 0, "the server still encodes WebM for a detached element"
    assert page.evaluate("() => [detached.srcObject, detached.getAttribute('src')]") == [None, None]


async def _webm_renderers(server: ServerThread) -> int:
    tracks = [item for item in server.registry.objects() if isinstance(item, MediaTrackDispatcher)]
    return sum("webm" in track._renderers for track in tracks)
