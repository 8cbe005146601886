"""parsed_sdp: one parse per description text, the same object for the same text."""

from __future__ import annotations

import pytest
from aiortc.sdp import SessionDescription

from rtcshim.parsed_sdp import KEPT_DESCRIPTIONS, parsed_sdp
from rtcshim.sdp_fixes import check_parses

OFFER = "\r\n".join([
    "v=0", "o=- 1 1 IN IP4 0.0.0.0", "s=-", "t=0 0", "a=group:BUNDLE 0",
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "c=IN IP4 0.0.0.0", "a=mid:0",
    "a=sctp-port:5000", "a=ice-ufrag:abcd", "a=ice-pwd:abcdefghijklmnopqrstuvwx",
    "a=fingerprint:sha-256 " + ":".join(["AB"] * 32), "a=setup:actpass", "",
])


@pytest.fixture(autouse=True)
def counted_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text aiortc's parser is given, from an empty memo."""
    parsed_sdp.cache_clear()
    texts: list[str] = []
    parse = SessionDescription.parse

    def counted(sdp: str) -> SessionDescription:
        texts.append(sdp)
        return parse(sdp)

    monkeypatch.setattr(SessionDescription, "parse", counted)
    return texts


def test_parsed_sdp_parses_a_text_once(counted_parses: list[str]) -> None:
    first = parsed_sdp(OFFER)
    assert parsed_sdp(OFFER) is first
    assert parsed_sdp(str(OFFER.encode().decode())) is first  # an equal text, another string
    assert [media.rtp.muxId for media in first.media] == ["0"]
    assert counted_parses == [OFFER]


def test_parsed_sdp_parses_each_text_of_its_own() -> None:
    other = OFFER.replace("a=ice-ufrag:abcd", "a=ice-ufrag:efgh")
    assert parsed_sdp(other).media[0].ice.usernameFragment == "efgh"
    assert parsed_sdp(OFFER).media[0].ice.usernameFragment == "abcd"


def test_parsed_sdp_keeps_only_the_latest_texts(counted_parses: list[str]) -> None:
    texts = [OFFER.replace("o=- 1 1", f"o=- {number} 1") for number in range(KEPT_DESCRIPTIONS + 1)]
    for text in texts:
        parsed_sdp(text)
    parsed_sdp(texts[-1])
    parsed_sdp(texts[0])  # the oldest went: parsed again
    assert counted_parses == [*texts, texts[0]]


def test_check_parses_refuses_a_text_each_time(counted_parses: list[str]) -> None:
    broken = OFFER.replace("a=sctp-port:5000", "a=sctp-port:none")
    for _ in range(2):
        with pytest.raises(Exception, match="Failed to parse SessionDescription"):
            check_parses(broken)
    assert counted_parses == [broken, broken]  # a failure is not kept
