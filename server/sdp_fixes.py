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


def _sections(sdp: str) -> tuple[list[str], list[list[str]]]:
    """The session lines, and each media section's lines."""
    session: list[str] = []
    sections: list[list[str]] = []
    for line in sdp.split("\r\n"):
        if line.startswith("m="):
            sections.append([line])
        elif sections:
            sections[-1].append(line)
        else:
            session.append(line)
    return session, sections


def _mid(section: list[str]) -> str | None:
    return next((line[len("a=mid:"):] for line in section if line.startswith("a=mid:")), None)


def _join(session: list[str], sections: list[list[str]]) -> str:
    return "\r\n".join(session + [line for section in sections for line in section])


def _unbundle(session: list[str], mids: set[str]) -> list[str]:
    """The session lines with `mids` left out of the BUNDLE group."""
    lines = []
    for line in session:
        if line.startswith("a=group:BUNDLE"):
            line = " ".join(["a=group:BUNDLE", *(mid for mid in line.split()[1:] if mid not in mids)])
        lines.append(line)
    return lines


def reject_sections(sdp: str, mids: set[str]) -> str:
    """Mark the sections of stopped transceivers rejected: port 0, inactive, unbundled.

    aiortc keeps offering a stopped transceiver as if it were live (JSEP 5.2.2 and 5.3.1
    want port 0); browsers then never learn that it stopped.
    """
    if not mids:
        return sdp
    session, sections = _sections(sdp)
    for section in sections:
        if _mid(section) in mids:
            words = section[0].split(" ")
            section[0] = " ".join([words[0], "0", *words[2:]])
            section[:] = [section[0]] + [
                "a=inactive" if line in ("a=sendrecv", "a=sendonly", "a=recvonly") else line
                for line in section[1:]]
    return _join(_unbundle(session, mids), sections)


def rejected_mids(sdp: str) -> set[str]:
    """The mids of the sections a description rejects (port 0)."""
    _, sections = _sections(sdp)
    return {mid for section in sections
            if section[0].split(" ")[1] == "0" and (mid := _mid(section)) is not None}


TRANSPORT_ATTRIBUTES = ("a=ice-ufrag:", "a=ice-pwd:", "a=fingerprint:", "a=setup:")


def accept_rejected_sections(sdp: str) -> str:
    """A description aiortc can parse although it rejects sections, as browsers write them.

    A browser drops the transport attributes of a rejected section, which aiortc's parser
    requires: borrow them from the first section, and bundle the rejected section with it
    so that aiortc opens no transport for it. The caller then stops its transceiver.
    """
    rejected = rejected_mids(sdp)
    if not rejected:
        return sdp
    session, sections = _sections(sdp)
    donor = [line for line in sections[0] if line.startswith(TRANSPORT_ATTRIBUTES)]
    for section in sections:
        if _mid(section) in rejected and not any(line.startswith("a=ice-ufrag:") for line in section):
            section.extend(donor)
    for index, line in enumerate(session):
        if line.startswith("a=group:BUNDLE"):
            bundled = line.split()[1:]
            session[index] = " ".join(["a=group:BUNDLE", *bundled, *sorted(rejected - set(bundled))])
    return _join(session, sections)
