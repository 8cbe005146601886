"""media_sources: the devices a server offers, and the real-time tracks they make."""

from __future__ import annotations

import asyncio
import fractions
import itertools
import re
import threading
import time
from pathlib import Path
from typing import Any, TypeVar

import av
import numpy as np
import numpy.typing as npt
import pytest
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av.frame import Frame
from av.packet import Packet

from rtcshim.media.frame_pattern import Stamp, read, stamp
from rtcshim.media.sources import (
    Device,
    DeviceKind,
    MediaSources,
    SyntheticCamera,
    SyntheticMicrophone,
    synthetic_camera_device,
    synthetic_microphone_device,
)

from .event_loop import run

# The sources pace in real time and drop what a late consumer missed: a reader starved by
# a busy neighbour would see skips these tests count as faults.
pytestmark = pytest.mark.alone

T = TypeVar("T")

FILE_FRAMES = 10
FILE_FRAME_RATE = 25
FILE_TONE_HZ = 660.0


async def receive(track: MediaStreamTrack, count: int) -> list[Frame | Packet[Any]]:
    try:
        return [await track.recv() for _ in range(count)]
    finally:
        track.stop()


async def receive_video(track: MediaStreamTrack, count: int) -> list[av.VideoFrame]:
    frames = await receive(track, count)
    return [frame for frame in frames if isinstance(frame, av.VideoFrame)]


async def receive_audio(track: MediaStreamTrack, count: int) -> list[av.AudioFrame]:
    frames = await receive(track, count)
    return [frame for frame in frames if isinstance(frame, av.AudioFrame)]


def pixels_of(frame: av.VideoFrame) -> npt.NDArray[np.uint8]:
    return np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)


def samples_of(frames: list[av.AudioFrame]) -> npt.NDArray[np.int16]:
    """The first channel of packed s16 frames, end to end."""
    return np.concatenate([frame.to_ndarray().reshape(-1, len(frame.layout.channels))[:, 0] for frame in frames])


def peak_hz(samples: npt.NDArray[np.int16], sample_rate: int) -> float:
    # Zero-padding to 8 s gives 0.125 Hz bins, well inside the ±2 Hz asked for.
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size), n=8 * sample_rate))
    return float(np.fft.rfftfreq(8 * sample_rate, 1 / sample_rate)[np.argmax(spectrum)])


# --- the synthetic camera ------------------------------------------------------------


@pytest.mark.parametrize(("width", "height"), [(640, 480), (1280, 720), (320, 180), (1, 1), (161, 99)])
def test_camera_frames_have_the_requested_size(width: int, height: int) -> None:
    frames = run(receive_video(SyntheticCamera(width, height, frame_rate=60.0), 3))
    assert [(frame.width, frame.height) for frame in frames] == [(width, height)] * 3


def test_camera_stamps_counters_from_zero_and_the_capture_time() -> None:
    before_ms = time.time() * 1000
    frames = run(receive_video(SyntheticCamera(320, 240, frame_rate=30.0), 6))
    after_ms = time.time() * 1000
    stamps = [read(pixels_of(frame)) for frame in frames]
    assert all(isinstance(found, Stamp) for found in stamps)
    assert [found.counter for found in stamps if found] == [0, 1, 2, 3, 4, 5]
    timestamps = [found.timestamp_ms for found in stamps if found]
    assert timestamps == sorted(timestamps)
    assert before_ms - 10_000 < timestamps[0] and timestamps[-1] < after_ms + 10_000


def test_camera_pts_count_a_90khz_clock_in_real_time() -> None:
    async def scenario() -> tuple[list[av.VideoFrame], float]:
        started = time.monotonic()
        frames = await receive_video(SyntheticCamera(160, 120, frame_rate=20.0), 5)
        return frames, time.monotonic() - started

    frames, elapsed = run(scenario())
    assert all(frame.time_base == fractions.Fraction(1, 90_000) for frame in frames)
    assert [frame.pts for frame in frames] == [0, 4500, 9000, 13500, 18000]
    assert elapsed >= 0.19  # four frame intervals of 50 ms: paced, not a burst


def test_camera_skips_the_frames_a_slow_consumer_missed() -> None:
    async def scenario() -> list[av.VideoFrame]:
        camera = SyntheticCamera(160, 120, frame_rate=50.0)
        first = await camera.recv()
        assert isinstance(first, av.VideoFrame)
        await asyncio.sleep(0.3)
        return [first, *await receive_video(camera, 2)]

    frames = run(scenario())
    pts = [frame.pts or 0 for frame in frames]
    assert pts[1] - pts[0] >= 10 * 1800  # a camera drops what nobody read: no burst of old frames
    assert pts[2] - pts[1] == 1800
    assert [found.counter for found in map(read, map(pixels_of, frames)) if found] == [0, 1, 2]


