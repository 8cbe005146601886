"""Who may open the bridge and the relay, on a real server: origins, the token, /shim.js."""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from rtcshim import create_app
from rtcshim.cli import parse_arguments
from rtcshim.protocol import decode
from rtcshim.serving import ServerThread

from .fake_page import connect_bridge

TOKEN = "s3cret-Token_1234"
PATHS = ["/bridge", "/signal/room"]
EVIL = "http://evil.example"


@pytest.fixture(scope="module")
def default_server() -> Iterator[ServerThread]:
    with ServerThread() as running:
        yield running


@pytest.fixture(scope="module")
def listing_server() -> Iterator[ServerThread]:
    with ServerThread(allowed_origins=["https://app.example.com", "null"]) as running:
        yield running


@pytest.fixture(scope="module")
def token_server() -> Iterator[ServerThread]:
    with ServerThread(token=TOKEN) as running:
        yield running


def open_socket(server: ServerThread, path: str, origin: str | None, **options: Any) -> ClientConnection:
    return connect(server.url.replace("http", "ws") + path, origin=origin, **options)  # type: ignore[arg-type]


def refusal(server: ServerThread, path: str, origin: str | None, **options: Any) -> tuple[int, str]:
    """The close code and reason of a socket the server accepted, then closed; and no
    session came of it."""
    sessions_made: list[object] = []
    unsubscribe = server.registry.subscribe(
        lambda change, subject: sessions_made.append(subject) if change == "created" else None)
    try:
        with open_socket(server, path, origin, **options) as websocket, pytest.raises(ConnectionClosed) as closed:
            websocket.recv(timeout=10)
    finally:
        unsubscribe()
    assert closed.value.rcvd is not None, "the server dropped the socket without a close frame"
    assert sessions_made == [] and server.registry.sessions == {}
    return closed.value.rcvd.code, closed.value.rcvd.reason


def first_message(websocket: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = decode(websocket.recv(timeout=10))
    return message


def assert_admitted(websocket: ClientConnection, path: str) -> None:
    if path == "/bridge":
        assert first_message(websocket)["event"] == "hello"
    else:
        assert first_message(websocket) == {"relay": "room", "peers": 0}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("origin", [EVIL, "https://app.example.com", "null", None, "http://127.0.0.1.evil.example"])
def test_refuses_other_origins_by_default(default_server: ServerThread, path: str, origin: str | None) -> None:
    code, reason = refusal(default_server, path, origin)
    assert code == 1008
    if origin is None:
        assert reason.startswith("no Origin header")
    else:
        assert reason == f"origin {origin} is not allowed: start rtcshim with --allowed-origin {origin}"


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("origin", ["http://127.0.0.1:1234", "http://localhost", "https://localhost:8443",
                                    "http://app.localhost:3000", "http://[::1]:8765", "http://127.8.9.10"])
def test_accepts_loopback_origins(default_server: ServerThread, path: str, origin: str) -> None:
    with open_socket(default_server, path, origin) as websocket:
        assert_admitted(websocket, path)


def test_accepts_own_origin_under_an_address_and_not_under_a_name() -> None:
    client = TestClient(create_app())
    with client.websocket_connect(
            "/bridge", headers={"host": "10.1.2.3:8765", "origin": "http://10.1.2.3:8765"}) as websocket:
        assert decode(websocket.receive_text())["event"] == "hello"
    with client.websocket_connect(
            "/bridge", headers={"host": "rebound.example:8765", "origin": "http://rebound.example:8765"}) as websocket:
        closed = websocket.receive()
    assert (closed["code"], closed["reason"]) == (1008, "origin http://rebound.example:8765 is not allowed: "
                                                        "start rtcshim with --allowed-origin http://rebound.example:8765")


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("origin", "admitted"), [
    ("https://app.example.com", True), ("HTTPS://APP.example.com:443", True), ("null", True),
    ("http://app.example.com", False), ("https://app.example.com:8443", False), (EVIL, False), (None, False),
])
def test_accepts_listed_origins(listing_server: ServerThread, path: str, origin: str | None, admitted: bool) -> None:
    if admitted:
        with open_socket(listing_server, path, origin) as websocket:
            assert_admitted(websocket, path)
    else:
        assert refusal(listing_server, path, origin)[0] == 1008


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("origin", [EVIL, "null", None])
def test_accepts_every_origin_with_a_star(path: str, origin: str | None, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "rtcshim"), ServerThread(allowed_origins=["*"]) as server:
        with open_socket(server, path, origin) as websocket:
            assert_admitted(websocket, path)
    assert "--allowed-origin '*': pages of every origin may use this server" in caplog.text


