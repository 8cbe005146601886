"""The media devices a server offers to getUserMedia, and the tracks that play them.

`MediaSources` lists `Device`s; a device's `make(settings)` builds a fresh aiortc track for
the settings getUserMedia or applyConstraints chose. By default a server offers a synthetic
camera (a scrolling rainbow stamped by `frame_pattern` with a frame counter and its capture
time) and a synthetic microphone (a sine tone); `MediaSources.from_file` adds devices that play
anything FFmpeg reads, through aiortc's MediaPlayer.

Sources behave like capture devices: they run in real time, and a camera whose consumer falls
behind skips the frames it missed rather than handing over a burst of stale ones.
"""

from __future__ import annotations

import asyncio
import fractions
import hashlib
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import av
import numpy as np
import numpy.typing as npt
from aiortc.contrib.media import MediaPlayer
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av.frame import Frame
from av.packet import Packet

from ..aiortc_seams import keep_only_stream, player_throttles_playback
from .frame_pattern import stamp

TrackSettings = dict[str, Any]  # as MediaStreamTrack.getSettings() reports them: width, frameRate, …
DeviceKind = Literal["videoinput", "audioinput"]

VIDEO_CLOCK_RATE = 90_000
VIDEO_TIME_BASE = fractions.Fraction(1, VIDEO_CLOCK_RATE)
AUDIO_FRAME_SECONDS = 0.020
TONE_AMPLITUDE = 0.25 * 32767  # -12 dBFS: clearly audible, far from clipping
SCROLL_SECONDS = 4.0  # the synthetic camera's rainbow scrolls one frame width in this time
RAINBOW_STRIPES = 8
# An audio consumer up to this many frames late catches up with a burst (jitter buffers absorb
# it); later than that, the missed frames are skipped, as for video.
AUDIO_MAX_LAG_FRAMES = 5

SYNTHETIC_CAMERA_LABEL = "rtcshim synthetic camera"
SYNTHETIC_MICROPHONE_LABEL = "rtcshim synthetic microphone"
SYNTHETIC_GROUP = "rtcshim synthetic devices"
DEFAULT_CAMERA_SETTINGS: TrackSettings = {"width": 640, "height": 480, "frameRate": 30.0}
DEFAULT_MICROPHONE_SETTINGS: TrackSettings = {"sampleRate": 48000, "channelCount": 1}


# --- devices ---------------------------------------------------------------------


@dataclass(frozen=True)
class Device:
    """One entry of enumerateDevices(), and how to open it.

    `capabilities` has the shape of W3C MediaTrackCapabilities (ranges as {"min", "max"},
    enumerations as lists), without deviceId and groupId, which are fields here. `make` builds
    a new track for chosen settings; a setting it is not given takes the device's default.
    """

    device_id: str
    kind: DeviceKind
    label: str
    group_id: str
    capabilities: dict[str, Any]
    make: Callable[[TrackSettings], MediaStreamTrack]

    def track_capabilities(self) -> dict[str, Any]:
        """MediaTrackCapabilities as a track from this device (or its InputDeviceInfo) reports them."""
        return {**self.capabilities, "deviceId": self.device_id, "groupId": self.group_id}


