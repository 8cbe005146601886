"""SDP text fixes where aiortc's descriptions differ from what browsers accept or expect."""

from __future__ import annotations

import re

from .errors import InvalidAccessError, OperationError, SdpSyntaxError
from .parsed_sdp import parsed_sdp

SDP_LINE = re.compile(r"^[a-z]=\S")
EXTMAP = re.compile(r"^a=extmap:(\d+)(/\S+)? (\S+)(.*)$")
# Header extension ids a one-byte header can carry (RFC 8285).
EXTENSION_IDS = range(1, 15)
END_OF_CANDIDATES = "a=end-of-candidates"


def check_syntax(sdp: str) -> None:
    """RFC 8866's line syntax, which aiortc's parser does not enforce (it skips junk)."""
    lines = sdp.replace("\r\n", "\n").rstrip("\n").split("\n")
    for number, line in enumerate(lines, start=1):
        if (number == 1 and line != "v=0") or not SDP_LINE.match(line):
            raise SdpSyntaxError(f"invalid SDP at line {number}: {line[:40]!r}", number)


def check_parses(sdp: str) -> None:
    """What aiortc's parser takes without failing: it trusts the values it reads (a
    payload type with no rtpmap, a port that is no number) and fails inside with Python's
    own errors, which would reach the page as "the server could not carry out this call".
    Parsed once more here, its failure is the page's readable OperationError, as Chromium's
    "Failed to parse SessionDescription"."""
    try:
        parsed_sdp(sdp)
    except Exception as error:
        raise SdpSyntaxError("Failed to parse SessionDescription: aiortc's parser refused it") from error


def media_layout(sdp: str) -> list[tuple[str, str | None]]:
    """Each media section's kind and mid, in order."""
    _, sections = _page_sections(sdp)
    return [(section[0][len("m="):].split(" ", 1)[0], _mid(section)) for section in sections]


def check_dtls_setup(sdp: str) -> None:
    """Every section in use says its DTLS role (a=setup, its own or the session's): aiortc
    reads a section without one as having no DTLS at all and fails inside on it, half-way
    through setRemoteDescription (found by the fuzz test)."""
    session, sections = _page_sections(sdp)
    if any(line.startswith("a=setup:") for line in session):
        return
    for index, section in enumerate(sections):
        in_use = section[0].split(" ")[1:2] != ["0"]
        if in_use and not any(line.startswith("a=setup:") for line in section):
            raise InvalidAccessError(f"media section {index} has no a=setup (its DTLS role)")


def check_rtcp_mux(sdp: str) -> None:
    """Every audio and video section in use muxes RTCP with RTP (a=rtcp-mux): aiortc can do
    nothing else, as rtcpMuxPolicy "require" asks (webrtc-pc: else InvalidAccessError)."""
    _, sections = _page_sections(sdp)
    for index, section in enumerate(sections):
        kind, port = [*section[0][len("m="):].split(" "), ""][:2]
        if kind in ("audio", "video") and port != "0" and "a=rtcp-mux" not in section:
            raise InvalidAccessError(f"media section {index} does not mux RTCP with RTP (no a=rtcp-mux)")


def check_unique_msids(sdp: str) -> None:
    """No two media sections in use carry the same a=msid (stream id and track id): RFC 8830
    gives each section's track its own; a remote description that repeats one names one
    track twice, and rejects with OperationError, as in Chromium (aiortc takes it)."""
    _, sections = _page_sections(sdp)
    seen: dict[str, int] = {}
    for index, section in enumerate(sections):
        if section[0].split(" ")[1:2] == ["0"]:
            continue
        for msid in dict.fromkeys(" ".join(line[len("a=msid:"):].split()) for line in section
                                  if line.startswith("a=msid:")):
            if msid in seen:
                raise OperationError(f"media sections {seen[msid]} and {index} have the same a=msid:{msid}")
            seen[msid] = index