def test_camera_pattern_moves() -> None:
    frames = run(receive_video(SyntheticCamera(320, 240, frame_rate=30.0), 4))
    below_band = [pixels_of(frame)[24:] for frame in frames]
    assert not np.array_equal(below_band[0], below_band[-1])


def test_camera_recv_after_stop_raises() -> None:
    camera = SyntheticCamera()
    camera.stop()
    with pytest.raises(MediaStreamError):
        run(camera.recv())


@pytest.mark.parametrize("track_class", [SyntheticCamera, SyntheticMicrophone])
def test_synthetic_track_stop_ends_a_pending_recv(track_class: type[MediaStreamTrack]) -> None:
    async def scenario() -> None:
        track = track_class()
        await track.recv()
        pending = asyncio.ensure_future(track.recv())
        await asyncio.sleep(0)
        track.stop()
        with pytest.raises(MediaStreamError):
            await asyncio.wait_for(pending, 10)

    run(scenario())


@pytest.mark.parametrize(("width", "height", "frame_rate"), [(0, 480, 30.0), (640, 0, 30.0), (640, 480, 0.0)])
def test_camera_constructor_rejects_impossible_modes(width: int, height: int, frame_rate: float) -> None:
    with pytest.raises(ValueError, match="no camera mode"):
        SyntheticCamera(width, height, frame_rate)


# --- the synthetic microphone ----------------------------------------------------------


@pytest.mark.parametrize(("channels", "layout"), [(1, "mono"), (2, "stereo")])
def test_microphone_frames_are_20ms_of_s16(channels: int, layout: str) -> None:
    frames = run(receive_audio(SyntheticMicrophone(440.0, 48000, channels), 3))
    assert len(frames) == 3
    for index, frame in enumerate(frames):
        assert (frame.format.name, frame.layout.name, frame.sample_rate) == ("s16", layout, 48000)
        assert frame.samples == 960
        assert frame.pts == 960 * index
        assert frame.time_base == fractions.Fraction(1, 48000)
    if channels == 2:
        interleaved = frames[0].to_ndarray().reshape(-1, 2)
        assert np.array_equal(interleaved[:, 0], interleaved[:, 1])


@pytest.mark.parametrize("frequency", [440.0, 880.0, 1000.5])
def test_microphone_plays_a_continuous_sine_at_its_frequency(frequency: float) -> None:
    frames = run(receive_audio(SyntheticMicrophone(frequency), 25))  # half a second
    samples = samples_of(frames)
    assert abs(peak_hz(samples, 48000) - frequency) <= 2
    # Continuous phase: the frames together are one sine, so no sample jumps at frame edges.
    sine = 0.25 * 32767 * np.sin(2 * np.pi * frequency * np.arange(samples.size) / 48000)
    assert np.max(np.abs(samples - sine)) <= 2
    assert 6000 < np.max(np.abs(samples)) < 12000  # a moderate level


def test_microphone_paces_in_real_time() -> None:
    async def scenario() -> float:
        started = time.monotonic()
        await receive(SyntheticMicrophone(), 6)
        return time.monotonic() - started

    assert run(scenario()) >= 0.09  # five frame intervals of 20 ms


# --- devices ---------------------------------------------------------------------------


def test_default_offers_a_synthetic_camera_and_microphone() -> None:
    camera, microphone = MediaSources.default().devices
    assert (camera.kind, camera.label) == ("videoinput", "rtcshim synthetic camera")
    assert camera.capabilities == {
        "width": {"min": 1, "max": 1920},
        "height": {"min": 1, "max": 1080},
        "frameRate": {"min": 1.0, "max": 60.0},
        "aspectRatio": {"min": 1 / 1080, "max": 1920.0},
        "facingMode": ["user"],
        "resizeMode": ["none", "crop-and-scale"],
    }
    assert (microphone.kind, microphone.label) == ("audioinput", "rtcshim synthetic microphone")
    assert microphone.capabilities == {
        "sampleRate": {"min": 48000, "max": 48000},
        "channelCount": {"min": 1, "max": 2},
        "sampleSize": {"min": 16, "max": 16},
        "echoCancellation": [False],
        "autoGainControl": [False],
        "noiseSuppression": [False],
    }


def test_device_ids_are_stable_opaque_and_distinct() -> None:
    first, second = MediaSources.default(), MediaSources.default(tone_hz=880)
    assert [device.device_id for device in first.devices] == [device.device_id for device in second.devices]
    ids = [device.device_id for device in first.devices] + [device.group_id for device in first.devices]
    assert all(re.fullmatch("[0-9a-f]{64}", device_id) for device_id in ids)
    assert ids[0] != ids[1]
    assert not any("camera" in device_id for device_id in ids)


