"""The StatsSampler: each live peer connection's getStats report (server/stats.py, the one
the page gets), once a second, into the Recorder; run only while someone inspects."""

from __future__ import annotations

import asyncio
import logging

from .. import stats
from .recorder import Recorder

logger = logging.getLogger(__name__)

INTERVAL_S = 1.0  # chrome://webrtc-internals' own pace


class StatsSampler:
    def __init__(self, recorder: Recorder, interval: float = INTERVAL_S) -> None:
        self.recorder = recorder
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="rtcshim inspector stats")

    def stop(self) -> None:
        """Its task ends at its next step (`sample` lets no error out: nothing to collect)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    @property
    def running(self) -> bool:
        return self._task is not None

    async def _run(self) -> None:
        while True:
            await self.sample()
            await asyncio.sleep(self.interval)

    async def sample(self) -> None:
        """One report of every live peer connection; one that fails (closing meanwhile) is skipped."""
        for peer_connection in self.recorder.live_peer_connections():
            try:
                report = await stats.collect(peer_connection)
            except Exception:
                logger.debug("inspector: no stats for %s", peer_connection.guid, exc_info=True)
                continue
            self.recorder.add_report(peer_connection.guid, report)
