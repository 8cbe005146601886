"""Running a coroutine from a plain test."""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run` in a thread of its own: in the main thread, Playwright's sync API may
    already be running a loop (so no test here is `async def` either)."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


class _SkippingSelector:
    """A selector that, with nothing to read, lets the clock jump instead of waiting."""

    def __init__(self, selector: selectors.BaseSelector, loop: VirtualClockLoop) -> None:
        self._selector = selector
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = self._selector.select(0)
        if not ready and timeout is not None and timeout > 0:
            self._loop.virtual_time += timeout
        return ready

    def __getattr__(self, name: str) -> Any:
        return getattr(self._selector, name)


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock jumps to the next timer: timing is exact, whatever the
    machine's load, and a test of seconds of schedule runs in milliseconds."""

    def __init__(self) -> None:
        super().__init__()
        self.virtual_time = 0.0
        self._selector = _SkippingSelector(self._selector, self)  # type: ignore[has-type]

    def time(self) -> float:
        return self.virtual_time


def run_in_virtual_time(coroutine: Coroutine[Any, Any, T]) -> T:
    """`run`, on a `VirtualClockLoop` (only for code that waits on timers, not on sockets)."""

    def run_here() -> T:
        with asyncio.Runner(loop_factory=VirtualClockLoop) as runner:
            return runner.run(coroutine)

    with ThreadPoolExecutor(1) as thread:
        return thread.submit(run_here).result()
