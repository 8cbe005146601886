"""getStats: a W3C webrtc-stats report for one peer connection, as Chromium gives it.

aiortc reports five types (transport, outbound-rtp, inbound-rtp and the two remote ones)
and nothing for a connection without media. The rest is read from the objects themselves,
through `aiortc_seams.py` for their private state: the ICE connection (aioice: candidates,
check list, nominated pair), the DTLS transport (state, role, ciphers and version, both
certificates), the negotiated codecs (a codec only once a stream refers to it), our data
channels' counters, our media meters (`media/meter.py`: a sent track's source, the frames
each sender encoded, each receiver's payload bytes and decoded frames), the sources each
receiver heard (`rtp_sources.py`: lastPacketReceivedTimestamp) and the RTCP feedback our
streams exchanged (`rtcp_feedback.py`: NACK, PLI and FIR counts, and the REMB bandwidth
estimates on the selected candidate pair).

Where aiortc has no number, the nearest one stands in: aioice counts and times no STUN
check, so candidate pairs carry the transport's totals on the selected pair and 0
elsewhere, and currentRoundTripTime is SCTP's smoothed RTT over the same path (else
RTCP's). aiortc files remote-inbound-rtp under the reporter's SSRC (we, under ours) and
gives jitter in RTP clock units (we, in seconds).

Ids follow Chromium's style (P, T1, CP…, I…, CF<fingerprint>, COT1_96, OT1V<ssrc>, SA1, D1)
and stay the same from one report to the next, and counters under one id never go down;
every cross-reference (`transportId`, `codecId`, …) names an object of the same report, so
an RTP stream is left out while its transport is not in use yet (an offer applied, its
answer not). Timestamps are ms since the epoch on the server's clock; the page moves them
onto its own.
"""

from __future__ import annotations

import base64
import hashlib
import time
import weakref
from collections import defaultdict
from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING, Any

from aioice import Candidate, Connection
from aioice.ice import CandidatePair, candidate_pair_priority
from aiortc import RTCDtlsTransport, RTCRtpCodecParameters
from aiortc.rtcdtlstransport import certificate_digest
from aiortc.stats import RTCTransportStats
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from .aiortc_seams import (
    candidate_pairs,
    dtls_certificates,
    dtls_counters,
    dtls_role,
    ice_connection,
    negotiated_ciphers,
    negotiated_codecs,
    sctp_round_trip,
    selected_pair,
)
from .dispatchers.data_channel import DataChannelDispatcher
from .dispatchers.dtls_transport import ice_state
from .rtcp_feedback import Remb, combined_bitrate
from .telephone_event import send_codecs

if TYPE_CHECKING:
    from .dispatchers.peer_connection import PeerConnectionDispatcher
    from .dispatchers.transceiver import TransceiverDispatcher

Stats = dict[str, Any]

# The fields that name another stats object: the spec's selection algorithm follows them.
REFERENCES = ("transportId", "codecId", "localCandidateId", "remoteCandidateId", "mediaSourceId",
              "remoteId", "localId", "selectedCandidatePairId", "localCertificateId", "remoteCertificateId")

PAIR_STATES = {
    CandidatePair.State.FROZEN: "frozen", CandidatePair.State.WAITING: "waiting",
    CandidatePair.State.IN_PROGRESS: "in-progress", CandidatePair.State.SUCCEEDED: "succeeded",
    CandidatePair.State.FAILED: "failed",
}
# OpenSSL's names for what DTLS negotiated, as webrtc-stats asks: the IANA registries'
# names. Chromium names the TLS cipher so too, but the SRTP profile its own way
# ("AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM").
SRTP_CIPHERS = {
    "SRTP_AES128_CM_SHA1_80": "SRTP_AES128_CM_HMAC_SHA1_80",
    "SRTP_AEAD_AES_128_GCM": "SRTP_AEAD_AES_128_GCM",
    "SRTP_AEAD_AES_256_GCM": "SRTP_AEAD_AES_256_GCM",
}
TLS_CIPHERS = {
    "ECDHE-ECDSA-AES128-GCM-SHA256": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305": "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-RSA-AES256-GCM-SHA384": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "ECDHE-RSA-CHACHA20-POLY1305": "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
}


def now_ms() -> float:
    return time.time() * 1000


def peer_connection_stats(peer_connection: PeerConnectionDispatcher, timestamp: float | None = None) -> Stats:
    return {
        "id": "P", "type": "peer-connection", "timestamp": now_ms() if timestamp is None else timestamp,
        "dataChannelsOpened": peer_connection.data_channels_opened,
        "dataChannelsClosed": peer_connection.data_channels_closed,
    }


