"""The engine's own tracks in a shimmed page: canvas.captureStream() and WebAudio's
createMediaStreamDestination() tracks, as the web-platform-tests and many pages make them.

The page keeps its own track object everywhere (senders, streams, events, getStats, DTMF);
the shim uploads the track's media to the server, which sends it like any other source.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Page

from rtcshim.dispatchers.media_stream_track import MediaTrackDispatcher
from rtcshim.serving import ServerThread

from .aiortc_peers import WAIT_SECONDS, answer
from .page_helpers import run
from .test_media_interop_aiortc import AiortcMediaPeer, close_peer, create_media_peer, peak_frequency, receive_audio

# In the page: `paintedTrack(left, right)`, a canvas capture track whose canvas shows two
# colours side by side, repainted every 50 ms (so the capture keeps making frames), with
# the page's own stop() over the engine's, as the web-platform-tests write it; and
# `toneTrack(hertz)`, a WebAudio oscillator's track.
ENGINE_TRACKS_JS = """() => {
  window.paintedTrack = (left, right) => {
    const canvas = Object.assign(document.createElement('canvas'), { width: 160, height: 120 });
    const context = canvas.getContext('2d');
    const paint = () => {
      context.fillStyle = `rgb(${left})`;
      context.fillRect(0, 0, 80, 120);
      context.fillStyle = `rgb(${right})`;
      context.fillRect(80, 0, 80, 120);
    };
    paint();
    const painting = setInterval(paint, 50);
    const track = canvas.captureStream().getVideoTracks()[0];
    const engineStop = track.stop;
    track.stop = function stop() {
      clearInterval(painting);
      engineStop.apply(this);
    };
    return track;
  };
  window.toneTrack = (hertz) => {
    const context = new AudioContext();
    const oscillator = context.createOscillator();
    oscillator.frequency.value = hertz;
    const destination = oscillator.connect(context.createMediaStreamDestination());
    oscillator.start();
    return destination.stream.getAudioTracks()[0];
  };
}"""

RED = (220, 30, 30)
BLUE = (30, 30, 220)
TONE_HZ = 440
# Uploaded and encoded colours drift a little; far less than between the two halves.
COLOUR_TOLERANCE = 40


@pytest.fixture
def aiortc_peer(server: ServerThread) -> Iterator[AiortcMediaPeer]:
    peer = server.run(create_media_peer())
    yield peer
    server.run(close_peer(peer))


def with_engine_tracks(page: Page) -> Page:
    page.evaluate(ENGINE_TRACKS_JS)
    return page


def uploaded_tracks(server: ServerThread) -> list[MediaTrackDispatcher]:
    return [o for o in server.registry.objects() if isinstance(o, MediaTrackDispatcher) and o.upload is not None]


def wait_for(condition: Callable[[], Any], what: str, seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened within {seconds} s: {what}")
        time.sleep(0.05)
    return value


def test_engine_tracks_keep_their_identity(shim_page: Page) -> None:
    with_engine_tracks(shim_page)
    seen = run(shim_page, """async () => {
      const video = paintedTrack('220,30,30', '30,30,220');
      const audio = toneTrack(440);
      const [serverTrack] = (await navigator.mediaDevices.getUserMedia({ video: true })).getTracks();
      const pc = new RTCPeerConnection();
      const stream = new MediaStream([video, serverTrack]);
      const sender = pc.addTrack(video, stream);
      const transceiver = pc.addTransceiver(audio);
      stream.addTrack(audio);
      const seen = {
        areTracks: video instanceof MediaStreamTrack && audio instanceof MediaStreamTrack,
        plainObjectIsTrack: ({}) instanceof MediaStreamTrack,
        senderTrack: sender.track === video,
        senderTracks: pc.getSenders().map((each) => [video, audio].indexOf(each.track)),
        streamTracks: stream.getTracks().map((track) => [video, serverTrack, audio].indexOf(track)),
        byId: stream.getTrackById(video.id) === video,
        transceiverTrack: transceiver.sender.track === audio,
        dtmf: pc.createDTMFSender(audio) === transceiver.sender.dtmf,
        trackEvent: new RTCTrackEvent('track', { receiver: transceiver.receiver, track: video, transceiver }).track === video,
        streamTrackEvent: new MediaStreamTrackEvent('addtrack', { track: audio }).track === audio,
      };
      await pc.getStats(video);
      seen.statsOfOtherTrack = await pc.getStats(toneTrack(220)).then(() => 'resolved', (error) => error.name);
      await sender.replaceTrack(serverTrack);
      seen.replaced = sender.track === serverTrack;
      await sender.replaceTrack(video);
      seen.replacedBack = sender.track === video;
      pc.removeTrack(sender);
      seen.removed = sender.track === null && pc.getSenders().includes(sender);
      seen.readdedSender = pc.addTrack(video) === sender;
      const engineStream = document.createElement('canvas').captureStream();
      pc.addStream(engineStream);
      seen.localStream = pc.getLocalStreams().includes(engineStream);
      seen.streamSender = pc.getSenders().some((each) => each.track === engineStream.getTracks()[0]);
      seen.copiedStream = new MediaStream(engineStream).getTracks()[0] === engineStream.getTracks()[0];
      pc.close();
      return seen;
    }""")
    assert seen == {
        "areTracks": True, "plainObjectIsTrack": False, "senderTrack": True, "senderTracks": [0, 1],
        "streamTracks": [0, 1, 2], "byId": True, "transceiverTrack": True, "dtmf": True, "trackEvent": True,
        "streamTrackEvent": True, "statsOfOtherTrack": "InvalidAccessError", "replaced": True,
        "replacedBack": True, "removed": True, "readdedSender": True, "localStream": True,
        "streamSender": True, "copiedStream": True,
    }


def test_engine_track_stream_follows_the_track_and_plays(shim_page: Page) -> None:
    with_engine_tracks(shim_page)
    seen = run(shim_page, """async () => {
      const track = paintedTrack('220,30,30', '30,30,220');
      const stream = new MediaStream([track]);
      const video = showVideo(stream);
      await video.play();
      const pixel = await until(() => {
        const frame = grabFrame(video);
        return frame && Array.from(frame.data.slice(4 * (60 * 160 + 20), 4 * (60 * 160 + 20) + 3));
      }, 'the canvas plays in a <video>');
      const activeBefore = stream.active;
      const inactive = nextEvent(stream, 'inactive');
      track.stop();
      await inactive;
      return { pixel, activeBefore, activeAfter: stream.active, srcObject: video.srcObject === stream };
    }""")
    assert seen["activeBefore"] is True and seen["activeAfter"] is False and seen["srcObject"] is True
    assert np.allclose(seen["pixel"], RED, atol=COLOUR_TOLERANCE), seen["pixel"]


def offer_engine_tracks(page: Page, server: ServerThread, peer: AiortcMediaPeer, script: str) -> None:
    """The page offers the stream `script` makes (trickling); aiortc answers."""
    page.evaluate("openPagePeer()")
    offer = run(page, f"async () => window.peer.offerStream(await ({script})())")
    answer_sdp = server.run(answer(peer.pc, offer["sdp"], offer["candidates"]))
    page.evaluate("(sdp) => window.peer.pc.setRemoteDescription({ type: 'answer', sdp })", answer_sdp)
    assert page.evaluate("window.peer.connected()") is True


def test_canvas_track_frames_reach_aiortc(shim_page: Page, server: ServerThread, aiortc_peer: AiortcMediaPeer) -> None:
    with_engine_tracks(shim_page)
    offer_engine_tracks(shim_page, server, aiortc_peer,
                        "async () => new MediaStream([paintedTrack('220,30,30', '30,30,220')])")
    frames = server.run(receive_video_pictures(aiortc_peer, 20))
    picture = frames[-1]
    height, width, _ = picture.shape
    assert (width, height) == (160, 120)
    left = picture[:, : width // 2 - 8].reshape(-1, 3).mean(axis=0)
    right = picture[:, width // 2 + 8:].reshape(-1, 3).mean(axis=0)
    assert np.allclose(left, RED, atol=COLOUR_TOLERANCE), left
    assert np.allclose(right, BLUE, atol=COLOUR_TOLERANCE), right
    shim_page.evaluate("window.peer.close()")


async def receive_video_pictures(peer: AiortcMediaPeer, count: int) -> list[np.ndarray]:
    track = await asyncio.wait_for(peer.tracks["video"], WAIT_SECONDS)
    return [(await asyncio.wait_for(track.recv(), WAIT_SECONDS)).to_ndarray(format="rgb24") for _ in range(count)]


def test_webaudio_track_sound_reaches_aiortc(shim_page: Page, server: ServerThread, aiortc_peer: AiortcMediaPeer) -> None:
    with_engine_tracks(shim_page)
    offer_engine_tracks(shim_page, server, aiortc_peer, f"async () => new MediaStream([toneTrack({TONE_HZ})])")
    sample_rate, samples = server.run(receive_audio(aiortc_peer, 100))
    tail = samples[len(samples) // 2:]  # past the start, while the codec settles
    assert np.abs(tail).max() > 1000, "silence reached aiortc"
    resolution = sample_rate / len(tail)
    assert abs(peak_frequency(sample_rate, tail) - TONE_HZ) <= 2 * resolution
    shim_page.evaluate("window.peer.close()")


def test_canvas_track_between_two_shimmed_connections(shim_page: Page) -> None:
    with_engine_tracks(shim_page)
    seen = run(shim_page, """async () => {
      const track = paintedTrack('220,30,30', '30,30,220');
      const a = new RTCPeerConnection(), b = new RTCPeerConnection();
      const remote = new Promise((resolve) => { b.ontrack = (event) => resolve(event); });
      a.addTrack(track, new MediaStream([track]));
      await trickleNegotiate(a, b);
      const event = await within(remote, 'the track event');
      const video = showVideo(event.streams[0]);
      await video.play();
      const halves = await sideColours(video, 'the remote canvas');
      const local = a.getSenders()[0].track === track;
      a.close();
      b.close();
      track.stop();
      return { ...halves, local, remoteIsOurs: event.track !== track };
    }""")
    assert seen["local"] is True and seen["remoteIsOurs"] is True and seen["width"] == 160
    assert np.allclose(seen["left"], RED, atol=COLOUR_TOLERANCE), seen
    assert np.allclose(seen["right"], BLUE, atol=COLOUR_TOLERANCE), seen


def test_engine_track_stop_ends_its_upload(shim_page: Page, server: ServerThread) -> None:
    with_engine_tracks(shim_page)
    run(shim_page, """async () => {
      window.track = paintedTrack('220,30,30', '30,30,220');
      window.pc = new RTCPeerConnection();
      pc.addTrack(track);
      await roundTrip();
    }""")
    [upload] = uploaded_tracks(server)
    assert not upload.ended
    shim_page.evaluate("track.stop()")  # the page's stop, which calls the engine's
    wait_for(lambda: upload.ended, "the upload's server track ends")
    assert shim_page.evaluate("pc.getSenders()[0].track === track && track.readyState") == "ended"


KEEP_ENGINE_STOP = """{
  const probe = document.createElement('canvas').captureStream().getTracks()[0];
  let prototype = Object.getPrototypeOf(probe);
  while (!Object.hasOwn(prototype, 'stop')) prototype = Object.getPrototypeOf(prototype);
  window.engineStop = prototype.stop;
  probe.stop();
}"""


@pytest.fixture
def page_keeping_engine_stop(shim_context: Any, open_shim_page: Callable[[], Page]) -> Page:
    """A page whose script took the engine's stop() before the shim loaded."""
    shim_context.add_init_script(KEEP_ENGINE_STOP)
    return with_engine_tracks(open_shim_page())