def check_mids(sdp: str) -> None:
    """The mids a description must get right before aiortc sees it: aiortc trusts them,
    and an empty, repeated or unknown one, or a section with two, leaves a half-built
    transport behind ("'NoneType' object has no attribute 'transport'"). In Chromium's
    words where it refuses the same; Chromium takes an empty a=mid:, which aiortc cannot
    negotiate."""
    session, sections = _page_sections(sdp)
    mids: set[str] = set()
    for index, section in enumerate(sections):
        lines = sum(line.startswith("a=mid:") for line in section)
        if lines > 1:  # aiortc takes the last, the rest of us the first
            raise InvalidAccessError(f"media section {index} has {lines} a=mid lines")
        mid = _mid(section)
        if mid is None:  # no a=mid at all (SDP of before 2013): aiortc copes
            continue
        if not mid.strip():
            raise InvalidAccessError(f"media section {index} has an empty a=mid")
        if mid in mids:
            raise InvalidAccessError(f"Duplicate a=mid value '{mid}'.")
        mids.add(mid)
    for line in session:
        if line.startswith("a=group:BUNDLE"):
            for mid in line.split()[1:]:
                if mid not in mids:
                    raise InvalidAccessError(f"A BUNDLE group contains a MID='{mid}' matching no m= section.")


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


RTPMAP = re.compile(r"^a=rtpmap:(\d+) ([^/\s]+)/(\d+)(?:/(\d+))?")
PAYLOAD_LINE = re.compile(r"^a=(rtpmap|fmtp|rtcp-fb):(\d+)(.*)$")
# Parameters that tell two codecs of one name apart (H.264 profiles, packetization).
DISTINGUISHING = ("profile-level-id", "packetization-mode", "profile-id")
DYNAMIC_PAYLOAD_TYPES = range(96, 128)


def _codec_keys(section: list[str]) -> dict[int, tuple[str, ...]]:
    """Each payload type of a section, keyed by what the codec is rather than its number."""
    names: dict[int, tuple[str, ...]] = {}
    parameters: dict[int, dict[str, str]] = {}
    for line in section:
        if match := RTPMAP.match(line):
            number, name, clock, channels = match.groups()
            names[int(number)] = (name.lower(), clock, channels or "")
        elif line.startswith("a=fmtp:"):
            number, _, text = line[len("a=fmtp:"):].partition(" ")
            parameters[int(number)] = dict(
                item.strip().partition("=")[::2] for item in text.split(";") if item.strip())
    keys: dict[int, tuple[str, ...]] = {}
    for number, name in names.items():
        found = parameters.get(number, {})
        keys[number] = name + tuple(f"{p}={found[p].lower()}" for p in DISTINGUISHING if p in found)
    for number, name in names.items():  # a retransmission codec is known by what it repairs
        repaired = parameters.get(number, {}).get("apt")
        if name[0] == "rtx" and repaired and repaired.isdigit() and int(repaired) in keys:
            keys[number] = name + keys[int(repaired)]
    return keys


def keep_payload_types(offer: str, negotiated: str) -> str:
    """Give each codec of a re-offered section the payload type it was negotiated with.

    aiortc numbers its codecs afresh in every offer; after a browser's offer set other
    numbers, Chromium accepts the renumbered re-offer but stops decoding the streams it had.
    A number the negotiation gave to another codec is moved out of the way.
    """
    negotiated_sections = {_mid(section): section for section in _sections(negotiated)[1]}
    session, sections = _sections(offer)
    for index, section in enumerate(sections):
        previous = negotiated_sections.get(_mid(section))
        if previous is None:
            continue
        agreed = {key: number for number, key in _codec_keys(previous).items()}
        offered = _codec_keys(section)
        renumber = {number: agreed[key] for number, key in offered.items() if key in agreed}
        taken = set(renumber.values()) | set(offered)
        spare = (number for number in DYNAMIC_PAYLOAD_TYPES if number not in taken)
        for number in offered:
            if number not in renumber and number in renumber.values():
                renumber[number] = next(spare)
        sections[index] = _renumber_payloads(section, renumber)
    return _join(session, sections)


def _renumber_payloads(section: list[str], renumber: dict[int, int]) -> list[str]:
    def new(number: str) -> str:
        return str(renumber.get(int(number), number)) if number.isdigit() else number

    words = section[0].split(" ")
    lines = [" ".join(words[:3] + [new(word) for word in words[3:]])]
    for line in section[1:]:
        if match := PAYLOAD_LINE.match(line):
            kind, number, rest = match.groups()
            rest = re.sub(r"apt=(\d+)", lambda apt: f"apt={new(apt.group(1))}", rest)
            line = f"a={kind}:{new(number)}{rest}"
        lines.append(line)
    return lines


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


def _page_sections(sdp: str) -> tuple[list[str], list[list[str]]]:
    """`_sections` of a page's SDP, whose lines may end in LF alone (written by hand)."""
    return _sections(sdp.replace("\r\n", "\n").replace("\n", "\r\n"))


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


