"""SDP text fixes between aiortc and browsers."""

from __future__ import annotations

import re

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from rtcshim import sdp_fixes
from rtcshim.errors import InvalidAccessError, OperationError, SdpSyntaxError

from .event_loop import run

OFFER = "\r\n".join([
    "v=0", "o=- 1 1 IN IP4 0.0.0.0", "s=-", "t=0 0", "a=group:BUNDLE 0 1",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111", "a=mid:0", "a=sendrecv",
    "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid", "a=extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    "m=video 9 UDP/TLS/RTP/SAVPF 96", "a=mid:1", "a=sendonly",
    "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid", "a=extmap:3 http://example.org/abs-send-time", "",
])


def test_check_syntax_accepts_sdp() -> None:
    sdp_fixes.check_syntax(OFFER)


@pytest.mark.parametrize("sdp", ["garbage", "v=0\r\nnot a line\r\n", "o=- 1 1 IN IP4 0.0.0.0\r\n"])
def test_check_syntax_rejects_junk(sdp: str) -> None:
    with pytest.raises(OperationError, match="invalid SDP at line"):
        sdp_fixes.check_syntax(sdp)


def test_check_syntax_names_the_line_at_fault() -> None:
    with pytest.raises(SdpSyntaxError) as raised:
        sdp_fixes.check_syntax("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nnot a line\r\n")
    assert raised.value.line_number == 3


def test_check_rtcp_mux_refuses_an_audio_or_video_section_in_use_without_it() -> None:
    session = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
    sdp_fixes.check_rtcp_mux(session + "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=rtcp-mux\r\n"
                             "m=video 0 UDP/TLS/RTP/SAVPF 96\r\n"  # rejected: nothing to mux
                             "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n")
    with pytest.raises(InvalidAccessError, match="media section 1 does not mux RTCP"):
        sdp_fixes.check_rtcp_mux(session + "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=rtcp-mux\r\n"
                                 "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtcp:9 IN IP4 0.0.0.0\r\n")


def test_keep_extension_ids_restores_negotiated_ids() -> None:
    negotiated = "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=extmap:1 http://example.org/abs-send-time\r\n"
    fixed = sdp_fixes.keep_extension_ids(OFFER, negotiated)
    assert [line for line in fixed.split("\r\n") if line.startswith("a=extmap")] == [
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=extmap:1 http://example.org/abs-send-time",
    ]


def test_keep_extension_ids_moves_an_extension_off_a_negotiated_id() -> None:
    # The negotiation gave id 2 to abs-send-time; the offer's audio level must move away.
    negotiated = "a=extmap:2 http://example.org/abs-send-time\r\n"
    fixed = sdp_fixes.keep_extension_ids(OFFER, negotiated)
    assert [line for line in fixed.split("\r\n") if line.startswith("a=extmap")] == [
        "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=extmap:4 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=extmap:2 http://example.org/abs-send-time",
    ]


def test_keep_extension_ids_without_negotiation_changes_nothing() -> None:
    assert sdp_fixes.keep_extension_ids(OFFER, "") == OFFER


def test_reject_sections_sets_port_zero_inactive_and_unbundles() -> None:
    rejected = sdp_fixes.reject_sections(OFFER, {"1"})
    assert "m=video 0 UDP/TLS/RTP/SAVPF 96" in rejected
    assert "a=group:BUNDLE 0\r\n" in rejected
    video = rejected.split("m=video")[1]
    assert "a=inactive" in video and "a=sendonly" not in video
    assert "m=audio 9 " in rejected and "a=sendrecv" in rejected
    assert sdp_fixes.rejected_mids(rejected) == {"1"}


