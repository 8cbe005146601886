"""`rtcshim.Server`: what `rtcshim serve` does, from Python, in a thread of this process.

The keyword arguments are the CLI's options (docs: README "Configuration"); values are
checked as the CLI checks them, and a bad one is a SettingsError (a ValueError) with the
CLI's one-line message. Everything else (the registry, `run`, `url`, start/stop and the
context manager) is ServerThread's.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .limits import DEFAULT_LIMITS, Limits
from .serving import ServerThread
from .settings import ServeSettings, page_tree_of


class Server(ServerThread):
    """`with rtcshim.Server(port=8765, media=["clip.webm"]) as server: print(server.url)`.

    `directory`: serve that folder's pages at / (the shim injected into each, unless
    `inject=False`), else the examples at /examples/. `port` 0 (the default) is a free port.
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, directory: str | Path | None = None,
        inject: bool = True, exclude: Sequence[str] = (), media: Sequence[str | Path] = (), tone: float = 440.0,
        allowed_origins: Sequence[str] = (), token: str | None = None, ice_policy: Sequence[str] = (),
        limits: Limits = DEFAULT_LIMITS, ssl_certfile: str | Path | None = None, ssl_keyfile: str | Path | None = None,
        inspector: bool = True,
    ) -> None:
        page_tree = None if directory is None else page_tree_of(directory, inject, exclude)
        settings = ServeSettings(
            host, port, "warning", tone, tuple(str(path) for path in media), page_tree, tuple(allowed_origins),
            token, tuple(ice_policy), limits, None if ssl_certfile is None else str(ssl_certfile),
            None if ssl_keyfile is None else str(ssl_keyfile), inspector=inspector,
        )
        settings.check()
        self.settings = settings
        super().__init__(
            host, strict=False, media_sources=settings.media_sources, page_tree=page_tree,
            allowed_origins=settings.allowed_origins, token=token, network_policy=settings.network_policy(),
            limits=limits, port=port, ssl_certfile=settings.ssl_certfile, ssl_keyfile=settings.ssl_keyfile,
            inspector=inspector,
        )
