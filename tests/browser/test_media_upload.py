"""capture: 'browser': the page's own camera and microphone, uploaded as the server's source."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from rtcshim.dispatchers.media_stream_track import MediaTrackDispatcher
from rtcshim.serving import ServerThread

from .page_helpers import load_page_helpers

# A browser that can capture but has no peer connection of its own.
WITHOUT_PEER_CONNECTION = """
for (const name of Object.getOwnPropertyNames(window)) {
  if (/^(webkit|moz|ms)?RTC/.test(name)) delete window[name];
}
window.rtcshimOptions = { capture: 'browser' };
"""



@pytest.fixture
def capturing_page(browser: Browser, server: ServerThread) -> Iterator[Page]:
    context = browser.new_context(base_url=server.url)
    context.add_init_script(WITHOUT_PEER_CONNECTION)
    page = context.new_page()
    page.goto("/static/blank.html")
    load_page_helpers(page)
    yield page
    context.close()


def test_upload_browser_capture_is_sent_to_the_remote_peer(capturing_page: Page, server: ServerThread) -> None:
    result = capturing_page.evaluate("""async () => {
      const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
      const a = new RTCPeerConnection(), b = new RTCPeerConnection();
      a.onicecandidate = (event) => event.candidate && b.addIceCandidate(event.candidate);
      b.onicecandidate = (event) => event.candidate && a.addIceCandidate(event.candidate);
      const remote = new Promise((resolve) => { b.ontrack = (event) => resolve(event.streams[0]); });
      stream.getTracks().forEach((track) => a.addTrack(track, stream));
      await a.setLocalDescription(await a.createOffer());
      await b.setRemoteDescription(a.localDescription);
      await b.setLocalDescription(await b.createAnswer());
      await a.setRemoteDescription(b.localDescription);
      const video = document.createElement('video');
      video.muted = true;
      document.body.appendChild(video);
      video.srcObject = await within(remote, 'the remote track');
      await video.play();
      await until(() => video.videoWidth > 0, 'remote video frames');
      const canvas = document.createElement('canvas');
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      const context = canvas.getContext('2d', { willReadFrequently: true });
      const hash = () => {
        context.drawImage(video, 0, 0);
        return context.getImageData(0, 0, canvas.width, canvas.height).data.reduce((sum, value, i) => (sum + value * (i % 97)) % 1000003, 0);
      };
      const first = hash();
      await until(() => hash() !== first, 'the remote picture to change');
      const analyser = new AudioContext().createAnalyser();
      analyser.context.createMediaStreamSource(video.srcObject).connect(analyser);
      const samples = new Float32Array(analyser.fftSize);
      await until(() => {
        analyser.getFloatTimeDomainData(samples);
        return samples.some((sample) => Math.abs(sample) > 0.05);
      }, 'remote sound from the fake microphone');
      return {
        labels: stream.getTracks().map((track) => track.label),
        size: [video.videoWidth, video.videoHeight],
        localPlaysNatively: (() => { const v = document.createElement('video'); v.srcObject = stream; return String(v.srcObject === stream); })(),
      };
    }""")
    uploaded = [o for o in server.registry.objects() if isinstance(o, MediaTrackDispatcher) and o.upload]
    assert sorted(track.kind for track in uploaded) == ["audio", "video"]
    assert all(label for label in result["labels"])  # the browser's device labels
    assert result["size"][0] > 0 and result["localPlaysNatively"] == "true"
