"""RTCDtlsTransport and its RTCIceTransport, as a browser shows them.

aiortc has these objects but tells little of them: its ICE transport says "completed"
where browsers say "connected", and nothing reports candidates, parameters or the selected
pair as they change. One DtlsTransport handle stands for each aiortc DTLS transport
(bundled sections share one) and carries its ICE transport's whole state, sent again
whenever any of it changes; the page fires the events for what changed. The functions
below read the transports' private state in aiortc and aioice (ICE connection, check list,
nominated pair, DTLS role, OpenSSL connection, counters, SCTP's RTT) for this module and
for getStats.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from aioice import Candidate, Connection
from aioice.ice import CandidatePair
from aiortc import RTCDtlsTransport, RTCIceTransport, RTCSctpTransport
from aiortc.stats import RTCTransportStats
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from ..dispatcher import Dispatcher

if TYPE_CHECKING:
    from .peer_connection import PeerConnectionDispatcher

# aiortc's names for states, as a browser names them.
ICE_STATES = {"completed": "connected"}
GATHERING_STATES = {"completed": "complete"}
RTP_COMPONENT = 1


def ice_state(aiortc_state: str) -> str:
    return ICE_STATES.get(aiortc_state, aiortc_state)


def ice_connection(ice: RTCIceTransport) -> Connection:
    """aioice's connection behind an aiortc ICE transport."""
    connection: Connection = ice._connection
    return connection


def selected_pair(connection: Connection) -> CandidatePair | None:
    """The pair aioice nominated for RTP (it keeps it private)."""
    pair: CandidatePair | None = connection._nominated.get(RTP_COMPONENT)
    return pair


def candidate_pairs(connection: Connection) -> list[CandidatePair]:
    """Every pair aioice formed, each once: its check list and the nominated pairs."""
    pairs = [*connection._check_list, *connection._nominated.values()]
    return list({id(pair): pair for pair in pairs}.values())


def dtls_role(dtls: RTCDtlsTransport) -> str | None:
    """"client" or "server" once DTLS chose; None before."""
    role: str = dtls._role
    return None if role == "auto" else role


def dtls_counters(dtls: RTCDtlsTransport) -> RTCTransportStats:
    """What aiortc counted through this transport (all RTP, RTCP and SCTP)."""
    counted: RTCTransportStats = next(iter(dtls._get_stats().values()))
    return counted


def certificates(dtls: RTCDtlsTransport) -> tuple[x509.Certificate | None, x509.Certificate | None]:
    """Our certificate and the peer's, once aiortc's OpenSSL connection has them."""
    ssl = getattr(dtls, "_ssl", None)
    if ssl is None:
        return None, None
    local, remote = ssl.get_certificate(), ssl.get_peer_certificate()
    return (local.to_cryptography() if local is not None else None,
            remote.to_cryptography() if remote is not None else None)


def negotiated_ciphers(dtls: RTCDtlsTransport) -> tuple[str | None, int | None, str | None]:
    """OpenSSL's names for the TLS cipher, the DTLS version number and the SRTP profile,
    once the handshake is done (None before)."""
    ssl = getattr(dtls, "_ssl", None)
    if ssl is None or dtls.state != "connected":
        return None, None, None
    srtp = ssl.get_selected_srtp_profile().decode()
    return ssl.get_cipher_name() or None, ssl.get_protocol_version(), srtp or None


def sctp_round_trip(sctp: RTCSctpTransport) -> float | None:
    """The association's smoothed round-trip time (RFC 4960 6.3.1), in seconds."""
    srtt: float | None = sctp._srtt
    return None if srtt is None else float(srtt)


class DtlsTransportDispatcher(Dispatcher):
    interface = "DtlsTransport"

    def __init__(
        self, parent: PeerConnectionDispatcher, dtls: RTCDtlsTransport, mid: str | None
    ) -> None:
        super().__init__(parent.session, parent.session.new_handle("DtlsTransport"), parent)
        self.dtls = dtls
        # Candidates are reported in the first media section the transport carries.
        self.mid = mid
        self._reported_ice = self.ice_state()
        self._reported_state = dtls.state
        dtls.on("statechange", self._report_state)
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
        nominated = selected_pair(connection)
        return {
            "role": ice.role if started else "unknown",
            "state": ice_state(ice.state),
            "gatheringState": GATHERING_STATES.get(ice.iceGatherer.state, ice.iceGatherer.state),
            "localCandidates": [self._candidate(c) for c in connection.local_candidates],
            "remoteCandidates": [self._candidate(c) for c in connection.remote_candidates],
            "localParameters": {"usernameFragment": connection.local_username,
                                "password": connection.local_password} if started else None,
            "remoteParameters": {"usernameFragment": connection.remote_username,
                                 "password": connection.remote_password} if remote_known else None,
            "selectedPair": {"local": self._candidate(nominated.local_candidate),
                             "remote": self._candidate(nominated.remote_candidate)} if nominated else None,
        }

    def report_ice(self) -> None:
        """Tell the page if anything of the ICE transport changed (before the peer
        connection's own state events, as the spec orders them)."""
        snapshot = self.ice_state()
        if snapshot != self._reported_ice:
            self._reported_ice = snapshot
            self.emit("iceChange", {"ice": snapshot})

    def _report_state(self) -> None:
        if self.dtls.state != self._reported_state:
            self._reported_state = self.dtls.state
            self.emit("stateChange", {"state": self.dtls.state, "remoteCertificates": self._remote_certificates()})

    def _remote_certificates(self) -> list[str]:
        """The peer's DTLS certificate, DER in base64, once the handshake has it."""
        _, remote = certificates(self.dtls)
        return [base64.b64encode(remote.public_bytes(Encoding.DER)).decode()] if remote else []

    def _candidate(self, candidate: Candidate) -> dict[str, Any]:
        return {"candidate": "candidate:" + candidate.to_sdp(), "sdpMid": self.mid,
                "sdpMLineIndex": None, "usernameFragment": None}

    def dispose(self) -> None:
        self.dtls.remove_listener("statechange", self._report_state)
        self.dtls.transport.remove_listener("statechange", self.report_ice)
        self.dtls.transport.iceGatherer.remove_listener("statechange", self.report_ice)
        super().dispose()