async def collect(
    peer_connection: PeerConnectionDispatcher, selector: tuple[TransceiverDispatcher, str] | None = None,
) -> list[Stats]:
    """The whole report, or with a selector (a transceiver, "sender" or "receiver") the spec's
    sender/receiver selection: its RTP streams and every object they refer to."""
    report = _Report(peer_connection)
    await report.build()
    if selector is None:
        return list(report.stats.values())
    return select(report.stats, report.streams.get(selector, []))


def select(stats: dict[str, Stats], roots: Iterable[str]) -> list[Stats]:
    """`roots` and everything they refer to, directly or not."""
    chosen: dict[str, Stats] = {}
    pending = [root for root in roots if root in stats]
    while pending:
        stats_id = pending.pop()
        if stats_id in chosen:
            continue
        chosen[stats_id] = stats[stats_id]
        pending += [stats[stats_id][key] for key in REFERENCES if stats[stats_id].get(key) in stats]
    return list(chosen.values())


class _Report:
    def __init__(self, peer_connection: PeerConnectionDispatcher) -> None:
        self.peer_connection = peer_connection
        self.ids = peer_connection.stats_ids
        self.timestamp = now_ms()
        self.stats: dict[str, Stats] = {}
        # Each transceiver's RTP stream ids, by side: the roots of a selection.
        self.streams: dict[tuple[TransceiverDispatcher, str], list[str]] = {}
        self.rtcp_round_trip: float | None = None
        # By transport id: the last REMB each of our streams received (senders) or sent
        # (receivers), for the transport's selected pair.
        self.rembs_received: defaultdict[str, list[Remb | None]] = defaultdict(list)
        self.rembs_sent: defaultdict[str, list[Remb | None]] = defaultdict(list)

    def add(self, stats_type: str, stats_id: str, fields: Stats, timestamp: float | None = None) -> str:
        self.stats[stats_id] = {"id": stats_id, "type": stats_type, "timestamp": timestamp or self.timestamp, **fields}
        return stats_id

    async def build(self) -> None:
        self.stats["P"] = peer_connection_stats(self.peer_connection, self.timestamp)
        transports = self.dtls_transports()
        for transceiver in self.peer_connection.transceivers.values():
            await self.add_rtp(transceiver, transports)
        for child in list(self.peer_connection.children.values()):
            if isinstance(child, DataChannelDispatcher):
                self.add_data_channel(child)
        for transport in transports:
            self.add_transport(transport)

    # --- transports ---------------------------------------------------------------

    def dtls_transports(self) -> list[RTCDtlsTransport]:
        """The transports in use: those whose ICE gathering began (bundled ones once)."""
        aiortc_pc = self.peer_connection.peer_connection
        candidates = [t.sender.transport for t in aiortc_pc.getTransceivers()]
        if aiortc_pc.sctp is not None:
            candidates.append(aiortc_pc.sctp.transport)
        unique = list({id(transport): transport for transport in candidates}.values())
        return [transport for transport in unique if transport.transport.iceGatherer.state != "new"]

    def transport_id(self, transport: RTCDtlsTransport) -> str:
        return self.ids.name(transport, "T")

    def add_transport(self, dtls: RTCDtlsTransport) -> None:
        transport_id = self.transport_id(dtls)
        ice = dtls.transport
        connection = ice_connection(ice)
        counted = dtls_counters(dtls)
        fields: Stats = {
            "bytesSent": counted.bytesSent, "bytesReceived": counted.bytesReceived,
            "packetsSent": counted.packetsSent, "packetsReceived": counted.packetsReceived,
            "iceRole": ice.role, "iceState": ice_state(ice.state),
            "iceLocalUsernameFragment": connection.local_username, "dtlsState": dtls.state,
            # aioice selects once per ICE session: one change when it has.
            "selectedCandidatePairChanges": 0,
        }
        role = dtls_role(dtls)
        if role is not None:
            fields["dtlsRole"] = role
        selected = selected_pair(connection)
        for pair in candidate_pairs(connection):
            pair_id = self.add_candidate_pair(transport_id, connection, pair, pair is selected, counted)
            if pair is selected:
                fields.update(selectedCandidatePairId=pair_id, selectedCandidatePairChanges=1)
        # Every candidate, paired or not, as Chromium reports them.
        for candidate in connection.local_candidates:
            self.add_candidate(transport_id, candidate, connection.local_username, remote=False)
        for candidate in connection.remote_candidates:
            self.add_candidate(transport_id, candidate, connection.remote_username, remote=True)
        fields.update(self.add_certificates(dtls))
        self.add("transport", transport_id, fields)

    def add_candidate_pair(
        self, transport_id: str, connection: Connection, pair: CandidatePair, selected: bool,
        counted: RTCTransportStats,
    ) -> str:
        local_id = self.add_candidate(transport_id, pair.local_candidate, connection.local_username, remote=False)
        remote_id = self.add_candidate(transport_id, pair.remote_candidate, connection.remote_username, remote=True)
        fields: Stats = {
            "transportId": transport_id, "localCandidateId": local_id, "remoteCandidateId": remote_id,
            "state": PAIR_STATES[pair.state], "nominated": pair.nominated or pair.remote_nominated or selected,
            "writable": pair.state == CandidatePair.State.SUCCEEDED,
            "priority": candidate_pair_priority(pair.local_candidate, pair.remote_candidate,
                                                connection.ice_controlling),
            # Everything DTLS carries goes through the selected pair; aioice counts no pair.
            "bytesSent": counted.bytesSent if selected else 0,
            "bytesReceived": counted.bytesReceived if selected else 0,
            "packetsSent": counted.packetsSent if selected else 0,
            "packetsReceived": counted.packetsReceived if selected else 0,
        }
        round_trip = self.measured_round_trip()
        if selected and round_trip is not None:
            fields["currentRoundTripTime"] = round_trip
        if selected:
            # REMB is aiortc's only congestion control: what our senders were last told they
            # may send, what our receivers last estimated they can take. Left out before the
            # first REMB (video only, ~3 s in), as webrtc-stats asks without an estimate.
            for key, rembs in (("availableOutgoingBitrate", self.rembs_received[transport_id]),
                               ("availableIncomingBitrate", self.rembs_sent[transport_id])):
                bitrate = combined_bitrate(rembs)
                if bitrate is not None:
                    fields[key] = bitrate
        return self.add("candidate-pair", f"CP{local_id[1:]}_{remote_id[1:]}", fields)

    def measured_round_trip(self) -> float | None:
        """aioice times no check: SCTP's smoothed RTT over the same path, else RTCP's."""
        sctp = self.peer_connection.peer_connection.sctp
        round_trip = sctp_round_trip(sctp) if sctp is not None else None
        return self.rtcp_round_trip if round_trip is None else round_trip

    def add_candidate(self, transport_id: str, candidate: Candidate, ufrag: str | None, *, remote: bool) -> str:
        digest = hashlib.sha1(f"{remote} {candidate.to_sdp()}".encode()).hexdigest()
        fields: Stats = {
            "transportId": transport_id, "address": candidate.host, "ip": candidate.host, "port": candidate.port,
            "protocol": candidate.transport.lower(), "candidateType": candidate.type,
            "priority": candidate.priority, "foundation": candidate.foundation, "isRemote": remote,
        }
        if ufrag is not None:
            fields["usernameFragment"] = ufrag
        if candidate.related_address is not None:
            fields.update(relatedAddress=candidate.related_address, relatedPort=candidate.related_port)
        if candidate.tcptype is not None:
            fields["tcpType"] = candidate.tcptype
        return self.add("remote-candidate" if remote else "local-candidate", "I" + digest[:8], fields)

    def add_certificates(self, dtls: RTCDtlsTransport) -> Stats:
        """The certificates once DTLS has them; returns the transport's references to them."""
        references: Stats = {}
        for key, fields in zip(("localCertificateId", "remoteCertificateId"), _certificate_fields(dtls), strict=True):
            if fields is not None:
                references[key] = self.add("certificate", "CF" + fields["fingerprint"], dict(fields))
        cipher, version, srtp = negotiated_ciphers(dtls)
        if cipher is not None:
            references["dtlsCipher"] = TLS_CIPHERS.get(cipher, cipher)
        if version is not None:
            references["tlsVersion"] = format(version, "04X")
        if srtp is not None:
            references["srtpCipher"] = SRTP_CIPHERS.get(srtp, srtp)
        return references

    # --- RTP ------------------------------------------------------------------------

    def add_codec(self, transport_id: str, codec: RTCRtpCodecParameters) -> str:
        fmtp = ";".join(f"{key}={value}" if value is not None else key for key, value in codec.parameters.items())
        fields: Stats = {"transportId": transport_id, "payloadType": codec.payloadType,
                         "mimeType": codec.mimeType, "clockRate": codec.clockRate}
        if codec.mimeType.startswith("audio/"):
            fields["channels"] = codec.channels or 1
        if fmtp:
            fields["sdpFmtpLine"] = fmtp
        return self.add("codec", f"CO{transport_id}_{codec.payloadType}" + (f"_{fmtp}" if fmtp else ""), fields)

    async def add_rtp(self, transceiver: TransceiverDispatcher, transports: list[RTCDtlsTransport]) -> None:
        aiortc_transceiver = transceiver.transceiver
        if aiortc_transceiver.stopped or aiortc_transceiver.mid is None:
            return
        kind = "A" if aiortc_transceiver.kind == "audio" else "V"
        source_id = self.add_media_source(transceiver, kind)
        if aiortc_transceiver.sender.transport not in transports:
            return  # not in use yet (an offer applied, its answer not): no stream to report on it
        common: Stats = {"kind": aiortc_transceiver.kind,
                         "transportId": self.transport_id(aiortc_transceiver.sender.transport),
                         "mid": aiortc_transceiver.mid}
        codec, _ = send_codecs(negotiated_codecs(aiortc_transceiver))
        if aiortc_transceiver.currentDirection in ("sendrecv", "sendonly"):
            sent = await aiortc_transceiver.sender.getStats()
            self.streams[(transceiver, "sender")] = self.add_sent(
                transceiver, sent.values(), kind, common, codec, source_id)
        received = await aiortc_transceiver.receiver.getStats()
        self.streams[(transceiver, "receiver")] = self.add_received(
            transceiver, received.values(), kind, common, codec)

    def with_codec(self, common: Stats, codec: RTCRtpCodecParameters | None) -> Stats:
        """The fields every RTP stream has, with its codec, added now that a stream refers to it."""
        if codec is None:
            return common
        return {**common, "codecId": self.add_codec(common["transportId"], codec)}

    def add_media_source(self, transceiver: TransceiverDispatcher, kind: str) -> str | None:
        """The sender's track, one per track (as Chromium's) and counted for the track's life."""
        track = transceiver.sender_track
        if track is None:
            return None
        meter = track.source_meter()
        fields: Stats = {"kind": track.kind, "trackIdentifier": track.track_id}
        fields.update(meter.video_stats("frames", size_prefix="") if track.kind == "video" else meter.audio_stats())
        return self.add("media-source", self.ids.name(track.guid, "S" + kind), fields)

    def add_sent(
        self, transceiver: TransceiverDispatcher, aiortc_stats: Iterable[Any], kind: str, common: Stats,
        codec: RTCRtpCodecParameters | None, source_id: str | None,
    ) -> list[str]:
        outbound = next((s for s in aiortc_stats if s.type == "outbound-rtp"), None)
        remote = next((s for s in aiortc_stats if s.type == "remote-inbound-rtp"), None)
        if outbound is None:
            return []
        common = self.with_codec(common, codec)
        outbound_id = f"O{common['transportId']}{kind}{outbound.ssrc}"
        fields: Stats = {**common, "ssrc": outbound.ssrc, "packetsSent": outbound.packetsSent,
                         "bytesSent": outbound.bytesSent, "active": transceiver.send_parameters.active}
        if source_id is not None:
            fields["mediaSourceId"] = source_id
        target_bitrate = transceiver.send_parameters.target_bitrate
        if target_bitrate is not None:
            fields["targetBitrate"] = target_bitrate
        feedback = transceiver.send_parameters.feedback
        fields["nackCount"] = feedback.nacks
        self.rembs_received[common["transportId"]].append(feedback.remb)
        if transceiver.transceiver.kind == "video":
            # Counted per sender, whatever track it sends: aiortc sends every frame it encodes.
            encoded = transceiver.send_parameters.encoded
            fields.update(encoded.video_stats("framesEncoded"), framesSent=encoded.frames,
                          pliCount=feedback.plis, firCount=feedback.firs)
        if remote is not None:
            remote_fields: Stats = {
                **{k: common[k] for k in ("kind", "transportId", "codecId") if k in common},
                # aiortc files the report under the reporter's SSRC; it is about ours.
                "ssrc": outbound.ssrc, "packetsLost": remote.packetsLost, "fractionLost": remote.fractionLost / 256,
                "localId": outbound_id,
            }
            if codec is not None and codec.clockRate:
                remote_fields["jitter"] = remote.jitter / codec.clockRate
            if remote.roundTripTime is not None:
                remote_fields["roundTripTime"] = remote.roundTripTime
                self.rtcp_round_trip = remote.roundTripTime
            fields["remoteId"] = self.add("remote-inbound-rtp", f"RI{kind}{outbound.ssrc}", remote_fields,
                                          remote.timestamp.timestamp() * 1000)
        return [self.add("outbound-rtp", outbound_id, fields)]

    def add_received(
        self, transceiver: TransceiverDispatcher, aiortc_stats: Iterable[Any], kind: str, common: Stats,
        codec: RTCRtpCodecParameters | None,
    ) -> list[str]:
        inbound = next((s for s in aiortc_stats if s.type == "inbound-rtp"), None)
        remote = next((s for s in aiortc_stats if s.type == "remote-outbound-rtp"), None)
        if inbound is None:
            return []
        common = self.with_codec(common, codec)
        inbound_id = f"I{common['transportId']}{kind}{inbound.ssrc}"
        counters = transceiver.receive_counters
        fields: Stats = {
            **common, "ssrc": inbound.ssrc, "trackIdentifier": transceiver.receiver_track.track_id,
            "packetsReceived": inbound.packetsReceived, "packetsLost": inbound.packetsLost,
            "bytesReceived": counters.bytes_received,
        }
        if codec is not None and codec.clockRate:
            fields["jitter"] = inbound.jitter / codec.clockRate
        last_heard = transceiver.rtp_sources.last_heard_ms(inbound.ssrc)
        if last_heard is not None:
            fields["lastPacketReceivedTimestamp"] = last_heard
        decoded = counters.decoded
        feedback = transceiver.receiver_feedback
        self.rembs_sent[common["transportId"]].append(feedback.remb)
        if transceiver.transceiver.kind == "video":
            fields.update(decoded.video_stats("framesDecoded"), framesReceived=decoded.frames,
                          nackCount=feedback.nacks, pliCount=feedback.plis, firCount=feedback.firs)
        else:
            fields.update(decoded.audio_stats(), totalSamplesReceived=decoded.samples)
        if remote is not None:
            fields["remoteId"] = self.add("remote-outbound-rtp", f"RO{kind}{remote.ssrc}", {
                **{k: common[k] for k in ("kind", "transportId", "codecId") if k in common},
                "ssrc": remote.ssrc, "packetsSent": remote.packetsSent, "bytesSent": remote.bytesSent,
                "remoteTimestamp": remote.remoteTimestamp.timestamp() * 1000, "localId": inbound_id,
            }, remote.timestamp.timestamp() * 1000)
        return [self.add("inbound-rtp", inbound_id, fields)]

    # --- data channels -------------------------------------------------------------------

    def add_data_channel(self, dispatcher: DataChannelDispatcher) -> None:
        channel = dispatcher.data_channel
        fields: Stats = {
            "label": channel.label, "protocol": channel.protocol, "state": dispatcher.ready_state,
            "messagesSent": dispatcher.messages_sent, "bytesSent": dispatcher.bytes_sent,
            "messagesReceived": dispatcher.messages_received, "bytesReceived": dispatcher.bytes_received,
        }
        if channel.id is not None:
            fields["dataChannelIdentifier"] = channel.id
        self.add("data-channel", self.ids.name(dispatcher.guid, "D"), fields)


