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
from aiortc import RTCPeerConnection
from aiortc.mediastreams import MediaStreamTrack
from playwright.sync_api import Page

from rtcshim.media.frame_pattern import Stamp, read
from rtcshim.media.sources import SyntheticCamera
from rtcshim.serving import ServerThread

from .aiortc_peers import WAIT_SECONDS, accept_answer, answer, new_connection
from .page_helpers import assert_counters_advance

SYNTHETIC_TONE_HZ = 440
# A stamp's capture time must be this close to the moment aiortc decoded the frame: the
# stamp is a capture time of today, not garbage that happened to pass the CRC.
PLAUSIBLE_AGE_MS = 5000
VIDEO_FRAMES = 30
AUDIO_FRAMES = 50  # 1 s of 20 ms frames


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
    loop = asyncio.get_running_loop()
    peer = AiortcMediaPeer(new_connection())
    peer.tracks = {"audio": loop.create_future(), "video": loop.create_future()}

    @peer.pc.on("track")
    def remember(track: MediaStreamTrack) -> None:
        arrived = peer.tracks[track.kind]
        if not arrived.done():
            arrived.set_result(track)

    return peer


async def offer_camera(peer: AiortcMediaPeer) -> str:
    camera = SyntheticCamera()
    peer.local_tracks.append(camera)
    peer.pc.addTrack(camera)
    await peer.pc.setLocalDescription(await peer.pc.createOffer())
    return str(peer.pc.localDescription.sdp)


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
    shim_page.evaluate("openPagePeer()")
    yield shim_page
    shim_page.evaluate("window.peer.close()")


def call_aiortc(page: Page, server: ServerThread, peer: AiortcMediaPeer, constraints: dict[str, Any]) -> dict[str, Any]:
    """The page offers its getUserMedia tracks, trickling candidates; aiortc answers."""
    offer: dict[str, Any] = page.evaluate("(constraints) => window.peer.offerMedia(constraints)", constraints)
    assert offer["candidates"], "the shimmed page emitted no icecandidate events"
    answer_sdp = server.run(answer(peer.pc, offer["sdp"], offer["candidates"]))
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
          await until(() => pc.iceGatheringState === 'complete', 'the page\\'s ICE gathering');
        }""",
        offer_sdp,
    )
    server.run(accept_answer(aiortc_peer.pc, page_peer.evaluate("window.peer.pc.localDescription.sdp")))
    assert page_peer.evaluate("window.peer.connected()") is True

    result = page_peer.evaluate(
        """async () => {
          const video = await until(() => window.peer.remote.find((entry) => entry.kind === 'video'),
            'a remote video track from aiortc');
          return videoStamps(video.element, 'the page playing aiortc\\'s camera', 3);
        }"""
    )
    assert (result["width"], result["height"]) == (640, 480), result
    assert_counters_advance(result)
    for stamp in result["stamps"]:
        assert 0 <= result["now"] - stamp["timestamp"] < PLAUSIBLE_AGE_MS, result
