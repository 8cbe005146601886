"""Playback as a live WebM byte stream, for engines without MediaStream.

An engine without MediaStream (WPE) cannot play a track the usual way (shim.js draws
frames on a canvas whose captureStream() a media element plays), but its media elements
play what Media Source Extensions feed them. For such a page the server encodes the
track it renders as WebM, video as VP8 and audio as Vorbis (what WPE's MSE takes), and
sends the muxer's output as it comes: the page appends each chunk to a SourceBuffer.

Timestamps come from the session's clock, so the tracks of one session share a timeline,
and a stream restarted (new size, new element) continues it.
The first chunk of a stream carries the WebM header; the muxer writes a cluster per
frame (no buffering: the page shows a frame as soon as it is encoded).
"""

from __future__ import annotations

import fractions
import io
from collections.abc import Callable
from typing import Any

import av
from av.audio.resampler import AudioResampler
from av.video.reformatter import VideoReformatter

VIDEO_MIME = 'video/webm; codecs="vp8"'
AUDIO_MIME = 'audio/webm; codecs="vorbis"'
MILLISECONDS = fractions.Fraction(1, 1000)
AUDIO_RATE = 48000
# A keyframe every 2 s, so that a decoder that dropped data recovers.
KEYFRAME_INTERVAL = 60
VIDEO_BITRATE = 2_000_000
MUXER_OPTIONS = {"live": "1", "cluster_time_limit": "0", "cluster_size_limit": "0", "flush_packets": "1"}


class _Chunks(io.RawIOBase):
    """What the muxer writes, collected until taken."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


class LiveWebm:
    """One track's frames in, WebM bytes out; `clock()` gives the session's seconds."""

    def __init__(self, kind: str, clock: Callable[[], float]) -> None:
        self.kind = kind
        self.mime_type = VIDEO_MIME if kind == "video" else AUDIO_MIME
        self._clock = clock
        self._chunks = _Chunks()
        self._container: Any = None
        self._stream: Any = None
        self._size: tuple[int, int] | None = None
        self._last_pts = -1
        self._next_sample: int | None = None
        self._reformatter = VideoReformatter()
        self._resampler = AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)

    def encode(self, frame: av.VideoFrame | av.AudioFrame) -> bytes:
        """The bytes this frame adds to the stream (with a header when the stream (re)starts)."""
        if isinstance(frame, av.VideoFrame):
            self._encode_video(frame)
        else:
            self._encode_audio(frame)
        return self._chunks.take()

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None

    def _open(self, codec: str, **options: Any) -> None:
        self.close()
        self._container = av.open(self._chunks, "w", format="webm", options=MUXER_OPTIONS)
        self._stream = self._container.add_stream(codec, **options)

    def _encode_video(self, frame: av.VideoFrame) -> None:
        size = (frame.width, frame.height)
        if size != self._size:
            # A new size is a new stream: MSE takes a new header in the same SourceBuffer.
            self._open("libvpx", rate=30, options={
                "deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0",
                "g": str(KEYFRAME_INTERVAL), "b": str(VIDEO_BITRATE)})
            self._stream.width, self._stream.height = size
            self._stream.pix_fmt = "yuv420p"
            self._stream.codec_context.time_base = MILLISECONDS
            self._size = size
        image = self._reformatter.reformat(frame, format="yuv420p")
        # Strictly increasing milliseconds, whatever the source's own time stamps.
        image.pts = self._last_pts = max(self._last_pts + 1, round(self._clock() * 1000))
        image.time_base = MILLISECONDS
        for packet in self._stream.encode(image):
            self._container.mux(packet)

    def _encode_audio(self, frame: av.AudioFrame) -> None:
        if self._container is None:
            # Vorbis is the only audio WPE's MSE takes; FFmpeg's own encoder is stereo only.
            self._open("vorbis", rate=AUDIO_RATE, layout="stereo", options={"strict": "experimental"})
        for resampled in self._resampler.resample(frame):
            if self._next_sample is None:
                self._next_sample = round(self._clock() * AUDIO_RATE)
            # Samples follow each other: the timeline is the sample count from the first.
            resampled.pts = self._next_sample
            resampled.time_base = fractions.Fraction(1, AUDIO_RATE)
            self._next_sample += resampled.samples
            for packet in self._stream.encode(resampled):
                self._container.mux(packet)
