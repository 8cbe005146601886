"""Limits: every bound the server keeps on what one page (or one origin) may make it hold.

A page is not trusted (any website the developer visits can reach the bridge), so each
resource a page can make the server allocate has a bound here. Defaults are what no
legitimate page reaches, set from what Chromium itself allows where it has a limit. Each
field is a `rtcshim serve --max-...` option (`add_options`); docs/security/limits.md
lists them with what the page sees when it hits one.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field, fields, replace
from typing import Any

from .errors import BridgeError, OperationError

MIB = 1 << 20


def _limit(default: int, help_text: str) -> Any:
    return field(default=default, metadata={"help": help_text})


@dataclass(frozen=True)
class Limits:
    # The largest legitimate frame is an uploaded video frame (media/upload.py; the shim's
    # capture upload): a 4096x4096 JPEG of pure noise at top quality measures 15.5 MiB,
    # a real 4K camera frame 1-3 MiB. So upload_frame_bytes plus room for the header.
    # uvicorn refuses a bigger frame (close 1009) before reading it into memory.
    message_bytes: int = _limit(20 * MIB, "largest WebSocket frame a page may send, in bytes")
    # Chromium has no SDP size limit. Browsers' SDPs are 2-10 KB; one of hundreds of media
    # sections (a large SFU conference) stays well under 1 MiB. aiortc parses on the event
    # loop: a 5.6 MB SDP held every session for seconds.
    sdp_bytes: int = _limit(MIB, "largest SDP a page may pass to setLocalDescription/setRemoteDescription")
    # aiortc and aioice take each candidate of a remote description on the event loop (a
    # 1 MiB SDP of 20,000 candidates held it 0.4 s). A browser gathers a handful per
    # transport: even 100 unbundled sections with 8 each stay below this.
    sdp_candidates: int = _limit(1000, "ICE candidates in one remote description")
    # The protocol's deepest legitimate message nests about 8 levels (a configuration's
    # ICE servers, getUserMedia's advanced constraints); Python's json and our validators
    # recurse, and 2,000 levels overflowed them.
    json_depth: int = _limit(64, "deepest nesting of arrays and objects in a message")
    # Incoming messages hold at most a few hundred values (a configuration, constraints; a
    # data channel's text is one string). The parser holds the event loop while it builds
    # them: 6 million empty arrays in one 18 MiB frame took 1.3 s; 100,000 take ~15 ms.
    json_values: int = _limit(100_000, "values (array items and object members) in one message")
    # Chromium refuses the 501st RTCPeerConnection of a renderer ("Cannot create so many
    # PeerConnections"); a page cannot have more there either.
    peer_connections: int = _limit(500, "live peer connections per page")
    # WebRTC negotiates 1024 SCTP streams (kMaxSctpStreams): Chromium's createDataChannel
    # fails beyond that many channels on one connection.
    data_channels_per_peer_connection: int = _limit(1024, "live data channels per peer connection")
    # A few connections' worth of full data channel tables: each channel costs a
    # dispatcher, aiortc state and events.
    data_channels: int = _limit(4096, "live data channels per page, over all its peer connections")
    # Tracks hold sources and decoders (an upload's decoded frame is up to a full
    # picture). A conference page has a few dozen; receivers' tracks count too.
    tracks: int = _limit(1000, "live media tracks per page: getUserMedia, clone, uploads and receivers")
    # Each browser tab of a site is one session; 64 tabs of one site is far beyond use, and
    # bounds what one origin (one hostile site) can hold on the developer's machine.
    sessions_per_origin: int = _limit(64, "open bridge sessions per Origin header")
    # Calls run in tasks, each ending when its reply is queued (a data channel's send at
    # once: dispatchers/data_channel.py); a burst of frames read in one go counts here.
    calls_in_flight: int = _limit(10_000, "calls of one page running at once")
    # What a page that stops reading its socket makes the server buffer: 40,000 replies
    # held 43 MiB. A page reading normally has a handful waiting (playback drops video
    # frames already beyond a few).
    outgoing_messages: int = _limit(20_000, "messages waiting for a page that does not read, before it is dropped")
    outgoing_bytes: int = _limit(64 * MIB, "bytes waiting for a page that does not read, before it is dropped")
    # Cameras stop at 4096 pixels a side (portrait 4K is 2160x3840); a decoded 8000x8000
    # frame pinned about 93 MiB.
    upload_width: int = _limit(4096, "widest uploaded video frame, in pixels")
    upload_height: int = _limit(4096, "tallest uploaded video frame, in pixels")
    upload_frame_bytes: int = _limit(16 * MIB, "largest uploaded video frame (JPEG), in bytes")

    @staticmethod
    def option(name: str) -> str:
        """The CLI option of the field called `name`."""
        return "--max-" + name.replace("_", "-")

    def exceeded(self, name: str, what: str) -> str:
        """The message for a page that hit the limit `name`: what, the limit, its option."""
        return f"{what}: this server's limit is {getattr(self, name)} ({self.option(name)})"

    def check(self, name: str, wanted: int, what: str, error: type[BridgeError] = OperationError) -> None:
        """Refuse a call that would take what the limit `name` bounds to `wanted`."""
        if wanted > getattr(self, name):
            raise error(self.exceeded(name, what))


DEFAULT_LIMITS = Limits()


def add_options(parser: argparse.ArgumentParser) -> None:
    """One `--max-...` option per limit, each defaulting to the field's default."""
    group = parser.add_argument_group("limits", "bounds on what one page may make the server hold")
    for limit in fields(Limits):
        group.add_argument(Limits.option(limit.name), dest=f"limit_{limit.name}", type=positive, metavar="N",
                           default=limit.default, help=limit.metadata["help"])


def from_arguments(arguments: argparse.Namespace) -> Limits:
    return replace(Limits(), **{limit.name: getattr(arguments, f"limit_{limit.name}") for limit in fields(Limits)})


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value
