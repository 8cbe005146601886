"""The InspectorFeed: what each open inspector page (a viewer) is pushed, over its WebSocket.

A viewer gets a snapshot when it joins, then the changes as they happen (at most one push
every FLUSH_DELAY_S, however busy the pages are). The Recorder and the StatsSampler run
only while someone watches: the first viewer starts both, the last one to leave stops the
sampler at once and the recorder KEEP_RECORDING_S later (an inspector reloaded keeps its
history); with no inspector open the bridge pays nothing (`Registry.watched` is false).
A viewer that does not read its socket is sent a fresh snapshot instead of its backlog.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.websockets import WebSocket

from ..registry import Registry
from .recorder import Recorder
from .sampler import INTERVAL_S, StatsSampler

FLUSH_DELAY_S = 0.1
KEEP_RECORDING_S = 30.0
VIEWER_BACKLOG = 1000  # messages waiting for one viewer before it is resynchronised


class Viewer:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def send(self, message: dict[str, Any], recorder: Recorder) -> None:
        if self.queue.qsize() >= VIEWER_BACKLOG:
            while not self.queue.empty():
                self.queue.get_nowait()
            message = recorder.snapshot()
        self.queue.put_nowait(message)


class InspectorFeed:
    def __init__(
        self, registry: Registry, *, sample_interval: float = INTERVAL_S, keep_recording: float = KEEP_RECORDING_S,
    ) -> None:
        self.registry = registry
        self.sample_interval = sample_interval
        self.keep_recording = keep_recording
        self.viewers: set[Viewer] = set()
        self._new_recording()
        self._flush_timer: asyncio.TimerHandle | None = None
        self._stop_timer: asyncio.TimerHandle | None = None

    def _new_recording(self) -> None:
        self.recorder = Recorder(self.registry, self._schedule_flush)
        self.sampler = StatsSampler(self.recorder, self.sample_interval)

    # --- viewers ------------------------------------------------------------------------------

    def join(self) -> Viewer:
        if self._stop_timer is not None:
            self._stop_timer.cancel()
            self._stop_timer = None
        if self.recorder.started:
            self.flush()  # the others' changes first: the snapshot holds them already
        else:
            self.recorder.start()
            self.recorder.take_updates()  # all in the snapshot
        viewer = Viewer()
        viewer.send(self.recorder.snapshot(), self.recorder)
        self.viewers.add(viewer)
        self.sampler.start()
        return viewer

    def leave(self, viewer: Viewer) -> None:
        self.viewers.discard(viewer)
        if self.viewers:
            return
        self.sampler.stop()
        if self.recorder.started and self._stop_timer is None:
            self._stop_timer = asyncio.get_running_loop().call_later(self.keep_recording, self.stop_recording)

    def stop_recording(self) -> None:
        """Nobody watches: forget everything, and leave the registry's feeds."""
        self._stop_timer = None
        if self.viewers:
            return
        self.recorder.stop()
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        self._new_recording()

    def _schedule_flush(self) -> None:
        if self._flush_timer is None:
            self._flush_timer = asyncio.get_running_loop().call_later(FLUSH_DELAY_S, self.flush)

    def flush(self) -> None:
        self._flush_timer = None
        updates = self.recorder.take_updates()
        for viewer in list(self.viewers):
            for update in updates:
                viewer.send(update, self.recorder)

    async def serve(self, websocket: WebSocket) -> None:
        """Push to an admitted viewer until its socket closes (it sends nothing)."""
        viewer = self.join()

        async def write() -> None:
            while True:
                message = await viewer.queue.get()
                await websocket.send_text(json.dumps(message, default=str))

        writer = asyncio.create_task(write())
        writer.add_done_callback(_writer_ended)
        try:
            while (await websocket.receive())["type"] != "websocket.disconnect":
                pass
        finally:
            # Nothing awaited here: a cancellation (the server stopping, a test client
            # leaving) cannot cut it short, and the viewer always leaves.
            writer.cancel()
            self.leave(viewer)

    # --- the export ------------------------------------------------------------------------------

    async def dump(self) -> dict[str, Any]:
        """What the inspector shows now; with no inspector open, what lives now and one
        stats report of each (recorded for this export alone)."""
        if self.recorder.started:
            return self.recorder.dump()
        recorder = Recorder(self.registry)
        recorder.start()
        try:
            await StatsSampler(recorder).sample()
            return recorder.dump()
        finally:
            recorder.stop()


def _writer_ended(writer: asyncio.Task[None]) -> None:
    if not writer.cancelled():
        writer.exception()  # a send to a socket that closed meanwhile: the read loop hears the close
