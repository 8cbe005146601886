"""RTCDtlsTransport and its RTCIceTransport, as a browser shows them.

aiortc has these objects but tells little of them: its ICE transport says "completed"
where browsers say "connected", and nothing reports candidates, parameters or the selected
pair as they change. One DtlsTransport handle stands for each aiortc DTLS transport
(bundled sections share one) and carries its ICE transport's whole state (when it is sent,
and what the page makes of it: docs/design.md, "Transports"). Its changes reach the page in
its peer connection's `statesChange`, with the connection's states they change (webrtc-pc
sets them all before it fires any of their events). What it reads of
aiortc's and aioice's private state (the ICE connection, the selected pair, the OpenSSL
connection) comes through `aiortc_seams.py`, as all such reads do.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from aioice import Candidate
from aiortc import RTCDtlsTransport
from cryptography.hazmat.primitives.serialization import Encoding

from ..aiortc_seams import (
    dtls_certificates,
    flush_dtls_only_when_written,
    ice_connection,
    on_incoming_check,
    selected_pair,
)
from ..dispatcher import Dispatcher
from ..far_peer_watch import FarPeerWatch

if TYPE_CHECKING:
    from .peer_connection import PeerConnectionDispatcher

# aiortc's names for states, as a browser names them.
ICE_STATES = {"completed": "connected"}
GATHERING_STATES = {"completed": "complete"}


def ice_state(aiortc_state: str) -> str:
    return ICE_STATES.get(aiortc_state, aiortc_state)


class DtlsTransportDispatcher(Dispatcher):
    interface = "DtlsTransport"

    def __init__(
        self, parent: PeerConnectionDispatcher, dtls: RTCDtlsTransport, mid: str | None
    ) -> None:
        super().__init__(parent.session, parent.session.new_handle("DtlsTransport"), parent)
        self.peer_connection = parent
        self.dtls = dtls
        flush_dtls_only_when_written(dtls)  # CPU per packet: no empty flush after a record received
        # Candidates are reported in the first media section the transport carries.
        self.mid = mid
        # Started once ICE connects: the far peer's state, as a browser judges it.
        self.far_peer: FarPeerWatch | None = None
        # The gathering state the page sees: the peer connection's announcement of the
        # gathering leads it, as a browser gathers once setLocalDescription resolved.
        self.gathering_state_shown = "new"
        # Whether a remote candidate ever came (in a description, added, or learned from
        # the far peer's checks): a browser's ICE transport stays new until one does.
        self._remote_candidate_known = False
        self._reported_ice = self.ice_state()
        self._reported_state = dtls.state
        dtls.on("statechange", self.report)
        dtls.transport.on("statechange", self.report)
        dtls.transport.iceGatherer.on("statechange", self.report)
        on_incoming_check(ice_connection(dtls.transport), self._incoming_check)

    def initializer(self) -> dict[str, Any]:
        return {"state": self.dtls.state, "remoteCertificates": self._remote_certificates(),
                "ice": self._reported_ice}

    def ice_state(self) -> dict[str, Any]:
        ice = self.dtls.transport
        connection = ice_connection(ice)
        started = ice.iceGatherer.state != "new" or ice.state != "new"
        remote_known = connection.remote_username is not None
        # As a browser: the old pair stays selected while a restart checks the new ones.
        nominated = selected_pair(self.peer_connection.ice_restarts.data_connection(ice))
        return {
            "role": ice.role if started else "unknown",
            "state": self.browser_ice_state(),
            "gatheringState": self.gathering_state_shown,
            "localCandidates": [self._candidate(c) for c in connection.local_candidates],
            "remoteCandidates": [self._candidate(c) for c in connection.remote_candidates],
            "localParameters": {"usernameFragment": connection.local_username,
                                "password": connection.local_password} if started else None,
            "remoteParameters": {"usernameFragment": connection.remote_username,
                                 "password": connection.remote_password} if remote_known else None,
            "selectedPair": {"local": self._candidate(nominated.local_candidate),
                             "remote": self._candidate(nominated.remote_candidate)} if nominated else None,
        }

    def browser_ice_state(self) -> str:
        """The ICE transport's state as a browser reports it: new while checking with no
        remote candidate ever (aiortc checks at once, a browser once it has a pair); once
        connected, the far peer watch's (aiortc's failed wins; closed, when aiortc closed
        itself, does not)."""
        aiortc_state = self.dtls.transport.state
        if aiortc_state == "checking" and self._awaiting_remote_candidates():
            return "new"
        if self.far_peer is None or aiortc_state == "failed":
            return ice_state(aiortc_state)
        return self.far_peer.state

    def _awaiting_remote_candidates(self) -> bool:
        if not self._remote_candidate_known:
            self._remote_candidate_known = bool(ice_connection(self.dtls.transport).remote_candidates)
        return not self._remote_candidate_known

    def report(self) -> None:
        """Something of this transport may have changed: its peer connection tells the page."""
        self.peer_connection.report_states()

    def take_change(self) -> dict[str, Any] | None:
        """What changed since the page last heard (the ICE transport's members that did, the
        DTLS state), for the peer connection's statesChange; None: nothing."""
        if self.far_peer is None and self.dtls.transport.state == "completed":
            self.far_peer = FarPeerWatch(self.dtls.transport, self.report)
        change: dict[str, Any] = {"transport": self.guid}
        snapshot = self.ice_state()
        # Only what changed: a state change need not carry every candidate again.
        ice_change = {name: value for name, value in snapshot.items() if self._reported_ice[name] != value}
        if ice_change:
            self._reported_ice = snapshot
            change["ice"] = ice_change
        if self.dtls.state != self._reported_state:
            self._reported_state = change["state"] = self.dtls.state
            change["remoteCertificates"] = self._remote_certificates()
        return change if len(change) > 1 else None

    def show_gathering(self, state: str) -> None:
        """The page sees the transport's gathering at `state` (gathering, complete)."""
        self.gathering_state_shown = state
        self.report()

    def ice_restarted(self) -> None:
        """The ICE transport carries data on a new connection (ice_restart.py): the far
        peer is watched there from now on."""
        if self.far_peer is not None:
            self.far_peer.stop()
            self.far_peer = None
        self.report()

    def _incoming_check(self) -> None:
        """A check of the far peer may have brought the first remote candidate (a
        peer-reflexive one): the ICE transport is checking from then on."""
        if not self._remote_candidate_known:
            self.report()

    def _remote_certificates(self) -> list[str]:
        """The peer's DTLS certificate, DER in base64, once the handshake has it."""
        _, remote = dtls_certificates(self.dtls)
        return [base64.b64encode(remote.public_bytes(Encoding.DER)).decode()] if remote else []

    def _candidate(self, candidate: Candidate) -> dict[str, Any]:
        return {"candidate": "candidate:" + candidate.to_sdp(), "sdpMid": self.mid,
                "sdpMLineIndex": None, "usernameFragment": None}

    def dispose(self) -> None:
        if self.far_peer is not None:
            self.far_peer.stop()
        self.dtls.remove_listener("statechange", self.report)
        self.dtls.transport.remove_listener("statechange", self.report)
        self.dtls.transport.iceGatherer.remove_listener("statechange", self.report)
        super().dispose()
