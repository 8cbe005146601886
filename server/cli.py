"""`rtcshim serve [DIR]`: the shim and the bridge on one port, with a folder of pages or the examples."""

from __future__ import annotations

import argparse
import gc
import os
import socket
import sys
from collections.abc import Mapping, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.config import LOG_LEVELS

from . import limits as server_limits
from .admission import check_token
from .logs import LOG_FORMATS
from .origins import ALL_ORIGINS, normalise_origin
from .serving import listening_socket, uvicorn_config
from .settings import ServeSettings, SettingsError, page_tree_of

__all__ = ["ServeSettings", "main", "parse_arguments"]

ENVIRONMENT_PREFIX = "RTCSHIM_"
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off", "")


class OptionParser(argparse.ArgumentParser):
    """A parser that keeps its options (argparse lists them publicly nowhere), the repeatable
    ones apart, for their RTCSHIM_* variables; each option's help ends with its default and
    its variable, as uvicorn's (click's) help shows them. Options whose default is nothing (a
    flag, a list, no value) say in their help what that means."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options: list[argparse.Action] = []
        self.repeatable: set[argparse.Action] = set()

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        return self._noted(super().add_argument(*args, **kwargs), kwargs)

    def add_argument_group(self, *args: Any, **kwargs: Any) -> Any:
        """A group whose options are noted too (argparse's groups add to the parser directly)."""
        group = super().add_argument_group(*args, **kwargs)
        add_to_group = group.add_argument
        group.add_argument = (  # type: ignore[method-assign]  # this group only
            lambda *args, **kwargs: self._noted(add_to_group(*args, **kwargs), kwargs))
        return group

    def _noted(self, action: argparse.Action, kwargs: dict[str, Any]) -> argparse.Action:
        if action.option_strings and action.default is not argparse.SUPPRESS:
            self.options.append(action)
            if kwargs.get("action") == "append":
                self.repeatable.add(action)
            help_text = action.help or ""
            if action.default not in (None, [], True, False) and "%(default)" not in help_text:
                help_text += " (default: %(default)s)"
            action.help = f"{help_text} [env: {environment_name(action)}]"
        return action


def environment_name(action: argparse.Action) -> str:
    """RTCSHIM_ and the long option's name: --log-level is RTCSHIM_LOG_LEVEL."""
    return ENVIRONMENT_PREFIX + max(action.option_strings, key=len).lstrip("-").replace("-", "_").upper()


def environment_arguments(parser: OptionParser, environ: Mapping[str, str], command_line: Sequence[str]) -> list[str]:
    """The RTCSHIM_* variables as arguments, to parse before the command line's (which win: a later
    value replaces a single-valued option; a repeatable option given on the command line ignores its
    variable, whose values are separated by whitespace). A bad value exits with a one-line error that
    names the variable."""
    arguments: list[str] = []
    for action in parser.options:
        name = environment_name(action)
        value = environ.get(name)
        if value is None:
            continue
        option = max(action.option_strings, key=len)
        if action.nargs == 0:  # a flag
            if value.strip().lower() not in TRUE_WORDS + FALSE_WORDS:
                parser.error(f"{name}: {value!r} is not one of {', '.join(TRUE_WORDS + FALSE_WORDS[:-1])}")
            if value.strip().lower() in TRUE_WORDS:
                arguments.append(option)
            continue
        repeatable = action in parser.repeatable
        if repeatable and any(word == option or word.startswith(option + "=") for word in command_line):
            continue
        for item in value.split() if repeatable else [value]:
            check_environment_value(parser, action, name, item)
            arguments += [option, item]
    return arguments


def check_environment_value(parser: argparse.ArgumentParser, action: argparse.Action, name: str, text: str) -> None:
    converted: object = text
    if callable(action.type):
        try:
            converted = action.type(text)
        except (argparse.ArgumentTypeError, TypeError, ValueError) as error:
            reason = str(error) if isinstance(error, argparse.ArgumentTypeError) else f"invalid value {text!r}"
            parser.error(f"{name}: {reason}")
    if action.choices is not None and converted not in action.choices:
        parser.error(f"{name}: invalid choice: {text!r} (choose from {', '.join(map(repr, action.choices))})")


def port_number(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port number (0 to 65535; 0: a free port)")
    return port


def tone_frequency(text: str) -> float:
    try:
        frequency = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a frequency in Hz") from None
    if not 0 <= frequency < 24000:  # below Nyquist for the 48 kHz microphone
        raise argparse.ArgumentTypeError(f"{text} Hz is not from 0 to 24000")
    return frequency


def parse_arguments(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> ServeSettings:
    """The settings `argv` and the RTCSHIM_* variables of `environ` (default: the process's) ask for;
    a bad value or combination exits with a one-line error (status 2)."""
    command_line = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="rtcshim", description=__doc__)
    parser.add_argument("--version", action="version", version=f"rtcshim {version('rtcshim')}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OptionParser)
    serve = commands.add_parser(
        "serve", help="serve /shim.js, the bridge and a folder of pages (or the examples)",
        description="Serve /shim.js and the bridge, with the pages of DIR at / (the shim injected first in "
                    "every HTML page's <head>) or, without DIR, the examples at /examples/. Every option can "
                    "also be set by the environment variable shown after it (repeatable options take values "
                    "separated by spaces, flags 1/0); the command line wins.",
    )
    serve.add_argument("directory", nargs="?", type=Path, metavar="DIR",
                       help="a folder of pages to serve at / (default: the examples)")
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    serve.add_argument("--port", type=port_number, default=8765, help="the port to listen on; 0: a free port")
    serve.add_argument("--log-level", default="info", choices=list(LOG_LEVELS), metavar="LEVEL",
                       help=f"the log level: {', '.join(LOG_LEVELS)}")
    serve.add_argument("--log-format", choices=LOG_FORMATS, default="text",
                       help="rtcshim's and uvicorn's log lines as text, or one JSON object a line")
    serve.add_argument("--ssl-certfile", metavar="FILE",
                       help="serve https (and wss) with this PEM certificate chain; default: http")
    serve.add_argument("--ssl-keyfile", metavar="FILE",
                       help="the certificate's private key (default: in the --ssl-certfile)")
    serve.add_argument("--tone", type=tone_frequency, default=440.0, metavar="HZ",
                       help="the synthetic microphone's frequency")
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
    serve.add_argument("--token", type=token,
                       help="require this token of every bridge and relay socket (rtcshimOptions.token; "
                            "the server's own pages get it); default: none")
    serve.add_argument("--no-inspector", dest="inspector", action="store_false",
                       help="do not serve /inspector, the live view of every session and peer connection "
                            "(on by default, for whoever may open the bridge: docs/inspector.md)")
    server_limits.add_options(serve)
    if command_line and command_line[0] == "serve":
        from_environment = environment_arguments(serve, os.environ if environ is None else environ, command_line)
        command_line = ["serve", *from_environment, *command_line[1:]]
    arguments = parser.parse_args(command_line)
    if arguments.directory is None and (not arguments.inject or arguments.exclude):
        serve.error("--no-inject and --exclude apply to the pages of a DIR: name one")
    try:
        page_tree = None if arguments.directory is None else page_tree_of(
            arguments.directory, arguments.inject, arguments.exclude)
    except SettingsError as error:
        serve.error(str(error))
    settings = ServeSettings(
        arguments.host, arguments.port, arguments.log_level, arguments.tone, tuple(arguments.media), page_tree,
        tuple(arguments.allowed_origins), arguments.token, tuple(arguments.ice_policy),
        server_limits.from_arguments(arguments), arguments.ssl_certfile, arguments.ssl_keyfile,
        arguments.log_format, inspector=arguments.inspector,
    )
    try:
        settings.check()
    except SettingsError as error:
        serve.error(str(error))
    return settings


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


class AnnouncingServer(uvicorn.Server):
    """uvicorn's server, saying where the pages are once it listens (not before: the port may be taken)."""

    def __init__(self, config: uvicorn.Config, announcement: str) -> None:
        super().__init__(config)
        self.announcement = announcement

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            # What start-up made (modules, the app) lives as long as the process: out of
            # every later collection. A full collection's pause grows with the objects it
            # scans; start-up's are a quarter of them with 200 peer connections open.
            gc.collect()
            gc.freeze()
            print(self.announcement, flush=True)


def main(argv: list[str] | None = None) -> None:
    settings = parse_arguments(argv)
    try:
        listener = listening_socket(settings.host, settings.port)
    except OSError as error:  # a port in use, a host that is not this machine's
        sys.exit(f"rtcshim serve: error: cannot listen on {settings.host}:{settings.port}: "
                 f"{error.strerror or error}")
    port: int = listener.getsockname()[1]
    config = uvicorn_config(
        settings.create_app(port), settings.host, port, settings.log_level, settings.limits,
        settings.ssl_certfile, settings.ssl_keyfile, settings.log_format,
    )
    server = AnnouncingServer(config, settings.announcement(port))
    try:
        server.run(sockets=[listener])
    except KeyboardInterrupt:  # uvicorn raises the Ctrl-C it handled again once shut down, as its CLI ends
        pass
