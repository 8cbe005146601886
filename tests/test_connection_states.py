"""webrtc-pc's iceConnectionState and connectionState over the transports a browser has."""

from __future__ import annotations

from rtcshim.connection_states import bundled_away_mids, negotiated_bundle_tags

SESSION = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
SECTION = "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:{mid}\r\n"


def description(group: str, mids: list[str]) -> str:
    return SESSION + (f"a=group:{group}\r\n" if group else "") + "".join(SECTION.format(mid=mid) for mid in mids)


def test_negotiated_bundle_tags_need_both_descriptions() -> None:
    offer = description("BUNDLE 0", ["0"])
    assert negotiated_bundle_tags(offer, description("BUNDLE 0", ["0"])) == {"0"}
    # An answer that bundled nothing (its answerer not bundle-aware): no transport is shared.
    assert negotiated_bundle_tags(offer, description("", ["0"])) == set()


def test_bundled_away_mids_are_those_a_re_offer_puts_on_a_started_transport() -> None:
    re_offer = description("BUNDLE 0 1", ["0", "1"])
    assert bundled_away_mids(re_offer, {"0"}) == {"1"}
    assert bundled_away_mids(re_offer, set()) == set()
    assert bundled_away_mids(None, {"0"}) == set()