def bundle_as_offered(answer: str, offer: str) -> str:
    """The answer's BUNDLE group with only the sections the offer's had, and none if the
    offer had none (JSEP 5.3.1). aiortc's answer bundles every section whatever was
    offered: an offerer that is not bundle-aware (or offers some sections apart) would read
    its sections as sharing one transport, which aiortc, bundling what the offer says, keeps
    apart."""
    offered = {mid for line in _page_sections(offer)[0] if line.startswith("a=group:BUNDLE")
               for mid in line.split()[1:]}
    session, sections = _sections(answer)
    answered = {mid for line in session if line.startswith("a=group:BUNDLE") for mid in line.split()[1:]}
    session = [line for line in _unbundle(session, answered - offered) if line != "a=group:BUNDLE"]
    return _join(session, sections)


def rejected_mids(sdp: str) -> set[str]:
    """The mids of the sections a description rejects (port 0), bundle-only ones aside:
    those have port 0 too but share the BUNDLE group's transport (RFC 8843 6; Firefox
    offers every section but the first of each kind so)."""
    session, sections = _sections(sdp)
    bundled = {mid for line in session if line.startswith("a=group:BUNDLE") for mid in line.split()[1:]}
    return {mid for section in sections
            if section[0].split(" ")[1] == "0" and (mid := _mid(section)) is not None
            and not ("a=bundle-only" in section and mid in bundled)}


TRANSPORT_ATTRIBUTES = ("a=ice-ufrag:", "a=ice-pwd:", "a=fingerprint:", "a=setup:")


def accept_rejected_sections(sdp: str) -> str:
    """A description aiortc can parse although it rejects sections, as browsers write them.

    A browser drops the transport attributes of a rejected section, which aiortc's parser
    requires: borrow them from the first section. The section stays out of the BUNDLE
    group: had it carried the bundle's transport, aiortc would close that transport when
    it left the group. The caller then stops its transceiver.
    """
    rejected = rejected_mids(sdp)
    if not rejected:
        return sdp
    session, sections = _sections(sdp)
    donor = [line for line in sections[0] if line.startswith(TRANSPORT_ATTRIBUTES)]
    for section in sections:
        if _mid(section) in rejected and not any(line.startswith("a=ice-ufrag:") for line in section):
            section.extend(donor)
    return _join(session, sections)


def drop_unlisted_formats(sdp: str) -> str:
    """Each section's rtpmap, fmtp and rtcp-fb lines for the formats its m= line lists only.

    aiortc takes a codec from every rtpmap line of a section, listed or not. A 2013 page
    that munges its audio line to "m=audio 9 UDP/TLS/RTP/SAVPF 0 126" (PCMU and
    telephone-event) leaves the other rtpmap lines in place, which a browser ignores.
    """
    session, sections = _sections(sdp)
    for section in sections:
        listed = set(section[0].split(" ")[3:])
        section[1:] = [line for line in section[1:]
                       if not ((match := PAYLOAD_LINE.match(line)) and match.group(2) not in listed)]
    return _join(session, sections)


def keep_identity(local: str, given: str) -> str:
    """Carry the page's session-level a=identity (webrtc-identity) into aiortc's local
    description, which aiortc writes anew without the attributes it does not know."""
    given_session, _ = _page_sections(given)
    identity = [line for line in given_session if line.startswith("a=identity:")]
    session, sections = _sections(local)
    session = [line for line in session if not line.startswith("a=identity:")]
    # Before the empty string a trailing CRLF leaves when there is no media section.
    at = len(session) - 1 if not sections and session and session[-1] == "" else len(session)
    return _join(session[:at] + identity + session[at:], sections)


def drop_end_of_candidates(sdp: str) -> str:
    """Without a=end-of-candidates: aiortc writes it once its host candidates are in, but
    rtcshim still gathers from the page's ICE servers (ice_gathering.py)."""
    return "\r\n".join(line for line in sdp.split("\r\n") if line != END_OF_CANDIDATES)


def add_end_of_candidates(sdp: str) -> str:
    """The description with a=end-of-candidates in each section that gathers (one with
    ICE credentials, not rejected), as a browser's localDescription shows it once
    gathering is complete; after the section's candidates, as aiortc writes it."""
    session, sections = _sections(sdp)
    for section in sections:
        rejected = section[0].split()[1:2] == ["0"]
        gathers = any(line.startswith("a=ice-ufrag:") for line in section)
        if gathers and not rejected and "a=end-of-candidates" not in section:
            listed = [number for number, line in enumerate(section) if line.startswith("a=candidate:")]
            at = listed[-1] + 1 if listed else len(section) - (section[-1] == "")
            section.insert(at, "a=end-of-candidates")
    return _join(session, sections)


