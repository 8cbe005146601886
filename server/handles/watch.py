"""What the handles learn from the registry's feed: waits that wake on events, and messages.

One `Watch` per registry (`Watch.of`), started with the server (`ServerThread`), so that the
messages a data channel received before a test asked for its handle are kept. Every call
answered, every event sent and every object made or disposed wakes the waits, which check
their condition again: a state, a description, a message or a tone is always announced to
the page by an event, after the server's object changed. Nothing polls.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, TypeVar

from ..dispatchers.data_channel import DataChannelDispatcher
from ..registry import Change, Emitted, Registry, Traffic

if TYPE_CHECKING:
    from ..dispatcher import Dispatcher
    from ..session import Session

T = TypeVar("T")
Message = str | bytes

# What a channel keeps of the messages it received, at most: the last ones.
MESSAGES_KEPT = 1000
MESSAGE_BYTES_KEPT = 1 << 20


class ReceivedMessages:
    """The messages one data channel received from its far peer, in order (the last
    MESSAGES_KEPT, and MESSAGE_BYTES_KEPT at most), and how far `receive` has read them."""

    def __init__(self) -> None:
        self.kept: deque[Message] = deque()
        self.count = 0  # received in all
        self.read = 0  # the count of the next message receive() returns
        self._bytes = 0

    def append(self, message: Message) -> None:
        self.kept.append(message)
        self.count += 1
        self._bytes += len(message)
        while len(self.kept) > MESSAGES_KEPT or self._bytes > MESSAGE_BYTES_KEPT:
            self._bytes -= len(self.kept.popleft())

    def take(self) -> Message | None:
        """The first message not taken yet (one no longer kept is skipped), or None."""
        first_kept = self.count - len(self.kept)
        self.read = max(self.read, first_kept)
        if self.read == self.count:
            return None
        message = self.kept[self.read - first_kept]
        self.read += 1
        return message


class Watch:
    """The registry's traffic, for the handles: `until` waits, `messages_of` channels."""

    _of: ClassVar[weakref.WeakKeyDictionary[Registry, Watch]] = weakref.WeakKeyDictionary()

    @classmethod
    def of(cls, registry: Registry) -> Watch:
        """The registry's one Watch, started now if it was not."""
        watch = cls._of.get(registry)
        if watch is None:
            watch = cls._of[registry] = cls(registry)
        return watch

    def __init__(self, registry: Registry) -> None:
        self._wakers: set[asyncio.Event] = set()
        self._messages: weakref.WeakKeyDictionary[DataChannelDispatcher, ReceivedMessages] = (
            weakref.WeakKeyDictionary())
        registry.watch_traffic(self._saw)
        registry.subscribe(self._changed)

    def messages_of(self, channel: DataChannelDispatcher) -> ReceivedMessages:
        """The channel's messages (on the server's loop: it may make the record)."""
        messages = self._messages.get(channel)
        if messages is None:
            messages = self._messages[channel] = ReceivedMessages()
        return messages

    def kept_messages(self, channel: DataChannelDispatcher) -> list[Message]:
        """The channel's messages kept, from any thread (a copy made in one step)."""
        messages = self._messages.get(channel)
        return [] if messages is None else list(messages.kept)

    def _saw(self, record: Traffic) -> None:
        if isinstance(record, Emitted) and record.event == "message" and isinstance(
                record.target, DataChannelDispatcher):
            self.messages_of(record.target).append(
                record.payload if record.payload is not None else record.params["data"])
        self._wake()

    def _changed(self, change: Change, subject: Session | Dispatcher) -> None:
        self._wake()

    def _wake(self) -> None:
        for waker in self._wakers:
            waker.set()

    async def until(self, condition: Callable[[], T | None], timeout: float, failure: Callable[[], str]) -> T:
        """`condition()` once it is not None, checked now and after each change; after
        `timeout` seconds, a TimeoutError saying `failure()` (what was seen instead)."""
        waker = asyncio.Event()
        self._wakers.add(waker)
        try:
            async with asyncio.timeout(timeout):
                while (value := condition()) is None:
                    waker.clear()
                    await waker.wait()
                return value
        except TimeoutError:
            raise TimeoutError(f"after {timeout:g} s: {failure()}") from None
        finally:
            self._wakers.discard(waker)
