"""What passes one point of a media path, for getStats: frames and their size, or audio
samples and their energy; and the RTP bytes a receiver took in.

A `MediaMeter` sits where frames are handed on, only where a stat reads it: in the view of
a track an RTP sender took (what its source gives: media-source), after an RTP sender's
encoder (the video frames it encoded: outbound-rtp, see `rtp_parameters.py`) and in front
of a receiver's decoded-frame queue (inbound-rtp). aiortc counts packets but not payload
bytes received, so `watch_receiver` counts those too (the PAYLOAD_BYTES tap on its incoming
RTP, see `aiortc_seams.RtpTap`), and the frames its decoder produces.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

import av
import numpy
from aiortc import RTCRtpReceiver
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtp import RtpPacket

from ..aiortc_seams import RtpPacketTaps, RtpTap, on_decoded_frame

# framesPerSecond: frames seen over the last second (webrtc-stats).
RATE_WINDOW_S = 1.0


class MediaMeter:
    def __init__(self) -> None:
        self.frames = 0
        self.width: int | None = None
        self.height: int | None = None
        self._recent: deque[float] = deque()
        self.samples = 0
        self.samples_duration = 0.0
        self.audio_energy = 0.0
        self.audio_level: float | None = None

    def count(self, frame: Any) -> None:
        if isinstance(frame, av.VideoFrame):
            now = time.monotonic()
            self.frames += 1
            self.width, self.height = frame.width, frame.height
            self._recent.append(now)
            while self._recent and self._recent[0] <= now - RATE_WINDOW_S:
                self._recent.popleft()
        elif isinstance(frame, av.AudioFrame) and frame.sample_rate:
            samples = frame.to_ndarray().astype(numpy.float64)
            full_scale = 32768.0 if frame.format.name.startswith("s16") else 1.0
            # The spec's audioLevel: RMS in [0, 1]; energy integrates its square over time.
            level = min(1.0, float(numpy.sqrt(numpy.mean(numpy.square(samples)))) / full_scale) if samples.size else 0.0
            duration = frame.samples / frame.sample_rate
            self.samples += frame.samples
            self.samples_duration += duration
            self.audio_energy += level * level * duration
            self.audio_level = level

    @property
    def frames_per_second(self) -> int:
        now = time.monotonic()
        return sum(1 for seen in self._recent if seen > now - RATE_WINDOW_S)

    def video_stats(self, frames_name: str, size_prefix: str = "frame") -> dict[str, Any]:
        """The frame count under `frames_name` (frames, framesEncoded, framesDecoded) and the
        last frame's size (media-source: width, height; RTP streams: frameWidth, frameHeight)."""
        stats: dict[str, Any] = {frames_name: self.frames}
        if self.width is not None:
            width, height = (f"{size_prefix}Width", f"{size_prefix}Height") if size_prefix else ("width", "height")
            stats.update({width: self.width, height: self.height, "framesPerSecond": self.frames_per_second})
        return stats

    def audio_stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = {"totalAudioEnergy": self.audio_energy, "totalSamplesDuration": self.samples_duration}
        if self.audio_level is not None:
            stats["audioLevel"] = self.audio_level
        return stats


class ReceiveCounters:
    """A receiver's payload bytes and decoded frames, which aiortc does not count."""

    def __init__(self, on_decoded: Callable[[], None] = lambda: None) -> None:
        """`on_decoded` is told of each decoded frame too (media arrived: the track unmutes)."""
        self.bytes_received = 0
        self.decoded = MediaMeter()
        self._decoded_track: MediaStreamTrack | None = None
        self._on_decoded = on_decoded

    def watch_decoded(self, remote_track: MediaStreamTrack) -> None:
        """Count the frames aiortc's decoder thread queues for the receiver's track (from
        now on: this may come after it started)."""
        if remote_track is self._decoded_track:
            return
        self._decoded_track = remote_track
        on_decoded_frame(remote_track, self._count_decoded)

    def _count_decoded(self, frame: Any) -> None:
        self.decoded.count(frame)
        self._on_decoded()

    def count_payload(self, packet: RtpPacket) -> None:
        self.bytes_received += len(packet.payload)


def watch_receiver(receiver: RTCRtpReceiver, on_decoded: Callable[[], None] = lambda: None) -> ReceiveCounters:
    """Count the RTP payload bytes an aiortc RTCRtpReceiver takes in, before any packet arrives."""
    counters = ReceiveCounters(on_decoded)
    RtpPacketTaps.of(receiver).add(RtpTap.PAYLOAD_BYTES, before=counters.count_payload)
    return counters
