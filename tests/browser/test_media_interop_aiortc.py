"""Media between a shimmed page and a plain aiortc RTCPeerConnection in the test process.

The aiortc peer runs on the test server's loop (`server.run`). It decodes the stamps the
server's synthetic camera draws into each frame (`rtcshim.media.frame_pattern.read`), so it can
tell that frames arrive in order and recently captured; the other way, the page reads
the stamps of an aiortc SyntheticCamera off its <video>.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack
from aiortc.sdp import candidate_from_sdp
from playwright.sync_api import Page

from rtcshim.media.frame_pattern import Stamp, read
from rtcshim.media.sources import SyntheticCamera
from rtcshim.serving import ServerThread

from .media_pages import assert_counters_advance, install_media_tools

# Bounds how long the test process waits for the aiortc side; a failure, not a measure.
WAIT_SECONDS = 20
SYNTHETIC_TONE_HZ = 440
# A stamp's capture time must be this close to the moment aiortc decoded the frame: the
# stamp is a capture time of today, not garbage that happened to pass the CRC.
PLAUSIBLE_AGE_MS = 5000
VIDEO_FRAMES = 30
AUDIO_FRAMES = 50  # 1 s of 20 ms frames

# `window.peer`: one shimmed peer connection, its trickled candidates and remote tracks.
PAGE_PEER = """() => {
  const { until, playVideo } = window.mediaTools;
  const peer = window.peer = { candidates: [], candidatesEnded: false, remote: [], localStreams: [] };
  const pc = peer.pc = new RTCPeerConnection({ iceServers: [] });
  pc.onicecandidate = (event) => {
    if (event.candidate) peer.candidates.push(event.candidate.toJSON());
    else peer.candidatesEnded = true;
  };
  pc.ontrack = (event) => {
    const entry = { kind: event.track.kind, stream: new MediaStream([event.track]), element: null };
    if (entry.kind === 'video') entry.element = playVideo(entry.stream);
    peer.remote.push(entry);
  };
  // The page's offer with its getUserMedia tracks, once every candidate has trickled.
  peer.offerMedia = async (constraints) => {
    const stream = await navigator.mediaDevices.getUserMedia(constraints);
    peer.localStreams.push(stream);
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    await until(() => peer.candidatesEnded, 'the end of the page\\'s candidates');
    return {
      sdp: offer.sdp, candidates: peer.candidates,
      settings: stream.getTracks().map((track) => ({ kind: track.kind, ...track.getSettings() })),
    };
  };
  peer.connected = () => until(() => pc.connectionState === 'connected'
    || (['failed', 'closed'].includes(pc.connectionState) && `connection ${pc.connectionState}`),
    () => `the page's connection to aiortc (${pc.connectionState})`);
}"""


@dataclass
class AiortcMediaPeer:
    """A plain aiortc peer connection and the first remote track of each kind; used on the server loop."""

    pc: RTCPeerConnection
    tracks: dict[str, asyncio.Future[MediaStreamTrack]] = field(default_factory=dict)
    local_tracks: list[MediaStreamTrack] = field(default_factory=list)


@dataclass(frozen=True)
class ReceivedVideoFrame:
    width: int
    height: int
    stamp: Stamp | None
    received_ms: int


async def create_media_peer() -> AiortcMediaPeer:
    # Never the default public STUN server: no ICE servers at all.
    loop = asyncio.get_running_loop()
    peer = AiortcMediaPeer(RTCPeerConnection(RTCConfiguration(iceServers=[])))
    peer.tracks = {"audio": loop.create_future(), "video": loop.create_future()}

    @peer.pc.on("track")
    def remember(track: MediaStreamTrack) -> None:
        arrived = peer.tracks[track.kind]
        if not arrived.done():
            arrived.set_result(track)

    return peer


async def answer(peer: AiortcMediaPeer, offer_sdp: str, candidates: list[dict[str, Any]]) -> str:
    """Answer the page's offer, then add its trickled candidates and end-of-candidates."""
    await peer.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
    await peer.pc.setLocalDescription(await peer.pc.createAnswer())
    for init in candidates:
        candidate = candidate_from_sdp(init["candidate"].removeprefix("candidate:"))
        candidate.sdpMid = init["sdpMid"]
        candidate.sdpMLineIndex = init["sdpMLineIndex"]
        await peer.pc.addIceCandidate(candidate)
    await peer.pc.addIceCandidate(None)
    return str(peer.pc.localDescription.sdp)


async def offer_camera(peer: AiortcMediaPeer) -> str:
    camera = SyntheticCamera()
    peer.local_tracks.append(camera)
    peer.pc.addTrack(camera)
    await peer.pc.setLocalDescription(await peer.pc.createOffer())
    return str(peer.pc.localDescription.sdp)


async def accept_answer(peer: AiortcMediaPeer, answer_sdp: str) -> None:
    await peer.pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))