def test_default_make_builds_tracks_for_the_chosen_settings() -> None:
    camera_device, microphone_device = MediaSources.default(tone_hz=880).devices
    camera = camera_device.make({"width": 320.0, "height": 180, "frameRate": 15, "deviceId": "x"})
    assert isinstance(camera, SyntheticCamera)
    assert (camera.kind, camera.width, camera.height, camera.frame_rate) == ("video", 320, 180, 15.0)
    assert camera_device.make({}) is not camera
    microphone = microphone_device.make({"sampleRate": 48000, "channelCount": 2})
    assert isinstance(microphone, SyntheticMicrophone)
    assert (microphone.kind, microphone.frequency, microphone.channels) == ("audio", 880, 2)


def test_make_without_settings_uses_the_defaults() -> None:
    camera_device, microphone_device = MediaSources.default().devices
    camera, microphone = camera_device.make({}), microphone_device.make({})
    assert isinstance(camera, SyntheticCamera) and isinstance(microphone, SyntheticMicrophone)
    assert (camera.width, camera.height, camera.frame_rate) == (640, 480, 30.0)
    assert (microphone.frequency, microphone.sample_rate, microphone.channels) == (440.0, 48000, 1)


def test_sources_combine_and_find_devices() -> None:
    low = synthetic_microphone_device(220.0, label="low tone")
    sources = MediaSources.default() + MediaSources((low, synthetic_camera_device(label="second camera")))
    assert [device.kind for device in sources.devices] == ["videoinput", "audioinput", "audioinput", "videoinput"]
    assert sources.find(low.device_id) is low
    assert sources.find("nothing") is None
    assert len(sources.of_kind("audioinput")) == 2
    assert MediaSources().devices == ()


def test_sources_reject_two_devices_with_one_id() -> None:
    with pytest.raises(ValueError, match="same device_id"):
        MediaSources.default() + MediaSources.default()


def test_a_test_can_offer_its_own_device() -> None:
    device = Device(
        device_id="custom", kind="videoinput", label="custom", group_id="group", capabilities={},
        make=lambda settings: SyntheticCamera(settings["width"], settings["height"]),
    )
    track = MediaSources((device,)).devices[0].make({"width": 200, "height": 100})
    frames = run(receive_video(track, 1))
    assert (frames[0].width, frames[0].height) == (200, 100)


# --- file sources ---------------------------------------------------------------------


def write_clip(path: Path, *, video: bool = True, audio: bool = True) -> Path:
    """A 0.4 s WebM: VP8 frames stamped with counters 0..9 at 25 fps, and an Opus tone."""
    with av.open(str(path), "w") as container:
        # Every stream is set up before the first packet, which opens the codecs and the file.
        video_stream = audio_stream = None
        if video:
            video_stream = container.add_stream("libvpx", rate=FILE_FRAME_RATE)
            video_stream.width, video_stream.height = 320, 240
            video_stream.pix_fmt = "yuv420p"
            video_stream.bit_rate = 1_000_000
        if audio:
            audio_stream = container.add_stream("libopus", rate=48000)
            audio_stream.layout = "mono"
        if video_stream is not None:
            for counter in range(FILE_FRAMES):
                pixels = np.full((240, 320, 3), 90, np.uint8)
                stamp(pixels, counter, 1000 + counter)
                picture = av.VideoFrame.from_ndarray(pixels, format="rgb24")
                picture.pts, picture.time_base = counter, fractions.Fraction(1, FILE_FRAME_RATE)
                container.mux(video_stream.encode(picture))
            container.mux(video_stream.encode(None))
        if audio_stream is not None:
            sample_count = 48000 * FILE_FRAMES // FILE_FRAME_RATE
            tone = 0.3 * 32767 * np.sin(2 * np.pi * FILE_TONE_HZ * np.arange(sample_count) / 48000)
            for start in range(0, sample_count, 960):
                chunk = tone[None, start : start + 960].astype(np.int16)
                sound = av.AudioFrame.from_ndarray(chunk, format="s16", layout="mono")
                sound.sample_rate, sound.pts = 48000, start
                container.mux(audio_stream.encode(sound))
            container.mux(audio_stream.encode(None))
    return path


def player_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "media-player"]


