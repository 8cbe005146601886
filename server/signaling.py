"""A tiny room-based signaling relay for the examples (`/signal/<room>`).

Each text message is forwarded to the other members of the room, as 2013 pages asked of theirs ("send
the offer to a server to be forwarded to the friend"). The relay adds three messages of
its own, all with a "relay" key: {"relay": "room", "peers": n} to a newcomer,
{"relay": "joined"} and {"relay": "left"} to the others.

The bridge's Admission decides who may join. Each member has a bounded outgoing queue and
a task that sends it in order, so a member that stops reading holds up no one: when its
queue is full it is closed (1008) and leaves the room. Messages above MAX_MESSAGE_BYTES
close their sender (1009); binary ones are refused (1003).
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from starlette.websockets import WebSocket, WebSocketDisconnect

from .admission import Admission

MAX_ROOM_SIZE = 16
# A browser's offer with all its candidates is a few KiB, a large one with many media
# sections tens of KiB.
MAX_MESSAGE_BYTES = 64 * 1024
# Messages waiting for one member's socket. A member that reads keeps it near empty (the
# socket's own buffers take bursts); so a member costs the relay at most this many
# messages of MAX_MESSAGE_BYTES.
MAX_OUTGOING = 64
# How long a closed member's close frame may wait for its socket to take it: one that
# never reads never takes it, and its connection is left to close on its own.
CLOSE_GRACE = 2.0
MESSAGE_TOO_BIG = 1009
UNSUPPORTED_DATA = 1003
POLICY_VIOLATION = 1008


class Member:
    """One socket in a room: its outgoing queue, the task that sends it, and why the relay
    closed it (None while it is in the room, or when it left by itself)."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.outgoing: asyncio.Queue[str] = asyncio.Queue(MAX_OUTGOING)
        self.sender = asyncio.create_task(self._send_queued())
        self.reader: asyncio.Task[None] | None = None
        self.closed_with: tuple[int, str] | None = None

    def deliver(self, text: str) -> None:
        try:
            self.outgoing.put_nowait(text)
        except asyncio.QueueFull:
            self.close(POLICY_VIOLATION, f"this member read none of its last {MAX_OUTGOING} messages")

    def close(self, code: int, reason: str) -> None:
        """The relay is done with this member: it stops, and its handler closes the socket."""
        if self.closed_with is None:
            self.closed_with = (code, reason)
        self.stop()

    def stop(self) -> None:
        self.sender.cancel()
        if self.reader is not None:
            self.reader.cancel()

    async def _send_queued(self) -> None:
        with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):  # it left
            while True:
                await self.websocket.send_text(await self.outgoing.get())


class SignalingRelay:
    def __init__(self, admission: Admission | None = None) -> None:
        self.admission = admission or Admission()
        self.rooms: dict[str, set[Member]] = {}

    async def __call__(self, websocket: WebSocket) -> None:
        if not await self.admission.admit(websocket):
            return
        room_name = websocket.path_params["room"]
        members = self.rooms.setdefault(room_name, set())
        if len(members) >= MAX_ROOM_SIZE:
            await websocket.close(code=POLICY_VIOLATION, reason="room is full")
            return
        member = Member(websocket)
        member.deliver(json.dumps({"relay": "room", "peers": len(members)}))
        self._broadcast(members, json.dumps({"relay": "joined"}))
        members.add(member)
        member.reader = asyncio.create_task(self._forward_from(member, members))
        try:
            await asyncio.wait({member.reader})
        finally:
            member.stop()
            members.discard(member)
            if members:
                self._broadcast(members, json.dumps({"relay": "left"}))
            else:
                self.rooms.pop(room_name, None)
            if member.closed_with is not None:
                with contextlib.suppress(TimeoutError, RuntimeError, OSError):
                    await asyncio.wait_for(websocket.close(*member.closed_with), CLOSE_GRACE)

    async def _forward_from(self, member: Member, members: set[Member]) -> None:
        while True:
            message = await member.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text: str | None = message.get("text")
            if text is None:
                member.close(UNSUPPORTED_DATA, "the relay forwards text messages only")
                return
            # Characters first: a longer text is too big without encoding it.
            if len(text) > MAX_MESSAGE_BYTES or len(text.encode()) > MAX_MESSAGE_BYTES:
                member.close(MESSAGE_TOO_BIG, f"a relay message is at most {MAX_MESSAGE_BYTES} bytes")
                return
            self._broadcast(members - {member}, text)

    def _broadcast(self, members: set[Member], text: str) -> None:
        for member in list(members):
            member.deliver(text)
