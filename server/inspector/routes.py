"""The inspector's routes: the page (/inspector), its script and style, the feed
(/inspector/feed, a WebSocket) and the JSON export (/inspector/dump)."""

from __future__ import annotations

import json
import time
from importlib import resources
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket

from ..admission import Admission
from ..served_scripts import script_for
from .access import export_refusal
from .feed import InspectorFeed

STATIC = Path(str(resources.files("rtcshim"))) / "static"


def inspector_routes(feed: InspectorFeed, admission: Admission) -> list[BaseRoute]:
    async def page(request: Request) -> Response:
        return FileResponse(STATIC / "inspector.html", headers={"Cache-Control": "no-cache"})

    async def style(request: Request) -> Response:
        return FileResponse(STATIC / "inspector.css", headers={"Cache-Control": "no-cache"})

    async def script(request: Request) -> Response:
        return await script_for(STATIC / "inspector.js", admission, request)

    async def feed_socket(websocket: WebSocket) -> None:
        if await admission.admit(websocket):
            await feed.serve(websocket)

    async def dump(request: Request) -> Response:
        refusal = export_refusal(admission, request)
        if refusal is not None:
            return PlainTextResponse(refusal, status_code=403)
        name = time.strftime("rtcshim-inspector-%Y%m%d-%H%M%S.json", time.gmtime())
        body = json.dumps(await feed.dump(), default=str, ensure_ascii=False)
        return Response(body, media_type="application/json", headers={
            "Cache-Control": "no-store", "Content-Disposition": f'attachment; filename="{name}"'})

    return [
        Route("/inspector", page),
        Route("/inspector/inspector.js", script),
        Route("/inspector/inspector.css", style),
        WebSocketRoute("/inspector/feed", feed_socket),
        Route("/inspector/dump", dump),
    ]
