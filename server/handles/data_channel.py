"""A data channel of a page, from Python: its state, the messages it received, and sends.

`send` goes to the far peer as if the page had called `channel.send` (in order with the
page's own sends; getStats' messagesSent counts it, the page's `bufferedAmount` does not,
and the page's channel does not see it). Received messages are the far peer's, the ones the page's `message`
events carry, kept from the time the server started (watch.py says how many).
"""

from __future__ import annotations

from typing import Literal, cast

from ..dispatchers.data_channel import DataChannelDispatcher
from ..errors import InvalidStateError
from .handle import DEFAULT_TIMEOUT, Handle
from .reach import Reach
from .watch import Message

DataChannelState = Literal["connecting", "open", "closing", "closed"]


class _DataChannelState(Handle[DataChannelDispatcher]):
    @property
    def label(self) -> str:
        return self._dispatcher.data_channel.label

    @property
    def id(self) -> int | None:
        """The SCTP stream id; None until the DTLS role is known."""
        return self._dispatcher.data_channel.id

    @property
    def protocol(self) -> str:
        return self._dispatcher.data_channel.protocol

    @property
    def ready_state(self) -> DataChannelState:
        return "closed" if self._dispatcher.disposed else cast(DataChannelState, self._dispatcher.ready_state)

    @property
    def messages(self) -> list[Message]:
        """The messages received so far (text as str, binary as bytes), in order: all of
        them, but for the oldest beyond what a channel keeps (watch.py)."""
        return self._reach.watch.kept_messages(self._dispatcher)

    def _describe(self) -> str:
        return f" {self.label!r} {self.ready_state}"


class AsyncDataChannel(_DataChannelState):
    """A page's RTCDataChannel, for asyncio code (each method runs on the server's loop)."""

    async def send(self, data: str | bytes) -> None:
        """Send `data` to the far peer, as the page's `send` would; returns once the SCTP
        association took it. A channel that is not open raises InvalidStateError."""
        await self._reach.run(self._dispatcher.send_from_python(data))

    async def receive(self, timeout: float = DEFAULT_TIMEOUT) -> Message:
        """The first received message no `receive` returned yet (each is returned once,
        whichever handle of this channel asks), waiting for one if there is none; once the
        channel closed and all are read, InvalidStateError."""
        return await self._reach.run(self._receive(timeout))

    async def _receive(self, timeout: float) -> Message:
        received = self._reach.watch.messages_of(self._dispatcher)

        def next_message() -> Message | None:
            message = received.take()
            if message is None and self._dispatcher.disposed:
                raise InvalidStateError(f"{self.guid} closed, and no message it received is left to read")
            return message

        return await self._reach.watch.until(
            next_message, timeout, lambda: f"{self} received no message beyond the {received.count} already read")

    async def wait_for(self, ready_state: DataChannelState, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Until the channel's readyState is `ready_state`."""
        await self._reach.run(self._reach.watch.until(
            lambda: True if self.ready_state == ready_state else None, timeout,
            lambda: f"{self.guid} never had ready_state {ready_state!r}; it is {self.ready_state!r}"))


class DataChannel(_DataChannelState):
    """A page's RTCDataChannel, for a sync test (each method waits for the server's loop)."""

    def __init__(self, dispatcher: DataChannelDispatcher, reach: Reach) -> None:
        super().__init__(dispatcher, reach)
        self._async = AsyncDataChannel(dispatcher, reach)

    def send(self, data: str | bytes) -> None:
        """As AsyncDataChannel.send."""
        self._reach.block(self._async.send(data), "DataChannel.send")

    def receive(self, timeout: float = DEFAULT_TIMEOUT) -> Message:
        """As AsyncDataChannel.receive."""
        return self._reach.block(self._async.receive(timeout), "DataChannel.receive")

    def wait_for(self, ready_state: DataChannelState, timeout: float = DEFAULT_TIMEOUT) -> None:
        """As AsyncDataChannel.wait_for."""
        self._reach.block(self._async.wait_for(ready_state, timeout), "DataChannel.wait_for")