def test_from_file_offers_a_camera_and_a_microphone_in_one_group(tmp_path: Path) -> None:
    sources = MediaSources.from_file(write_clip(tmp_path / "clip.webm"))
    camera, microphone = sources.devices
    assert (camera.kind, camera.label, microphone.kind, microphone.label) == (
        "videoinput", "clip.webm", "audioinput", "clip.webm"
    )
    assert camera.group_id == microphone.group_id
    assert camera.device_id != microphone.device_id
    assert camera.capabilities["width"] == {"min": 1, "max": 320}
    assert camera.capabilities["height"] == {"min": 1, "max": 240}
    assert camera.capabilities["frameRate"] == {"min": 1.0, "max": 25.0}
    assert microphone.capabilities["channelCount"] == {"min": 1, "max": 2}


def test_from_file_offers_only_the_kinds_the_file_has(tmp_path: Path) -> None:
    video_only = MediaSources.from_file(write_clip(tmp_path / "video.webm", audio=False), label="silent")
    assert [(device.kind, device.label) for device in video_only.devices] == [("videoinput", "silent")]
    audio_only = MediaSources.from_file(write_clip(tmp_path / "audio.webm", video=False))
    assert [device.kind for device in audio_only.devices] == ["audioinput"]


def test_file_camera_scales_to_the_chosen_size_and_loops(tmp_path: Path) -> None:
    camera = MediaSources.from_file(write_clip(tmp_path / "clip.webm")).of_kind("videoinput")[0]
    frames = run(receive_video(camera.make({"width": 160, "height": 120}), FILE_FRAMES + 5))
    assert {(frame.width, frame.height) for frame in frames} == {(160, 120)}
    counters = [found.counter if found else None for found in map(read, map(pixels_of, frames))]
    assert counters == [*range(FILE_FRAMES), *range(5)]
    pts = [frame.pts or 0 for frame in frames]
    assert all(frame.time_base == fractions.Fraction(1, 90_000) for frame in frames)
    assert all(later - earlier == 3600 for earlier, later in itertools.pairwise(pts))  # 25 fps, across the loop too
    assert not player_threads()


def test_file_camera_without_settings_plays_the_native_size(tmp_path: Path) -> None:
    camera = MediaSources.from_file(write_clip(tmp_path / "clip.webm")).of_kind("videoinput")[0]
    frames = run(receive_video(camera.make({}), 2))
    assert [(frame.width, frame.height) for frame in frames] == [(320, 240)] * 2


def test_file_camera_drops_frames_for_a_lower_frame_rate(tmp_path: Path) -> None:
    camera = MediaSources.from_file(write_clip(tmp_path / "clip.webm")).of_kind("videoinput")[0]
    frames = run(receive_video(camera.make({"frameRate": 12.5}), 4))
    assert [found.counter if found else None for found in map(read, map(pixels_of, frames))] == [0, 2, 4, 6]


def test_file_camera_without_loop_ends(tmp_path: Path) -> None:
    camera = MediaSources.from_file(write_clip(tmp_path / "clip.webm"), loop=False).of_kind("videoinput")[0]

    async def scenario() -> int:
        track = camera.make({})
        received = 0
        with pytest.raises(MediaStreamError):
            while True:
                await track.recv()
                received += 1
        track.stop()
        return received

    assert run(scenario()) == FILE_FRAMES
    assert not player_threads()


@pytest.mark.parametrize("kind", ["videoinput", "audioinput"])
def test_file_track_stop_ends_a_pending_recv(tmp_path: Path, kind: DeviceKind) -> None:
    device = MediaSources.from_file(write_clip(tmp_path / "clip.webm")).of_kind(kind)[0]

    async def scenario() -> None:
        track = device.make({})
        await track.recv()
        pending = asyncio.ensure_future(track.recv())
        await asyncio.sleep(0.01)
        track.stop()
        with pytest.raises(MediaStreamError):
            await asyncio.wait_for(pending, 10)

    run(scenario())
    assert not player_threads()


@pytest.mark.parametrize(("channels", "layout"), [(1, "mono"), (2, "stereo")])
def test_file_microphone_plays_the_file_in_20ms_frames(tmp_path: Path, channels: int, layout: str) -> None:
    microphone = MediaSources.from_file(write_clip(tmp_path / "clip.webm")).of_kind("audioinput")[0]
    frames = run(receive_audio(microphone.make({"channelCount": channels}), 30))  # loops: the clip is 20 frames
    assert len(frames) == 30
    for index, frame in enumerate(frames):
        assert (frame.format.name, frame.layout.name, frame.sample_rate, frame.samples) == ("s16", layout, 48000, 960)
        assert (frame.pts, frame.time_base) == (960 * index, fractions.Fraction(1, 48000))
    # Opus adds a little silence at the start of each pass; the tone is there all the same.
    assert abs(peak_hz(samples_of(frames[2:18]), 48000) - FILE_TONE_HZ) <= 2
    assert not player_threads()
