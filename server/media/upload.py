"""Tracks whose media the page uploads: the browser's own camera and microphone.

A page that opts in (rtcshimOptions.capture = 'browser') captures with its browser and
pushes each video frame as JPEG and audio as 16-bit PCM, 20 ms at a time; to every consumer
on the server this looks like any other source. The page waits for each video frame's reply
before sending the next, so at most one frame per track is in flight; audio is not held
back, and the oldest chunks are dropped when no consumer keeps up (AUDIO_BACKLOG).

A video frame's size is read from its JPEG header before it is decoded: a decoded frame is
width x height x 1.5 bytes, so the limits (`Limits.upload_*`) bound what a track holds.
"""

from __future__ import annotations

import asyncio
import fractions
import struct
import time
from typing import Any

import av
import numpy
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from ..errors import BridgeTypeError
from ..limits import DEFAULT_LIMITS, Limits

VIDEO_TIME_BASE = fractions.Fraction(1, 90000)
# Uploaded audio waiting for a consumer; beyond this the oldest is dropped (~200 ms).
AUDIO_BACKLOG = 10
# JPEG markers: start of image, start of scan, and the start-of-frame kinds (all but DHT
# C4, JPG C8 and DAC CC), whose segment holds the picture's size.
_SOI, _SOS = 0xD8, 0xDA
_START_OF_FRAME = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers that stand alone, without a length: TEM and the restart markers.
_STANDALONE = {0x01, *range(0xD0, 0xD8)}


def jpeg_size(jpeg: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG's frame header, or None if it has none before its scan."""
    if jpeg[:2] != bytes((0xFF, _SOI)):
        return None
    position = 2
    while position + 4 <= len(jpeg):
        if jpeg[position] != 0xFF:
            return None
        marker = jpeg[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
        elif marker in _STANDALONE:
            position += 2
        elif marker in _START_OF_FRAME:
            if position + 9 > len(jpeg):
                return None
            height, width = struct.unpack_from(">HH", jpeg, position + 5)
            return width, height
        elif marker == _SOS:
            return None
        else:
            (length,) = struct.unpack_from(">H", jpeg, position + 2)
            position += 2 + length
    return None


class UploadedSource(MediaStreamTrack):
    def __init__(self, kind: str, limits: Limits = DEFAULT_LIMITS) -> None:
        super().__init__()
        self.kind = kind
        self.limits = limits
        self._frames: asyncio.Queue[Any] = asyncio.Queue()
        self._decoder: Any = av.CodecContext.create("mjpeg", "r") if kind == "video" else None
        self._started = time.monotonic()
        self._samples_sent = 0

    def push_video(self, jpeg: bytes) -> None:
        self.limits.check("upload_frame_bytes", len(jpeg), f"the uploaded frame is {len(jpeg)} bytes")
        size = jpeg_size(jpeg)
        if size is None:
            raise BridgeTypeError("the uploaded frame is not a JPEG image: it has no frame header")
        width, height = size
        self.limits.check("upload_width", width, f"the uploaded frame is {width} pixels wide")
        self.limits.check("upload_height", height, f"the uploaded frame is {height} pixels tall")
        try:
            frames = self._decoder.decode(av.Packet(jpeg))
        except av.error.FFmpegError as error:
            raise BridgeTypeError(f"the uploaded frame is not a JPEG image: {error}") from error
        for frame in frames:
            if (frame.width, frame.height) != size:  # a second image hidden after the first
                raise BridgeTypeError("the uploaded frame holds more than one image")
            frame.pts = int((time.monotonic() - self._started) / VIDEO_TIME_BASE)
            frame.time_base = VIDEO_TIME_BASE
            self._replace_with(frame)

    def push_audio(self, sample_rate: int, channels: int, pcm: bytes) -> None:
        if len(pcm) % (2 * channels):  # 16-bit samples, one per channel in each frame
            raise BridgeTypeError("the uploaded audio does not hold whole frames")
        samples = numpy.frombuffer(pcm, dtype="<i2")
        frame = av.AudioFrame.from_ndarray(
            samples.reshape(1, -1), format="s16", layout="mono" if channels == 1 else "stereo")
        frame.sample_rate = sample_rate
        frame.pts = self._samples_sent
        frame.time_base = fractions.Fraction(1, sample_rate)
        self._samples_sent += samples.size // channels
        if self._frames.qsize() >= AUDIO_BACKLOG:
            self._frames.get_nowait()
        self._frames.put_nowait(frame)

    def _replace_with(self, frame: Any) -> None:
        """Video: consumers want the newest frame, never a queue of stale ones."""
        while not self._frames.empty():
            self._frames.get_nowait()
        self._frames.put_nowait(frame)

    async def recv(self) -> Any:
        if self.readyState != "live":
            raise MediaStreamError
        frame = await self._frames.get()
        if frame is None:
            raise MediaStreamError
        return frame

    def stop(self) -> None:
        super().stop()
        # The decoded frames and the decoder's buffers (a full picture each) go now, not
        # when this source does: objects around a track form cycles, which only Python's
        # cycle collector frees, whenever it runs.
        while not self._frames.empty():
            self._frames.get_nowait()
        self._decoder = None
        self._frames.put_nowait(None)  # wakes a pending recv()
