"""A media call in every engine: the server's camera and microphone from getUserMedia, sent
by one peer connection to another in the page, the remote stream shown in a <video>.

The picture must move (the synthetic camera's stamped counter, read from the rendered
pixels, advances) and the 440 Hz tone must be heard (Web Audio on the remote stream).
WPE plays through Media Source Extensions (it has no MediaStream), and its video cannot be
read back at all (a canvas or WebGL given any <video>, even a plain file's, gets transparent
pixels): there the element must decode the remote camera's frames at its size as time runs.
Its element stays out of the document: headless WPE 2.38's web process crashes within
seconds of painting any playing <video> (a plain WebM file too, without the shim; a
GStreamer refcount assertion per frame), while one outside the document plays on.
"""

from __future__ import annotations

from typing import Any

from ..browser.page_helpers import assert_tone
from .engine_page import EnginePage, every_engine

MEDIA_CALL = """async () => {
  const { a, b } = await makeMediaCall();
  const stream = await until(() => {
    const receivers = b.getReceivers().filter((receiver) => receiver.track);
    return receivers.length === 2 && new MediaStream(receivers.map((receiver) => receiver.track));
  }, 'b receives audio and video');
  window.mediaCall = { a, b, stream };
  return stream.getTracks().map((track) => track.kind).sort();
}"""

COUNTER_ADVANCES = """async () => {
  const video = showVideo(window.mediaCall.stream);
  video.play().catch(() => {});
  return counterAdvances(video, 'the remote video');
}"""

# WPE: frames the element decoded, and its clock, at the camera's size.
FRAMES_DECODED = """async () => {
  const video = showVideo(window.mediaCall.stream, 'srcObject', false);
  video.play().catch(() => {});
  const { width, height } = await framesDecoded(video, 'the remote video');
  return [width, height];
}"""

# Engines whose <video> pixels a page can read.
VIDEO_READABLE = {"chromium": True, "firefox-off": True, "firefox-on": True, "webkitgtk": True, "wpe": False}

TONE = "() => tonePeak(window.mediaCall.stream, 'the remote audio')"

HANG_UP = "() => { window.mediaCall.a.close(); window.mediaCall.b.close(); }"


@every_engine
def test_media_call_video_moves_and_tone_is_heard(engine: str, engine_page: EnginePage) -> None:
    assert engine_page.evaluate(MEDIA_CALL) == ["audio", "video"]
    if VIDEO_READABLE[engine]:
        first, later = engine_page.evaluate(COUNTER_ADVANCES)
        assert later > first
    else:
        assert engine_page.evaluate(FRAMES_DECODED) == [640, 480]
    peak: dict[str, Any] = engine_page.evaluate(TONE)
    assert_tone(peak)
    engine_page.evaluate(HANG_UP)
