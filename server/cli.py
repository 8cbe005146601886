"""`rtcshim serve [DIR]`: the shim and the bridge on one port, with a folder of pages or the examples."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from . import limits as server_limits
from .admission import check_token
from .app import create_app
from .media.sources import MediaSources
from .network_policy import NetworkPolicy
from .origins import ALL_ORIGINS, normalise_origin
from .page_tree import PageTree
from .serving import uvicorn_config


@dataclass(frozen=True)
class ServeSettings:
    """What `rtcshim serve` was asked for; `page_tree` is None for the examples."""

    host: str
    port: int
    log_level: str
    tone_hz: float
    media_files: tuple[str, ...]
    page_tree: PageTree | None
    allowed_origins: tuple[str, ...] = ()
    token: str | None = None
    ice_policy: tuple[str, ...] = ()  # --ice-policy's terms
    limits: server_limits.Limits = server_limits.DEFAULT_LIMITS

    def network_policy(self) -> NetworkPolicy:
        return NetworkPolicy.parse(self.ice_policy, own_ports=[self.port])

    def media_sources(self) -> MediaSources:
        sources = MediaSources.default(tone_hz=self.tone_hz)
        for path in self.media_files:
            sources += MediaSources.from_file(path)
        return sources

    def announcement(self) -> str:
        """The line that says where the pages are."""
        origin = f"http://[{self.host}]:{self.port}" if ":" in self.host else f"http://{self.host}:{self.port}"
        if self.page_tree is None:
            return f"rtcshim: examples at {origin}/examples/"
        return f"rtcshim: serving {self.page_tree.directory} at {origin}/"


def parse_arguments(argv: list[str] | None = None) -> ServeSettings:
    """The settings `argv` asks for; a bad combination exits with a one-line error (status 2)."""
    parser = argparse.ArgumentParser(prog="rtcshim", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve", help="serve /shim.js, the bridge and a folder of pages (or the examples)",
        description="Serve /shim.js and the bridge, with the pages of DIR at / (the shim injected first in "
                    "every HTML page's <head>) or, without DIR, the examples at /examples/.",
    )
    serve.add_argument("directory", nargs="?", type=Path, metavar="DIR",
                       help="a folder of pages to serve at / (default: the examples)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--tone", type=float, default=440.0, metavar="HZ",
                       help="the synthetic microphone's frequency (default 440)")
    serve.add_argument("--media", action="append", default=[], metavar="FILE",
                       help="also offer a camera/microphone playing FILE (anything FFmpeg reads); repeatable")
    serve.add_argument("--ice-policy", action="append", default=[], metavar="TERM",
                       help="what pages may make the server contact as ICE servers and candidates: "
                            "allow=NET[,NET...], deny=NET[,NET...] (addresses or CIDR networks, the longest "
                            "prefix wins) or open (no default refusal); repeatable. Default: no loopback, "
                            "link-local, multicast or unspecified address, no private range for ICE servers, "
                            "never this server's port (docs/security/ice-policy.md)")
    serve.add_argument("--no-inject", dest="inject", action="store_false",
                       help="serve DIR's pages as they are (each loads /shim.js itself)")
    serve.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                       help="serve the pages whose path in DIR matches GLOB without the shim "
                            "(fnmatch: 'old/*' is every page below old/, * matches / too); repeatable")
    serve.add_argument("--allowed-origin", dest="allowed_origins", action="append", default=[],
                       type=allowed_origin, metavar="ORIGIN",
                       help="also let pages of ORIGIN (scheme://host[:port]) use the bridge and the relay; "
                            "'null' for opaque origins, '*' for all (default: this server's own origin and "
                            "loopback origins); repeatable")
    serve.add_argument("--token", type=token, default=os.environ.get("RTCSHIM_TOKEN") or None,
                       help="require this token of every bridge and relay socket (rtcshimOptions.token; "
                            "the server's own pages get it); default: $RTCSHIM_TOKEN, else none")
    server_limits.add_options(serve)
    arguments = parser.parse_args(argv)
    page_tree = None
    if arguments.directory is not None:
        if not arguments.directory.is_dir():
            serve.error(f"not a directory: {arguments.directory}")
        page_tree = PageTree(arguments.directory.resolve(), arguments.inject, tuple(arguments.exclude))
    elif not arguments.inject or arguments.exclude:
        serve.error("--no-inject and --exclude apply to the pages of a DIR: name one")
    try:
        NetworkPolicy.parse(arguments.ice_policy)
    except ValueError as error:
        serve.error(str(error))
    return ServeSettings(
        arguments.host, arguments.port, arguments.log_level, arguments.tone, tuple(arguments.media), page_tree,
        tuple(arguments.allowed_origins), arguments.token, tuple(arguments.ice_policy),
        server_limits.from_arguments(arguments),
    )


def allowed_origin(text: str) -> str:
    try:
        return text if text == ALL_ORIGINS else normalise_origin(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def token(text: str) -> str:
    try:
        return check_token(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def main(argv: list[str] | None = None) -> None:
    settings = parse_arguments(argv)
    app = create_app(
        media_sources=settings.media_sources(), page_tree=settings.page_tree,
        allowed_origins=settings.allowed_origins, token=settings.token, network_policy=settings.network_policy(),
        limits=settings.limits,
    )
    print(settings.announcement(), flush=True)
    uvicorn.Server(uvicorn_config(app, settings.host, settings.port, settings.log_level, settings.limits)).run()
