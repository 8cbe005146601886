"""RTCDataChannel: one aiortc data channel, with the page's sends flow-controlled.

A send is answered once its message is handed to SCTP: the page's bufferedAmount counts
down on that reply (docs/design.md, "Data channels"). aiortc buffers without limit, so we
hand it messages only while its own buffer is below HIGH_WATER (1 MiB) and resume when it
drains to LOW_WATER (256 KiB); the rest waits here, in page order.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Any

from aiortc import RTCDataChannel

from ..dispatcher import Dispatcher, Params, Result
from ..errors import InvalidStateError, OperationError

if TYPE_CHECKING:
    from ..session import Session
    from .peer_connection import PeerConnectionDispatcher

HIGH_WATER = 1 << 20
LOW_WATER = 256 << 10


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
        self._close_requested = False
        self._opened = False
        # getStats' data-channel counters (bytes: UTF-8 for text).
        self.messages_sent = self.bytes_sent = self.messages_received = self.bytes_received = 0
        data_channel.bufferedAmountLowThreshold = LOW_WATER
        data_channel.on("open", self.report_open)
        data_channel.on("message", self._report_message)
        data_channel.on("bufferedamountlow", self._hand_to_sctp)
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
        handed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._unsent.append((params["data"], handed))
        self._hand_to_sctp()
        await handed
        return {}

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
            data, handed = self._unsent.popleft()
            if handed.done():
                continue
            try:
                self.data_channel.send(data)
            except ValueError as error:  # larger than the remote's max-message-size
                handed.set_exception(OperationError(str(error)))
            except Exception as error:
                handed.set_exception(error)
            else:
                self.messages_sent += 1
                self.bytes_sent += _size(data)
                handed.set_result(None)
        if self._close_requested and not self._unsent:
            self.data_channel.close()

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
        if not self._close_requested:
            self.emit("closing")
        self.emit("close")
        while self._unsent:
            _, handed = self._unsent.popleft()
            if not handed.done():
                handed.set_exception(InvalidStateError("the data channel closed before sending"))
        self.dispose()


def _size(data: str | bytes) -> int:
    return len(data.encode() if isinstance(data, str) else data)