CertificateFields = tuple[Stats | None, Stats | None]
# Both certificates' stats fields, per DTLS transport, once it has both: a handshake's
# certificates stay (their fingerprints and DER dumps were 28% of a data-channel-only report).
_HANDSHAKE_CERTIFICATES: weakref.WeakKeyDictionary[RTCDtlsTransport, CertificateFields] = (
    weakref.WeakKeyDictionary())


def _certificate_fields(dtls: RTCDtlsTransport) -> CertificateFields:
    """The local and the remote certificate's fields (None: DTLS does not have it yet)."""
    known = _HANDSHAKE_CERTIFICATES.get(dtls)
    if known is not None:
        return known
    local, remote = (None if certificate is None else _one_certificate_fields(certificate)
                     for certificate in dtls_certificates(dtls))
    if local is not None and remote is not None:
        _HANDSHAKE_CERTIFICATES[dtls] = (local, remote)
    return local, remote


def _one_certificate_fields(certificate: x509.Certificate) -> Stats:
    return {"fingerprint": certificate_digest(certificate, "sha-256"), "fingerprintAlgorithm": "sha-256",
            "base64Certificate": base64.b64encode(certificate.public_bytes(Encoding.DER)).decode()}


class StatsIds:
    """Stable ids for objects that have no name of their own (one table per peer connection),
    keyed by a handle or by an aiortc object that lives as long as the connection."""

    def __init__(self) -> None:
        self._names: dict[tuple[Hashable, str], str] = {}

    def name(self, key: Hashable, prefix: str) -> str:
        if (key, prefix) not in self._names:
            numbered = sum(named_prefix == prefix for _, named_prefix in self._names)
            self._names[(key, prefix)] = f"{prefix}{numbered + 1}"
        return self._names[(key, prefix)]
