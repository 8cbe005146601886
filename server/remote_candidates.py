"""Which media sections of the remote description an addIceCandidate call is about.

webrtc-pc 4.4.1.6 (addIceCandidate) checks the candidate's sdpMid, sdpMLineIndex and
usernameFragment against the remote description: an sdpMid it does not list, an
sdpMLineIndex past its sections, or a usernameFragment that is not the section's (an
unknown ICE generation) is an OperationError. An empty candidate string is
end-of-candidates: for the section named, or, naming none, for every section (of the
generation named by usernameFragment, if any). The sections the candidate was added to
show it in remoteDescription (a=candidate, a=end-of-candidates: sdp_fixes.add_to_sections).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiortc.sdp import SessionDescription

from .errors import BridgeTypeError, OperationError


@dataclass(frozen=True)
class RemoteSections:
    """Each media section's mid and ICE username fragment, in order."""

    mids: list[str]
    ufrags: list[str | None]

    @classmethod
    def of(cls, description: SessionDescription) -> RemoteSections:
        return cls(
            [media.rtp.muxId for media in description.media],
            [media.ice.usernameFragment if media.ice else None for media in description.media],
        )

    def section_of(self, candidate: dict[str, Any]) -> int:
        """The index of the section a candidate names (sdpMid first, as the spec)."""
        mid = candidate["sdpMid"]
        index: int | None = candidate["sdpMLineIndex"]
        if mid is not None:
            if mid not in self.mids:
                raise OperationError(f"no media section with sdpMid {mid!r}")
            index = self.mids.index(mid)
        elif index is None:
            raise BridgeTypeError("a candidate needs an sdpMid or an sdpMLineIndex")
        elif index >= len(self.mids):
            raise OperationError(f"no media section at sdpMLineIndex {index}")
        ufrag = candidate["usernameFragment"]
        if ufrag is not None and ufrag != self.ufrags[index]:
            raise OperationError(f"usernameFragment {ufrag!r} is not that of the media section {self.mids[index]!r}")
        return index

    def sections_ended_by(self, candidate: dict[str, Any] | None) -> list[int]:
        """The sections an end-of-candidates (null, or an empty candidate string) is for."""
        if candidate is None:
            return list(range(len(self.mids)))
        if candidate["sdpMid"] is not None or candidate["sdpMLineIndex"] is not None:
            return [self.section_of(candidate)]
        ufrag = candidate["usernameFragment"]
        sections = [index for index, known in enumerate(self.ufrags) if ufrag is None or known == ufrag]
        if not sections:
            raise OperationError(f"no media section has the usernameFragment {ufrag!r}")
        return sections
