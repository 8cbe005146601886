"""MediaStreamTrack: a local source from getUserMedia, or a receiver's remote track.

A track's media is consumed by several parties at once: the RTP senders it was added to,
its clones, and the page when it plays the track. One aiortc MediaRelay per source fans
the frames out; every consumer gets its own subscription, which turns a disabled track's
frames black or silent, as the spec asks.

Playback: while the page renders a track, a renderer task sends each frame over the
bridge, video as JPEG and audio as 16-bit PCM. When the page's socket falls behind,
video frames are dropped rather than queued.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
from typing import TYPE_CHECKING, Any

import av
import numpy
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from . import constraints as track_constraints
from .dispatcher import Dispatcher, Params, Result
from .errors import InvalidStateError
from .upload import UploadedSource

if TYPE_CHECKING:
    from .media_sources import Device
    from .session import Session

logger = logging.getLogger(__name__)

# Frames waiting in the page's socket beyond which playback skips video frames.
PLAYBACK_BACKLOG = 4
JPEG_QUALITY = "4"  # ffmpeg's qscale: 2 (best) to 31


class MediaTrackDispatcher(Dispatcher):
    interface = "MediaStreamTrack"

    def __init__(
        self,
        session: Session,
        guid: str,
        parent: Dispatcher,
        *,
        kind: str,
        track_id: str,
        label: str,
        source: MediaStreamTrack | None,
        device: Device | None = None,
        relay: MediaRelay | None = None,
        settings: dict[str, Any] | None = None,
        constraints: dict[str, Any] | None = None,
    ) -> None:
        """A local track has a `device` and its `source`; a receiver's track has neither
        until a remote description gives it one (`attach_source`)."""
        super().__init__(session, guid, parent)
        self.kind = kind
        self.track_id = track_id
        self.label = label
        self.device = device
        self.settings = settings or {}
        self.constraints = constraints or {}
        self.capabilities = device.capabilities if device else {}
        # The page's own capture, when it uploads one (see upload.py).
        self.upload = source if isinstance(source, UploadedSource) else None
        self.enabled = True
        self.ended = False
        self.muted = source is None
        # Clones share the relay, so their subscriptions read the same source.
        self.relay = relay or MediaRelay()
        self._source: asyncio.Future[MediaStreamTrack] = asyncio.get_running_loop().create_future()
        if source is not None:
            # Switchable, so that applyConstraints can change it under every consumer.
            self._source.set_result(SwitchableSource(source))
        # The live tracks reading this source: it stops when the last of them ends.
        self._sharers: list[MediaTrackDispatcher] = [self]
        self._renderer: asyncio.Task[None] | None = None
        self.commands = {
            "stop": self.stop,
            "setEnabled": self.set_enabled,
            "applyConstraints": self.apply_constraints,
            "clone": self.clone,
            "render": self.render,
            "pushVideo": self.push_video,
            "pushAudio": self.push_audio,
        }

    def initializer(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "id": self.track_id, "label": self.label,
            "readyState": "ended" if self.ended else "live", "muted": self.muted,
            "settings": self.settings, "constraints": self.constraints,
            "capabilities": self.capabilities,
        }

    # --- the source ----------------------------------------------------------------

    def attach_source(self, source: MediaStreamTrack) -> None:
        """A remote description gave the receiver its track: media can flow."""
        if not self._source.done():
            self._source.set_result(source)
        if self.muted:
            self.muted = False
            self.emit("muteChange", {"muted": False})

    async def subscribe(self) -> MediaStreamTrack:
        """A new consumer's view of the source (waits for a remote track's source)."""
        source = await self._source
        return EnabledGate(self, self.relay.subscribe(source, buffered=False))

    def subscribe_now(self) -> MediaStreamTrack:
        """A consumer for an RTP sender, which must have its track at once."""
        return EnabledGate(self, _LateSource(self))

    # --- commands ------------------------------------------------------------------

    async def stop(self, params: Params) -> Result:
        self.end()
        return {}

    async def set_enabled(self, params: Params) -> Result:
        self.enabled = params["enabled"]
        return {}

    async def apply_constraints(self, params: Params) -> Result:
        if self.device is None:  # a remote track: nothing to constrain but the spec's checks
            return {"settings": self.settings, "constraints": self.constraints}
        constraints = track_constraints.normalize(params["constraints"])
        _, settings = track_constraints.select_settings(constraints, [self.device])
        if settings != self.settings:
            source = await self._source
            assert isinstance(source, SwitchableSource)
            source.switch(self.device.make(settings))
        self.settings, self.constraints = settings, constraints
        return {"settings": settings, "constraints": constraints}

    async def clone(self, params: Params) -> Result:
        assert self.parent is not None
        twin = MediaTrackDispatcher(
            self.session, params["track"], self.parent, kind=self.kind, track_id=params["id"],
            label=self.label, source=None, device=self.device, relay=self.relay,
            settings=dict(self.settings), constraints=dict(self.constraints),
        )
        twin._source = self._source
        twin._sharers = self._sharers
        self._sharers.append(twin)
        twin.muted = self.muted
        twin.enabled = self.enabled
        return {}

    async def push_video(self, params: Params) -> Result:
        self._uploaded("video").push_video(params["data"])
        return {}

    async def push_audio(self, params: Params) -> Result:
        self._uploaded("audio").push_audio(params["sampleRate"], params["channels"], params["data"])
        return {}

    def _uploaded(self, kind: str) -> UploadedSource:
        if self.upload is None or self.kind != kind or self.ended:
            raise InvalidStateError(f"{self.guid} is not a live uploaded {kind} track")
        return self.upload

    async def render(self, params: Params) -> Result:
        if params["enabled"] and self._renderer is None and not self.ended:
            self._renderer = asyncio.create_task(self._play())
        elif not params["enabled"] and self._renderer is not None:
            self._renderer.cancel()
            self._renderer = None
        return {}

    # --- lifetime ------------------------------------------------------------------

    def end(self, *, notify: bool = False) -> None:
        """Ends the track; `notify` when the source ended rather than the page's stop()."""
        if self.ended:
            return
        self.ended = True
        if self._renderer is not None:
            self._renderer.cancel()
            self._renderer = None
        self._sharers.remove(self)
        if not self._sharers and self._source.done():
            self._source.result().stop()
        if notify:
            self.emit("ended")

    def dispose(self) -> None:
        self.end()
        super().dispose()

    # --- playback ------------------------------------------------------------------

    async def _play(self) -> None:
        subscription = await self.subscribe()
        encoder = _JpegEncoder()
        try:
            while True:
                frame = await subscription.recv()
                if isinstance(frame, av.VideoFrame):
                    if self.session.backlog() > PLAYBACK_BACKLOG:
                        continue
                    self.emit("videoFrame", {"width": frame.width, "height": frame.height},
                              payload=encoder.encode(frame))
                elif isinstance(frame, av.AudioFrame):
                    samples = frame.to_ndarray()  # s16: (1, samples * channels) interleaved
                    self.emit("audioData", {"sampleRate": frame.sample_rate,
                                            "channels": len(frame.layout.channels)},
                              payload=samples.astype("<i2").tobytes())
        except MediaStreamError:
            self.end(notify=True)
        finally:
            subscription.stop()