async def receive_video(peer: AiortcMediaPeer, count: int) -> list[ReceivedVideoFrame]:
    track = await asyncio.wait_for(peer.tracks["video"], WAIT_SECONDS)
    frames = []
    for _ in range(count):
        frame = await asyncio.wait_for(track.recv(), WAIT_SECONDS)
        assert isinstance(frame, av.VideoFrame)
        frames.append(ReceivedVideoFrame(
            frame.width, frame.height, read(frame.to_ndarray(format="rgb24")), int(time.time() * 1000)))
    return frames


async def receive_audio(peer: AiortcMediaPeer, count: int) -> tuple[int, np.ndarray]:
    """`count` audio frames as (sample rate, first channel's samples)."""
    track = await asyncio.wait_for(peer.tracks["audio"], WAIT_SECONDS)
    chunks = []
    sample_rate = 0
    for _ in range(count):
        frame = await asyncio.wait_for(track.recv(), WAIT_SECONDS)
        assert isinstance(frame, av.AudioFrame)
        sample_rate = frame.sample_rate
        channels = len(frame.layout.channels)
        # Packed s16: one plane with the channels interleaved.
        chunks.append(frame.to_ndarray().reshape(-1, channels)[:, 0].astype(np.float64))
    return sample_rate, np.concatenate(chunks)


async def close_peer(peer: AiortcMediaPeer) -> None:
    for track in peer.local_tracks:
        track.stop()
    await peer.pc.close()


@pytest.fixture
def aiortc_peer(server: ServerThread) -> Iterator[AiortcMediaPeer]:
    peer = server.run(create_media_peer())
    yield peer
    server.run(close_peer(peer))


@pytest.fixture
def page_peer(shim_page: Page) -> Iterator[Page]:
    assert not shim_page.evaluate("RTCPeerConnection.toString().includes('[native code]')")
    install_media_tools(shim_page)
    shim_page.evaluate(PAGE_PEER)
    yield shim_page
    shim_page.evaluate(
        """() => {
          window.peer.pc.close();
          for (const stream of window.peer.localStreams) stream.getTracks().forEach((track) => track.stop());
        }"""
    )


def call_aiortc(page: Page, server: ServerThread, peer: AiortcMediaPeer, constraints: dict[str, Any]) -> dict[str, Any]:
    """The page offers its getUserMedia tracks, trickling candidates; aiortc answers."""
    offer: dict[str, Any] = page.evaluate("(constraints) => window.peer.offerMedia(constraints)", constraints)
    assert offer["candidates"], "the shimmed page emitted no icecandidate events"
    answer_sdp = server.run(answer(peer, offer["sdp"], offer["candidates"]))
    page.evaluate("(sdp) => window.peer.pc.setRemoteDescription({ type: 'answer', sdp })", answer_sdp)
    assert page.evaluate("window.peer.connected()") is True
    return offer


