"""ReadAheadWebSocketProtocol: the socket is read on while the app takes each message, and
no longer once the app is a message behind (uvicorn's pause, one message later)."""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.server import ServerState
from websockets.client import ClientProtocol
from websockets.uri import parse_uri

from rtcshim.websocket_protocol import ReadAheadWebSocketProtocol

from .event_loop import run


class RecordingTransport(asyncio.Transport):
    """What the protocol writes, and whether it reads the socket."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.reading = True
        self.pauses = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def pause_reading(self) -> None:
        self.reading = False
        self.pauses += 1

    def resume_reading(self) -> None:
        self.reading = True

    def is_reading(self) -> bool:
        return self.reading

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(name, default)


class Connection:
    """The protocol, behind a recording transport, with a page's side (websockets' client)
    and an app that takes a message only when `take()` asks it to."""

    def __init__(self) -> None:
        self.taken: list[str] = []
        self._takes: asyncio.Queue[None] = asyncio.Queue()
        config = uvicorn.Config(
            self._app, ws=ReadAheadWebSocketProtocol, ws_per_message_deflate=False, interface="asgi3",
            log_level="warning")
        config.load()
        self.transport = RecordingTransport()
        self.protocol = ReadAheadWebSocketProtocol(config, ServerState(), {}, asyncio.get_running_loop())
        self.protocol.connection_made(self.transport)
        self.page = ClientProtocol(parse_uri("ws://127.0.0.1:8000/bridge"))

    async def _app(self, scope: Any, receive: Any, send: Any) -> None:
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        while True:
            await self._takes.get()
            message = await receive()
            if message["type"] != "websocket.receive":
                return
            self.taken.append(message["text"])

    async def open(self) -> None:
        self.page.send_request(self.page.connect())
        self.protocol.data_received(b"".join(self.page.data_to_send()))
        await asyncio.sleep(0.01)  # the app accepts
        self.page.receive_data(bytes(self.transport.written))

    def page_sends(self, *texts: str) -> None:
        """`texts` as frames that arrive in one read."""
        for text in texts:
            self.page.send_text(text.encode())
        self.protocol.data_received(b"".join(self.page.data_to_send()))

    async def take(self, count: int) -> None:
        for _ in range(count):
            self._takes.put_nowait(None)
        await asyncio.sleep(0.01)


def test_reading_goes_on_while_the_app_takes_each_message() -> None:
    async def scenario() -> tuple[list[str], int]:
        connection = Connection()
        await connection.open()
        await connection.take(3)
        for text in ("one", "two", "three"):
            connection.page_sends(text)
            await asyncio.sleep(0.01)
        return connection.taken, connection.transport.pauses

    assert run(scenario()) == (["one", "two", "three"], 0)


def test_reading_stops_once_the_app_is_a_message_behind_and_resumes_when_it_caught_up() -> None:
    async def scenario() -> list[object]:
        connection = Connection()
        await connection.open()
        seen: list[object] = []
        connection.page_sends("one")
        seen.append(connection.transport.reading)
        connection.page_sends("two")
        seen.append(connection.transport.reading)
        await connection.take(1)
        seen.append(connection.transport.reading)  # "two" still waits
        await connection.take(1)
        seen += [connection.transport.reading, connection.taken, connection.transport.pauses]
        return seen

    assert run(scenario()) == [True, False, False, True, ["one", "two"], 1]


def test_frames_of_one_read_pause_reading_once() -> None:
    async def scenario() -> tuple[bool, int, list[str], bool]:
        connection = Connection()
        await connection.open()
        connection.page_sends("one", "two", "three")
        reading, pauses = connection.transport.reading, connection.transport.pauses
        await connection.take(3)
        return reading, pauses, connection.taken, connection.transport.reading

    assert run(scenario()) == (False, 1, ["one", "two", "three"], True)