def test_rejected_mids_leave_out_bundle_only_sections() -> None:
    """Firefox offers a second video section as port 0 and a=bundle-only, in the BUNDLE group."""
    second_video = ["m=video 0 UDP/TLS/RTP/SAVPF 96", "a=bundle-only", "a=mid:2", "a=sendrecv", ""]
    bundled = OFFER.replace("a=group:BUNDLE 0 1", "a=group:BUNDLE 0 1 2") + "\r\n".join(second_video)
    assert sdp_fixes.rejected_mids(bundled) == set()
    # Out of the group, or without a=bundle-only, port 0 rejects the section.
    assert sdp_fixes.rejected_mids(OFFER + "\r\n".join(second_video)) == {"2"}
    assert sdp_fixes.rejected_mids(bundled.replace("a=bundle-only\r\n", "")) == {"2"}


def test_answer_direction_follows_jsep() -> None:
    assert sdp_fixes.answer_direction("sendrecv", "sendonly") == "recvonly"
    assert sdp_fixes.answer_direction("sendrecv", "recvonly") == "sendonly"
    assert sdp_fixes.answer_direction("recvonly", "recvonly") == "inactive"
    assert sdp_fixes.answer_direction("sendrecv", "sendrecv") == "sendrecv"


def test_accept_rejected_sections_lets_aiortc_take_a_browser_rejection() -> None:
    async def scenario() -> list[tuple[str | None, bool]]:
        offerer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        answerer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        offerer.addTransceiver("audio")
        offerer.addTransceiver("video")
        await offerer.setLocalDescription(await offerer.createOffer())
        await answerer.setRemoteDescription(offerer.localDescription)
        await answerer.setLocalDescription(await answerer.createAnswer())
        # A browser's re-offer after stopping the video transceiver: port 0, no transport.
        reoffer = sdp_fixes.reject_sections((await offerer.createOffer()).sdp, {"1"})
        head, video = reoffer.split("m=video")
        video = "\r\n".join(line for line in video.split("\r\n") if not line.startswith(
            ("a=ice-ufrag", "a=ice-pwd", "a=fingerprint", "a=setup", "a=candidate")))
        browser_reoffer = head + "m=video" + video
        with pytest.raises(ValueError, match="ICE username fragment"):
            await RTCPeerConnection().setRemoteDescription(RTCSessionDescription(browser_reoffer, "offer"))
        await answerer.setRemoteDescription(
            RTCSessionDescription(sdp_fixes.accept_rejected_sections(browser_reoffer), "offer"))
        result = [(t.mid, t.stopped) for t in answerer.getTransceivers()]
        await offerer.close()
        await answerer.close()
        return result

    assert run(scenario()) == [("0", False), ("1", False)]


REOFFER = "\r\n".join([
    "v=0", "o=- 1 1 IN IP4 0.0.0.0", "s=-", "t=0 0",
    "m=video 9 UDP/TLS/RTP/SAVPF 97 98 99", "a=mid:1",
    "a=rtpmap:97 VP8/90000", "a=rtcp-fb:97 nack", "a=rtpmap:98 rtx/90000", "a=fmtp:98 apt=97",
    "a=rtpmap:99 H264/90000", "a=fmtp:99 packetization-mode=1;profile-level-id=42e01f", "",
])


def test_keep_payload_types_restores_negotiated_numbers_and_rtx_apt() -> None:
    negotiated = "\r\n".join([
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97", "a=mid:1",
        "a=rtpmap:96 VP8/90000", "a=rtpmap:97 rtx/90000", "a=fmtp:97 apt=96", ""])
    fixed = sdp_fixes.keep_payload_types(REOFFER, negotiated)
    assert "m=video 9 UDP/TLS/RTP/SAVPF 96 97 99" in fixed
    assert "a=rtpmap:96 VP8/90000" in fixed and "a=rtcp-fb:96 nack" in fixed
    assert "a=rtpmap:97 rtx/90000" in fixed and "a=fmtp:97 apt=96" in fixed
    assert "a=rtpmap:99 H264/90000" in fixed