def readable_stamps(frames: list[ReceivedVideoFrame]) -> list[Stamp]:
    stamps = [frame.stamp for frame in frames if frame.stamp is not None]
    # The first frames may still be blurry while the encoder ramps up; most must read.
    assert len(stamps) > len(frames) // 2, f"only {len(stamps)} of {len(frames)} frames carried a readable stamp"
    return stamps


def assert_stamps_in_order_and_recent(frames: list[ReceivedVideoFrame]) -> None:
    stamps = readable_stamps(frames)
    counters = [stamp.counter for stamp in stamps]
    assert all(earlier < later for earlier, later in itertools.pairwise(counters)), counters
    for frame in frames:
        if frame.stamp is not None:
            age = frame.received_ms - frame.stamp.timestamp_ms
            assert 0 <= age < PLAUSIBLE_AGE_MS, f"frame captured at {frame.stamp.timestamp_ms}, received at {frame.received_ms}"


def peak_frequency(sample_rate: int, samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    spectrum[0] = 0  # DC
    return float(np.fft.rfftfreq(len(samples), 1 / sample_rate)[int(np.argmax(spectrum))])


def test_aiortc_receives_stamped_video_and_tone_when_page_sends_camera_and_microphone(
    page_peer: Page, server: ServerThread, aiortc_peer: AiortcMediaPeer
) -> None:
    call_aiortc(page_peer, server, aiortc_peer, {"video": True, "audio": True})

    frames = server.run(receive_video(aiortc_peer, VIDEO_FRAMES))
    assert {(frame.width, frame.height) for frame in frames} == {(640, 480)}
    assert_stamps_in_order_and_recent(frames)

    sample_rate, samples = server.run(receive_audio(aiortc_peer, AUDIO_FRAMES))
    assert np.abs(samples).max() > 1000, "the received audio is silent"
    resolution = sample_rate / len(samples)
    assert abs(peak_frequency(sample_rate, samples) - SYNTHETIC_TONE_HZ) <= 2 * resolution


def test_aiortc_receives_requested_size_when_page_constrains_camera(
    page_peer: Page, server: ServerThread, aiortc_peer: AiortcMediaPeer
) -> None:
    offer = call_aiortc(page_peer, server, aiortc_peer, {"video": {"width": 320, "height": 240}})
    assert [(s["width"], s["height"]) for s in offer["settings"]] == [(320, 240)]

    frames = server.run(receive_video(aiortc_peer, VIDEO_FRAMES))
    assert {(frame.width, frame.height) for frame in frames} == {(320, 240)}
    assert_stamps_in_order_and_recent(frames)


def test_page_plays_stamped_video_when_aiortc_sends_camera(
    page_peer: Page, server: ServerThread, aiortc_peer: AiortcMediaPeer
) -> None:
    offer_sdp = server.run(offer_camera(aiortc_peer))
    page_peer.evaluate(
        """async (sdp) => {
          const pc = window.peer.pc;
          await pc.setRemoteDescription({ type: 'offer', sdp });
          await pc.setLocalDescription(await pc.createAnswer());
          await window.mediaTools.until(() => pc.iceGatheringState === 'complete', 'the page\\'s ICE gathering');
        }""",
        offer_sdp,
    )
    server.run(accept_answer(aiortc_peer, page_peer.evaluate("window.peer.pc.localDescription.sdp")))
    assert page_peer.evaluate("window.peer.connected()") is True

    result = page_peer.evaluate(
        """async () => {
          const video = await window.mediaTools.until(() => window.peer.remote.find((entry) => entry.kind === 'video'),
            'a remote video track from aiortc');
          return window.mediaTools.videoStamps(video.element, 'the page playing aiortc\\'s camera', 3);
        }"""
    )
    assert (result["width"], result["height"]) == (640, 480), result
    assert_counters_advance(result)
    for stamp in result["stamps"]:
        assert 0 <= result["now"] - stamp["timestamp"] < PLAUSIBLE_AGE_MS, result
