"""The ASGI application: the shim, the bridge, the signaling relay and the demo identity
provider, with either the examples or a folder of the user's pages (a PageTree)."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

from . import demo_idp, telephone_event
from .admission import Admission, check_token
from .aiortc_seams import install_codec_table
from .examples_index import index_entries
from .host_addresses import install as install_host_addresses
from .inspector import InspectorFeed, inspector_routes
from .limits import DEFAULT_LIMITS, Limits
from .media.sources import MediaSources
from .network_policy import NetworkPolicy
from .origins import OriginPolicy
from .page_tree import PageTree, PageTreeFiles
from .protocol import BATCH_SUBPROTOCOL
from .registry import Registry
from .served_scripts import script_for
from .session import Session
from .signaling import SignalingRelay

PACKAGE_ROOT = Path(str(resources.files("rtcshim")))
logger = logging.getLogger(__name__)
_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(PACKAGE_ROOT / "templates"), autoescape=True
)


@dataclass(frozen=True)
class Example:
    file: str
    title: str
    description: str


def list_examples(directory: Path) -> list[Example]:
    """Every example page, titled and described by its own <title> and meta description."""
    examples = []
    for page in sorted(directory.glob("*.html")):
        text = page.read_text("utf-8")
        title = re.search(r"<title>(.*?)</title>", text, re.S)
        description = re.search(r'<meta name="description" content="(.*?)"', text, re.S)
        # Unescaped here: the template escapes once more.
        examples.append(Example(
            page.name,
            html.unescape(title.group(1).strip()) if title else page.stem,
            html.unescape(description.group(1).strip()) if description else "",
        ))
    return examples


def create_app(
    *, registry: Registry | None = None, media_sources: MediaSources | None = None, strict: bool = False,
    page_tree: PageTree | None = None, allowed_origins: Sequence[str] = (), token: str | None = None,
    network_policy: NetworkPolicy | None = None, limits: Limits = DEFAULT_LIMITS, inspector: bool = True,
) -> Starlette:
    """`media_sources`: the devices getUserMedia offers (default: a synthetic camera and
    microphone); `strict` validates every message the server sends (tests); `page_tree`:
    serve that folder at / instead of the examples at /examples/ (and /static/);
    `allowed_origins` (`--allowed-origin`) and `token` (`--token`): who may open the bridge
    and the relay (server/admission.py). A malformed origin or token is a ValueError.
    `network_policy`: the ICE servers and candidates pages may make the server contact;
    `limits`: what one page may make the server hold; `inspector` (`--no-inspector`
    turns it off): serve /inspector to whoever may open the bridge (docs/inspector.md)."""
    admission = Admission(OriginPolicy.from_options(allowed_origins), None if token is None else check_token(token))
    if admission.policy.allow_all:
        logger.warning("rtcshim: --allowed-origin '*': pages of every origin may use this server")
    registry = registry or Registry()
    policy = network_policy or NetworkPolicy()
    sources = media_sources or MediaSources.default()
    # aiortc's codec table, from now on answering per task: telephone-event for the pages'
    # peer connections (below), aiortc's own codecs for any other in this process.
    install_codec_table()
    install_host_addresses()  # interfaces read at most every 2 s, as libwebrtc does
    examples_dir = PACKAGE_ROOT / "examples"

    async def shim(request: Request) -> Response:
        return await script_for(PACKAGE_ROOT / "shim.js", admission, request)

    async def examples_index(request: Request) -> Response:
        page = _TEMPLATES.get_template("examples_index.html")
        return HTMLResponse(page.render(entries=index_entries(list_examples(examples_dir))))

    async def home(request: Request) -> Response:
        return RedirectResponse("/examples/")

    async def bridge(websocket: WebSocket) -> None:
        if not await admission.admit(websocket):
            return
        origin = websocket.headers.get("origin")
        # Counted after accept (and before the session registers, with no await between):
        # the page gets a close reason, and sockets opening together are counted one by one.
        if registry.sessions_from(origin) >= limits.sessions_per_origin:
            reason = limits.exceeded("sessions_per_origin", "too many sessions")
            logger.warning("bridge from origin %s refused: %s", origin, reason)
            await websocket.close(1008, reason)
            return
        # This task runs the session; its calls' tasks, and aiortc's, inherit this.
        telephone_event.offer_telephone_events()
        # The port this socket came in on is the server's own, whatever it was told.
        listening = websocket.scope.get("server")
        session = Session(registry, media_sources=sources, strict=strict, limits=limits, origin=origin, network_policy=(
            policy.with_own_ports([listening[1]]) if listening and listening[1] else policy),
            batched=BATCH_SUBPROTOCOL in websocket.scope.get("subprotocols", []))

        async def receive() -> str | bytes | None:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return None
            text: str | None = message.get("text")
            return text if text is not None else message.get("bytes", b"")

        async def send(frame: str | bytes) -> None:
            if isinstance(frame, str):
                await websocket.send_text(frame)
            else:
                await websocket.send_bytes(frame)

        await session.serve(receive, send, websocket.close)

    rtcshim_routes = [
        Route("/shim.js", shim),
        WebSocketRoute("/bridge", bridge),
        # The bound method: Starlette runs a callable object as raw ASGI, a method as an endpoint.
        WebSocketRoute("/signal/{room}", SignalingRelay(admission).__call__),
    ]
    if inspector:
        rtcshim_routes += inspector_routes(InspectorFeed(registry), admission)
    if page_tree is None:
        app = Starlette(routes=[
            Route("/", home),
            *rtcshim_routes,
            Route("/examples/", examples_index),
            Mount("/examples", StaticFiles(directory=examples_dir), name="examples"),
            Mount("/static", StaticFiles(directory=PACKAGE_ROOT / "static"), name="static"),
            *demo_idp.routes(examples_dir),
        ])
    else:
        # Routes match in order: rtcshim's paths win over the tree's files of the same name.
        app = Starlette(routes=[
            *rtcshim_routes,
            *demo_idp.routes(page_tree.directory),
            Mount("/", PageTreeFiles(page_tree), name="pages"),
        ])
    app.state.registry = registry
    return app
