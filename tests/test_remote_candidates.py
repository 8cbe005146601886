"""remote_candidates and sdp_fixes.add_to_sections: where addIceCandidate's candidate goes."""

from __future__ import annotations

from typing import Any

import pytest

from rtcshim import sdp_fixes
from rtcshim.errors import BridgeTypeError, OperationError
from rtcshim.remote_candidates import RemoteSections

SECTIONS = RemoteSections(["a", "v", "d"], ["one", "two", "two"])


def candidate(**fields: Any) -> dict[str, Any]:
    return {"candidate": "", "sdpMid": None, "sdpMLineIndex": None, "usernameFragment": None, **fields}


def test_section_of_takes_sdpMid_before_sdpMLineIndex() -> None:
    assert SECTIONS.section_of(candidate(sdpMid="v", sdpMLineIndex=7)) == 1
    assert SECTIONS.section_of(candidate(sdpMLineIndex=2)) == 2


@pytest.mark.parametrize(("fields", "error"), [
    ({"sdpMid": "x"}, OperationError),
    ({"sdpMLineIndex": 3}, OperationError),
    ({"sdpMid": "a", "usernameFragment": "two"}, OperationError),
    ({}, BridgeTypeError),
], ids=["unknown-mid", "index-past-the-sections", "another-sections-ufrag", "neither"])
def test_section_of_refuses_what_the_remote_description_does_not_have(
    fields: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        SECTIONS.section_of(candidate(**fields))


def test_end_of_candidates_is_for_the_section_named_or_the_ufrags_or_all() -> None:
    assert SECTIONS.sections_ended_by(None) == [0, 1, 2]
    assert SECTIONS.sections_ended_by(candidate()) == [0, 1, 2]
    assert SECTIONS.sections_ended_by(candidate(sdpMid="a")) == [0]
    assert SECTIONS.sections_ended_by(candidate(usernameFragment="two")) == [1, 2]
    with pytest.raises(OperationError):
        SECTIONS.sections_ended_by(candidate(usernameFragment="three"))


def test_add_to_sections_puts_candidates_before_end_of_candidates_and_each_line_once() -> None:
    sdp = "v=0\n" "s=-\n" "m=audio 9 X 0\n" "a=mid:a\n" "m=video 9 X 96\n" "a=mid:v\n"
    ended = sdp_fixes.add_to_sections(sdp, [0, 1], sdp_fixes.END_OF_CANDIDATES)
    ended = sdp_fixes.add_to_sections(ended, [1], sdp_fixes.END_OF_CANDIDATES)
    with_candidate = sdp_fixes.add_to_sections(ended, [1], "a=candidate:1 1 udp 1 10.77.0.1 9 typ host")
    assert with_candidate.split("\r\n") == [
        "v=0", "s=-", "m=audio 9 X 0", "a=mid:a", "a=end-of-candidates",
        "m=video 9 X 96", "a=mid:v", "a=candidate:1 1 udp 1 10.77.0.1 9 typ host", "a=end-of-candidates", "",
    ]