def test_keep_payload_types_moves_a_codec_off_a_negotiated_number() -> None:
    # The negotiation gave 99 to VP8; the offer's H.264 at 99 must move away.
    negotiated = "m=video 9 UDP/TLS/RTP/SAVPF 99\r\na=mid:1\r\na=rtpmap:99 VP8/90000\r\n"
    fixed = sdp_fixes.keep_payload_types(REOFFER, negotiated)
    assert "a=rtpmap:99 VP8/90000" in fixed
    assert "a=rtpmap:96 H264/90000" in fixed and "a=fmtp:96 packetization-mode=1" in fixed
    assert "a=fmtp:98 apt=99" in fixed  # the rtx follows its codec's new number


def test_keep_payload_types_leaves_new_sections_alone() -> None:
    assert sdp_fixes.keep_payload_types(REOFFER, "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:7\r\n") == REOFFER


def test_keep_identity_moves_the_session_identity_into_the_local_description() -> None:
    media = "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n"
    given = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=identity:eyJ9\r\n" + media
    local = "v=0\r\no=- 2 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" + media
    kept = sdp_fixes.keep_identity(local, given)
    assert kept == local.replace("t=0 0\r\n", "t=0 0\r\na=identity:eyJ9\r\n")
    # No media section: still before the end; a description without one changes nothing.
    assert sdp_fixes.keep_identity("v=0\r\nt=0 0\r\n", given) == "v=0\r\nt=0 0\r\na=identity:eyJ9\r\n"
    assert sdp_fixes.keep_identity(local, local) == local


@pytest.mark.parametrize(("sdp", "message"), [
    (OFFER.replace("BUNDLE 0 1", "BUNDLE 0 1 7"), "A BUNDLE group contains a MID='7' matching no m= section."),
    (OFFER.replace("a=mid:1", "a=mid: "), "media section 1 has an empty a=mid"),
    (OFFER.replace("a=mid:1", "a=mid:0"), "Duplicate a=mid value '0'."),
    # Found by the fuzz test: aiortc reads the second, empty, and leaves the section without a transport.
    (OFFER.replace("a=mid:1", "a=mid:1\r\na=mid:"), "media section 1 has 2 a=mid lines"),
])
def test_check_mids_refuses_what_aiortc_cannot_negotiate(sdp: str, message: str) -> None:
    with pytest.raises(InvalidAccessError, match=re.escape(message)):
        sdp_fixes.check_mids(sdp)


def test_check_mids_accepts_sections_without_mids() -> None:
    sdp_fixes.check_mids(OFFER)
    without_mids = "".join(line for line in OFFER.splitlines(keepends=True)
                           if not line.startswith(("a=mid:", "a=group:")))
    sdp_fixes.check_mids(without_mids)


@pytest.mark.parametrize("sdp", [
    OFFER.replace("a=sendonly", "a=sendonly\r\na=fmtp:97 apt=96"),  # a format with no rtpmap
    OFFER.replace("m=video 9", "m=video nine"),
    OFFER.replace("a=extmap:3 ", "a=extmap:x "),
    OFFER.replace("a=sendonly", "a=sendonly\r\na=ssrc:1"),
])
def test_check_parses_refuses_what_aiortc_fails_on_with_a_readable_error(sdp: str) -> None:
    with pytest.raises(OperationError, match=r"^Failed to parse SessionDescription: aiortc's parser refused it$"):
        sdp_fixes.check_parses(sdp)


def test_check_parses_accepts_sdp() -> None:
    sdp_fixes.check_parses(OFFER)


def test_check_dtls_setup_refuses_a_section_in_use_without_a_role() -> None:
    """Found by the fuzz test: aiortc failed inside setRemoteDescription ("'NoneType' object
    has no attribute 'role'") on a section without a=setup."""
    with_roles = OFFER.replace("a=sendrecv", "a=sendrecv\r\na=setup:actpass").replace(
        "a=sendonly", "a=sendonly\r\na=setup:actpass")
    sdp_fixes.check_dtls_setup(with_roles)
    sdp_fixes.check_dtls_setup(OFFER.replace("t=0 0", "t=0 0\r\na=setup:actpass"))  # the session's
    sdp_fixes.check_dtls_setup(with_roles.replace("m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=sendonly\r\n"
                                                  "a=setup:actpass", "m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:1"))
    with pytest.raises(InvalidAccessError, match=r"^media section 1 has no a=setup \(its DTLS role\)$"):
        sdp_fixes.check_dtls_setup(with_roles.replace("a=sendonly\r\na=setup:actpass", "a=sendonly"))



