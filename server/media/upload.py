"""Tracks whose media the page uploads: the browser's own camera and microphone.

A page that opts in (rtcshimOptions.capture = 'browser') captures with its browser and
pushes each video frame as JPEG and audio as 16-bit PCM, 20 ms at a time; to every consumer
on the server this looks like any other source. The page waits for each video frame's reply
before sending the next, so at most one frame per track is in flight; audio is not held
back, and the oldest chunks are dropped when no consumer keeps up (AUDIO_BACKLOG).
"""

from __future__ import annotations

import asyncio
import fractions
import time
from typing import Any

import av
import numpy
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from ..errors import BridgeTypeError

VIDEO_TIME_BASE = fractions.Fraction(1, 90000)
# Uploaded audio waiting for a consumer; beyond this the oldest is dropped (~200 ms).
AUDIO_BACKLOG = 10


class UploadedSource(MediaStreamTrack):
    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._frames: asyncio.Queue[Any] = asyncio.Queue()
        self._decoder: Any = av.CodecContext.create("mjpeg", "r") if kind == "video" else None
        self._started = time.monotonic()
        self._samples_sent = 0

    def push_video(self, jpeg: bytes) -> None:
        try:
            frames = self._decoder.decode(av.Packet(jpeg))
        except av.error.FFmpegError as error:
            raise BridgeTypeError(f"the uploaded frame is not a JPEG image: {error}") from error
        for frame in frames:
            frame.pts = int((time.monotonic() - self._started) / VIDEO_TIME_BASE)
            frame.time_base = VIDEO_TIME_BASE
            self._replace_with(frame)

    def push_audio(self, sample_rate: int, channels: int, pcm: bytes) -> None:
        samples = numpy.frombuffer(pcm, dtype="<i2")
        if samples.size % channels:
            raise BridgeTypeError("the uploaded audio does not hold whole frames")
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
        self._frames.put_nowait(None)  # wakes a pending recv()