@dataclass(frozen=True)
class MediaSources:
    """The devices offered to pages, in enumerateDevices() order. Combine sets with `+`."""

    devices: tuple[Device, ...] = ()

    def __post_init__(self) -> None:
        device_ids = [device.device_id for device in self.devices]
        if len(set(device_ids)) != len(device_ids):
            raise ValueError("two devices have the same device_id (same kind and label)")

    def __add__(self, other: MediaSources) -> MediaSources:
        return MediaSources(self.devices + other.devices)

    def of_kind(self, kind: DeviceKind) -> tuple[Device, ...]:
        return tuple(device for device in self.devices if device.kind == kind)

    def find(self, device_id: str) -> Device | None:
        return next((device for device in self.devices if device.device_id == device_id), None)

    @classmethod
    def default(cls, tone_hz: float = 440.0) -> MediaSources:
        """A synthetic camera and a synthetic microphone playing `tone_hz`."""
        return cls((synthetic_camera_device(), synthetic_microphone_device(tone_hz)))

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        label: str | None = None,
        format: str | None = None,
        options: Mapping[str, str] | None = None,
        loop: bool = True,
    ) -> MediaSources:
        """A camera and/or a microphone for the first video and audio streams of `path`.

        `path`, `format` and `options` are FFmpeg's, as for MediaPlayer (a file, a URL, or a
        device such as "/dev/video0" with format "v4l2"). Files with a duration start again at
        their end if `loop`. Both devices share a group, named like the label (default: the
        file's name). Each track opens the input anew, so tracks do not share a position.
        """
        label = label or Path(path).name
        ffmpeg_options = dict(options or {})
        with av.open(str(path), format=format, options=ffmpeg_options) as container:
            seekable = container.duration is not None
            has_audio = bool(container.streams.audio)
            video_mode: tuple[int, int, float] | None = None
            for video_stream in container.streams.video[:1]:
                rate = video_stream.guessed_rate or video_stream.average_rate
                context = video_stream.codec_context
                video_mode = (context.width, context.height, float(rate) if rate else 30.0)

        def open_input(kind: Literal["audio", "video"]) -> _PlayerInput:
            return _PlayerInput(str(path), kind, format, ffmpeg_options, loop=loop and seekable)

        devices = []
        if video_mode is not None:
            width, height, native_frame_rate = video_mode

            def make_camera(settings: TrackSettings) -> MediaStreamTrack:
                return FileCamera(
                    open_input("video"), width=_int_setting(settings, "width", width),
                    height=_int_setting(settings, "height", height),
                    frame_rate=float(settings.get("frameRate") or native_frame_rate),
                )

            devices.append(Device(
                device_id=_device_id("videoinput", label), kind="videoinput", label=label,
                group_id=_group_id(label), make=make_camera,
                capabilities=_camera_capabilities(width, height, native_frame_rate, facing_modes=[]),
            ))
        if has_audio:

            def make_microphone(settings: TrackSettings) -> MediaStreamTrack:
                return FileMicrophone(
                    open_input("audio"), sample_rate=_int_setting(settings, "sampleRate", 48000),
                    channels=_int_setting(settings, "channelCount", 1),
                )

            devices.append(Device(
                device_id=_device_id("audioinput", label), kind="audioinput", label=label,
                group_id=_group_id(label), make=make_microphone, capabilities=_microphone_capabilities(),
            ))
        return cls(tuple(devices))


def synthetic_camera_device(label: str = SYNTHETIC_CAMERA_LABEL, group: str = SYNTHETIC_GROUP) -> Device:
    """A SyntheticCamera of up to 1920x1080 at up to 60 fps."""

    def make(settings: TrackSettings) -> MediaStreamTrack:
        defaults = DEFAULT_CAMERA_SETTINGS
        return SyntheticCamera(
            width=_int_setting(settings, "width", defaults["width"]),
            height=_int_setting(settings, "height", defaults["height"]),
            frame_rate=float(settings.get("frameRate") or defaults["frameRate"]),
        )

    return Device(
        device_id=_device_id("videoinput", label), kind="videoinput", label=label,
        group_id=_group_id(group), make=make,
        capabilities=_camera_capabilities(1920, 1080, 60.0, facing_modes=["user"]),
    )


def synthetic_microphone_device(
    tone_hz: float = 440.0, label: str = SYNTHETIC_MICROPHONE_LABEL, group: str = SYNTHETIC_GROUP
) -> Device:
    """A SyntheticMicrophone playing `tone_hz`; give another `label` to offer several."""

    def make(settings: TrackSettings) -> MediaStreamTrack:
        defaults = DEFAULT_MICROPHONE_SETTINGS
        return SyntheticMicrophone(
            frequency=tone_hz,
            sample_rate=_int_setting(settings, "sampleRate", defaults["sampleRate"]),
            channels=_int_setting(settings, "channelCount", defaults["channelCount"]),
        )

    return Device(
        device_id=_device_id("audioinput", label), kind="audioinput", label=label,
        group_id=_group_id(group), make=make, capabilities=_microphone_capabilities(),
    )