WITH_MSID = OFFER.replace("a=sendrecv", "a=sendrecv\r\na=msid:s1 t1\r\na=ssrc:11 cname:c").replace(
    "a=sendonly", "a=sendonly\r\na=msid:s3 t2\r\na=ssrc:22 cname:c")


def test_write_stream_ids_gives_each_stream_of_a_sender_its_msid_line() -> None:
    written = sdp_fixes.write_stream_ids(WITH_MSID, {11: ["s1", "s2"]})
    assert [line for line in written.split("\r\n") if line.startswith("a=msid:")] == [
        "a=msid:s1 t1", "a=msid:s2 t1", "a=msid:s3 t2"]
    assert written.replace("a=msid:s2 t1\r\n", "") == WITH_MSID


def test_write_stream_ids_rewrites_what_aiortc_kept_of_them() -> None:
    """aiortc's parser keeps a section's last a=msid: its local description has that one."""
    kept = WITH_MSID.replace("a=msid:s1 t1", "a=msid:s2 t1")
    assert sdp_fixes.write_stream_ids(kept, {11: ["s1", "s2"]}) == sdp_fixes.write_stream_ids(
        WITH_MSID, {11: ["s1", "s2"]})


def test_msid_stream_ids_reads_every_line_of_a_section() -> None:
    sdp = sdp_fixes.write_stream_ids(WITH_MSID, {11: ["s1", "s2"]})
    assert sdp_fixes.msid_stream_ids(sdp) == [["s1", "s2"], ["s3"]]


@pytest.mark.parametrize(("lines", "expected"), [
    ("a=msid:- t1", []),  # no stream (RFC 8830)
    ("a=ssrc:11 msid:old t1\r\na=ssrc:12 msid:old t1", ["old"]),  # SDP from before a=msid
    ("a=ssrc:11 cname:c", []),
    ("a=msid:s1 t1\r\na=msid:s1 t1", ["s1"]),
])
def test_msid_stream_ids_of_one_section(lines: str, expected: list[str]) -> None:
    sdp = OFFER.replace("a=sendrecv", "a=sendrecv\r\n" + lines).replace("\r\n", "\n")  # a page's LF too
    assert sdp_fixes.msid_stream_ids(sdp)[0] == expected


def test_add_end_of_candidates_ends_each_gathering_section_once() -> None:
    sdp = "\r\n".join([
        "v=0", "s=-",
        "m=audio 9 UDP/TLS/RTP/SAVPF 0", "a=mid:0", "a=candidate:1 1 udp 1 10.0.0.1 5000 typ host", "a=ice-ufrag:u",
        "m=video 0 UDP/TLS/RTP/SAVPF 96", "a=mid:1", "a=ice-ufrag:u",  # rejected
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "a=mid:2", "a=end-of-candidates", "a=ice-ufrag:v",
        "",
    ])
    ended = sdp_fixes.add_end_of_candidates(sdp)
    assert ended.split("\r\n")[4:7] == [
        "a=candidate:1 1 udp 1 10.0.0.1 5000 typ host", "a=end-of-candidates", "a=ice-ufrag:u"]
    assert ended.count("a=end-of-candidates") == 2
    assert sdp_fixes.add_end_of_candidates(ended) == ended


def test_bundle_as_offered_keeps_only_what_the_offer_bundled() -> None:
    answer = OFFER.replace("a=group:BUNDLE 0 1", "a=group:BUNDLE 0 1 2")
    assert sdp_fixes.bundle_as_offered(answer, OFFER) == OFFER
    not_bundled = OFFER.replace("a=group:BUNDLE 0 1", "a=group:SOMETHING 0 1")
    assert "BUNDLE" not in sdp_fixes.bundle_as_offered(OFFER, not_bundled)
    assert "\r\n\r\n" not in sdp_fixes.bundle_as_offered(OFFER, not_bundled)