def unannounced_candidates_hidden(sdp: str, announced: set[str]) -> str:
    """aiortc's local description as a browser's stands before its icecandidate events: only
    the candidates announced so far (keys "<ufrag> candidate:..."), and a=end-of-candidates
    only in sections with none still to come; the rest show as their events fire."""
    session, sections = _sections(sdp)
    for section in sections:
        ufrag = next((line[len("a=ice-ufrag:"):] for line in section if line.startswith("a=ice-ufrag:")), "")
        kept = [line for line in section
                if not line.startswith("a=candidate:") or f"{ufrag} {line[len('a='):]}" in announced]
        if len(kept) < len(section):
            kept = [line for line in kept if line != END_OF_CANDIDATES]
        section[:] = kept
    return _join(session, sections)


def sections_listing(sdp: str, line: str) -> list[int]:
    """The indexes of the media sections that hold `line` (aiortc lists a transport's
    candidates in each section bundled on it)."""
    _, sections = _sections(sdp)
    return [index for index, section in enumerate(sections) if line in section]


def add_candidate(sdp: str, ufrag: str, candidate: str) -> str:
    """The description with `candidate` (an a=candidate line's value) in every media
    section of the transport whose ICE username fragment is `ufrag`, as a browser's
    localDescription shows the candidates trickled since."""
    session, sections = _sections(sdp)
    for section in sections:
        if f"a=ice-ufrag:{ufrag}" in section:
            listed = [number for number, line in enumerate(section) if line.startswith("a=candidate:")]
            at = listed[-1] + 1 if listed else len(section) - (section[-1] == "")
            section.insert(at, f"a={candidate}")
    return _join(session, sections)


def add_to_sections(sdp: str, indexes: list[int], line: str) -> str:
    """The page's description with `line` (an a=candidate or a=end-of-candidates line) in
    the media sections at `indexes`, as addIceCandidate shows it in remoteDescription: a
    candidate after the section's others, end-of-candidates once, last."""
    session, sections = _page_sections(sdp)
    for index in indexes:
        section = sections[index]
        if line in section:
            continue
        end = len(section) - (section[-1] == "")
        if line != END_OF_CANDIDATES and END_OF_CANDIDATES in section:
            end = section.index(END_OF_CANDIDATES)
        section.insert(end, line)
    return _join(session, sections)


# msid's stream id for a track in no stream (RFC 8830).
NO_STREAM = "-"
SSRC_LINE = re.compile(r"^a=ssrc:(\d+) ")
SSRC_MSID = re.compile(r"^a=ssrc:\d+ msid:(\S+)")


def write_stream_ids(sdp: str, streams_by_ssrc: dict[int, list[str]]) -> str:
    """One a=msid line for each stream of a sender, as RFC 8830 and browsers write a
    track in several streams: aiortc writes one per section. A sender's section is the
    one that carries its SSRC."""
    session, sections = _sections(sdp)
    for section in sections:
        ssrc = next((int(match.group(1)) for line in section if (match := SSRC_LINE.match(line))), None)
        streams = streams_by_ssrc.get(ssrc) if ssrc is not None else None
        msid_at = next((at for at, line in enumerate(section) if line.startswith("a=msid:")), None)
        if not streams or msid_at is None:
            continue
        track_id = section[msid_at].partition(" ")[2]
        section[msid_at:msid_at + 1] = [f"a=msid:{stream} {track_id}" for stream in streams]
    return _join(session, sections)


def msid_stream_ids(sdp: str) -> list[list[str]]:
    """Each media section's msid stream ids, in order: one per a=msid line (aiortc's
    parser keeps only the last), or else the first a=ssrc msid of SDP from before a=msid.
    "-" is no stream."""
    _, sections = _page_sections(sdp)
    stream_ids = []
    for section in sections:
        ids = [line[len("a=msid:"):].split(" ")[0] for line in section if line.startswith("a=msid:")]
        if not ids:
            ids = [match.group(1) for line in section if (match := SSRC_MSID.match(line))][:1]
        stream_ids.append([stream for stream in dict.fromkeys(ids) if stream != NO_STREAM])
    return stream_ids