def _device_id(kind: DeviceKind, label: str) -> str:
    # Stable across servers and runs, so tests can target a device by deviceId.
    return hashlib.sha256(f"{kind}\n{label}".encode()).hexdigest()


def _group_id(group: str) -> str:
    return hashlib.sha256(f"group\n{group}".encode()).hexdigest()


def _int_setting(settings: TrackSettings, name: str, default: int) -> int:
    value = settings.get(name)
    return max(1, round(value)) if isinstance(value, int | float) else default


def _camera_capabilities(width: int, height: int, frame_rate: float, facing_modes: list[str]) -> dict[str, Any]:
    return {
        "width": {"min": 1, "max": width},
        "height": {"min": 1, "max": height},
        "frameRate": {"min": 1.0, "max": frame_rate},
        "aspectRatio": {"min": 1 / height, "max": float(width)},
        "facingMode": facing_modes,
        "resizeMode": ["none", "crop-and-scale"],
    }


def _microphone_capabilities() -> dict[str, Any]:
    return {
        "sampleRate": {"min": 48000, "max": 48000},
        "channelCount": {"min": 1, "max": 2},
        "sampleSize": {"min": 16, "max": 16},
        "echoCancellation": [False],
        "autoGainControl": [False],
        "noiseSuppression": [False],
    }


# --- pacing ----------------------------------------------------------------------


class _Clock:
    """Ticks at `rate` per second in real time, from the first call on, like a device's clock.

    A consumer more than `max_lag` ticks late skips to the current tick, as a capture device
    drops what nobody read.
    """

    def __init__(self, rate: float, max_lag: int) -> None:
        self.rate = rate
        self.max_lag = max_lag
        self._start: float | None = None
        self._tick = 0

    async def next_tick(self) -> int:
        now = time.monotonic()
        if self._start is None:
            self._start = now
            return 0
        self._tick += 1
        current_tick = int((now - self._start) * self.rate)
        if current_tick - self._tick > self.max_lag:
            self._tick = current_tick
        await asyncio.sleep(self._start + self._tick / self.rate - now)
        return self._tick

    async def next_tick_of(self, track: MediaStreamTrack) -> int:
        """`next_tick` for a track that stays live meanwhile; MediaStreamError once it ended
        (before or while it waited), which is how aiortc's tracks say they ended."""
        if track.readyState != "live":
            raise MediaStreamError
        tick = await self.next_tick()
        if track.readyState != "live":
            raise MediaStreamError
        return tick


# --- synthetic sources -----------------------------------------------------------


