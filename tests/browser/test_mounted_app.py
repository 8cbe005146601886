"""rtcshim.create_app mounted under a path prefix in the developer's own Starlette app, served by uvicorn."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
import uvicorn
from playwright.sync_api import Browser
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route

import rtcshim
from rtcshim.serving import listening_socket, uvicorn_config

from ..conftest import PLAYWRIGHT_CONFIG
from .page_helpers import load_page_helpers, run

OWN_PAGE = "<!doctype html><html><head><script src='/rtc/shim.js'></script></head><body>mine</body></html>"


@pytest.fixture
def own_app_url() -> Iterator[tuple[str, rtcshim.Registry]]:
    """The developer's app (a page at /, rtcshim at /rtc) on a free port, and rtcshim's registry."""
    registry = rtcshim.Registry()
    own_app = Starlette(routes=[
        Route("/", lambda request: HTMLResponse(OWN_PAGE)),
        Mount("/rtc", rtcshim.create_app(registry=registry)),
    ])
    listener = listening_socket("127.0.0.1", 0)
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn_config(own_app, "127.0.0.1", port, "warning"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[listener])), daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "the app did not start"
        thread.join(0.02)
    yield f"http://127.0.0.1:{port}", registry
    server.should_exit = True
    thread.join(10)


def test_mounted_app_serves_the_shim_and_the_bridge_under_its_prefix(
    browser: Browser, own_app_url: tuple[str, rtcshim.Registry],
) -> None:
    url, registry = own_app_url
    context = browser.new_context()
    context.add_init_script(PLAYWRIGHT_CONFIG.REMOVE_NATIVE_WEBRTC)
    try:
        page = context.new_page()
        sockets: list[str] = []
        page.on("websocket", lambda websocket: sockets.append(websocket.url))
        page.goto(url + "/")
        page.wait_for_function("window.rtcshim && window.rtcshim.installed")
        load_page_helpers(page)
        echoed = run(page, """async () => {
            const pair = await makePair();
            const arrived = new Promise((resolve) => { pair.remoteChannel.onmessage = (e) => resolve(e.data); });
            pair.channel.send('through /rtc/bridge');
            return await arrived;
        }""")
        assert echoed == "through /rtc/bridge"
        assert sockets == [url.replace("http", "ws", 1) + "/rtc/bridge"]
        assert len(registry.sessions) == 1
    finally:
        context.close()
