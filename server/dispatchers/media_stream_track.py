"""MediaStreamTrack: a local source from getUserMedia, or a receiver's remote track.

A track reads a `DeviceFeed` through its own `TrackView` and hands each consumer (RTP
senders, playback) an `EnabledGate`; `media/fan_out.py` describes the two stages.

getStats' media-source counts what a track's view reads (`MediaTrackDispatcher.source_meter`),
from the time a sender first takes the track: a track only played back is not metered.

Playback: while the page renders a track, a renderer task sends each frame over the
bridge, video as JPEG and audio as 16-bit PCM (`raw`), or both as a live WebM stream for
engines without MediaStream (`webm`, see media/webm_playback.py). When the page's socket
falls behind, raw video frames are dropped rather than queued.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
from typing import TYPE_CHECKING, Any

import av
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av.video.reformatter import VideoReformatter

from ..dispatcher import Dispatcher, Params, Result
from ..errors import BridgeTypeError, InvalidStateError
from ..media import constraints as track_constraints
from ..media.fan_out import DeviceFeed, EnabledGate, TrackView
from ..media.meter import MediaMeter
from ..media.upload import UploadedSource
from ..media.webm_playback import LiveWebm

if TYPE_CHECKING:
    from ..media.sources import Device
    from ..session import Session

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
        settings: dict[str, Any] | None = None,
        constraints: dict[str, Any] | None = None,
    ) -> None:
        """A local track has its `source` (and, from getUserMedia, its `device`); a
        receiver's track has none until a remote description gives it one (`attach_source`).
        `constraints` are kept as the page gave them, for getConstraints()."""
        super().__init__(session, guid, parent)
        self.kind = kind
        self.track_id = track_id
        self.label = label
        self.device = device
        self.settings = settings or {}
        self.constraints = constraints or {}
        self.capabilities = device.track_capabilities() if device else {}
        # The page's own capture, when it uploads one (see media/upload.py).
        self.upload = source if isinstance(source, UploadedSource) else None
        self.enabled = True
        self.ended = False
        self.muted = source is None
        self.view = TrackView(kind)
        self.relay = MediaRelay()  # the consumers' subscriptions to the view
        self.feed: DeviceFeed | None = None
        if source is not None:
            self._read(DeviceFeed(source))
        self._renderers: dict[str, asyncio.Task[None]] = {}  # playback format -> its task
        self._source_meter: MediaMeter | None = None
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

    def _read(self, feed: DeviceFeed) -> None:
        """Read `feed` from now on, leaving the one read so far."""
        previous = self.feed
        self.feed = feed
        feed.tracks.append(self)
        self.view.switch(feed.reader())
        if previous is not None:
            previous.leave(self)

    def attach_source(self, source: MediaStreamTrack) -> None:
        """A remote description gave the receiver its track: media can flow (the track
        unmutes when it does: `set_muted`)."""
        if self.feed is None:
            self._read(DeviceFeed(source))

    def set_muted(self, muted: bool) -> None:
        """webrtc-pc: a receiver's track is muted until media arrives, and again when the
        remote stops sending it."""
        if self.muted != muted and not self.ended:
            self.muted = muted
            self.emit("muteChange", {"muted": muted})

    def source_meter(self) -> MediaMeter:
        """What this track's source gave it (getStats' media-source), counted from the first
        call on, across sources (applyConstraints) and consumers."""
        if self._source_meter is None:
            self._source_meter = self.view.meter = MediaMeter()
        return self._source_meter

    def subscribe(self) -> EnabledGate:
        """A new consumer (an RTP sender, playback): frames as the page wants them."""
        return EnabledGate(self, self.relay.subscribe(self.view, buffered=False))

    # --- commands ------------------------------------------------------------------

    async def stop(self, params: Params) -> Result:
        self.end()
        return {}

    async def set_enabled(self, params: Params) -> Result:
        self.enabled = params["enabled"]
        return {}

    async def apply_constraints(self, params: Params) -> Result:
        requested = params["constraints"] or {}
        if not isinstance(requested, dict):  # WebIDL: a MediaTrackConstraints dictionary
            raise BridgeTypeError(f"applyConstraints takes a MediaTrackConstraints object, not {requested!r}")
        if self.device is None:  # not a device (a remote track, an upload): nothing to change
            self.constraints = requested
            return {"settings": self.settings, "constraints": requested}
        normalized = track_constraints.normalize(requested)
        _, settings = track_constraints.select_settings(normalized, [self.device])
        if settings != self.settings and not self.ended:
            # The device opened anew for this track alone: its clones keep their settings.
            self._read(DeviceFeed(self.device.make(settings)))
        self.settings, self.constraints = settings, requested
        return {"settings": settings, "constraints": requested}

    async def clone(self, params: Params) -> Result:
        assert self.parent is not None
        self.session.root.check_room_for_tracks()
        twin = MediaTrackDispatcher(
            self.session, params["track"], self.parent, kind=self.kind, track_id=params["id"],
            label=self.label, source=None, device=self.device, settings=dict(self.settings),
            constraints=dict(self.constraints),
        )
        twin.capabilities = self.capabilities
        twin.muted = self.muted
        twin.enabled = self.enabled
        if self.feed is not None and not self.ended:
            twin._read(self.feed)
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
        playback = params["format"] or "raw"
        running = self._renderers.pop(playback, None)
        if running is not None:
            running.cancel()  # stopped, or restarted: a WebM stream starts anew with its header
        if params["enabled"] and not self.ended:
            play = self._play_raw() if playback == "raw" else self._play_webm()
            self._renderers[playback] = asyncio.create_task(play)
        return {}

    # --- lifetime ------------------------------------------------------------------

    def end(self, *, notify: bool = False) -> None:
        """Ends the track; `notify` when the source ended rather than the page's stop()."""
        if self.ended:
            return
        self.ended = True
        for renderer in self._renderers.values():
            renderer.cancel()
        self._renderers.clear()
        self.view.stop()
        if self.feed is not None:
            self.feed.leave(self)
        if notify:
            self.emit("ended")

    def dispose(self) -> None:
        self.end()
        super().dispose()

    # --- playback ------------------------------------------------------------------

    async def _play_raw(self) -> None:
        subscription = self.subscribe()
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

    async def _play_webm(self) -> None:
        subscription = self.subscribe()
        stream = LiveWebm(self.kind, self.session.clock)
        try:
            while True:
                data = stream.encode(await subscription.recv())
                if data:
                    self.emit("mediaSegment", {}, payload=data)
        except MediaStreamError:
            self.end(notify=True)
        finally:
            subscription.stop()
            stream.close()


class _JpegEncoder:
    """JPEG for playback: cheap to make, and every browser decodes it natively."""

    def __init__(self) -> None:
        self._context: Any = None
        self._converter = VideoReformatter()  # its own: see media.fan_out.EnabledGate

    def encode(self, frame: av.VideoFrame) -> bytes:
        context = self._context
        if context is None or (context.width, context.height) != (frame.width, frame.height):
            context = av.CodecContext.create("mjpeg", "w")
            context.width, context.height = frame.width, frame.height
            context.pix_fmt = "yuvj420p"
            context.time_base = fractions.Fraction(1, 90000)
            context.options = {"qmin": JPEG_QUALITY, "qmax": JPEG_QUALITY}
            self._context = context
        packets = context.encode(self._converter.reformat(frame, format="yuvj420p"))
        return b"".join(bytes(packet) for packet in packets)