def test_engine_track_ended_without_event_is_noticed(page_keeping_engine_stop: Page, server: ServerThread) -> None:
    page = page_keeping_engine_stop
    run(page, """async () => {
      window.track = toneTrack(440);
      new RTCPeerConnection().addTrack(track);
      await roundTrip();
    }""")
    [upload] = uploaded_tracks(server)
    page.evaluate("engineStop.call(track)")  # neither an event nor the shim's stop
    wait_for(lambda: upload.ended, "the upload's server track ends")


def test_page_closing_disposes_the_upload(open_shim_page: Callable[[], Page], server: ServerThread) -> None:
    page = with_engine_tracks(open_shim_page())
    run(page, """async () => {
      new RTCPeerConnection().addTrack(paintedTrack('220,30,30', '30,30,220'));
      await roundTrip();
    }""")
    [upload] = uploaded_tracks(server)
    source = upload.upload
    assert source is not None and source.readyState == "live"
    page.close()
    wait_for(lambda: not server.registry.sessions, "the page's session closes")
    assert source.readyState == "ended" and upload not in server.registry.objects()


def test_stopped_transceiver_keeps_its_sender_track(shim_page: Page) -> None:
    with_engine_tracks(shim_page)
    seen = run(shim_page, """async () => {
      const track = toneTrack(440);
      const pc = new RTCPeerConnection();
      const sender = pc.addTrack(track);
      pc.getTransceivers()[0].stop();
      pc.removeTrack(sender);  // a no-op on a stopped transceiver
      const seen = { kept: sender.track === track, addedAgain: pc.addTrack(track) !== sender };
      pc.close();
      return seen;
    }""")
    assert seen == {"kept": True, "addedAgain": True}
