"""SDP text fixes where aiortc's descriptions differ from what browsers accept or expect."""

from __future__ import annotations

import re

from .errors import OperationError

SDP_LINE = re.compile(r"^[a-z]=\S")
EXTMAP = re.compile(r"^a=extmap:(\d+)(/\S+)? (\S+)(.*)$")
# Header extension ids a one-byte header can carry (RFC 8285).
EXTENSION_IDS = range(1, 15)


def check_syntax(sdp: str) -> None:
    """RFC 8866's line syntax, which aiortc's parser does not enforce (it skips junk)."""
    lines = sdp.replace("\r\n", "\n").rstrip("\n").split("\n")
    for number, line in enumerate(lines, start=1):
        if (number == 1 and line != "v=0") or not SDP_LINE.match(line):
            raise OperationError(f"invalid SDP at line {number}: {line[:40]!r}")


def keep_extension_ids(offer: str, negotiated: str) -> str:
    """Give each RTP header extension in a re-offer the id it was negotiated with.

    aiortc numbers extensions afresh in every offer; a browser refuses a description that
    moves an extension to another id (aiortc issue 686). An id the negotiation gave to
    another extension is moved out of the way, to an id unused in both descriptions.
    """
    negotiated_ids: dict[str, int] = {}
    for line in negotiated.splitlines():
        if match := EXTMAP.match(line):
            negotiated_ids.setdefault(match.group(3), int(match.group(1)))
    taken = set(negotiated_ids.values()) | {
        int(match.group(1)) for line in offer.splitlines() if (match := EXTMAP.match(line))}
    spare = (number for number in EXTENSION_IDS if number not in taken)
    moved: dict[str, int] = {}

    def renumber(line: str) -> str:
        match = EXTMAP.match(line)
        if match is None:
            return line
        number, direction, uri, rest = match.groups()
        if uri in negotiated_ids:
            new_id = negotiated_ids[uri]
        elif int(number) in negotiated_ids.values():
            new_id = moved.setdefault(uri, next(spare))
        else:
            return line
        return f"a=extmap:{new_id}{direction or ''} {uri}{rest}"

    return "\r\n".join(renumber(line) for line in offer.split("\r\n"))


def answer_direction(local: str, remote_offer: str) -> str:
    """The direction an answer takes: ours, within what the remote offered (JSEP 5.3.1)."""
    sends = local in ("sendrecv", "sendonly") and remote_offer in ("sendrecv", "recvonly")
    receives = local in ("sendrecv", "recvonly") and remote_offer in ("sendrecv", "sendonly")
    return {(True, True): "sendrecv", (True, False): "sendonly",
            (False, True): "recvonly", (False, False): "inactive"}[(sends, receives)]
