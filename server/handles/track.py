"""A media track of a page, from Python: its state, its media, the DTMF its receiver heard.

A track the page receives (a receiver's) gives the media the far peer sends, as the page
gets it: `next_frame` returns the next decoded frame (video as yuv420p `av.VideoFrame`, audio
as s16 `av.AudioFrame`; black or silent while the page disabled the track), `record` writes
it with aiortc's MediaRecorder. A local track (getUserMedia, an upload) gives its source's.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Literal

import av
from aiortc.contrib.media import MediaRecorder
from aiortc.mediastreams import MediaStreamTrack

from ..dispatchers.media_stream_track import MediaTrackDispatcher
from ..dispatchers.transceiver import TransceiverDispatcher
from ..dtmf_receiver import DtmfReceiver
from .handle import DEFAULT_TIMEOUT, Handle
from .reach import Reach

TrackState = Literal["live", "ended"]
Frame = av.VideoFrame | av.AudioFrame


class _TrackState(Handle[MediaTrackDispatcher]):
    @property
    def kind(self) -> Literal["audio", "video"]:
        return "audio" if self._dispatcher.kind == "audio" else "video"

    @property
    def id(self) -> str:
        """The page's `track.id`."""
        return self._dispatcher.track_id

    @property
    def label(self) -> str:
        return self._dispatcher.label

    @property
    def ready_state(self) -> TrackState:
        return "ended" if self._dispatcher.ended or self._dispatcher.disposed else "live"

    @property
    def muted(self) -> bool:
        return self._dispatcher.muted

    @property
    def enabled(self) -> bool:
        return self._dispatcher.enabled

    @property
    def dtmf_received(self) -> str:
        """The DTMF digits the far peer sent on this receiver's track, in order ("" for
        other tracks)."""
        receiver = self._dtmf_receiver()
        return receiver.digits if receiver else ""

    def _dtmf_receiver(self) -> DtmfReceiver | None:
        peer_connection = self._dispatcher.parent
        for child in list(peer_connection.children.values()) if peer_connection else ():
            if isinstance(child, TransceiverDispatcher) and child.receiver_track is self._dispatcher:
                return child.dtmf_received
        return None

    def _describe(self) -> str:
        return f" {self.kind} {self.ready_state}{' muted' if self.muted else ''}"


class AsyncRecording:
    """A track being written to a file by aiortc's MediaRecorder; `stop` ends the file."""

    def __init__(self, recorder: MediaRecorder, subscription: MediaStreamTrack, reach: Reach) -> None:
        self._recorder = recorder
        self._subscription = subscription
        self._reach = reach

    async def stop(self) -> None:
        """Finish the file and stop reading the track."""
        await self._reach.run(self._stop())

    async def _stop(self) -> None:
        await self._recorder.stop()
        self._subscription.stop()  # the track's fan-out forgets this consumer


class Recording:
    """A track being written to a file (sync); `stop` ends the file."""

    def __init__(self, recording: AsyncRecording, reach: Reach) -> None:
        self._recording = recording
        self._reach = reach

    def stop(self) -> None:
        """As AsyncRecording.stop."""
        self._reach.block(self._recording.stop(), "Recording.stop")


class AsyncTrack(_TrackState):
    """A page's MediaStreamTrack, for asyncio code (each method runs on the server's loop)."""

    async def next_frame(self, timeout: float = DEFAULT_TIMEOUT) -> Frame:
        """The next frame of the track's media (see the module's doc)."""
        return await self._reach.run(self._next_frame(timeout))

    async def _next_frame(self, timeout: float) -> Frame:
        subscription = self._dispatcher.subscribe()
        try:
            async with asyncio.timeout(timeout):
                frame: Frame = await subscription.recv()
                return frame
        except TimeoutError:
            raise TimeoutError(f"after {timeout:g} s: no frame came on {self}") from None
        finally:
            subscription.stop()

    async def record(
        self, file: str | Path, *, format: str | None = None, options: dict[str, str] | None = None,
    ) -> AsyncRecording:
        """Write the track's media to `file` from now on, with aiortc's MediaRecorder
        (`format` and `options` are FFmpeg's, as MediaRecorder takes them), until `stop`."""
        return await self._reach.run(self._record(str(file), format, options))

    async def _record(self, file: str, format: str | None, options: dict[str, str] | None) -> AsyncRecording:
        recorder = MediaRecorder(file, format=format, options=options)
        subscription = self._dispatcher.subscribe()
        recorder.addTrack(subscription)
        await recorder.start()
        return AsyncRecording(recorder, subscription, self._reach)

    async def wait_for(
        self, *, muted: bool | None = None, ready_state: TrackState | None = None, timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Until the track is (un)muted as asked and in `ready_state`: a receiver's track
        unmutes when its first frame arrives."""
        wanted = {name: value for name, value in (("muted", muted), ("ready_state", ready_state))
                  if value is not None}

        def now() -> dict[str, object]:
            return {"muted": self.muted, "ready_state": self.ready_state}

        await self._reach.run(self._reach.watch.until(
            lambda: True if all(now()[name] == value for name, value in wanted.items()) else None, timeout,
            lambda: f"{self.guid} never had {wanted}; it has {now()}"))

    async def wait_for_dtmf(self, count: int, timeout: float = DEFAULT_TIMEOUT) -> str:
        """The DTMF digits received (`dtmf_received`), once there are at least `count`."""
        if self._dtmf_receiver() is None:
            raise ValueError(f"{self} is not an audio track a peer connection receives: it hears no DTMF")
        return await self._reach.run(self._reach.watch.until(
            lambda: digits if len(digits := self.dtmf_received) >= count else None, timeout,
            lambda: f"{self.guid} received {len(self.dtmf_received)} DTMF digits of {count}: "
                    f"{self.dtmf_received!r}"))


class Track(_TrackState):
    """A page's MediaStreamTrack, for a sync test (each method waits for the server's loop)."""

    def __init__(self, dispatcher: MediaTrackDispatcher, reach: Reach) -> None:
        super().__init__(dispatcher, reach)
        self._async = AsyncTrack(dispatcher, reach)

    def next_frame(self, timeout: float = DEFAULT_TIMEOUT) -> Frame:
        """As AsyncTrack.next_frame."""
        return self._reach.block(self._async.next_frame(timeout), "Track.next_frame")

    def record(
        self, file: str | Path, *, format: str | None = None, options: dict[str, str] | None = None,
    ) -> Recording:
        """As AsyncTrack.record."""
        return Recording(self._reach.block(self._async.record(file, format=format, options=options),
                                           "Track.record"), self._reach)

    def wait_for(
        self, *, muted: bool | None = None, ready_state: TrackState | None = None, timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """As AsyncTrack.wait_for."""
        self._reach.block(self._async.wait_for(muted=muted, ready_state=ready_state, timeout=timeout),
                          "Track.wait_for")

    def wait_for_dtmf(self, count: int, timeout: float = DEFAULT_TIMEOUT) -> str:
        """As AsyncTrack.wait_for_dtmf."""
        return self._reach.block(self._async.wait_for_dtmf(count, timeout), "Track.wait_for_dtmf")
