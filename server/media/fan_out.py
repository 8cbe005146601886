"""The fan-out of a track's media: one source read by many tracks, each read by many consumers.

Two stages, each with an aiortc MediaRelay to fan frames out:
- a `DeviceFeed` is one source (a device opened with some settings, an upload, or a
  receiver's remote track); clones of a track share their feed;
- each track has its own `TrackView`, which reads a feed and can move to another one —
  applyConstraints opens the device anew for this track alone — and its consumers (the
  RTP senders it was added to, playback) each get an `EnabledGate` subscription, which
  turns a disabled track's frames black or silent, as the spec asks.

The track itself is the MediaStreamTrack dispatcher (`dispatchers/media_stream_track.py`);
what a gate reads of it is `GatedTrack`.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import av
import numpy
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av.video.reformatter import VideoReformatter

from ..aiortc_seams import set_track_id
from .meter import MediaMeter


class GatedTrack(Protocol):
    """What the fan-out reads of a track: its kind and id, and whether it is on."""

    kind: str
    track_id: str
    enabled: bool
    ended: bool


class DeviceFeed:
    """One source, read by the tracks that share it (a track and its clones)."""

    def __init__(self, source: MediaStreamTrack) -> None:
        # Read through a view, which ends its readers when stopped even if the source
        # never answers (aiortc's remote track of a receiver that never started).
        self.source = TrackView(source.kind)
        self.source.switch(source)
        self.relay = MediaRelay()
        self.tracks: list[GatedTrack] = []

    def reader(self) -> MediaStreamTrack:
        return self.relay.subscribe(self.source, buffered=False)

    def leave(self, track: GatedTrack) -> None:
        """The source stops when the last track reading it goes."""
        self.tracks.remove(track)
        if not self.tracks:
            self.source.stop()



class TrackView(MediaStreamTrack):
    """A reading of a source that can be replaced (applyConstraints, a remote description)
    while consumers keep reading, and stopped even while a read is pending; before any
    source, it waits."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._reader: MediaStreamTrack | None = None
        self._switched = asyncio.Event()
        self.meter: MediaMeter | None = None  # counts each frame read, once set

    def switch(self, reader: MediaStreamTrack) -> None:
        previous, self._reader = self._reader, reader
        self._switched.set()
        if previous is not None:
            previous.stop()

    async def recv(self) -> Any:
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            reader = self._reader
            self._switched.clear()
            if reader is None:
                await self._switched.wait()
                continue
            # A relay subscription that was stopped never answers: wait for a switch too.
            frame = asyncio.ensure_future(reader.recv())
            switched = asyncio.ensure_future(self._switched.wait())
            try:
                await asyncio.wait((frame, switched), return_when=asyncio.FIRST_COMPLETED)
            finally:
                switched.cancel()
                if not frame.done():
                    frame.cancel()
            if not frame.done():  # cancelled just now: the source was switched or stopped
                continue
            try:
                read = frame.result()
            except MediaStreamError:
                if reader is self._reader:  # the feed itself ended, not a switch
                    raise
                continue
            if self.meter is not None:
                self.meter.count(read)
            return read

    def stop(self) -> None:
        super().stop()
        if self._reader is not None:
            self._reader.stop()
        self._switched.set()  # wakes a recv() waiting for a first feed


class EnabledGate(MediaStreamTrack):
    """A consumer's subscription: black frames or silence while the track is disabled.

    Every consumer gets video frames of its own, in yuv420p. A relay hands one frame object
    to all its consumers, and two threads converting the same PyAV frame at once (each
    through the frame's own cached converter) deadlock or crash: aiortc's encoders convert
    in worker threads. A frame already in yuv420p needs no conversion, so it is safe.
    """

    def __init__(self, track: GatedTrack, subscription: MediaStreamTrack) -> None:
        super().__init__()
        self.kind = track.kind
        set_track_id(self, track.track_id)  # aiortc puts the track id in the SDP's msid
        self._track = track
        self._subscription = subscription
        self._converter = VideoReformatter()
        # The frame last handed on: an RTP sender's encoder got it (its size is getStats').
        self.last_frame: Any = None

    async def recv(self) -> Any:
        if self._track.ended:  # a stopped track feeds nothing more (RTP senders stop)
            raise MediaStreamError
        frame = await self._subscription.recv()
        if not self._track.enabled:
            frame = _blank(frame)
        if isinstance(frame, av.VideoFrame) and frame.format.name != "yuv420p":
            converted = self._converter.reformat(frame, format="yuv420p")
            converted.pts, converted.time_base = frame.pts, frame.time_base
            frame = converted
        self.last_frame = frame
        return frame

    def stop(self) -> None:
        self._subscription.stop()
        super().stop()


def _blank(frame: Any) -> Any:
    blank: av.VideoFrame | av.AudioFrame
    if isinstance(frame, av.VideoFrame):
        blank = av.VideoFrame.from_ndarray(
            numpy.zeros((frame.height, frame.width, 3), numpy.uint8), format="rgb24")
    else:
        silence = av.AudioFrame.from_ndarray(
            numpy.zeros_like(frame.to_ndarray()), format=frame.format.name, layout=frame.layout.name)
        silence.sample_rate = frame.sample_rate
        blank = silence
    blank.pts = frame.pts
    blank.time_base = frame.time_base
    return blank
