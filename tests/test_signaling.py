"""The examples' signaling relay, in-process."""

from __future__ import annotations

import json

from starlette.testclient import TestClient

from rtcshim import create_app


def test_relay_forwards_to_the_other_members_only() -> None:
    with TestClient(create_app()) as client:
        with client.websocket_connect("/signal/room") as first:
            assert first.receive_json() == {"relay": "room", "peers": 0}
            with client.websocket_connect("/signal/room") as second:
                assert second.receive_json() == {"relay": "room", "peers": 1}
                assert first.receive_json() == {"relay": "joined"}
                second.send_text(json.dumps({"type": "offer", "sdp": "v=0"}))
                assert first.receive_json() == {"type": "offer", "sdp": "v=0"}
                first.send_text("hello")
                assert second.receive_text() == "hello"
            assert first.receive_json() == {"relay": "left"}


def test_relay_rooms_are_separate() -> None:
    with TestClient(create_app()) as client:
        with client.websocket_connect("/signal/one") as first, client.websocket_connect("/signal/two") as second:
            assert first.receive_json() == {"relay": "room", "peers": 0}
            assert second.receive_json() == {"relay": "room", "peers": 0}
