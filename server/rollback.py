"""Rollback and provisional answers (webrtc-pc 4.4.1.5-6, JSEP 4.1.10), which aiortc lacks.

A rollback returns a peer connection to its last stable state: the pending descriptions
go, and so does what applying the offer did. aiortc cannot undo a description, so the
state it changes (mids, m-line indexes, the transceivers and SCTP transport a remote offer
made, the remote ICE and DTLS parameters, the ICE and DTLS roles) is saved when the first
offer since stable is applied (`aiortc_seams.OfferState`) and put back by the rollback.
Transceivers a remote offer made go (stopped, their tracks ended), unless the page's
addTrack took one; a receiver the offer started receiving is no longer (removeTrack).
What aiortc cannot give back is kept: candidates gathered for a local offer, bundling,
ICE checks that a remote offer started on transports gathered before (see
docs/conformance/rollback.md).

`setRemoteDescription(offer)` in have-local-offer rolls back first (the implicit rollback),
inside the same operation, so no other operation can come between (it is glare-proof).

A provisional answer is kept as the pending description and moves the signaling state to
have-local-pranswer or have-remote-pranswer; aiortc sees only the final answer, so ICE and
DTLS start with it (no early media).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiortc import RTCDtlsTransport

from .aiortc_seams import OfferState, count_transports
from .errors import InvalidStateError
from .remote_candidates import RemoteSections

if TYPE_CHECKING:
    from .dispatchers.peer_connection import PeerConnectionDispatcher
    from .dispatchers.transceiver import TransceiverDispatcher

# The signaling state each side may roll back from: its own offer. Not with a provisional
# answer to it (webrtc-pc: InvalidStateError in either pranswer state), as the page checks
# on an empty chain (shim.js #checkRollback).
ROLLBACK_STATES = {"Local": ("have-local-offer",), "Remote": ("have-remote-offer",)}
# The signaling states in which each side may set a provisional answer.
PRANSWER_STATES = {
    "Local": ("have-remote-offer", "have-local-pranswer"),
    "Remote": ("have-local-offer", "have-remote-pranswer"),
}


@dataclass
class _StableState:
    """The last stable state: aiortc's, what the page was told of receivers, and the
    streams each sender's msid had in the local description (negotiation-needed's check)."""

    aiortc: OfferState
    receiving: dict[TransceiverDispatcher, list[str] | None]  # msid streams; None: not receiving
    described_stream_ids: dict[TransceiverDispatcher, frozenset[str]]
    remote_sections: RemoteSections
    made_by_remote_offer: set[TransceiverDispatcher] = field(default_factory=set)


class Rollback:
    """One peer connection's last stable state, and the rollback to it."""

    def __init__(self, peer_connection: PeerConnectionDispatcher) -> None:
        self.peer_connection = peer_connection
        self._stable: _StableState | None = None

    def check(self, side: str) -> None:
        state = self.peer_connection.signaling_state
        if state not in ROLLBACK_STATES[side]:
            raise InvalidStateError(f'set{side}Description(rollback) needs an offer of that side; '
                                    f'signalingState is "{state}"')

    @staticmethod
    def check_pranswer(side: str, state: str) -> None:
        if state not in PRANSWER_STATES[side]:
            raise InvalidStateError(f'set{side}Description(pranswer) needs an offer of the other side; '
                                    f'signalingState is "{state}"')

    def before_offer(self) -> None:
        """An offer is about to be applied: from stable, save the stable state."""
        pc = self.peer_connection
        count_transports(pc.peer_connection, negotiated_only=False)  # the offer may bring them in
        if pc.signaling_state == "stable":
            self._stable = _StableState(
                OfferState.save(pc.peer_connection),
                {t: list(t.remote_stream_ids) if t.receiving else None for t in pc.transceivers.values()},
                {t: t.described_stream_ids for t in pc.transceivers.values()},
                pc.remote_sections,
            )

    def made_by_remote_offer(self, transceivers: list[TransceiverDispatcher]) -> None:
        if self._stable is not None:
            self._stable.made_by_remote_offer.update(transceivers)

    async def roll_back(self) -> None:
        """webrtc-pc's rollback: the page sees signalingstatechange (stable, the pending
        descriptions gone), then the remote tracks the offer added go, then the
        transceivers it made end."""
        stable, self._stable = self._stable, None
        assert stable is not None, "an offer state without a saved stable state"
        pc = self.peer_connection
        every = list(pc.transceivers.values())  # in the page's order: its events come in it
        removed = [t for t in every if t in stable.made_by_remote_offer and not t.made_by_add_track]
        has_data_channel = any(child.interface == "DataChannel" for child in pc.children.values())
        unused = stable.aiortc.restore(
            pc.peer_connection, {t.transceiver for t in removed}, keep_sctp=has_data_channel)
        for transceiver in removed:
            del pc.transceivers[transceiver.transceiver]
        pc.take_remote_sections(stable.remote_sections)
        for transceiver in pc.transceivers.values():
            transceiver.described_stream_ids = stable.described_stream_ids.get(transceiver, frozenset())
        pc.descriptions["pendingLocalDescription"] = pc.descriptions["pendingRemoteDescription"] = None
        pc.report_signaling_state(removed=[t.guid for t in removed])
        for transceiver in every:
            if transceiver.receiving and stable.receiving.get(transceiver) is None:
                transceiver.report_track_removed()
        for transceiver in pc.transceivers.values():
            streams = stable.receiving.get(transceiver)
            if transceiver.receiving and streams is not None and set(streams) != set(transceiver.remote_stream_ids):
                transceiver.report_remote_streams(streams)
        for transceiver in removed:
            await transceiver.halt()
            transceiver.receiver_track.dispose()
            transceiver.dispose()
        await _stop(unused)


async def _stop(transports: list[RTCDtlsTransport]) -> None:
    """Transports only a rolled-back offer used (never started: nothing was negotiated)."""
    for dtls in transports:
        await dtls.stop()
        await dtls.transport.stop()
