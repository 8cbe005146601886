"""RTCDtlsTransport and its RTCIceTransport, as a browser shows them.

aiortc has these objects but tells little of them: its ICE transport says "completed"
where browsers say "connected", and nothing reports candidates, parameters or the selected
pair as they change. One DtlsTransport handle stands for each aiortc DTLS transport
(bundled sections share one) and carries its ICE transport's whole state (when it is sent,
and what the page makes of it: docs/design.md, "Transports"). What it reads of
aiortc's and aioice's private state (the ICE connection, the selected pair, the OpenSSL
connection) comes through `aiortc_seams.py`, as all such reads do.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from aioice import Candidate
from aiortc import RTCDtlsTransport
from cryptography.hazmat.primitives.serialization import Encoding

from ..aiortc_seams import dtls_certificates, ice_connection, selected_pair
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
        # Candidates are reported in the first media section the transport carries.
        self.mid = mid
        # Started once ICE connects: the far peer's state, as a browser judges it.
        self.far_peer: FarPeerWatch | None = None
        # The gathering state the page sees: the peer connection's announcement of the
        # gathering leads it, as a browser gathers once setLocalDescription resolved.
        self.gathering_state_shown = "new"
        self._reported_ice = self.ice_state()
        self._reported_state = dtls.state
        dtls.on("statechange", self.report_state)
        dtls.transport.on("statechange", self.report_ice)
        dtls.transport.iceGatherer.on("statechange", self.report_ice)

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
        """The ICE transport's state as a browser reports it: once connected, the far peer
        watch's (aiortc's failed wins; closed, when aiortc closed itself, does not)."""
        aiortc_state = self.dtls.transport.state
        if self.far_peer is None or aiortc_state == "failed":
            return ice_state(aiortc_state)
        return self.far_peer.state

    def report_ice(self) -> None:
        """Tell the page if anything of the ICE transport changed (before the peer
        connection's own state events, as the spec orders them)."""
        if self.far_peer is None and self.dtls.transport.state == "completed":
            self.far_peer = FarPeerWatch(self.dtls.transport, self._report_far_peer)
        snapshot = self.ice_state()
        if snapshot != self._reported_ice:
            self._reported_ice = snapshot
            self.emit("iceChange", {"ice": snapshot})

    def show_gathering(self, state: str) -> None:
        """The page sees the transport's gathering at `state` (gathering, complete)."""
        self.gathering_state_shown = state
        self.report_ice()

    def ice_restarted(self) -> None:
        """The ICE transport carries data on a new connection (ice_restart.py): the far
        peer is watched there from now on."""
        if self.far_peer is not None:
            self.far_peer.stop()
            self.far_peer = None
        self.report_ice()

    def _report_far_peer(self) -> None:
        self.peer_connection.report_connection_states()

    def report_state(self) -> None:
        if self.dtls.state != self._reported_state:
            self._reported_state = self.dtls.state
            self.emit("stateChange", {"state": self.dtls.state, "remoteCertificates": self._remote_certificates()})

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
        self.dtls.remove_listener("statechange", self.report_state)
        self.dtls.transport.remove_listener("statechange", self.report_ice)
        self.dtls.transport.iceGatherer.remove_listener("statechange", self.report_ice)
        super().dispose()
