"""Running the app with uvicorn, in the foreground (the CLI) or in a thread (tests)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Coroutine, Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

import uvicorn

from .app import create_app
from .handles.page_session import AsyncPageSession, Evaluates, PageSession, async_page_session, page_session
from .handles.reach import Reach
from .handles.watch import Watch
from .limits import DEFAULT_LIMITS, Limits
from .logs import logging_config
from .media.sources import MediaSources
from .network_policy import NetworkPolicy
from .page_tree import PageTree
from .registry import Registry
from .websocket_protocol import ReadAheadWebSocketProtocol

T = TypeVar("T")


def uvicorn_config(
    app: Any, host: str, port: int, log_level: str = "info", limits: Limits = DEFAULT_LIMITS,
    ssl_certfile: str | None = None, ssl_keyfile: str | None = None, log_format: str | None = None,
) -> uvicorn.Config:
    """`log_format` ("text" or "json", server/logs.py) gives the rtcshim loggers a handler
    at `log_level`; None leaves them as they are (in tests, pytest's caplog reads them)."""
    # permessage-deflate halves binary throughput on the bridge and buys nothing for
    # media or already-compact frames. The WebSocket protocol: server/websocket_protocol.py.
    return uvicorn.Config(
        app, host=host, port=port, log_level=log_level, ws=ReadAheadWebSocketProtocol, ws_per_message_deflate=False,
        ws_max_size=limits.message_bytes, ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile,
        log_config=uvicorn.config.LOGGING_CONFIG if log_format is None else logging_config(log_level, log_format),
    )


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to `host`:`port` (0: a free port), before the app is made: the app needs
    the real port (the ICE policy refuses it), and a port in use is an OSError here, not a
    log line from inside uvicorn."""
    family, kind, protocol, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    listener = socket.socket(family, kind, protocol)
    try:
        # As uvicorn does: a restarted server may take its port back from TIME_WAIT.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
    except OSError:
        listener.close()
        raise
    return listener


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


class ServerThread:
    """The server on a free loopback port, in a thread with its own event loop.

    `registry` reaches every session; `allowed_origins`, `token` and `network_policy` are
    `rtcshim serve`'s `--allowed-origin`, `--token` and `--ice-policy`; `run(coroutine)` runs
    code on the server's loop (where aiortc objects live) and returns its result. With a
    `page_tree`, it serves that folder at / instead of the examples, as `rtcshim serve DIR`
    does. `with ServerThread() as server:` starts it, and stops it at the end. `port` 0 (the
    default) is a free port; with `ssl_certfile` (and `ssl_keyfile`) it serves https;
    `inspector=False` is `--no-inspector`. `page_session(page)` is a Playwright page's
    session, whose typed handles reach the server's objects behind the page's
    (docs/python-api.md).
    """

    def __init__(
        self, host: str = "127.0.0.1", *, strict: bool = True, media_sources: MediaSources | None = None,
        page_tree: PageTree | None = None, allowed_origins: Sequence[str] = (), token: str | None = None,
        network_policy: NetworkPolicy | None = None, limits: Limits = DEFAULT_LIMITS, port: int = 0,
        ssl_certfile: str | None = None, ssl_keyfile: str | None = None, inspector: bool = True,
    ) -> None:
        self.host = host
        self._socket = listening_socket(host, port)
        self.port: int = self._socket.getsockname()[1]
        self.scheme = "https" if ssl_certfile else "http"
        self.registry = Registry()
        Watch.of(self.registry)  # from the start: what handles read later (received messages)
        try:
            self.app = create_app(
                registry=self.registry, media_sources=media_sources, strict=strict, page_tree=page_tree,
                allowed_origins=allowed_origins, token=token,
                network_policy=(network_policy or NetworkPolicy()).with_own_ports([self.port]),
                limits=limits, inspector=inspector,
            )
        except ValueError:  # a malformed origin or token
            self._socket.close()
            raise
        self._server = uvicorn.Server(
            uvicorn_config(self.app, host, self.port, "warning", limits, ssl_certfile, ssl_keyfile))
        self._thread = threading.Thread(target=self._serve, name="rtcshim-server", daemon=True)
        self.loop: asyncio.AbstractEventLoop | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def _serve(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(self._server.serve(sockets=[self._socket]))

    def start(self) -> ServerThread:
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                self._socket.close()
                raise RuntimeError("the rtcshim server did not start")
            self._thread.join(0.02)
        return self

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        assert self.loop is not None
        future: Future[T] = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout)

    def page_session(self, page: Evaluates) -> PageSession:
        """The session of a page of this server (a sync Playwright Page or Frame), for a
        sync test; asks the page for its session id, opening its bridge if need be."""
        return page_session(page, self._reach())

    async def async_page_session(self, page: Evaluates) -> AsyncPageSession:
        """As `page_session`, for asyncio code (an async Playwright Page, or a sync one)."""
        return await async_page_session(page, self._reach())

    def _reach(self) -> Reach:
        if self.loop is None:
            raise RuntimeError("the rtcshim server is not started: start() it first")
        return Reach(self.registry, self.loop)

    def close_sessions(self) -> None:
        """Close every session (their peer connections with them): the registry is empty
        after, as in a new server (tests share one server this way)."""
        async def close_all() -> None:
            await asyncio.gather(*(session.close() for session in list(self.registry.sessions.values())))

        self.run(close_all())

    def stop(self) -> None:
        """Close every session, then the server."""
        if self.loop is not None and self._thread.is_alive():
            self.close_sessions()
        self._server.should_exit = True
        self._thread.join(10)
        self._socket.close()  # uvicorn closed it if it started; else it was never served
