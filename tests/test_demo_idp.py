"""The demo IdP's server half, in process: it signs only for its own host's users and
verifies only what it signed."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.testclient import TestClient
from starlette.types import ASGIApp

from rtcshim.app import create_app
from rtcshim.demo_idp import routes


def raw_get_status(app: ASGIApp, path: str) -> int:
    """GET `path` exactly as given: HTTP clients resolve dot segments ("/a/.." is "/")."""
    messages: list[dict[str, Any]] = []
    requested = False
    answered = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await answered.wait()  # the client goes once the whole answer arrived
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        messages.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            answered.set()

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"testserver")], "server": ("testserver", 80), "client": ("127.0.0.1", 50000),
    }
    # A thread of its own: Playwright's sync API may keep a loop running in this one.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, asyncio.wait_for(app(scope, receive, send), 10)).result()
    (status,) = [message["status"] for message in messages if message["type"] == "http.response.start"]
    return status


def test_demo_idp_signs_its_users_and_verifies_its_tokens() -> None:
    client = TestClient(create_app(), base_url="http://idp.test")
    signed = client.post("/idp/rtcshim-demo/sign", content=json.dumps({"identity": "alice@idp.test", "contents": "c"}))
    assert signed.status_code == 200
    token = signed.json()["token"]
    verified = client.post("/idp/rtcshim-demo/verify", content=json.dumps({"token": token}))
    assert verified.json() == {"identity": "alice@idp.test", "contents": "c"}
    assert verified.headers["access-control-allow-origin"] == "*"
    tampered = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert client.post("/idp/rtcshim-demo/verify", content=json.dumps({"token": tampered})).status_code == 400
    assert client.post("/idp/rtcshim-demo/verify", content="not json").status_code == 400
    foreign = {"identity": "alice@elsewhere", "contents": "c"}
    assert client.post("/idp/rtcshim-demo/sign", content=json.dumps(foreign)).status_code == 403
    assert client.post("/idp/rtcshim-demo/sign", content=json.dumps({"identity": 1})).status_code == 400


def test_demo_idp_on_an_ipv6_host_signs_its_users_as_pages_name_them() -> None:
    """A page at http://[::1]:8000 names its users "<user>@[::1]" (location.hostname)."""
    client = TestClient(create_app(), base_url="http://[::1]:8000")

    def sign(identity: str) -> int:
        body = json.dumps({"identity": identity, "contents": "c"})
        return client.post("/idp/rtcshim-demo/sign", content=body).status_code

    assert (sign("alice@[::1]"), sign("alice@::1")) == (200, 403)


def test_idp_proxy_scripts_are_served_as_javascript() -> None:
    client = TestClient(create_app())
    proxy = client.get("/.well-known/idp-proxy/rtcshim-demo")
    assert proxy.status_code == 200
    assert proxy.headers["content-type"].startswith("text/javascript")
    assert "rtcIdentityProvider.register" in proxy.text
    assert client.get("/.well-known/idp-proxy/nope").status_code == 404
    assert raw_get_status(create_app(), "/.well-known/idp-proxy/rtcshim-demo") == 200
    assert raw_get_status(create_app(), "/.well-known/idp-proxy/..") == 404


def test_idp_proxy_names_start_with_no_dot(tmp_path: Path) -> None:
    proxies = tmp_path / ".well-known" / "idp-proxy"
    proxies.mkdir(parents=True)
    for name in ("visible", ".hidden", "."):
        (proxies / f"{name}.js").write_text("rtcIdentityProvider.register({});")
    app = Starlette(routes=routes(tmp_path))
    statuses = {name: raw_get_status(app, f"/.well-known/idp-proxy/{name}") for name in ("visible", ".hidden", ".")}
    assert statuses == {"visible": 200, ".hidden": 404, ".": 404}


def test_idp_proxy_is_found_by_protocol_name_or_by_file_name(tmp_path: Path) -> None:
    proxies = tmp_path / ".well-known" / "idp-proxy"
    proxies.mkdir(parents=True)
    (proxies / "with-extension.js").write_text("rtcIdentityProvider.register({});")
    (proxies / "without-extension").write_text("rtcIdentityProvider.register({});")
    app = Starlette(routes=routes(tmp_path))
    statuses = {name: raw_get_status(app, f"/.well-known/idp-proxy/{name}")
                for name in ("with-extension", "with-extension.js", "without-extension", "without-extension.js")}
    assert statuses == {"with-extension": 200, "with-extension.js": 200, "without-extension": 200,
                        "without-extension.js": 404}


def test_idp_proxy_name_too_long_for_the_file_system_is_not_found() -> None:
    client = TestClient(create_app(), raise_server_exceptions=False)
    answer = client.get("/.well-known/idp-proxy/" + "a" * 300)
    assert (answer.status_code, answer.text) == (404, "no such IdP protocol")
