"""RTCDataChannel: one aiortc data channel, with the page's sends flow-controlled.

The shim's send comes without an id and gets no reply (another client's is answered at
once); the message is queued here in page order (a call in flight per queued message would
hold a task each, and the page's calls in flight are bounded). Once the association took
messages from aiortc's data-channel queue (what Chromium's bufferedAmount counts down on),
one lazy `bufferedAmountDecrease` event per loop turn tells the page how many and how many
bytes (docs/design.md, "Data channels"). aiortc queues without
limit, so we hand it messages only while its queue holds less than HIGH_WATER; the rest
waits here. All a channel holds, here and in aiortc's queue, is bounded: MAX_BUFFERED_AMOUNT
bytes (Chromium's) and MAX_QUEUED_MESSAGES messages (ours). The shim never sends beyond
them (send() throws OperationError), and a client that does anyway loses the channel
(docs/security/vanish-and-backpressure.md).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Any, NoReturn

from aiortc import RTCDataChannel

from ..aiortc_seams import on_message_taken
from ..dispatcher import Dispatcher, Params, Result
from ..errors import BridgeError, InvalidStateError, OperationError
from ..protocol import LONE_SURROGATE

if TYPE_CHECKING:
    from ..session import Session
    from .peer_connection import PeerConnectionDispatcher

# What we hand aiortc at most: bytes, and messages (aiortc starts a task per message).
HIGH_WATER = 1 << 20
HIGH_WATER_MESSAGES = 1024
# Chromium's limit on a channel's bufferedAmount (measured: bench/far_peer_vanish.py).
MAX_BUFFERED_AMOUNT = 16 << 20
# Chromium counts bytes only; we also count messages, since each one held costs memory of
# its own: ~100 bytes in our queue (tuple, deque slot, object header), ~135 in aiortc's
# (tracemalloc, 2-byte messages). At 256 bytes a message, 65,536 messages cost at most
# 16 MiB more: a channel holds at most 32 MiB, however small its messages.
MAX_QUEUED_MESSAGES = 1 << 16


class DataChannelDispatcher(Dispatcher):
    interface = "DataChannel"

    def __init__(
        self,
        session: Session,
        guid: str,
        parent: PeerConnectionDispatcher,
        data_channel: RTCDataChannel,
    ) -> None:
        super().__init__(session, guid, parent)
        self.peer_connection = parent
        self.data_channel = data_channel
        # Queued, not yet handed to aiortc: each message with its size, and for a send of
        # Python's (`send_from_python`) the future its caller awaits (None: the page's).
        self._unsent: deque[tuple[str | bytes, int, asyncio.Future[None] | None]] = deque()
        # Handed to aiortc, not yet taken by the association: sizes and futures.
        self._in_aiortc: deque[tuple[int, asyncio.Future[None] | None]] = deque()
        # The page's messages in both queues (what its bufferedAmount counts): bytes, the
        # most bytes they ever were, and messages.
        self.buffered_amount = self.peak_buffered_amount = self.queued_messages = 0
        # The page's messages taken since it was last told (`_report_taken`): messages, bytes.
        self._taken_messages = self._taken_bytes = 0
        self._report_scheduled = False
        self._close_requested = False
        self._failed = False  # closed with an error (fail)
        self._opened = False
        # getStats' data-channel counters (bytes: UTF-8 for text).
        self.messages_sent = self.bytes_sent = self.messages_received = self.bytes_received = 0
        data_channel.on("open", self.report_open)
        data_channel.on("message", self._report_message)
        on_message_taken(data_channel, self._taken_by_sctp)
        data_channel.on("close", self._report_close)
        self.commands = {"send": self.send, "close": self.close}
        self.unanswered = {"send": self.send_unanswered}

    def initializer(self) -> dict[str, Any]:
        channel = self.data_channel
        return {
            "label": channel.label, "ordered": channel.ordered,
            "maxPacketLifeTime": channel.maxPacketLifeTime,
            "maxRetransmits": channel.maxRetransmits, "protocol": channel.protocol,
            "negotiated": channel.negotiated, "id": channel.id,
            "readyState": channel.readyState,
        }

    def emit(self, event: str, params: Params | None = None, payload: bytes | None = None, lazy: bool = False) -> None:
        # After pc.close() the page hears nothing more from its channels.
        if not self.peer_connection.closed:
            super().emit(event, params, payload, lazy)

    # --- commands ----------------------------------------------------------------

    async def send(self, params: Params) -> Result:
        """The page's send with an id: answered once queued."""
        self._queue(params["data"])
        return {}

    def send_unanswered(self, params: Params) -> None:
        """The page's send (shim.js sends no id): no reply; a send the channel refuses is
        the page's `error` event (past the bounds, `_refuse_overflow` fired it already)."""
        try:
            self._queue(params["data"])
        except InvalidStateError as error:
            self._report_error(error, "data-channel-failure")
        except OperationError:
            pass

    def _queue(self, sent: str | bytes) -> None:
        """Queue a page's message, in page order; bufferedAmountDecrease counts it down."""
        data = self._sendable(sent)
        size = _size(data)
        if self.buffered_amount + size > MAX_BUFFERED_AMOUNT or self.queued_messages >= MAX_QUEUED_MESSAGES:
            self._refuse_overflow(size)
        self._unsent.append((data, size, None))
        self.buffered_amount += size
        self.queued_messages += 1
        self.peak_buffered_amount = max(self.peak_buffered_amount, self.buffered_amount)
        self._hand_to_sctp()

    async def send_from_python(self, data: str | bytes) -> None:
        """A send of Python's (server/handles), in order with the page's but not the page's to
        count: returns once the association took it (its caller bounds what it holds)."""
        data = self._sendable(data)
        taken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._unsent.append((data, _size(data), taken))
        self._hand_to_sctp()
        await taken

    def _sendable(self, data: str | bytes) -> str | bytes:
        if self.data_channel.readyState != "open" or self._close_requested:
            raise InvalidStateError(f'send() needs an open channel; it is "{self.ready_state}"')
        if isinstance(data, str):
            # send(USVString): WebIDL turns a lone surrogate (which UTF-8 cannot carry) into U+FFFD.
            return LONE_SURROGATE.sub("\ufffd", data)
        return data

    def fail(self, error: BridgeError, error_detail: str) -> None:
        """webrtc-pc's "close with an error": `error`, then `close` (no `closing`)."""
        self._failed = True
        self._report_error(error, error_detail)
        self.data_channel.close()

    def _report_error(self, error: BridgeError, error_detail: str) -> None:
        self.emit("error", {"name": error.name, "message": str(error), "errorDetail": error_detail})

    def _refuse_overflow(self, size: int) -> NoReturn:
        """A client that sends past the bound (the shim never does) loses the channel: a
        reliable channel may not drop a message and go on."""
        error = OperationError(
            f"the data channel's send queue is full: {self.buffered_amount} bytes wait and this "
            f"message has {size} ({self.queued_messages} messages); at most {MAX_BUFFERED_AMOUNT} bytes "
            f"and {MAX_QUEUED_MESSAGES} messages may (wait for bufferedamountlow)")
        self._report_error(error, "data-channel-failure")
        self._forget_queued(error)
        self.data_channel.close()
        raise error

    async def close(self, params: Params) -> Result:
        self._close_requested = True
        if not self._unsent:
            self.data_channel.close()
        return {}

    @property
    def ready_state(self) -> str:
        return "closing" if self._close_requested else self.data_channel.readyState

    def _hand_to_sctp(self) -> None:
        # Not once aiortc's channel is closing: its close event forgets the rest.
        while (self._unsent and self.data_channel.readyState == "open"
               and self.data_channel.bufferedAmount < HIGH_WATER and len(self._in_aiortc) < HIGH_WATER_MESSAGES):
            data, size, taken = self._unsent.popleft()
            try:
                self.data_channel.send(data)
            except Exception as error:  # larger than the remote's max-message-size (ValueError)
                # The page's send was answered already, and a reliable channel may not drop
                # a message and go on: webrtc-pc's "close with an error".
                failure = OperationError(f"the data channel could not send a message: {error}")
                if taken is not None:
                    taken.set_exception(failure)
                self._forget_queued(failure)
                self.fail(failure, "data-channel-failure")
                return
            self.messages_sent += 1
            self.bytes_sent += size
            self._in_aiortc.append((size, taken))
        if self._close_requested and not self._unsent:
            self.data_channel.close()

    def _taken_by_sctp(self) -> None:
        if not self._in_aiortc:
            return
        size, taken = self._in_aiortc.popleft()
        if taken is None:
            self.buffered_amount -= size
            self.queued_messages -= 1
            self._taken_messages += 1
            self._taken_bytes += size
        elif not taken.done():
            taken.set_result(None)
        if not self._report_scheduled:
            self._report_scheduled = True
            asyncio.get_running_loop().call_soon(self._report_taken)

    def _report_taken(self) -> None:
        """What the association took this loop turn, in one event; then refill aiortc's queue.
        Lazy (Session.send_event): in its place, but sent with the next frame that goes anyway
        (an echo's message event), not in a frame and a page task of its own."""
        self._report_scheduled = False
        if self._taken_messages:
            self.emit("bufferedAmountDecrease", {"amount": self._taken_bytes, "messages": self._taken_messages},
                      lazy=True)
        self._taken_messages = self._taken_bytes = 0
        self._hand_to_sctp()

    def _forget_queued(self, error: Exception) -> None:
        """The channel is closed or failing: what it still holds is never sent."""
        for taken in [entry[-1] for entry in self._unsent] + [entry[-1] for entry in self._in_aiortc]:
            if taken is not None and not taken.done():
                taken.set_exception(error)
        self._unsent.clear()
        self._in_aiortc.clear()
        self.buffered_amount = self.queued_messages = 0
        self._taken_messages = self._taken_bytes = 0

    # --- aiortc events -----------------------------------------------------------

    def report_open(self) -> None:
        if not self._opened:
            self._opened = True
            self.peer_connection.data_channels_opened += 1
        self.emit("open", {"id": self.data_channel.id})

    def _report_message(self, data: str | bytes) -> None:
        self.messages_received += 1
        self.bytes_received += _size(data)
        if isinstance(data, str):
            self.emit("message", {"data": data})
        else:
            self.emit("message", {}, payload=data)

    def _report_close(self) -> None:
        if self._opened:
            self.peer_connection.data_channels_closed += 1
        if not self._close_requested and not self._failed:
            if self.data_channel.transport.state == "closed":
                # The association ended under the channel (the far peer closed its
                # connection): webrtc-pc closes the channel with an error, no closing.
                self._report_error(OperationError("the SCTP association closed"), "sctp-failure")
            else:
                self.emit("closing")
        self.emit("close")
        self._forget_queued(InvalidStateError("the data channel closed before sending"))
        self.dispose()


def _size(data: str | bytes) -> int:
    return len(data.encode() if isinstance(data, str) else data)
