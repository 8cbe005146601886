"""How a handle reaches the server's objects: on the server's loop, from any thread or loop.

The server's objects (dispatchers, aiortc's) live on one event loop. An `Async...` handle's
coroutine hops there (`run`) when awaited from another loop, and runs in place on that loop;
a sync handle blocks its thread until the same coroutine ends there (`block`), which on the
server's own loop would wait for itself forever: it raises instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from ..registry import Registry
from .watch import Watch

T = TypeVar("T")


class Reach:
    """The server's loop and what the handles watch of its traffic (`Watch`)."""

    def __init__(self, registry: Registry, loop: asyncio.AbstractEventLoop) -> None:
        self.registry = registry
        self.loop = loop
        self.watch = Watch.of(registry)

    def on_server_loop(self) -> bool:
        try:
            return asyncio.get_running_loop() is self.loop
        except RuntimeError:  # no loop runs in this thread
            return False

    async def run(self, work: Coroutine[Any, Any, T]) -> T:
        """`work`, run on the server's loop, awaited from this one."""
        if self.on_server_loop():
            return await work
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self._open_loop(work)))

    async def read(self, reader: Callable[[], T]) -> T:
        """What `reader()` returns, called on the server's loop."""

        async def call() -> T:
            return reader()

        return await self.run(call())

    def block(self, work: Coroutine[Any, Any, T], what: str) -> T:
        """`work` run on the server's loop while this thread waits; `what` names the method
        for the error raised on the server's own loop."""
        try:
            self.refuse_on_server_loop(what)
        except RuntimeError:
            work.close()
            raise
        return asyncio.run_coroutine_threadsafe(work, self._open_loop(work)).result()

    def refuse_on_server_loop(self, what: str) -> None:
        """A blocking call on the server's own loop would wait for itself: a clear error."""
        if self.on_server_loop():
            raise RuntimeError(
                f"{what} blocks until the server's event loop has run it, and it was called on that "
                "loop, which would wait for itself: code on the server's loop awaits the Async handles "
                "instead (ServerThread.async_page_session, AsyncPeerConnection, ...)")

    def _open_loop(self, work: Coroutine[Any, Any, Any]) -> asyncio.AbstractEventLoop:
        if self.loop.is_closed() or not self.loop.is_running():
            work.close()
            raise RuntimeError("the rtcshim server is not running: its objects are gone")
        return self.loop
