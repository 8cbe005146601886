"""Whether the far peer is still there, judged as Chromium judges it.

aiortc hears nothing of a peer that vanished until aioice's consent checks (one every ~5 s)
have failed six times: its ICE transport then jumps from connected to failed, ~30 s late,
never disconnected. Chromium (156, measured by bench/far_peer_vanish.py; numbers in
docs/security/vanish-and-backpressure.md) says `disconnected` once it heard nothing from the
peer for ~5 s, `connected` again as soon as it hears it, and `failed` ~15 s after it last
heard it. A FarPeerWatch keeps that clock for one connected ICE transport: every datagram
the connection's sockets receive restarts it, and it asks for one by a consent check every
CHECK_INTERVAL (Chromium's ping interval on a stable connection), so that a live but quiet
peer is heard well within SILENT_DISCONNECTED.

The clock goes on after aiortc closed the connection itself (the peer closed DTLS: it is
gone as surely as a peer that vanished), so a clean close reads as Chromium shows it too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Literal

from aiortc import RTCIceTransport

from .aiortc_seams import check_consent, ice_connection, on_datagram_heard

SILENT_DISCONNECTED = 5.0
SILENT_FAILED = 15.0
CHECK_INTERVAL = 2.5
# How often the clock is read: the states change at most this late.
TICK = 0.25

FarPeerState = Literal["connected", "disconnected", "failed"]


class FarPeerWatch:
    """The far peer's state on one ICE transport, from the moment it connected."""

    def __init__(self, ice: RTCIceTransport, changed: Callable[[], None]) -> None:
        """`changed()` is called after each change of `state`."""
        self.state: FarPeerState = "connected"
        self._ice = ice
        self._connection = ice_connection(ice)
        self._changed = changed
        self._loop = asyncio.get_running_loop()
        self._last_heard = self._loop.time()
        self._checks: set[asyncio.Task[bool]] = set()
        on_datagram_heard(self._connection, self._heard)
        self._task = self._loop.create_task(self._watch())

    def _heard(self) -> None:
        self._last_heard = self._loop.time()
        if self.state == "disconnected":
            self._set_state("connected")

    async def _watch(self) -> None:
        next_check = self._loop.time()
        while True:
            now = self._loop.time()
            silence = now - self._last_heard
            if silence >= SILENT_FAILED:
                self._set_state("failed")
                # What aiortc does when consent expires: its transport then reports failed.
                await self._connection.close()
                return
            if silence >= SILENT_DISCONNECTED and self.state == "connected":
                self._set_state("disconnected")
            if now >= next_check and self._ice.state != "closed":
                next_check = now + CHECK_INTERVAL
                check = self._loop.create_task(check_consent(self._connection))
                self._checks.add(check)
                check.add_done_callback(self._checks.discard)
            await asyncio.sleep(TICK)

    def _set_state(self, state: FarPeerState) -> None:
        self.state = state
        self._changed()

    def stop(self) -> None:
        for task in (self._task, *self._checks):
            task.cancel()
