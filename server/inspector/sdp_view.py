"""A session description made readable: its session part, then one section per m-line,
each headed by what a reader looks for first (kind, mid, direction, codecs, candidates)."""

from __future__ import annotations

import re
from typing import Any

DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
RTPMAP = re.compile(r"a=rtpmap:(\d+) ([^\s]+)")


def sdp_sections(sdp: str) -> list[dict[str, Any]]:
    """`[{"heading", "lines"}]`: the session part ("session"), then each media section."""
    sections: list[dict[str, Any]] = [{"heading": "session", "lines": []}]
    for line in sdp.replace("\r\n", "\n").split("\n"):
        if not line:
            continue
        if line.startswith("m="):
            sections.append({"heading": line, "lines": []})
        sections[-1]["lines"].append(line)
    for section in sections[1:]:
        section["heading"] = _heading(section["lines"])
    return sections


def _heading(lines: list[str]) -> str:
    kind, port = [*lines[0][2:].split(), "", ""][:2]
    parts = [kind]
    mid = next((line[len("a=mid:"):] for line in lines if line.startswith("a=mid:")), None)
    if mid is not None:
        parts.append(f"mid {mid}")
    if port == "0":
        parts.append("rejected (port 0)")
    direction = next((line[2:] for line in lines if line[2:] in DIRECTIONS), None)
    if direction is not None:
        parts.append(direction)
    codecs = [match.group(2) for line in lines if (match := RTPMAP.match(line))]
    if codecs:
        parts.append(", ".join(dict.fromkeys(codecs)))
    if any(line.startswith("a=sctp-port:") for line in lines):
        parts.append("SCTP")
    candidates = sum(1 for line in lines if line.startswith("a=candidate:"))
    parts.append(f"{candidates} candidate{'s' if candidates != 1 else ''}")
    return " · ".join(parts)
