"""A tiny room-based signaling relay for the examples (`/signal/<room>`).

Each text message is forwarded to the other members of the room, as the seed's "send
the offer to a server to be forwarded to the friend". The relay adds three messages of
its own, all with a "relay" key: {"relay": "room", "peers": n} to a newcomer,
{"relay": "joined"} and {"relay": "left"} to the others.
"""

from __future__ import annotations

import json

from starlette.websockets import WebSocket, WebSocketDisconnect

MAX_ROOM_SIZE = 16


class SignalingRelay:
    def __init__(self) -> None:
        self.rooms: dict[str, set[WebSocket]] = {}

    async def __call__(self, websocket: WebSocket) -> None:
        room_name = websocket.path_params["room"]
        members = self.rooms.setdefault(room_name, set())
        await websocket.accept()
        if len(members) >= MAX_ROOM_SIZE:
            await websocket.close(code=1008, reason="room is full")
            return
        await websocket.send_text(json.dumps({"relay": "room", "peers": len(members)}))
        await self._broadcast(members, json.dumps({"relay": "joined"}))
        members.add(websocket)
        try:
            while True:
                text = await websocket.receive_text()
                await self._broadcast(members - {websocket}, text)
        except WebSocketDisconnect:
            pass
        finally:
            members.discard(websocket)
            if members:
                await self._broadcast(members, json.dumps({"relay": "left"}))
            else:
                self.rooms.pop(room_name, None)

    async def _broadcast(self, members: set[WebSocket], text: str) -> None:
        for member in list(members):
            try:
                await member.send_text(text)
            except (RuntimeError, OSError, WebSocketDisconnect):
                members.discard(member)  # it left; its own handler cleans up
