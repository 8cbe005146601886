"""`rtcshim serve`: the examples, the shim and the bridge on one port."""

from __future__ import annotations

import argparse

import uvicorn

from .app import create_app
from .media_sources import MediaSources
from .serving import uvicorn_config


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="rtcshim", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve /shim.js, the bridge and the examples")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--tone", type=float, default=440.0, metavar="HZ",
                       help="the synthetic microphone's frequency (default 440)")
    serve.add_argument("--media", action="append", default=[], metavar="FILE",
                       help="also offer a camera/microphone playing FILE (anything FFmpeg reads); repeatable")
    arguments = parser.parse_args(argv)
    sources = MediaSources.default(tone_hz=arguments.tone)
    for path in arguments.media:
        sources += MediaSources.from_file(path)
    print(f"rtcshim: examples at http://{arguments.host}:{arguments.port}/examples/")
    uvicorn.Server(
        uvicorn_config(create_app(media_sources=sources), arguments.host, arguments.port, arguments.log_level)
    ).run()
