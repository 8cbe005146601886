"""The examples' signaling relay: in-process, and on a real server for what sockets do."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from starlette.testclient import TestClient
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from rtcshim import create_app
from rtcshim.serving import ServerThread
from rtcshim.signaling import MAX_MESSAGE_BYTES

ORIGIN = {"origin": "http://localhost"}


def test_relay_forwards_to_the_other_members_only() -> None:
    with TestClient(create_app()) as client:
        with client.websocket_connect("/signal/room", headers=ORIGIN) as first:
            assert first.receive_json() == {"relay": "room", "peers": 0}
            with client.websocket_connect("/signal/room", headers=ORIGIN) as second:
                assert second.receive_json() == {"relay": "room", "peers": 1}
                assert first.receive_json() == {"relay": "joined"}
                second.send_text(json.dumps({"type": "offer", "sdp": "v=0"}))
                assert first.receive_json() == {"type": "offer", "sdp": "v=0"}
                first.send_text("hello")
                assert second.receive_text() == "hello"
            assert first.receive_json() == {"relay": "left"}


def test_relay_rooms_are_separate() -> None:
    with TestClient(create_app()) as client:
        with client.websocket_connect("/signal/one", headers=ORIGIN) as first, \
                client.websocket_connect("/signal/two", headers=ORIGIN) as second:
            assert first.receive_json() == {"relay": "room", "peers": 0}
            assert second.receive_json() == {"relay": "room", "peers": 0}


@contextmanager
def join(server: ServerThread, room: str, **options: Any) -> Iterator[ClientConnection]:
    with connect(f"ws://127.0.0.1:{server.port}/signal/{room}", origin=server.url, **options) as websocket:  # type: ignore[arg-type]
        assert json.loads(websocket.recv(timeout=10))["relay"] == "room"
        yield websocket


def close_of(websocket: ClientConnection) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            websocket.recv(timeout=10)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


WINDOW = 16


def test_relay_drops_a_member_that_never_reads_and_the_others_get_everything(server: ServerThread) -> None:
    # The stalled member takes almost nothing off its socket: a small receive buffer and
    # one frame in its client, so the server's socket fills and the relay's queue with it.
    stalled_socket = socket.create_connection(("127.0.0.1", server.port))
    stalled_socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    messages = [f"{index:04d}" + "x" * (60 * 1024) for index in range(400)]  # 24 MiB in all
    with join(server, "stall", sock=stalled_socket, max_queue=1), join(server, "stall") as reader, \
            join(server, "stall") as writer:
        assert json.loads(reader.recv(timeout=10)) == {"relay": "joined"}  # the writer
        received, relay_messages = [], []
        # In windows the reader keeps up with, however loaded the machine: only the stalled
        # member falls behind.
        for start in range(0, len(messages), WINDOW):
            for message in messages[start:start + WINDOW]:
                writer.send(message)
            while len(received) < min(start + WINDOW, len(messages)):
                text = reader.recv(timeout=30)
                assert isinstance(text, str)
                (relay_messages if text.startswith("{") else received).append(text)
        while not relay_messages:
            relay_messages.append(reader.recv(timeout=30))
    assert received == messages
    assert [json.loads(text) for text in relay_messages] == [{"relay": "left"}]  # the stalled member, dropped


def test_relay_closes_a_member_whose_message_is_too_big(server: ServerThread) -> None:
    with join(server, "big") as sender, join(server, "big") as other:
        sender.send("x" * MAX_MESSAGE_BYTES)  # at the limit: forwarded
        assert other.recv(timeout=10) == "x" * MAX_MESSAGE_BYTES
        sender.send("é" * (MAX_MESSAGE_BYTES // 2 + 1))  # over it, in UTF-8
        assert close_of(sender) == (1009, f"a relay message is at most {MAX_MESSAGE_BYTES} bytes")
        assert json.loads(other.recv(timeout=10)) == {"relay": "left"}


def test_relay_refuses_binary_messages(server: ServerThread) -> None:
    with join(server, "binary") as sender:
        sender.send(b"\x00\x01")
        assert close_of(sender) == (1003, "the relay forwards text messages only")
