"""RTCDataChannel: one aiortc data channel, with the page's sends flow-controlled.

A send is answered once the association took its message from aiortc's data-channel queue
(what Chromium's bufferedAmount counts down on): the page's bufferedAmount counts down on
that reply (docs/design.md, "Data channels"). aiortc queues without limit, so we hand it
messages only while its queue holds less than HIGH_WATER (1 MiB); the rest waits here, in
page order. All a channel holds, here and in aiortc's queue, is bounded by
MAX_BUFFERED_AMOUNT, Chromium's: the shim never sends beyond it (send() throws
OperationError), and a client that does anyway loses the channel
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

HIGH_WATER = 1 << 20
# Chromium's limit on a channel's bufferedAmount (measured: bench/far_peer_vanish.py).
MAX_BUFFERED_AMOUNT = 16 << 20


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
        self._unsent: deque[tuple[str | bytes, asyncio.Future[None]]] = deque()
        # Handed to aiortc, not yet taken by the association: sizes and their sends' replies.
        self._in_aiortc: deque[tuple[int, asyncio.Future[None]]] = deque()
        # Bytes of the page's messages in both queues, and the most they ever were.
        self.buffered_amount = self.peak_buffered_amount = 0
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

    def initializer(self) -> dict[str, Any]:
        channel = self.data_channel
        return {
            "label": channel.label, "ordered": channel.ordered,
            "maxPacketLifeTime": channel.maxPacketLifeTime,
            "maxRetransmits": channel.maxRetransmits, "protocol": channel.protocol,
            "negotiated": channel.negotiated, "id": channel.id,
            "readyState": channel.readyState,
        }

    def emit(self, event: str, params: Params | None = None, payload: bytes | None = None) -> None:
        # After pc.close() the page hears nothing more from its channels.
        if not self.peer_connection.closed:
            super().emit(event, params, payload)

    # --- commands ----------------------------------------------------------------

    async def send(self, params: Params) -> Result:
        if self.data_channel.readyState != "open" or self._close_requested:
            raise InvalidStateError(f'send() needs an open channel; it is "{self.ready_state}"')
        data = params["data"]
        if isinstance(data, str):
            # send(USVString): WebIDL turns a lone surrogate (which UTF-8 cannot carry) into U+FFFD.
            data = LONE_SURROGATE.sub("\ufffd", data)
        size = _size(data)
        if self.buffered_amount + size > MAX_BUFFERED_AMOUNT:
            self._refuse_overflow(size)
        taken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._unsent.append((data, taken))
        self.buffered_amount += size
        self.peak_buffered_amount = max(self.peak_buffered_amount, self.buffered_amount)
        self._hand_to_sctp()
        await taken
        return {}

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
            f"message has {size}; at most {MAX_BUFFERED_AMOUNT} may (wait for bufferedamountlow)")
        self._report_error(error, "data-channel-failure")
        self._fail_waiting(error)
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
        while self._unsent and self.data_channel.bufferedAmount < HIGH_WATER:
            data, taken = self._unsent.popleft()
            size = _size(data)
            if taken.done():
                self.buffered_amount -= size
                continue
            try:
                self.data_channel.send(data)
            except ValueError as error:  # larger than the remote's max-message-size
                self.buffered_amount -= size
                taken.set_exception(OperationError(str(error)))
            except Exception as error:
                self.buffered_amount -= size
                taken.set_exception(error)
            else:
                self.messages_sent += 1
                self.bytes_sent += size
                self._in_aiortc.append((size, taken))
        if self._close_requested and not self._unsent:
            self.data_channel.close()

    def _taken_by_sctp(self) -> None:
        if not self._in_aiortc:
            return
        size, taken = self._in_aiortc.popleft()
        self.buffered_amount -= size
        if not taken.done():
            taken.set_result(None)
        self._hand_to_sctp()

    def _fail_waiting(self, error: Exception) -> None:
        for _, waiting in [*self._unsent, *self._in_aiortc]:
            if not waiting.done():
                waiting.set_exception(error)
        self._unsent.clear()
        self._in_aiortc.clear()
        self.buffered_amount = 0

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
        self._fail_waiting(InvalidStateError("the data channel closed before sending"))
        self.dispose()


def _size(data: str | bytes) -> int:
    return len(data.encode() if isinstance(data, str) else data)
