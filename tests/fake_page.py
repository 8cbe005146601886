"""A page that speaks the bridge protocol from Python, for tests without a browser."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Iterable
from typing import Any

from websockets.sync.client import ClientConnection, connect

from rtcshim.protocol import decode, encode
from rtcshim.session import Session

CONFIGURATION = {
    "iceServers": [], "iceTransportPolicy": "all", "bundlePolicy": "balanced",
    "rtcpMuxPolicy": "require", "iceCandidatePoolSize": 0, "certificates": [],
}
DATA_CHANNEL_INIT = {
    "ordered": True, "maxPacketLifeTime": None, "maxRetransmits": None,
    "protocol": "", "negotiated": False, "id": None,
}


def connect_bridge(server_url: str, **options: Any) -> ClientConnection:
    """A socket to the bridge of the server at `server_url` (http://host:port), as a page of
    that server's own origin opens it: the server refuses a handshake without an Origin."""
    return connect(server_url.replace("http", "ws", 1) + "/bridge", origin=server_url, **options)


def new_handle(interface: str) -> str:
    return f"{interface}@{secrets.token_urlsafe(18)}"


class FakePage:
    """Sends calls and records, in arrival order, every event and reply."""

    def __init__(self, websocket: ClientConnection) -> None:
        self.websocket = websocket
        self.next_id = 1
        self.received: list[dict[str, Any]] = []
        self.hello = self.receive()
        self.spare_certificate = self.receive()  # always next (server/spare_certificates.py)

    def receive(self) -> dict[str, Any]:
        decoded: dict[str, Any] = decode(self.websocket.recv(timeout=30))
        self.received.append(decoded)
        return decoded

    def send_call(self, guid: str, method: str, params: dict[str, Any], payload: bytes | None = None) -> int:
        call_id = self.next_id
        self.next_id += 1
        frame = encode({"id": call_id, "guid": guid, "method": method, "params": params}, payload)
        self.websocket.send(frame)
        return call_id

    def call(self, guid: str, method: str, params: dict[str, Any], payload: bytes | None = None) -> dict[str, Any]:
        """The reply to this call; events that came before it are in `received`."""
        return self.reply_to(self.send_call(guid, method, params, payload))

    def reply_to(self, call_id: int | None) -> dict[str, Any]:
        while True:
            message = self.receive()
            if "id" in message and message["id"] == call_id:
                return message

    def send_raw(self, text: str) -> dict[str, Any]:
        self.websocket.send(text)
        return self.reply_to(None)

    def wait_event(self, guid: str, event: str) -> dict[str, Any]:
        for message in self.received:
            if message.get("guid") == guid and message.get("event") == event:
                return message
        while True:
            message = self.receive()
            if message.get("guid") == guid and message.get("event") == event:
                return message

    def create_peer_connection(self) -> str:
        guid = new_handle("PeerConnection")
        reply = self.call("Session", "createPeerConnection", {"peerConnection": guid, "configuration": CONFIGURATION})
        # The result: the DTLS fingerprints of aiortc's certificate, one per digest.
        assert [f["algorithm"] for f in reply["result"]["fingerprints"]] == ["sha-256", "sha-384", "sha-512"]
        return guid


def negotiate(page: FakePage, offerer: str, answerer: str) -> None:
    """An offer from one peer connection of the page to another, and its answer, with the
    candidates each gathered: they then connect to each other."""
    offer = page.call(offerer, "createOffer", {"options": {}})["result"]["description"]
    page.call(offerer, "setLocalDescription", {"description": offer})
    page.call(answerer, "setRemoteDescription", {"description": local_description(page, offerer)})
    answer = page.call(answerer, "createAnswer", {})["result"]["description"]
    page.call(answerer, "setLocalDescription", {"description": answer})
    page.call(offerer, "setRemoteDescription", {"description": local_description(page, answerer)})


def local_description(page: FakePage, guid: str) -> dict[str, str]:
    """The local description with every candidate gathered, as a page that does not trickle
    sends it: setLocalDescription's lists none yet; the events after its reply list them (one
    round trip later, all have arrived), and the end of gathering ends them."""
    page.call("Session", "enumerateDevices", {})

    def of_guid(event: str | None = None) -> list[dict[str, Any]]:
        return [message for message in page.received if message.get("guid") == guid
                and (event is None or message.get("event") == event)]

    while (states := of_guid("iceGatheringStateChange")) and states[-1]["params"]["iceGatheringState"] == "gathering":
        page.receive()
    shown = descriptions_shown(message["params"] for message in of_guid())
    description: dict[str, str] = shown["pendingLocalDescription"] or shown["currentLocalDescription"]
    return description


def descriptions_shown(events: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The descriptions a page has after these events' params: each event's "descriptions"
    carries those that changed (protocol.toml: Descriptions)."""
    shown: dict[str, Any] = dict.fromkeys(("currentLocalDescription", "pendingLocalDescription",
                                           "currentRemoteDescription", "pendingRemoteDescription"))
    for params in events:
        shown.update(params.get("descriptions") or {})
    return shown


def wait_connected(page: FakePage, guid: str) -> None:
    def connected(message: dict[str, Any]) -> bool:
        return (message.get("guid") == guid and message.get("event") == "statesChange"
                and message["params"].get("connectionState") == "connected")
    while not any(connected(message) for message in page.received):
        page.receive()


def dumps(message: dict[str, Any]) -> str:
    return json.dumps(message)


class InProcessPage:
    """A page wired straight to a Session on the running loop: no server, no socket.

    `drop()` ends the page's socket as an abrupt disconnect does, and waits until the
    session has released everything.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.next_id = 1
        self.received: list[dict[str, Any]] = []
        self.frames: list[str | bytes] = []  # as the page's socket received them
        self._incoming: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        self._arrived = asyncio.Event()
        # Late-bound, so that a test may put another `_deliver` in its place.
        self.serving = asyncio.create_task(session.serve(self._incoming.get, lambda frame: self._deliver(frame)))

    async def _deliver(self, frame: str | bytes) -> None:
        self.frames.append(frame)
        self.received.append(decode(frame))
        self._arrived.set()

    def send_raw(self, frame: str | bytes) -> None:
        self._incoming.put_nowait(frame)

    def send_call(self, guid: str, method: str, params: dict[str, Any]) -> int:
        call_id = self.next_id
        self.next_id += 1
        self.send_raw(encode({"id": call_id, "guid": guid, "method": method, "params": params}))
        return call_id

    async def call(self, guid: str, method: str, params: dict[str, Any]) -> dict[str, Any]:
        return await self.reply_to(self.send_call(guid, method, params))

    async def reply_to(self, call_id: int | None) -> dict[str, Any]:
        seen = 0
        while True:
            for message in self.received[seen:]:
                if "id" in message and message["id"] == call_id:
                    return message
            seen = len(self.received)
            self._arrived.clear()
            await asyncio.wait_for(self._arrived.wait(), 30)

    async def create_peer_connection(self) -> str:
        guid = new_handle("PeerConnection")
        reply = await self.call("Session", "createPeerConnection",
                                {"peerConnection": guid, "configuration": CONFIGURATION})
        assert "result" in reply, reply
        return guid

    async def drop(self) -> None:
        self._incoming.put_nowait(None)
        await self.serving