def test_refusal_is_logged_once_with_the_origin(default_server: ServerThread, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "rtcshim"):
        refusal(default_server, "/bridge", EVIL)
    assert [record.getMessage() for record in caplog.records if record.name == "rtcshim.admission"] == [
        f"refused a WebSocket to /bridge from origin {EVIL}: origin {EVIL} is not allowed: start rtcshim "
        f"with --allowed-origin {EVIL}"]


@pytest.mark.parametrize(("origin", "reason"), [
    (f"https://{'a' * 40}.example",
     f"this origin is not allowed: start rtcshim with --allowed-origin https://{'a' * 40}.example"),
    (f"https://{'a' * 63}.{'b' * 40}.example",
     "this page's origin is not allowed: start rtcshim with --allowed-origin and the page's origin"),
])
def test_long_origin_reason_fits_a_close_frame(default_server: ServerThread, origin: str, reason: str) -> None:
    assert refusal(default_server, "/bridge", origin) == (1008, reason)  # at most 123 bytes


def with_token(token: str) -> dict[str, Any]:
    return {"subprotocols": ["rtcshim", f"rtcshim-token.{token}"]}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("origin", ["http://127.0.0.1", None])
def test_token_right_admits_a_loopback_origin_or_none(
    token_server: ServerThread, path: str, origin: str | None
) -> None:
    with open_socket(token_server, path, origin, **with_token(TOKEN)) as websocket:
        assert websocket.subprotocol == "rtcshim"  # the token is not echoed
        assert_admitted(websocket, path)


@pytest.mark.parametrize("path", PATHS)
def test_token_right_does_not_admit_a_refused_origin(token_server: ServerThread, path: str) -> None:
    assert refusal(token_server, path, EVIL, **with_token(TOKEN)) == (
        1008, f"origin {EVIL} is not allowed: start rtcshim with --allowed-origin {EVIL}")


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("options", "reason"), [
    ({}, "this rtcshim server needs its token: set rtcshimOptions.token"),
    ({"subprotocols": ["rtcshim"]}, "this rtcshim server needs its token: set rtcshimOptions.token"),
    (with_token("wrong"), "the token is not this rtcshim server's: check rtcshimOptions.token"),
    (with_token(TOKEN + "x"), "the token is not this rtcshim server's: check rtcshimOptions.token"),
])
def test_token_missing_or_wrong_is_refused(
    token_server: ServerThread, path: str, options: dict[str, Any], reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        assert refusal(token_server, path, "http://127.0.0.1", **options) == (1008, reason)
    assert "refused a WebSocket" in caplog.text
    assert TOKEN not in caplog.text and "wrong" not in caplog.text


def test_no_token_server_ignores_a_token(default_server: ServerThread) -> None:
    with open_socket(default_server, "/bridge", "http://127.0.0.1", **with_token("anything")) as websocket:
        assert_admitted(websocket, "/bridge")


def test_test_clients_send_an_origin(default_server: ServerThread) -> None:
    with connect_bridge(default_server.url) as websocket:
        assert_admitted(websocket, "/bridge")


def served_token(server: ServerThread, headers: dict[str, str]) -> Any:
    request = urllib.request.Request(server.url + "/shim.js", headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        source = response.read().decode()
        assert "Sec-Fetch-Site" in response.headers["Vary"]
        cache = response.headers["Cache-Control"]
    line = next(line for line in source.splitlines() if line.strip().startswith("const servedToken = "))
    token = json.loads(line.strip().removeprefix("const servedToken = ").removesuffix(";"))
    assert cache == ("no-cache" if token is None else "no-store")
    return token


def test_shim_carries_the_token_for_own_pages_only(token_server: ServerThread, default_server: ServerThread) -> None:
    assert served_token(token_server, {"Sec-Fetch-Site": "same-origin"}) == TOKEN
    for other in ("cross-site", "same-site", "none"):
        assert served_token(token_server, {"Sec-Fetch-Site": other}) is None
    assert served_token(token_server, {}) is None
    # A name rebound to this server is not its own origin.
    host = f"rebound.example:{token_server.port}"
    assert served_token(token_server, {"Sec-Fetch-Site": "same-origin", "Host": host}) is None
    assert served_token(default_server, {"Sec-Fetch-Site": "same-origin"}) is None


def test_cli_passes_normalised_origins_and_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RTCSHIM_TOKEN", "from-the-environment")
    settings = parse_arguments(["serve", "--allowed-origin", "HTTPS://App.example:443", "--allowed-origin", "*"])
    assert (settings.allowed_origins, settings.token) == (("https://app.example", "*"), "from-the-environment")
    assert parse_arguments(["serve", "--token", TOKEN]).token == TOKEN


@pytest.mark.parametrize("arguments", [["--allowed-origin", "https://app.example/"], ["--token", "has=padding"]])
def test_cli_refuses_a_malformed_origin_or_token(arguments: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse_arguments(["serve", *arguments])
    assert exit_.value.code == 2
