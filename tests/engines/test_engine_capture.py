"""Capture from the engine, in every engine that has some: the page's own canvas and
WebAudio tracks, and the engine's own camera and microphone (`capture: 'browser'`), go
into a shimmed peer connection and arrive at the other end.

A canvas painted red and blue side by side (`canvas.captureStream(30)`) and a 440 Hz
oscillator (`createMediaStreamDestination()`) are sent by one peer connection to another
in the page; the remote video shows both colours where they were painted, the remote audio
the tone. WPE is not among the engines: it has no MediaStream, no canvas or element capture
and no MediaStream nodes in WebAudio, so a page there can make no track of its own (its media
comes from the server's sources, which every engine has).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import numpy as np

from rtcshim.media.sources import SYNTHETIC_CAMERA_LABEL, SYNTHETIC_MICROPHONE_LABEL
from rtcshim.serving import ServerThread

from ..browser.page_helpers import assert_tone
from .engine_page import ENGINES, EnginePage, in_engines

# Engines whose pages make tracks of their own.
CAPTURING_ENGINES = [name for name in ENGINES if name != "wpe"]

RED = (220, 30, 30)
BLUE = (30, 30, 220)
# Uploaded and encoded colours drift a little; far less than between the two halves.
COLOUR_TOLERANCE = 40

ENGINE_CAPTURE_CALL = """async () => {
  const canvas = Object.assign(document.createElement('canvas'), { width: 160, height: 120 });
  const context2d = canvas.getContext('2d');
  const paint = () => {
    context2d.fillStyle = 'rgb(220,30,30)';
    context2d.fillRect(0, 0, 80, 120);
    context2d.fillStyle = 'rgb(30,30,220)';
    context2d.fillRect(80, 0, 80, 120);
  };
  paint();
  const painting = setInterval(paint, 50);
  const video = canvas.captureStream(30).getVideoTracks()[0];
  const audioContext = new AudioContext();
  await audioContext.resume();
  const oscillator = audioContext.createOscillator();
  oscillator.frequency.value = 440;
  const destination = audioContext.createMediaStreamDestination();
  oscillator.connect(destination);
  oscillator.start();
  const audio = destination.stream.getAudioTracks()[0];

  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  const stream = new MediaStream([video, audio]);
  a.addTrack(video, stream);
  a.addTrack(audio, stream);
  const remote = new Promise((resolve) => { b.ontrack = (event) => resolve(event.streams[0]); });
  await trickleNegotiate(a, b);
  const remoteStream = await within(remote, 'the track event');
  const shown = showVideo(remoteStream);
  shown.play().catch(() => {});
  const halves = await sideColours(shown, 'the remote canvas');
  const tone = await tonePeak(new MediaStream(remoteStream.getAudioTracks()), 'the remote oscillator');
  const kept = a.getSenders().map((sender) => sender.track === video || sender.track === audio);
  clearInterval(painting);
  a.close();
  b.close();
  video.stop();
  audio.stop();
  audioContext.close();
  return { ...halves, tone, kept };
}"""


@in_engines(CAPTURING_ENGINES)
def test_canvas_and_webaudio_tracks_are_sent(engine: str, engine_page: EnginePage) -> None:
    seen: dict[str, Any] = engine_page.evaluate(ENGINE_CAPTURE_CALL)
    assert seen["kept"] == [True, True], "the senders hold the page's own tracks"
    assert seen["width"] == 160
    assert np.allclose(seen["left"], RED, atol=COLOUR_TOLERANCE), seen
    assert np.allclose(seen["right"], BLUE, atol=COLOUR_TOLERANCE), seen
    assert_tone(seen["tone"])


# Engines whose own getUserMedia works here: Firefox's fake devices (its WebRTC on; off, it
# has no getUserMedia) and WebKitGTK's mock capture devices. Chromium's is removed with its
# WebRTC in these tests (tests/browser covers `capture: 'browser'` with its fake devices).
ENGINES_WITH_CAMERAS = ["firefox-on", "webkitgtk"]

# With `capture: 'browser'`, getUserMedia is the engine's: its camera and microphone are
# uploaded and sent by a shimmed peer connection to another in the page.
ENGINE_CAMERA_CALL = """async () => {
  const local = await within(navigator.mediaDevices.getUserMedia({ video: true, audio: true }), 'getUserMedia');
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  local.getTracks().forEach((track) => a.addTrack(track, local));
  const remote = new Promise((resolve) => { b.ontrack = (event) => resolve(event.streams[0]); });
  await trickleNegotiate(a, b);
  const stream = await within(remote, 'the track event');
  const labels = local.getTracks().map((track) => `${track.kind}: ${track.label}`).sort();
  const changes = await videoChanges(showVideo(stream), 'the engine camera, received');
  const sound = await soundPeak(new MediaStream(stream.getAudioTracks()), 'the engine microphone, received', 0.05);
  a.close();
  b.close();
  local.getTracks().forEach((track) => track.stop());
  return { labels, changes, sound };
}"""


@in_engines(ENGINES_WITH_CAMERAS)
def test_the_engines_own_camera_and_microphone_are_sent(engine: str, engine_page: EnginePage, server: ServerThread) -> None:
    engine_page.load(f"{server.url}/static/blank.html?rtcshimOptions={quote(json.dumps({'capture': 'browser'}))}")
    seen: dict[str, Any] = engine_page.evaluate(ENGINE_CAMERA_CALL)
    # The engine's devices, not the server's synthetic ones.
    assert f"audio: {SYNTHETIC_MICROPHONE_LABEL}" not in seen["labels"], seen
    assert f"video: {SYNTHETIC_CAMERA_LABEL}" not in seen["labels"], seen
    assert len(seen["labels"]) == 2
    assert len(seen["changes"]["hashes"]) >= 2
    assert seen["sound"]["peak"] > 0.05
