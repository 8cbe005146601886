"""`rtcshim serve`: the examples, the shim and the bridge on one port."""

from __future__ import annotations

import argparse

import uvicorn

from .app import create_app
from .serving import uvicorn_config


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="rtcshim", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve /shim.js, the bridge and the examples")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--log-level", default="info")
    arguments = parser.parse_args(argv)
    print(f"rtcshim: examples at http://{arguments.host}:{arguments.port}/examples/")
    uvicorn.Server(
        uvicorn_config(create_app(), arguments.host, arguments.port, arguments.log_level)
    ).run()