class SyntheticCamera(MediaStreamTrack):
    """A rainbow scrolling sideways, stamped with a frame counter and its capture time."""

    kind = "video"

    def __init__(self, width: int = 640, height: int = 480, frame_rate: float = 30.0) -> None:
        super().__init__()
        if width < 1 or height < 1 or not frame_rate > 0:
            raise ValueError(f"no camera mode {width}x{height} at {frame_rate} fps")
        self.width, self.height, self.frame_rate = width, height, frame_rate
        self._clock = _Clock(frame_rate, max_lag=0)
        self._counter = 0
        # Each stripe's colours for two periods side by side: a frame shows one window of them.
        self._stripes = _rainbow_stripes(width)
        self._stripe_rows = [
            (stripe * height // len(self._stripes), (stripe + 1) * height // len(self._stripes))
            for stripe in range(len(self._stripes))
        ]

    async def recv(self) -> Frame:
        tick = await self._clock.next_tick_of(self)
        offset = int(tick / self.frame_rate / SCROLL_SECONDS * self.width) % self.width
        pixels = np.empty((self.height, self.width, 3), np.uint8)
        for (top, bottom), colours in zip(self._stripe_rows, self._stripes, strict=True):
            pixels[top:bottom] = colours[offset : offset + self.width]
        stamp(pixels, self._counter, int(time.time() * 1000))
        self._counter += 1
        frame = av.VideoFrame.from_numpy_buffer(pixels, format="rgb24")
        frame.pts = round(tick * VIDEO_CLOCK_RATE / self.frame_rate)
        frame.time_base = VIDEO_TIME_BASE
        return frame


def _rainbow_stripes(width: int) -> npt.NDArray[np.uint8]:
    """Hues across `width`, twice over, in stripes from full brightness down to half."""
    hue = np.arange(2 * width) % width / width
    colours = np.stack([
        np.abs(hue * 6 - 3) - 1,  # red
        2 - np.abs(hue * 6 - 2),  # green
        2 - np.abs(hue * 6 - 4),  # blue
    ], axis=-1).clip(0, 1)
    brightness = np.linspace(1, 0.5, RAINBOW_STRIPES)
    return np.asarray(brightness[:, None, None] * colours[None, :, :] * 255, dtype=np.uint8)


class SyntheticMicrophone(MediaStreamTrack):
    """A sine tone in 20 ms frames of signed 16-bit samples."""

    kind = "audio"

    def __init__(self, frequency: float = 440.0, sample_rate: int = 48000, channels: int = 1) -> None:
        super().__init__()
        if channels not in (1, 2) or sample_rate < 1000 or not 0 <= frequency < sample_rate / 2:
            raise ValueError(f"no microphone mode {frequency} Hz, {sample_rate} Hz x {channels} channels")
        self.frequency, self.sample_rate, self.channels = frequency, sample_rate, channels
        self._samples_per_frame = round(sample_rate * AUDIO_FRAME_SECONDS)
        self._clock = _Clock(sample_rate / self._samples_per_frame, max_lag=AUDIO_MAX_LAG_FRAMES)
        self._phase_steps = 2 * math.pi * frequency / sample_rate * np.arange(self._samples_per_frame)

    async def recv(self) -> Frame:
        tick = await self._clock.next_tick_of(self)
        first_sample = tick * self._samples_per_frame
        # The phase follows the sample count, so it stays continuous across frames (and skips).
        start_phase = 2 * math.pi * ((self.frequency * first_sample) % self.sample_rate) / self.sample_rate
        tone = (TONE_AMPLITUDE * np.sin(start_phase + self._phase_steps)).astype(np.int16)
        interleaved = np.repeat(tone, self.channels)[None, :]  # packed s16: one plane, channels alternate
        frame = av.AudioFrame.from_ndarray(interleaved, format="s16", layout="mono" if self.channels == 1 else "stereo")
        frame.sample_rate = self.sample_rate
        frame.pts = first_sample
        frame.time_base = fractions.Fraction(1, self.sample_rate)
        return frame


# --- file and device sources -----------------------------------------------------


class _PlayerInput:
    """One stream of an FFmpeg input through MediaPlayer, opened anew at its end if looping.

    `next_frame` returns each frame, at its time, with its media time: seconds since the first
    frame, still growing when the input starts again (MediaPlayer paces one pass only).
    """

    def __init__(
        self, path: str, kind: Literal["audio", "video"], format: str | None, options: dict[str, str], loop: bool
    ) -> None:
        self.path, self.kind, self.format, self.options, self.loop = path, kind, format, options, loop
        self.real_time = False  # a device (camera, stream) delivers in real time by itself
        self._track: MediaStreamTrack | None = None
        self._stopped = asyncio.Event()
        self._pass_start = 0.0  # media time at which the current pass through the input began
        self._last_start: float | None = None  # media time of the last frame of this pass
        self._last_duration = 1 / 30
        self._clock_start: float | None = None  # monotonic time of media time 0

    async def next_frame(self) -> tuple[Frame, float]:
        frame, media_time = await self._read()
        if not self.real_time:
            now = time.monotonic()
            if self._clock_start is None:
                self._clock_start = now - media_time
            await asyncio.sleep(self._clock_start + media_time - now)
            if self._stopped.is_set():
                raise MediaStreamError
        return frame, media_time

    async def _read(self) -> tuple[Frame, float]:
        while not self._stopped.is_set():
            track = self._track = self._track or self._open()
            try:
                frame = await self._receive(track)
            except MediaStreamError:
                track.stop()
                self._track = None
                if self._stopped.is_set() or not self.loop or self._last_start is None:
                    break
                self._pass_start = self._last_start + self._last_duration
                self._last_start = None
                continue
            assert isinstance(frame, Frame)
            media_time = self._pass_start + float(frame.time or 0.0)
            if isinstance(frame, av.AudioFrame):
                self._last_duration = frame.samples / frame.sample_rate
            elif self._last_start is not None and media_time > self._last_start:
                # Video frames carry no duration: the distance from the previous one will do.
                self._last_duration = media_time - self._last_start
            self._last_start = media_time
            return frame, media_time
        raise MediaStreamError

    async def _receive(self, track: MediaStreamTrack) -> Frame | Packet[Any]:
        """track.recv(), ended by stop(): a stopped MediaPlayer track would wait forever."""
        receiving = asyncio.ensure_future(track.recv())
        stopping = asyncio.ensure_future(self._stopped.wait())
        try:
            await asyncio.wait({receiving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            receiving.cancel()
            raise
        finally:
            stopping.cancel()
        if not receiving.done():  # stopped first
            receiving.cancel()
            raise MediaStreamError
        return receiving.result()

    def stop(self) -> None:
        self._stopped.set()
        if self._track is not None:
            self._track.stop()
            self._track = None

    def _open(self) -> MediaStreamTrack:
        player = MediaPlayer(self.path, format=self.format, options=dict(self.options))
        self.real_time = not player_throttles_playback(player)
        keep_only_stream(player, self.kind)
        track = player.video if self.kind == "video" else player.audio
        assert track is not None
        return track


class FileCamera(MediaStreamTrack):
    """Video frames of an FFmpeg input, scaled to `width`x`height`, at most `frame_rate` a second."""

    kind = "video"

    def __init__(self, player_input: _PlayerInput, width: int, height: int, frame_rate: float) -> None:
        super().__init__()
        self.width, self.height, self.frame_rate = width, height, frame_rate
        self._input = player_input
        self._last_slot: int | None = None

    async def recv(self) -> Frame:
        if self.readyState != "live":
            raise MediaStreamError
        while True:
            frame, media_time = await self._input.next_frame()
            # Keep one frame per 1/frame_rate slot: a lower rate than the input's drops frames.
            slot = math.floor(media_time * self.frame_rate + 1e-6)
            if self._last_slot is None or slot > self._last_slot:
                self._last_slot = slot
                break
        assert isinstance(frame, av.VideoFrame)
        if (frame.width, frame.height) != (self.width, self.height):
            frame = frame.reformat(width=self.width, height=self.height)
        frame.pts = round(media_time * VIDEO_CLOCK_RATE)
        frame.time_base = VIDEO_TIME_BASE
        return frame

    def stop(self) -> None:
        super().stop()
        self._input.stop()


class FileMicrophone(MediaStreamTrack):
    """Audio of an FFmpeg input as 20 ms frames of signed 16-bit samples."""

    kind = "audio"

    def __init__(self, player_input: _PlayerInput, sample_rate: int = 48000, channels: int = 1) -> None:
        super().__init__()
        if channels not in (1, 2):
            raise ValueError(f"no microphone mode with {channels} channels")
        self.sample_rate, self.channels = sample_rate, channels
        self._input = player_input
        # MediaPlayer delivers 48 kHz stereo; the resampler makes the chosen format.
        self._resampler = av.AudioResampler(
            format="s16", layout="mono" if channels == 1 else "stereo", rate=sample_rate,
            frame_size=round(sample_rate * AUDIO_FRAME_SECONDS),
        )
        self._ready: list[av.AudioFrame] = []
        self._samples_sent = 0

    async def recv(self) -> Frame:
        if self.readyState != "live":
            raise MediaStreamError
        while not self._ready:
            frame, _ = await self._input.next_frame()
            assert isinstance(frame, av.AudioFrame)
            frame.pts = None  # the resampler times its output; the sample count does it here
            self._ready.extend(self._resampler.resample(frame))
        frame = self._ready.pop(0)
        frame.pts = self._samples_sent
        frame.time_base = fractions.Fraction(1, self.sample_rate)
        self._samples_sent += frame.samples
        return frame

    def stop(self) -> None:
        super().stop()
        self._input.stop()