class SwitchableSource(MediaStreamTrack):
    """A local source whose device settings can change while consumers keep reading."""

    def __init__(self, source: MediaStreamTrack) -> None:
        super().__init__()
        self.kind = source.kind
        self._source = source

    def switch(self, source: MediaStreamTrack) -> None:
        self._source.stop()
        self._source = source

    async def recv(self) -> Any:
        return await self._source.recv()

    def stop(self) -> None:
        self._source.stop()
        super().stop()


class _LateSource(MediaStreamTrack):
    """Reads a track whose source may not exist yet (a receiver's track sent onward)."""

    def __init__(self, track: MediaTrackDispatcher) -> None:
        super().__init__()
        self.kind = track.kind
        self._track = track
        self._subscription: MediaStreamTrack | None = None

    async def recv(self) -> Any:
        if self._subscription is None:
            source = await self._track._source
            self._subscription = self._track.relay.subscribe(source, buffered=False)
        return await self._subscription.recv()

    def stop(self) -> None:
        if self._subscription is not None:
            self._subscription.stop()
        super().stop()


class EnabledGate(MediaStreamTrack):
    """A consumer's subscription: black frames or silence while the track is disabled."""

    def __init__(self, track: MediaTrackDispatcher, subscription: MediaStreamTrack) -> None:
        super().__init__()
        self.kind = track.kind
        self._id = track.track_id  # aiortc puts the track id in the SDP's msid
        self._track = track
        self._subscription = subscription

    async def recv(self) -> Any:
        if self._track.ended:  # a stopped track feeds nothing more (RTP senders stop)
            raise MediaStreamError
        frame = await self._subscription.recv()
        if self._track.enabled:
            return frame
        return _blank(frame)

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


class _JpegEncoder:
    """JPEG for playback: cheap to make, and every browser decodes it natively."""

    def __init__(self) -> None:
        self._context: Any = None

    def encode(self, frame: av.VideoFrame) -> bytes:
        context = self._context
        if context is None or (context.width, context.height) != (frame.width, frame.height):
            context = av.CodecContext.create("mjpeg", "w")
            context.width, context.height = frame.width, frame.height
            context.pix_fmt = "yuvj420p"
            context.time_base = fractions.Fraction(1, 90000)
            context.options = {"qmin": JPEG_QUALITY, "qmax": JPEG_QUALITY}
            self._context = context
        packets = context.encode(frame.reformat(format="yuvj420p"))
        return b"".join(bytes(packet) for packet in packets)