def test_check_unique_msids_refuses_two_sections_with_one_track() -> None:
    twice = WITH_MSID.replace("a=msid:s3 t2", "a=msid:s1  t1")
    with pytest.raises(OperationError, match=r"^media sections 0 and 1 have the same a=msid:s1 t1$"):
        sdp_fixes.check_unique_msids(twice)


@pytest.mark.parametrize("sdp", [
    WITH_MSID,
    WITH_MSID.replace("a=msid:s3 t2", "a=msid:s1 t2"),  # two tracks of one stream
    WITH_MSID.replace("a=msid:s3 t2", "a=msid:s3 t1"),  # one track id in two streams
    sdp_fixes.write_stream_ids(WITH_MSID, {11: ["s1", "s2"]}),  # one track in two streams
    WITH_MSID.replace("a=msid:s3 t2", "a=msid:s1 t1").replace("m=video 9", "m=video 0"),  # rejected
])
def test_check_unique_msids_accepts_a_track_per_section(sdp: str) -> None:
    sdp_fixes.check_unique_msids(sdp)


GATHERED = OFFER.replace("a=sendrecv", "a=sendrecv\r\na=candidate:1 1 udp 9 10.0.0.1 5000 typ host\r\n"
                         "a=candidate:2 1 udp 9 10.0.0.2 5000 typ host\r\na=end-of-candidates\r\na=ice-ufrag:u"
                         ).replace("a=sendonly", "a=sendonly\r\na=candidate:3 1 udp 9 10.0.0.1 6000 typ host\r\n"
                                   "a=end-of-candidates\r\na=ice-ufrag:u")


def candidate_lines(sdp: str) -> list[list[str]]:
    return [[line for line in section.split("\r\n") if line.startswith(("a=candidate:", "a=end-of-candidates"))]
            for section in sdp.split("\r\nm=")[1:]]


def test_unannounced_candidates_hidden_shows_the_announced_and_their_sections_end() -> None:
    shown = sdp_fixes.unannounced_candidates_hidden(GATHERED, {"u candidate:3 1 udp 9 10.0.0.1 6000 typ host"})
    assert candidate_lines(shown) == [[], ["a=candidate:3 1 udp 9 10.0.0.1 6000 typ host", "a=end-of-candidates"]]
    assert sdp_fixes.unannounced_candidates_hidden(GATHERED, set()) == GATHERED.replace(
        "a=candidate:1 1 udp 9 10.0.0.1 5000 typ host\r\na=candidate:2 1 udp 9 10.0.0.2 5000 typ host\r\n", "").replace(
        "a=candidate:3 1 udp 9 10.0.0.1 6000 typ host\r\n", "").replace("a=end-of-candidates\r\n", "")


def test_sections_listing_and_add_end_of_candidates_rebuild_what_aiortc_gathered() -> None:
    shown = sdp_fixes.unannounced_candidates_hidden(GATHERED, set())
    for line in ("a=candidate:1 1 udp 9 10.0.0.1 5000 typ host", "a=candidate:2 1 udp 9 10.0.0.2 5000 typ host",
                 "a=candidate:3 1 udp 9 10.0.0.1 6000 typ host"):
        shown = sdp_fixes.add_to_sections(shown, sdp_fixes.sections_listing(GATHERED, line), line)
    rebuilt = sdp_fixes.add_end_of_candidates(shown)
    assert candidate_lines(rebuilt) == candidate_lines(GATHERED)
    assert sorted(rebuilt.split("\r\n")) == sorted(GATHERED.split("\r\n"))
    rejected = GATHERED.replace("m=video 9", "m=video 0")
    ended = sdp_fixes.add_end_of_candidates(sdp_fixes.unannounced_candidates_hidden(rejected, set()))
    assert candidate_lines(ended) == [
        ["a=end-of-candidates"], []]
