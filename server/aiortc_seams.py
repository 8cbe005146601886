"""Every place rtcshim reaches into aiortc's (or aioice's) private names, and nowhere else.

aiortc keeps to itself much of what a browser shows (transport states, the selected pair,
counters) and has no hook where rtcshim must act (DTMF on the wire, a certificate of the
page's, a state event for SCTP). So rtcshim reads private attributes and replaces private
methods on single instances, and on one subclass of its own (`CipherListCertificate`),
never on aiortc's classes. All of it happens in this module, through the names listed in
`PRIVATE_NAMES`: the other modules call the small functions below.
`tests/test_aiortc_seams.py` builds real aiortc objects and fails, naming the name and what
needs it, when an aiortc or aioice upgrade drops or renames one ("aiortc 1.x no longer has
RTCRtpReceiver._handle_rtp_packet: aiortc_seams.py needs a new hook for rtcshim's RTP taps
(RtpPacketTaps)"); it also checks that this module touches no private name outside the
list, and the rest of the server none at all.

A receiver's incoming RTP goes through several hands (RTP sources, DTMF, byte counts):
`RtpPacketTaps` runs them in one explicit order (`RtpTap`). aiortc's module-level codec
table is not private but global: `install_codec_table` makes it answer per context, so
that codecs rtcshim adds (telephone-event) reach rtcshim's peers only.
"""

from __future__ import annotations

import asyncio
import bisect
import collections
import contextlib
import contextvars
import copy
import functools
import math
from collections.abc import Awaitable, Callable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from types import MappingProxyType, ModuleType
from typing import Any, Literal

import aioice.ice
import aiortc.codecs
import aiortc.rtcpeerconnection
from aioice import Candidate, Connection
from aioice.ice import CandidatePair, StunProtocol
from aioice.stun import Message, TransactionError
from aiortc import (
    RTCCertificate,
    RTCDataChannel,
    RTCDtlsTransport,
    RTCIceGatherer,
    RTCIceTransport,
    RTCPeerConnection,
    RTCRtpCodecParameters,
    RTCRtpHeaderExtensionParameters,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSctpTransport,
)
from aiortc.contrib.media import MediaPlayer
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcdtlstransport import State as DtlsState
from aiortc.rtcrtpreceiver import RemoteStreamTrack
from aiortc.rtcsctptransport import SCTP_TSN_MODULO, Chunk, DataChunk, InboundStream, SackChunk
from aiortc.rtp import AnyRtcpPacket, RtpPacket
from aiortc.stats import RTCTransportStats
from cryptography import x509
from OpenSSL import SSL

from .mdns_candidates import resolve_names_aside

NameKind = Literal["attribute", "method", "coroutine method"]


@dataclass(frozen=True)
class PrivateName:
    """One private name of aiortc or aioice that rtcshim reads or replaces."""

    owner: type | ModuleType  # whose instances carry it (a module: the module itself)
    name: str  # as getattr spells it: name-mangled where aiortc writes `self.__name`
    kind: NameKind
    needed_by: str  # what of rtcshim stops working without it

    def get(self, holder: object) -> Any:
        return getattr(holder, self.name)

    def set(self, holder: object, value: object) -> None:
        setattr(holder, self.name, value)


# --- the names -------------------------------------------------------------------------

ICE_CONNECTION = PrivateName(
    RTCIceTransport, "_connection", "attribute", "the ICE transport's state and getStats' candidates")
ICE_NOMINATED = PrivateName(
    Connection, "_nominated", "attribute", "the selected candidate pair (RTCIceTransport, getStats)")
ICE_CHECK_LIST = PrivateName(Connection, "_check_list", "attribute", "getStats' candidate pairs")
DTLS_ROLE = PrivateName(RTCDtlsTransport, "_role", "attribute", "getStats' dtlsRole")
DTLS_STATS = PrivateName(RTCDtlsTransport, "_get_stats", "method", "getStats' transport and pair counters")
DTLS_SSL = PrivateName(
    RTCDtlsTransport, "_ssl", "attribute", "the certificates and ciphers DTLS negotiated (getStats, "
    "getRemoteCertificates)")
NO_EMPTY_DTLS_FLUSH = "no empty DTLS flush after each record received (CPU per packet)"
DTLS_WRITE_SSL = PrivateName(RTCDtlsTransport, "_write_ssl", "coroutine method", NO_EMPTY_DTLS_FLUSH)
# pyOpenSSL's own: the bindings it calls OpenSSL through, and a connection's outgoing memory BIO.
PYOPENSSL_LIB = PrivateName(SSL, "_lib", "attribute", NO_EMPTY_DTLS_FLUSH)
PYOPENSSL_FFI = PrivateName(SSL, "_ffi", "attribute", NO_EMPTY_DTLS_FLUSH)
SSL_OUTGOING_BIO = PrivateName(SSL.Connection, "_from_ssl", "attribute", NO_EMPTY_DTLS_FLUSH)
DTLS_SEND_RTP = PrivateName(
    RTCDtlsTransport, "_send_rtp", "coroutine method", "sending DTMF in a sender's RTP stream (dtmf_outlet.py)")
SCTP_SRTT = PrivateName(RTCSctpTransport, "_srtt", "attribute", "getStats' currentRoundTripTime")
SCTP_SET_STATE = PrivateName(RTCSctpTransport, "_set_state", "method", "RTCSctpTransport's state events")
SCTP_SEND_CHUNK = PrivateName(
    RTCSctpTransport, "_send_chunk", "coroutine method", "SCTP chunks bundled into packets (sctp_tuning.py)")
SCTP_SEND_SACK = PrivateName(RTCSctpTransport, "_send_sack", "coroutine method", "delayed SACKs (sctp_tuning.py)")
SCTP_SACK_NEEDED = PrivateName(RTCSctpTransport, "_sack_needed", "attribute", "delayed SACKs (sctp_tuning.py)")
SCTP_SACK_MISORDERED = PrivateName(
    RTCSctpTransport, "_sack_misordered", "attribute", "delayed SACKs, but none on a gap (sctp_tuning.py)")
SCTP_SACK_DUPLICATES = PrivateName(
    RTCSctpTransport, "_sack_duplicates", "attribute", "delayed SACKs, but none on a duplicate (sctp_tuning.py)")
# aiortc's units of work on an association, whose chunks go out bundled at their end.
SCTP_HANDLE_DATA = PrivateName(
    RTCSctpTransport, "_handle_data", "coroutine method", "SCTP chunks bundled into packets (sctp_tuning.py)")
SCTP_TRANSMIT = PrivateName(
    RTCSctpTransport, "_transmit", "coroutine method", "SCTP chunks bundled into packets (sctp_tuning.py)")
SCTP_DATA_CHANNEL_FLUSH = PrivateName(
    RTCSctpTransport, "_data_channel_flush", "coroutine method", "SCTP chunks bundled into packets (sctp_tuning.py)")
SCTP_CWND = PrivateName(
    RTCSctpTransport, "_cwnd", "attribute", "Max.Burst at each chance to send (sctp_tuning.py)")
SCTP_FLIGHT_SIZE = PrivateName(
    RTCSctpTransport, "_flight_size", "attribute", "Max.Burst at each chance to send (sctp_tuning.py)")
SCTP_DATA_CHANNEL_SEND = PrivateName(
    RTCSctpTransport, "_data_channel_send", "method",
    "one flush task for the messages sent before it runs (sctp_tuning.py)")
SCTP_SENT_QUEUE = PrivateName(
    RTCSctpTransport, "_sent_queue", "attribute",
    "scans for retransmissions only while one can be found (sctp_tuning.py)")
SCTP_RECEIVE_SACK_CHUNK = PrivateName(
    RTCSctpTransport, "_receive_sack_chunk", "coroutine method",
    "scans for retransmissions only while one can be found (sctp_tuning.py)")
IN_ORDER_FRAGMENTS = "in-order fragments taken without a reassembly scan (sctp_tuning.py)"
SCTP_RECEIVE_DATA_CHUNK = PrivateName(
    RTCSctpTransport, "_receive_data_chunk", "coroutine method", IN_ORDER_FRAGMENTS)
SCTP_LAST_RECEIVED_TSN = PrivateName(RTCSctpTransport, "_last_received_tsn", "attribute", IN_ORDER_FRAGMENTS)
SCTP_INBOUND_STREAMS = PrivateName(RTCSctpTransport, "_inbound_streams", "attribute", IN_ORDER_FRAGMENTS)
SCTP_ADVERTISED_RWND = PrivateName(RTCSctpTransport, "_advertised_rwnd", "attribute", IN_ORDER_FRAGMENTS)
SCTP_RECONFIG_DEFERRED = PrivateName(RTCSctpTransport, "_reconfig_deferred", "attribute", IN_ORDER_FRAGMENTS)
SCTP_T3_EXPIRED = PrivateName(
    RTCSctpTransport, "_t3_expired", "method", "fast retransmit at most once a chunk (sctp_tuning.py)")
# Set on each DATA chunk by aiortc's SCTP as it queues it.
SCTP_CHUNK_MISSES = PrivateName(
    DataChunk, "_misses", "attribute", "fast retransmit at most once a chunk (sctp_tuning.py)")
SCTP_CHUNK_SENT_COUNT = PrivateName(
    DataChunk, "_sent_count", "attribute", "fast retransmit at most once a chunk (sctp_tuning.py)")
SCTP_CHUNK_ACKED = PrivateName(
    DataChunk, "_acked", "attribute", "T3 resends no chunk a gap block acknowledged (sctp_tuning.py)")
SCTP_CHUNK_RETRANSMIT = PrivateName(
    DataChunk, "_retransmit", "attribute", "T3 resends no chunk a gap block acknowledged (sctp_tuning.py)")
DATA_CHANNEL_ADD_BUFFERED_AMOUNT = PrivateName(
    RTCDataChannel, "_addBufferedAmount", "method", "the page's bufferedAmount, lowered as SCTP takes each message")
DATA_CHANNEL_SET_ID = PrivateName(
    RTCDataChannel, "_setId", "method", "in-band data channel ids given when the DTLS role is known")
SCTP_DATA_CHANNELS = PrivateName(
    RTCSctpTransport, "_data_channels", "attribute", "in-band data channel ids given when the DTLS role is known")
SCTP_MAX_MESSAGE_SIZE = PrivateName(
    RTCSctpTransport, "_remote_max_message_size", "attribute", "RTCSctpTransport.maxMessageSize")
PEER_CONNECTION_CERTIFICATES = PrivateName(
    RTCPeerConnection, "_RTCPeerConnection__certificates", "attribute",
    "DTLS with the page's certificate (RTCConfiguration.certificates)")
CERTIFICATE_X509 = PrivateName(RTCCertificate, "_cert", "attribute", "RTCCertificate.getFingerprints")
CERTIFICATE_SSL_CONTEXT = PrivateName(
    RTCCertificate, "_create_ssl_context", "method", "DTLS with RSA certificates (the RSA cipher suites)")
TRANSCEIVER_CODECS = PrivateName(
    RTCRtpTransceiver, "_codecs", "attribute", "the negotiated codecs (DTMF, getStats' codec)")
TRANSCEIVER_HEADER_EXTENSIONS = PrivateName(
    RTCRtpTransceiver, "_headerExtensions", "attribute", "the mid header extension on DTMF packets")
TRANSCEIVER_OFFER_DIRECTION = PrivateName(
    RTCRtpTransceiver, "_offerDirection", "attribute",
    "answering an offer while a transceiver it did not include is waiting for the next offer; rollback")
TRANSCEIVER_MID = PrivateName(
    RTCRtpTransceiver, "_RTCRtpTransceiver__mid", "attribute",
    "a remote offer's sections given to addTrack's transceivers only, as JSEP says; rollback")
TRANSCEIVER_CURRENT_DIRECTION = PrivateName(
    RTCRtpTransceiver, "_RTCRtpTransceiver__currentDirection", "attribute",
    "answering an offer while a transceiver it did not include is waiting for the next offer")
SENDER_SSRC = PrivateName(RTCRtpSender, "_ssrc", "attribute", "DTMF packets in the sender's RTP stream")
SENDER_ENABLED = PrivateName(
    RTCRtpSender, "_enabled", "attribute", "setParameters' active, and DTMF's silence while inactive")
SENDER_STREAM_ID = PrivateName(RTCRtpSender, "_stream_id", "attribute", "the msid stream of addTrack's stream")
SENDER_ENCODER = PrivateName(
    RTCRtpSender, "_RTCRtpSender__encoder", "attribute", "setParameters' maxBitrate and getStats' targetBitrate")
SENDER_NEXT_ENCODED_FRAME = PrivateName(
    RTCRtpSender, "_next_encoded_frame", "coroutine method", "getStats' framesEncoded, and maxBitrate's cap")
SENDER_HANDLE_RTCP = PrivateName(
    RTCRtpSender, "_handle_rtcp_packet", "coroutine method", "the RTCP feedback a sender received (getStats)")
RECEIVER_HANDLE_RTP = PrivateName(
    RTCRtpReceiver, "_handle_rtp_packet", "coroutine method", "rtcshim's RTP taps (RtpPacketTaps)")
RECEIVER_SEND_RTCP = PrivateName(
    RTCRtpReceiver, "_send_rtcp", "coroutine method", "the RTCP feedback a receiver sent (getStats)")
REMOTE_TRACK_QUEUE = PrivateName(
    RemoteStreamTrack, "_queue", "attribute", "getStats' decoded frames and samples (inbound-rtp)")
TRACK_ID = PrivateName(MediaStreamTrack, "_id", "attribute", "the page's track ids in the SDP's msid")
PLAYER_THROTTLE = PrivateName(MediaPlayer, "_throttle_playback", "attribute", "file devices' real-time pace")
PLAYER_STREAMS = PrivateName(
    MediaPlayer, "_MediaPlayer__streams", "attribute", "file devices that decode only their own stream")
PLAYER_AUDIO = PrivateName(
    MediaPlayer, "_MediaPlayer__audio", "attribute", "file devices that decode only their own stream")
PLAYER_VIDEO = PrivateName(
    MediaPlayer, "_MediaPlayer__video", "attribute", "file devices that decode only their own stream")
PEER_CONNECTION_CREATE_DTLS = PrivateName(
    RTCPeerConnection, "_RTCPeerConnection__createDtlsTransport", "method",
    "the ICE policy on remote candidates (each ICE connection guarded as it is made)")
ICE_ADD_REMOTE_CANDIDATE = PrivateName(
    Connection, "_add_remote_candidate", "method", "the ICE policy on remote candidates (SDP, "
    "addIceCandidate and mDNS names alike, once their address is known)")
ICE_LOCAL_CANDIDATES = PrivateName(
    Connection, "_local_candidates", "attribute", "the server-reflexive and relay candidates rtcshim gathers")
ICE_PROTOCOLS = PrivateName(
    Connection, "_protocols", "attribute",
    "STUN from the host sockets, the relay sockets rtcshim adds, what the far-peer watch hears")
ICE_PAIR_REMOTE_CANDIDATE = PrivateName(
    Connection, "_pair_remote_candidate", "method", "checks through a relay candidate gathered late")
ICE_REMOTE_CANDIDATES_EXPECTED = PrivateName(
    Connection, "_remote_candidates_expected", "method", "checks for the candidates gathered from ICE servers "
    "after the far peer ended its own")
ICE_CHECK_LIST_MAYBE_FAIL = PrivateName(
    Connection, "_check_list_maybe_fail", "method", "checks for the candidates gathered from ICE servers "
    "after the far peer ended its own")
ICE_GATHERER_CONNECTION = PrivateName(
    RTCIceGatherer, "_connection", "attribute", "ICE restart (the new credentials and candidates in descriptions)")
ICE_GATHERER_CANDIDATES_ENDED = PrivateName(
    RTCIceGatherer, "_remote_candidates_end", "attribute", "ICE restart (the remote's new candidates after an end)")
ICE_TRANSPORT_SEND = PrivateName(
    RTCIceTransport, "_send", "coroutine method", "ICE restart (DTLS sent on the new pair)")
ICE_TRANSPORT_RECV = PrivateName(
    RTCIceTransport, "_recv", "coroutine method", "ICE restart (DTLS read from the new pair)")
ICE_RECEIVED = PrivateName(
    Connection, "_queue", "attribute", "ICE restart (one queue of received datagrams for the old and the new pair)")
ICE_EVENT_WAITER = PrivateName(
    Connection, "_event_waiter", "attribute", "ICE restart (aiortc's transport watches the new connection's close)")
ICE_CHECK_LIST_DONE = PrivateName(
    Connection, "_check_list_done", "attribute", "ICE restart of a transport still in its first checks")
ICE_CHECK_LIST_STATE = PrivateName(
    Connection, "_check_list_state", "attribute",
    "ICE restart of a transport still in its first checks; DTLS starting as soon as the checks succeed")
ICE_TRANSPORT_SET_STATE = PrivateName(
    RTCIceTransport, "_RTCIceTransport__setState", "method", "ICE restart of a failed transport (completed again)")
DTLS_STATE = PrivateName(
    RTCDtlsTransport, "_state", "attribute", "ICE restart of a failed transport (DTLS handshakes over the new pair)")
PEER_CONNECTION_CONNECT = PrivateName(
    RTCPeerConnection, "_RTCPeerConnection__connect", "coroutine method",
    "ICE restart of a failed transport, and a transport whose only candidates came from a TURN server "
    "(DTLS, RTP and SCTP start over the new pair)")
ICE_CLOSING = PrivateName(
    Connection, "_closing", "attribute", "no consent checks on an ICE connection closed as its checks succeeded")
ICE_CONSENT_TASK = PrivateName(
    Connection, "_query_consent_task", "attribute",
    "no consent checks on an ICE connection closed as its checks succeeded")
ICE_CHECKS_COMPLETED = PrivateName(
    aioice.ice, "ICE_COMPLETED", "attribute", "ICE restart of a transport still in its first checks")
ICE_CHECKS_FAILED = PrivateName(
    aioice.ice, "ICE_FAILED", "attribute", "ICE restart of a transport still in its first checks")
# Not private, but global: aiortc's codec table, which rtcshim replaces by one that answers
# per context. aiortc.rtcpeerconnection imported it by name, so it has its own reference.
CODECS = PrivateName(aiortc.codecs, "CODECS", "attribute", "telephone-event in rtcshim's descriptions")
PEER_CONNECTION_CODECS = PrivateName(
    aiortc.rtcpeerconnection, "CODECS", "attribute", "telephone-event in rtcshim's offers and answers")

# What applying an offer changes in aiortc, which a rollback puts back (`OfferState`).
def _offer_state(owner: type, name: str) -> PrivateName:
    return PrivateName(owner, name, "attribute", "rollback (what applying an offer changed)")


PEER_CONNECTION_TRANSCEIVERS = _offer_state(RTCPeerConnection, "_RTCPeerConnection__transceivers")
PEER_CONNECTION_SCTP = _offer_state(RTCPeerConnection, "_RTCPeerConnection__sctp")
PEER_CONNECTION_DTLS_TRANSPORTS = _offer_state(RTCPeerConnection, "_RTCPeerConnection__dtlsTransports")
PEER_CONNECTION_ICE_TRANSPORTS = _offer_state(RTCPeerConnection, "_RTCPeerConnection__iceTransports")
PEER_CONNECTION_SIGNALING_STATE = _offer_state(RTCPeerConnection, "_RTCPeerConnection__signalingState")
PEER_CONNECTION_PENDING_LOCAL = _offer_state(RTCPeerConnection, "_RTCPeerConnection__pendingLocalDescription")
PEER_CONNECTION_PENDING_REMOTE = _offer_state(RTCPeerConnection, "_RTCPeerConnection__pendingRemoteDescription")
PEER_CONNECTION_SEEN_MIDS = _offer_state(RTCPeerConnection, "_RTCPeerConnection__seenMids")
PEER_CONNECTION_REMOTE_DTLS = _offer_state(RTCPeerConnection, "_RTCPeerConnection__remoteDtls")
PEER_CONNECTION_REMOTE_ICE = _offer_state(RTCPeerConnection, "_RTCPeerConnection__remoteIce")
PEER_CONNECTION_SCTP_MLINE = _offer_state(RTCPeerConnection, "_RTCPeerConnection__sctp_mline_index")
PEER_CONNECTION_SCTP_PORT = _offer_state(RTCPeerConnection, "_RTCPeerConnection__sctpRemotePort")
PEER_CONNECTION_SCTP_CAPS = _offer_state(RTCPeerConnection, "_RTCPeerConnection__sctpRemoteCaps")
PEER_CONNECTION_SCTP_LEGACY = _offer_state(RTCPeerConnection, "_sctpLegacySdp")
TRANSCEIVER_MLINE = _offer_state(RTCRtpTransceiver, "_RTCRtpTransceiver__mline_index")
ICE_ROLE_SET = _offer_state(RTCIceTransport, "_role_set")

PRIVATE_NAMES: tuple[PrivateName, ...] = (
    ICE_CONNECTION, ICE_NOMINATED, ICE_CHECK_LIST, DTLS_ROLE, DTLS_STATS, DTLS_SSL, DTLS_SEND_RTP,
    DTLS_WRITE_SSL, PYOPENSSL_LIB, PYOPENSSL_FFI, SSL_OUTGOING_BIO,
    SCTP_SRTT, SCTP_SET_STATE, SCTP_SEND_CHUNK, SCTP_SEND_SACK, SCTP_SACK_NEEDED, SCTP_SACK_MISORDERED,
    SCTP_SACK_DUPLICATES, SCTP_HANDLE_DATA, SCTP_TRANSMIT, SCTP_DATA_CHANNEL_FLUSH, SCTP_SENT_QUEUE,
    SCTP_T3_EXPIRED, SCTP_CHUNK_MISSES, SCTP_CHUNK_SENT_COUNT, SCTP_CHUNK_ACKED, SCTP_CHUNK_RETRANSMIT,
    DATA_CHANNEL_ADD_BUFFERED_AMOUNT, SCTP_MAX_MESSAGE_SIZE, SCTP_RECEIVE_SACK_CHUNK, SCTP_DATA_CHANNEL_SEND,
    SCTP_CWND, SCTP_FLIGHT_SIZE, SCTP_RECEIVE_DATA_CHUNK, SCTP_LAST_RECEIVED_TSN, SCTP_INBOUND_STREAMS,
    SCTP_ADVERTISED_RWND, SCTP_RECONFIG_DEFERRED,
    PEER_CONNECTION_CERTIFICATES, CERTIFICATE_X509,
    CERTIFICATE_SSL_CONTEXT, TRANSCEIVER_CODECS, TRANSCEIVER_HEADER_EXTENSIONS, TRANSCEIVER_OFFER_DIRECTION,
    TRANSCEIVER_CURRENT_DIRECTION, TRANSCEIVER_MID, SENDER_SSRC, SENDER_ENABLED,
    SENDER_STREAM_ID, SENDER_ENCODER, SENDER_NEXT_ENCODED_FRAME, SENDER_HANDLE_RTCP, RECEIVER_HANDLE_RTP,
    RECEIVER_SEND_RTCP, REMOTE_TRACK_QUEUE, TRACK_ID, PLAYER_THROTTLE, PLAYER_STREAMS, PLAYER_AUDIO,
    PLAYER_VIDEO, CODECS, PEER_CONNECTION_CODECS, PEER_CONNECTION_CREATE_DTLS, ICE_ADD_REMOTE_CANDIDATE,
    ICE_LOCAL_CANDIDATES, ICE_PROTOCOLS, ICE_PAIR_REMOTE_CANDIDATE, ICE_REMOTE_CANDIDATES_EXPECTED,
    ICE_CHECK_LIST_MAYBE_FAIL, DATA_CHANNEL_SET_ID, SCTP_DATA_CHANNELS, PEER_CONNECTION_TRANSCEIVERS,
    PEER_CONNECTION_SCTP, PEER_CONNECTION_DTLS_TRANSPORTS, PEER_CONNECTION_ICE_TRANSPORTS,
    PEER_CONNECTION_SIGNALING_STATE, PEER_CONNECTION_PENDING_LOCAL, PEER_CONNECTION_PENDING_REMOTE,
    PEER_CONNECTION_SEEN_MIDS, PEER_CONNECTION_REMOTE_DTLS, PEER_CONNECTION_REMOTE_ICE, PEER_CONNECTION_SCTP_MLINE,
    PEER_CONNECTION_SCTP_PORT, PEER_CONNECTION_SCTP_CAPS, PEER_CONNECTION_SCTP_LEGACY,
    TRANSCEIVER_MLINE, ICE_ROLE_SET,
    ICE_GATHERER_CONNECTION,
    ICE_GATHERER_CANDIDATES_ENDED, ICE_TRANSPORT_SEND, ICE_TRANSPORT_RECV, ICE_RECEIVED, ICE_EVENT_WAITER,
    ICE_CHECK_LIST_DONE, ICE_CHECK_LIST_STATE, ICE_CHECKS_COMPLETED, ICE_CHECKS_FAILED, ICE_TRANSPORT_SET_STATE,
    DTLS_STATE, PEER_CONNECTION_CONNECT, ICE_CLOSING, ICE_CONSENT_TASK,
)

# aioice's component number for RTP: the one pair it nominates for us (rtcp-mux).
RTP_COMPONENT = 1

# --- ICE, DTLS and SCTP: state aiortc and aioice keep private --------------------------


def ice_connection(ice: RTCIceTransport) -> Connection:
    """aioice's connection behind an aiortc ICE transport."""
    connection: Connection = ICE_CONNECTION.get(ice)
    return connection


def selected_pair(connection: Connection) -> CandidatePair | None:
    """The pair aioice nominated for RTP."""
    pair: CandidatePair | None = ICE_NOMINATED.get(connection).get(RTP_COMPONENT)
    return pair


def candidate_pairs(connection: Connection) -> list[CandidatePair]:
    """Every pair aioice formed, each once: its check list and the nominated pairs."""
    pairs = [*ICE_CHECK_LIST.get(connection), *ICE_NOMINATED.get(connection).values()]
    return list({id(pair): pair for pair in pairs}.values())


def on_datagram_heard(connection: Connection, heard: Callable[[], None]) -> None:
    """Call `heard()` for every datagram the connection's sockets receive, whatever it
    carries (STUN, DTLS, SRTP), before aioice handles it. aioice tells no one what it
    heard: the far-peer watch (far_peer_watch.py) needs it to see a peer go silent. Every
    socket, not only the nominated pair's: aioice may nominate a pair on another of its
    sockets after it connected (seen with 200 calls on 2 cores), and the peer it then hears
    there is no less alive."""
    for protocol in ICE_PROTOCOLS.get(connection):
        receive: Callable[[bytes | str, tuple[Any, ...]], None] = protocol.datagram_received

        def hear_and_receive(
            data: bytes | str, addr: tuple[Any, ...], receive: Callable[[bytes | str, tuple[Any, ...]], None] = receive,
        ) -> None:
            heard()
            receive(data, addr)

        protocol.datagram_received = hear_and_receive


def on_incoming_check(connection: Connection, checked: Callable[[], None]) -> None:
    """Call `checked()` after each check of the far peer that `connection` answered: the
    first one from an unknown address gave it a remote candidate (peer-reflexive), which
    aioice tells no one."""
    check_incoming = connection.check_incoming

    def check_and_tell(message: Any, addr: tuple[str, int], protocol: StunProtocol) -> None:
        check_incoming(message, addr, protocol)
        checked()

    connection.check_incoming = check_and_tell  # type: ignore[method-assign]


def on_peer_check(connection: Connection, checked: Callable[[], None]) -> None:
    """Call `checked()` for each check that names `connection`'s own credentials, signed
    with its password, as it arrives: before connect() too, when aioice answers it and
    keeps it for later. The far peer knows the credentials, so it has the description that
    carries them (aioice tells no one of the checks it keeps)."""
    request_received = connection.request_received

    def receive_and_tell(message: Message, addr: tuple[str, int], protocol: StunProtocol) -> None:
        request_received(message, addr, protocol)
        local_username = str(message.attributes.get("USERNAME", "")).partition(":")[0]
        if local_username == connection.local_username and "MESSAGE-INTEGRITY" in message.attributes \
                and message.check_message_integrity(connection.local_password.encode("utf8")):
            checked()

    connection.request_received = receive_and_tell  # type: ignore[method-assign]


async def check_consent(connection: Connection) -> bool:
    """One consent check (RFC 7675) on the RTP pair, not retransmitted: whether the far peer
    answered. Its answer is heard by `on_datagram_heard` too."""
    pair = selected_pair(connection)
    if pair is None or connection.remote_password is None:
        return False
    request = connection.build_request(pair, nominate=False)
    try:
        await pair.protocol.request(
            request, pair.remote_addr, integrity_key=connection.remote_password.encode(), retransmissions=0)
    except (TransactionError, ConnectionError):
        return False
    return True


def guard_remote_candidates(peer_connection: RTCPeerConnection, allowed: Callable[[str, int], bool]) -> None:
    """From now on, every ICE connection of `peer_connection` takes a remote candidate only
    if `allowed(address, port)`; a refused one is dropped, never paired nor checked.

    aioice's `_add_remote_candidate` is where every remote candidate ends up (from the SDP,
    from addIceCandidate, and mDNS names once resolved); aiortc makes the connections as it
    makes transports, inside setRemoteDescription among others, so each is guarded there."""
    create_dtls: Callable[[], RTCDtlsTransport] = PEER_CONNECTION_CREATE_DTLS.get(peer_connection)

    def create_guarded_dtls() -> RTCDtlsTransport:
        dtls = create_dtls()
        guard_connection(ice_connection(dtls.transport), allowed)
        stay_closed(ice_connection(dtls.transport))  # every connection aiortc makes passes here
        end_checks_promptly(ice_connection(dtls.transport))
        return dtls

    PEER_CONNECTION_CREATE_DTLS.set(peer_connection, create_guarded_dtls)


def guard_connection(connection: Connection, allowed: Callable[[str, int], bool]) -> None:
    """One ICE connection takes a remote candidate only if `allowed(address, port)`; its
    remote mDNS names resolve without holding up the call that added them (mdns_candidates.py)."""
    resolve_names_aside(connection)
    add_remote: Callable[[Any, str], None] = ICE_ADD_REMOTE_CANDIDATE.get(connection)

    def add_allowed_remote(candidate: Any, network_host: str) -> None:
        if allowed(network_host, candidate.port):
            add_remote(candidate, network_host)

    ICE_ADD_REMOTE_CANDIDATE.set(connection, add_allowed_remote)


def stay_closed(connection: Connection) -> None:
    """A connection closed while its checks end runs no consent checks (RFC 7675) after.

    aioice's connect() starts them once its check list completed, without looking whether
    close() came meanwhile: between the last check's answer and connect() resuming (its
    20 ms pacing, close()'s own awaits), which is when a page closes a call that just
    connected. The consent task then runs on closed sockets for good, the peer connection
    gone. Here connect() ends such a connection as aioice does one closed before its checks
    completed: ConnectionError, its consent task stopped."""
    connect = connection.connect

    async def connect_unless_closed() -> None:
        await connect()
        if ICE_CLOSING.get(connection):
            consent: asyncio.Task[None] | None = ICE_CONSENT_TASK.get(connection)
            ICE_CONSENT_TASK.set(connection, None)
            if consent is not None:
                consent.cancel()
                await asyncio.wait([consent])
            raise ConnectionError("the ICE connection closed as its checks succeeded")

    connection.connect = connect_unless_closed  # type: ignore[method-assign]


class _CheckListOutcome(asyncio.Queue[int]):
    """aioice's queue of a check list's outcome, which also keeps the first one put, for
    `end_checks_promptly` (aioice's connect() is alone to take it from the queue)."""

    def __init__(self) -> None:
        super().__init__()
        self.first: int | None = None
        self.decided = asyncio.Event()

    def put_nowait(self, item: int) -> None:
        super().put_nowait(item)
        if self.first is None:
            self.first = item
            self.decided.set()


# connect() tails left to finish after `end_checks_promptly` returned (tasks are weakly held).
_CONNECT_TAILS: set[asyncio.Task[None]] = set()


def end_checks_promptly(connection: Connection) -> None:
    """connect() returns as soon as the connection's check list completed.

    aioice's connect() paces its checks with a 20 ms sleep and reads the check list's
    outcome only when the sleep ends: up to 20 ms per connection, every setup, with DTLS
    waiting (bench/setup_time.py: ICE completed 22 ms after the checks began, on loopback
    where a check takes under a millisecond). Here connect() returns when the outcome is
    "completed"; aioice's own connect() ends at its next tick, in a task (it then takes the
    outcome and starts the consent checks, or, closed meanwhile, `stay_closed` stops
    them). A failure is aioice's to raise, as before. Call it after `stay_closed`."""
    outcome = _CheckListOutcome()
    ICE_CHECK_LIST_STATE.set(connection, outcome)
    connect = connection.connect

    async def connect_promptly() -> None:
        checks = asyncio.ensure_future(connect())
        decided = asyncio.ensure_future(outcome.decided.wait())
        try:
            await asyncio.wait([checks, decided], return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            checks.cancel()
            raise
        finally:
            decided.cancel()
        if checks.done() or outcome.first != ICE_CHECKS_COMPLETED.get(aioice.ice):
            return await checks
        _CONNECT_TAILS.add(checks)
        checks.add_done_callback(_end_connect_tail)

    connection.connect = connect_promptly  # type: ignore[method-assign]


def _end_connect_tail(tail: asyncio.Task[None]) -> None:
    _CONNECT_TAILS.discard(tail)
    if not tail.cancelled():
        tail.exception()  # closed as its checks succeeded (`stay_closed`): nothing to tell


def swap_in_connection(ice: RTCIceTransport, fresh: Connection) -> Connection:
    """Put `fresh` under `ice` for everything but the data path, which stays on the old
    connection until `carry_data_on` (ice_restart.py says why); returns the old one.

    The new connection's credentials and candidates are what aiortc writes into the next
    descriptions (the gatherer's), the remote's candidates go to it (the transport's), and
    aiortc's watch for the connection's close follows it. Both put what they receive in
    one queue: the one DTLS is reading from now."""
    old = ice_connection(ice)
    ICE_RECEIVED.set(fresh, ICE_RECEIVED.get(old))
    ICE_EVENT_WAITER.set(fresh, ICE_EVENT_WAITER.get(old))
    ICE_EVENT_WAITER.set(old, None)
    ICE_GATHERER_CONNECTION.set(ice.iceGatherer, fresh)
    ICE_GATHERER_CANDIDATES_ENDED.set(ice.iceGatherer, False)
    ICE_CONNECTION.set(ice, fresh)
    return old


def carry_data_on(ice: RTCIceTransport, old: Connection) -> None:
    """DTLS, SCTP and RTP go over the ICE transport's new connection (now checked) from
    now on; the old one gets a queue of its own, so that closing it ends no reader."""
    fresh = ice_connection(ice)
    ICE_TRANSPORT_SEND.set(ice, fresh.send)
    ICE_TRANSPORT_RECV.set(ice, fresh.recv)
    ICE_RECEIVED.set(old, asyncio.Queue())


def end_first_checks(old: Connection, fresh: Connection, succeeded: bool) -> None:
    """aiortc's RTCIceTransport.start() awaits the old connection's first checks, which a
    restart replaced: they end with the restart's outcome, so that aiortc's transport goes
    on to completed (and DTLS starts, over the new pair) or to failed. An old check list
    with no pair (no remote candidate came) would read as failed: it gets the new
    connection's selected pair, whose check is over."""
    if ICE_CHECK_LIST_DONE.get(old):
        return  # the old checks ended on their own
    if succeeded and not ICE_CHECK_LIST.get(old):
        ICE_CHECK_LIST.set(old, list(ICE_NOMINATED.get(fresh).values()))
    ICE_CHECK_LIST_DONE.set(old, True)
    outcome = ICE_CHECKS_COMPLETED if succeeded else ICE_CHECKS_FAILED
    ICE_CHECK_LIST_STATE.get(old).put_nowait(outcome.get(aioice.ice))


async def recover_failed_transport(peer_connection: RTCPeerConnection, dtls: RTCDtlsTransport) -> None:
    """A failed ICE transport whose restart succeeded (ice_restart.py) carries data again.
    aiortc's failed state is final: its ICE transport is set completed, and its DTLS
    transport, which aiortc failed for want of a pair before any handshake, is new again;
    aiortc's connect step then runs again, handshaking over the new pair and starting what
    runs on it (RTP, SCTP). A DTLS transport that had connected keeps its state."""
    if dtls.transport.state != "failed":
        return
    ICE_TRANSPORT_SET_STATE.get(dtls.transport)("completed")
    if dtls.state == "failed" and not dtls.encrypted:
        DTLS_STATE.set(dtls, DtlsState.NEW)
    if dtls.state == "new":  # never started (ice_without_candidates.py), or reset above
        await PEER_CONNECTION_CONNECT.get(peer_connection)()


async def start_skipped_transports(peer_connection: RTCPeerConnection) -> None:
    """aiortc's connect step once more, for the transports it skipped when it ran: those
    without a local candidate then (relay only: the TURN server's came after), whose ICE
    rtcshim started itself (ice_without_candidates.py). Their DTLS handshakes now, and
    RTP and SCTP start on them; the transports it had started are left as they are."""
    await PEER_CONNECTION_CONNECT.get(peer_connection)()


def host_protocols(connection: Connection) -> list[StunProtocol]:
    """The connection's host sockets (STUN binding requests leave from these)."""
    protocols: list[StunProtocol] = ICE_PROTOCOLS.get(connection)
    return [protocol for protocol in protocols if protocol.local_candidate.type == "host"]


def add_local_candidate(connection: Connection, candidate: Candidate, relay: StunProtocol | None = None) -> None:
    """Add a candidate gathered after aioice's own gathering: a server-reflexive one (its
    checks leave from its base, a host socket), or a relay one with its socket, paired
    with the remote candidates known so far (later ones pair as aioice adds them)."""
    ICE_LOCAL_CANDIDATES.get(connection).append(candidate)
    if relay is not None:
        ICE_PROTOCOLS.get(connection).append(relay)
        for remote in connection.remote_candidates:
            ICE_PAIR_REMOTE_CANDIDATE.get(connection)(remote)
        connection.sort_check_list()


def keep_checks_open(connection: Connection) -> Callable[[], None]:
    """Until the function this returns is called, aioice goes on checking as if more remote
    candidates could come: the local candidates rtcshim still gathers (add_local_candidate)
    bring pairs of their own. aioice knows only of its own gathering: once the far peer
    ended its candidates, connect() stops waiting for pairs and, with none yet (relay only:
    aioice gathered no candidate), fails the connection before the relay candidate comes.
    Calling the function ends the wait, and fails the check list if every pair failed."""
    expected: Callable[[], bool] = ICE_REMOTE_CANDIDATES_EXPECTED.get(connection)
    gathering = True
    ICE_REMOTE_CANDIDATES_EXPECTED.set(connection, lambda: gathering or expected())

    def gathered() -> None:
        nonlocal gathering
        gathering = False
        ICE_CHECK_LIST_MAYBE_FAIL.get(connection)()

    return gathered


def dtls_role(dtls: RTCDtlsTransport) -> str | None:
    """"client" or "server" once DTLS chose; None before."""
    role: str = DTLS_ROLE.get(dtls)
    return None if role == "auto" else role


def dtls_counters(dtls: RTCDtlsTransport) -> RTCTransportStats:
    """What aiortc counted through this transport (all RTP, RTCP and SCTP)."""
    counted: RTCTransportStats = next(iter(DTLS_STATS.get(dtls)().values()))
    return counted


def dtls_certificates(dtls: RTCDtlsTransport) -> tuple[x509.Certificate | None, x509.Certificate | None]:
    """Our certificate and the peer's, once aiortc's OpenSSL connection has them."""
    ssl: SSL.Connection | None = DTLS_SSL.get(dtls)
    if ssl is None:
        return None, None
    local, remote = ssl.get_certificate(), ssl.get_peer_certificate()
    return (local.to_cryptography() if local is not None else None,
            remote.to_cryptography() if remote is not None else None)


def negotiated_ciphers(dtls: RTCDtlsTransport) -> tuple[str | None, int | None, str | None]:
    """OpenSSL's names for the TLS cipher, the DTLS version number and the SRTP profile,
    once the handshake is done (None before)."""
    ssl: SSL.Connection | None = DTLS_SSL.get(dtls)
    if ssl is None or dtls.state != "connected":
        return None, None, None
    srtp = ssl.get_selected_srtp_profile().decode()
    return ssl.get_cipher_name() or None, ssl.get_protocol_version(), srtp or None


def sctp_round_trip(sctp: RTCSctpTransport) -> float | None:
    """The association's smoothed round-trip time (RFC 4960 6.3.1), in seconds."""
    srtt: float | None = SCTP_SRTT.get(sctp)
    return None if srtt is None else float(srtt)


def sctp_max_message_size(sctp: RTCSctpTransport) -> int:
    """The largest message the remote accepts (its a=max-message-size, or aiortc's default)."""
    size: int = SCTP_MAX_MESSAGE_SIZE.get(sctp)
    return size


def on_sctp_state_change(sctp: RTCSctpTransport, changed: Callable[[], None]) -> None:
    """Call `changed` after each state change of the association (aiortc announces none)."""
    set_state: Callable[[RTCSctpTransport.State], None] = SCTP_SET_STATE.get(sctp)

    def set_state_and_tell(state: RTCSctpTransport.State) -> None:
        set_state(state)
        changed()

    SCTP_SET_STATE.set(sctp, set_state_and_tell)


@dataclass(frozen=True)
class SctpSending:
    """aiortc's own ways out of one SCTP association, which `route_sctp_sending` replaced."""

    send_packet: Callable[[Chunk], Awaitable[None]]  # the chunk behind a common header, as one packet
    send_sack: Callable[[], Awaitable[None]]  # a SACK of what was received, now


# aiortc's units of work on an association: a received packet, a transmission (of what
# its congestion window allows), a flush of its data channels' queue (a transmission a message).
SctpUnit = Literal["packet", "transmission", "flush"]


def route_sctp_sending(
    sctp: RTCSctpTransport,
    *,
    send_chunk: Callable[[Chunk], Awaitable[None]],
    send_sack: Callable[[], Awaitable[None]],
    work: Callable[[SctpUnit, Awaitable[None]], Awaitable[None]],
) -> SctpSending:
    """From now on the association hands each chunk it sends to `send_chunk(chunk)` and
    the SACK it owes after a received packet to `send_sack()`, and runs each unit of its
    work as `work(unit, step)`, so that the chunks one unit sends can wait for its end.
    Returns aiortc's own ways out, which those call."""
    sending = SctpSending(SCTP_SEND_CHUNK.get(sctp), SCTP_SEND_SACK.get(sctp))
    SCTP_SEND_CHUNK.set(sctp, send_chunk)
    SCTP_SEND_SACK.set(sctp, send_sack)
    units: tuple[tuple[PrivateName, SctpUnit], ...] = (
        (SCTP_HANDLE_DATA, "packet"), (SCTP_TRANSMIT, "transmission"), (SCTP_DATA_CHANNEL_FLUSH, "flush"))
    for name, unit in units:
        step: Callable[..., Awaitable[None]] = name.get(sctp)
        name.set(sctp, functools.partial(_as_work, work, unit, step))
    return sending


def _as_work(work: Callable[[SctpUnit, Awaitable[None]], Awaitable[None]], unit: SctpUnit,
             step: Callable[..., Awaitable[None]], *args: Any) -> Awaitable[None]:
    # Returns work's coroutine for aiortc to await, no coroutine of its own around it: one
    # runs for every packet received and every transmission.
    return work(unit, step(*args))


def schedule_flushes_with(
    sctp: RTCSctpTransport, scheduled: Callable[[Callable[[], Awaitable[None]]], asyncio.Future[None]]
) -> None:
    """aiortc's send of a data channel message queues it and starts a task of its own that
    flushes the queue (`asyncio.ensure_future(self._data_channel_flush())`). From now on it
    takes `scheduled(flush)` instead: a task or future of the caller's, which ensure_future
    returns as it is (a future is no coroutine), that runs `flush()` (the association's)."""
    send: Callable[[RTCDataChannel, bytes | str], None] = SCTP_DATA_CHANNEL_SEND.get(sctp)

    def send_and_schedule(channel: RTCDataChannel, data: bytes | str) -> None:
        flush: Callable[[], Awaitable[None]] = SCTP_DATA_CHANNEL_FLUSH.get(sctp)
        SCTP_DATA_CHANNEL_FLUSH.set(sctp, lambda: scheduled(flush))
        try:
            send(channel, data)
        finally:
            SCTP_DATA_CHANNEL_FLUSH.set(sctp, flush)

    SCTP_DATA_CHANNEL_SEND.set(sctp, send_and_schedule)


def set_sent_chunks_aside(sctp: RTCSctpTransport) -> collections.deque[Any]:
    """Until `bring_sent_chunks_back(sctp, taken)` with what this returns, the association
    sees none of its chunks awaiting acknowledgement, so its transmission skips its scan of
    them for retransmissions (as many as are in flight, at every message sent); the chunks
    it sends meanwhile join them after, in order. Only for a transmission that has no
    retransmission to find. Plain calls, not a context manager: one a transmission (part
    of rtcshim's CPU per message, see sctp_tuning.py)."""
    awaiting: collections.deque[Any] = SCTP_SENT_QUEUE.get(sctp)
    SCTP_SENT_QUEUE.set(sctp, collections.deque())
    return awaiting


def bring_sent_chunks_back(sctp: RTCSctpTransport, awaiting: collections.deque[Any]) -> None:
    """The chunks `set_sent_chunks_aside` took, followed by those sent meanwhile."""
    awaiting.extend(SCTP_SENT_QUEUE.get(sctp))
    SCTP_SENT_QUEUE.set(sctp, awaiting)


def flush_dtls_only_when_written(dtls: RTCDtlsTransport) -> None:
    """aiortc flushes OpenSSL's outgoing memory BIO after every DTLS record it receives, as
    after every one it sends. After an application data record received nothing is there,
    and pyOpenSSL's bio_read says so by raising WantReadError: 2.5 us a packet, 4% of the
    CPU two aiortc ends spend on a transfer. From now on the flush first asks the BIO how
    much it holds (OpenSSL's BIO_get_mem_data) and reads only when it holds something."""
    write_ssl: Callable[[], Awaitable[None]] = DTLS_WRITE_SSL.get(dtls)
    held_bytes: Callable[[Any, Any], int] = PYOPENSSL_LIB.get(SSL).BIO_get_mem_data
    null = PYOPENSSL_FFI.get(SSL).NULL

    async def write_ssl_if_written() -> None:
        ssl: SSL.Connection | None = DTLS_SSL.get(dtls)
        if ssl is not None and not held_bytes(SSL_OUTGOING_BIO.get(ssl), null):
            return
        await write_ssl()

    DTLS_WRITE_SSL.set(dtls, write_ssl_if_written)


def route_data_chunks(
    sctp: RTCSctpTransport, receive: Callable[[DataChunk], Awaitable[None]]
) -> Callable[[DataChunk], Awaitable[None]]:
    """From now on the association hands each DATA chunk it receives to `receive(chunk)`;
    returns aiortc's own handling of one, which `receive` calls for what it does not take."""
    aiortc_receive: Callable[[DataChunk], Awaitable[None]] = SCTP_RECEIVE_DATA_CHUNK.get(sctp)
    SCTP_RECEIVE_DATA_CHUNK.set(sctp, receive)
    return aiortc_receive


def take_next_fragment(sctp: RTCSctpTransport, chunk: DataChunk) -> bool:
    """Takes `chunk` as aiortc would, but without its scan for messages to deliver, if it is
    the next TSN with none received beyond it and its stream already has its reassembly
    (no stream reset waiting for data either): marked received (the cumulative TSN
    advances, no duplicate left to report), a SACK owed, appended to its stream's
    reassembly, the receive window shrunk by its user data. Returns whether it did; the
    caller knows no message can be complete with it (it is no message's last fragment)."""
    tsn = chunk.tsn
    if (tsn != (SCTP_LAST_RECEIVED_TSN.get(sctp) + 1) % SCTP_TSN_MODULO or SCTP_SACK_MISORDERED.get(sctp)
            or SCTP_RECONFIG_DEFERRED.get(sctp) is not None):
        return False
    stream: InboundStream | None = SCTP_INBOUND_STREAMS.get(sctp).get(chunk.stream_id)
    if stream is None:
        return False
    SCTP_SACK_NEEDED.set(sctp, True)
    SCTP_LAST_RECEIVED_TSN.set(sctp, tsn)
    SCTP_SACK_DUPLICATES.set(sctp, [])  # each at or below the cumulative TSN: none to report
    stream.reassembly.append(chunk)  # its TSN is the highest: last, as aiortc's add_chunk puts it
    SCTP_ADVERTISED_RWND.set(sctp, SCTP_ADVERTISED_RWND.get(sctp) - len(chunk.user_data))
    return True


def on_sack_received(sctp: RTCSctpTransport, received: Callable[[SackChunk], None]) -> None:
    """From now on, `received(sack)` for each SACK chunk the association receives, before
    aiortc handles it (and marks, at a reported gap, chunks to send again)."""
    receive_sack: Callable[[SackChunk], Awaitable[None]] = SCTP_RECEIVE_SACK_CHUNK.get(sctp)

    def tell_and_receive(sack: SackChunk) -> Awaitable[None]:  # no coroutine of its own: one a SACK
        received(sack)
        return receive_sack(sack)

    SCTP_RECEIVE_SACK_CHUNK.set(sctp, tell_and_receive)


def any_marked_to_resend(sctp: RTCSctpTransport) -> bool:
    """Whether a chunk awaiting acknowledgement is marked to be sent again."""
    return any(SCTP_CHUNK_RETRANSMIT.get(chunk) for chunk in SCTP_SENT_QUEUE.get(sctp))


def flight_size(sctp: RTCSctpTransport) -> int:
    """The association's DATA in flight, in bytes of user data (as aiortc counts it)."""
    size: int = SCTP_FLIGHT_SIZE.get(sctp)
    return size


def limit_congestion_window(sctp: RTCSctpTransport, limit: int) -> int:
    """The association's congestion window is `limit` bytes if it was larger, until
    `restore_congestion_window(sctp, window)` with the window this returns (aiortc changes
    it only as a SACK comes or T3 expires, never as it transmits, so this is only for a
    transmission)."""
    cwnd: int = SCTP_CWND.get(sctp)
    SCTP_CWND.set(sctp, min(cwnd, limit))
    return cwnd


def restore_congestion_window(sctp: RTCSctpTransport, cwnd: int) -> None:
    SCTP_CWND.set(sctp, cwnd)


def hold_sack(sctp: RTCSctpTransport) -> None:
    """The SACK aiortc owes waits for a later `SctpSending.send_sack`: aiortc no longer
    sends it by itself after its next received packet, whatever that packet holds."""
    SCTP_SACK_NEEDED.set(sctp, False)


def on_t3_expiry(sctp: RTCSctpTransport, expired: Callable[[list[DataChunk]], None]) -> None:
    """From now on, at each T3 expiry of the association, `expired(chunks)` with the chunks
    awaiting acknowledgement, which aiortc marked to send again (all but those it
    abandons) and sends in a task it started: `expired` can still unmark some."""
    t3_expired: Callable[[], None] = SCTP_T3_EXPIRED.get(sctp)

    def expire_and_tell() -> None:
        t3_expired()
        expired(list(SCTP_SENT_QUEUE.get(sctp)))

    SCTP_T3_EXPIRED.set(sctp, expire_and_tell)  # aiortc's timers look it up as they start


def keep_acknowledged_unsent(chunks: list[DataChunk]) -> list[DataChunk]:
    """Of `chunks`, which aiortc's T3 marked to send again, those a SACK acknowledged in a
    gap block are no longer marked; returns the others."""
    resent = []
    for chunk in chunks:
        if SCTP_CHUNK_ACKED.get(chunk):
            SCTP_CHUNK_RETRANSMIT.set(chunk, False)
        else:
            resent.append(chunk)
    return resent


def times_sent(chunk: DataChunk) -> int:
    """How many times aiortc sent `chunk`, counting a sending under way."""
    count: int = SCTP_CHUNK_SENT_COUNT.get(chunk)
    return count


def no_fast_retransmit(chunk: DataChunk) -> None:
    """aiortc fast-retransmits a chunk at its third miss indication (counted in SACKs that
    acknowledge a later chunk): from now on its count never gets there. aiortc counts
    from zero again when it next sends the chunk."""
    SCTP_CHUNK_MISSES.set(chunk, -math.inf)  # aiortc only adds 1 at each miss


def sack_reports_trouble(sctp: RTCSctpTransport) -> bool:
    """Whether the association's next SACK reports a gap in the TSNs received or a duplicate."""
    return bool(SCTP_SACK_MISORDERED.get(sctp)) or bool(SCTP_SACK_DUPLICATES.get(sctp))


def data_channel_ids_in_use(sctp: RTCSctpTransport) -> set[int]:
    """The SCTP streams the association's channels hold (in-band, negotiated, the remote peer's)."""
    return set(SCTP_DATA_CHANNELS.get(sctp))


def give_data_channel_id(channel: RTCDataChannel, stream_id: int) -> None:
    """Give an in-band channel still without an id the SCTP stream `stream_id`, as
    webrtc-pc does once the DTLS role is known: aiortc would pick one only when the
    association is up, and send its DATA_CHANNEL_OPEN there on the channel's id."""
    channels: dict[int, RTCDataChannel] = SCTP_DATA_CHANNELS.get(channel.transport)
    if stream_id in channels:
        raise ValueError(f"Data channel with ID {stream_id} already registered")
    channels[stream_id] = channel
    DATA_CHANNEL_SET_ID.get(channel)(stream_id)


def on_message_taken(channel: RTCDataChannel, taken: Callable[[], None]) -> None:
    """Call `taken()` each time the association takes one of the channel's messages from
    aiortc's data-channel queue (aiortc lowers the channel's bufferedAmount by the message's
    size then, and then only; messages of a channel are taken in the order sent)."""
    add_buffered_amount: Callable[[int], None] = DATA_CHANNEL_ADD_BUFFERED_AMOUNT.get(channel)

    def add_and_tell(amount: int) -> None:
        add_buffered_amount(amount)
        if amount < 0:
            taken()

    DATA_CHANNEL_ADD_BUFFERED_AMOUNT.set(channel, add_and_tell)


SendRtp = Callable[[bytes], Awaitable[None]]


def filter_sent_rtp(transport: RTCDtlsTransport, forward: Callable[[bytes], bytes | None]) -> SendRtp:
    """Pass every datagram this transport sends as RTP or RTCP (before SRTP) through `forward`,
    which returns what to send instead, or None to drop it; returns the unfiltered send.

    The one call every packet of a sender's stream goes through: aiortc numbers its packets
    in a local variable of its sending loop, so no other hook lets a packet in."""
    send_rtp: SendRtp = DTLS_SEND_RTP.get(transport)

    async def send_forwarded(data: bytes) -> None:
        forwarded = forward(data)
        if forwarded is not None:
            await send_rtp(forwarded)

    DTLS_SEND_RTP.set(transport, send_forwarded)
    return send_rtp


# --- rollback --------------------------------------------------------------------------

# aiortc's peer-connection and transceiver state that applying an offer changes.
_OFFER_PEER_CONNECTION = (
    PEER_CONNECTION_SIGNALING_STATE, PEER_CONNECTION_PENDING_LOCAL, PEER_CONNECTION_PENDING_REMOTE,
    PEER_CONNECTION_SEEN_MIDS, PEER_CONNECTION_REMOTE_DTLS, PEER_CONNECTION_REMOTE_ICE, PEER_CONNECTION_SCTP_MLINE,
    PEER_CONNECTION_SCTP_PORT, PEER_CONNECTION_SCTP_CAPS, PEER_CONNECTION_SCTP_LEGACY,
)
_OFFER_TRANSCEIVER = (
    TRANSCEIVER_MID, TRANSCEIVER_MLINE, TRANSCEIVER_OFFER_DIRECTION, TRANSCEIVER_CODECS, TRANSCEIVER_HEADER_EXTENSIONS,
)
# A transceiver made since the offer goes back to what it was before any description.
_UNNEGOTIATED: Mapping[PrivateName, Any] = {
    TRANSCEIVER_MID: None, TRANSCEIVER_MLINE: None, TRANSCEIVER_OFFER_DIRECTION: None}


def _copied(value: Any) -> Any:
    """Containers are copied: aiortc changes its sets, dicts and lists in place."""
    return copy.copy(value) if isinstance(value, list | set | dict) else value


@dataclass
class OfferState:
    """aiortc's state in the last stable signaling state, saved before an offer was
    applied: what a rollback restores (aiortc has no rollback of its own)."""

    peer_connection: dict[PrivateName, Any]
    transceivers: dict[RTCRtpTransceiver, dict[PrivateName, Any]]
    sctp: RTCSctpTransport | None
    sctp_mid: str | None
    ice_roles: dict[RTCIceTransport, tuple[bool, bool]]  # role chosen, controlling
    dtls_roles: dict[RTCDtlsTransport, str]

    @classmethod
    def save(cls, peer_connection: RTCPeerConnection) -> OfferState:
        transceivers: list[RTCRtpTransceiver] = PEER_CONNECTION_TRANSCEIVERS.get(peer_connection)
        ice_transports: set[RTCIceTransport] = PEER_CONNECTION_ICE_TRANSPORTS.get(peer_connection)
        dtls_transports: set[RTCDtlsTransport] = PEER_CONNECTION_DTLS_TRANSPORTS.get(peer_connection)
        sctp: RTCSctpTransport | None = PEER_CONNECTION_SCTP.get(peer_connection)
        return cls(
            {name: _copied(name.get(peer_connection)) for name in _OFFER_PEER_CONNECTION},
            {t: {name: _copied(name.get(t)) for name in _OFFER_TRANSCEIVER} for t in transceivers},
            sctp, sctp.mid if sctp is not None else None,
            {ice: (ICE_ROLE_SET.get(ice), ice_connection(ice).ice_controlling) for ice in ice_transports},
            {dtls: DTLS_ROLE.get(dtls) for dtls in dtls_transports},
        )

    def restore(
        self, peer_connection: RTCPeerConnection, removed: set[RTCRtpTransceiver], *, keep_sctp: bool,
    ) -> list[RTCDtlsTransport]:
        """Put the saved state back. The transceivers in `removed` leave aiortc's list;
        others made since keep no mid; an SCTP transport made since goes unless
        `keep_sctp` (a data channel of the page uses it). Returns the DTLS transports
        nothing uses any more, for the caller to stop (aiortc cannot give back the
        candidates it gathered, nor undo bundling: a bundled section keeps its transport)."""
        for name, value in self.peer_connection.items():
            name.set(peer_connection, _copied(value))
        transceivers: list[RTCRtpTransceiver] = PEER_CONNECTION_TRANSCEIVERS.get(peer_connection)
        kept = [t for t in transceivers if t not in removed]
        PEER_CONNECTION_TRANSCEIVERS.set(peer_connection, kept)
        for transceiver in kept:
            for name, value in self.transceivers.get(transceiver, _UNNEGOTIATED).items():
                name.set(transceiver, _copied(value))
        left = {t.receiver.transport for t in removed}
        sctp: RTCSctpTransport | None = PEER_CONNECTION_SCTP.get(peer_connection)
        if sctp is not None and sctp is not self.sctp and not keep_sctp:
            left.add(sctp.transport)
            PEER_CONNECTION_SCTP.set(peer_connection, sctp := None)
        if sctp is not None:
            sctp.mid = self.sctp_mid if sctp is self.sctp else None
        in_use = {t.receiver.transport for t in kept} | ({sctp.transport} if sctp is not None else set())
        for dtls in in_use:
            role_set, controlling = self.ice_roles.get(dtls.transport, (False, False))
            ICE_ROLE_SET.set(dtls.transport, role_set)
            ice_connection(dtls.transport).ice_controlling = controlling
            DTLS_ROLE.set(dtls, self.dtls_roles.get(dtls, "auto"))
        count_transports(peer_connection, negotiated_only=True)
        unused = list(left - in_use)
        return unused


def forget_unassociated_positions(peer_connection: RTCPeerConnection) -> None:
    """Before a remote offer: a transceiver with no mid forgets the m-line index its last
    createOffer gave it (a rolled-back offer's), which aiortc would otherwise take for the
    remote offer's section at that index (candidates, the answer's mids)."""
    for transceiver in PEER_CONNECTION_TRANSCEIVERS.get(peer_connection):
        if transceiver.mid is None:
            TRANSCEIVER_MLINE.set(transceiver, None)


def count_transports(peer_connection: RTCPeerConnection, *, negotiated_only: bool) -> None:
    """Which transports aiortc gathers on and sums into its ICE and connection states.
    aiortc counts every one it made, also that of a transceiver no description included
    (added since, or rolled back), which keeps those states "new" when the others
    connected; a browser's transceiver has no transport then. So after a description only
    negotiated ones count, and before an offer (which gathers for them) all again."""
    transceivers: list[RTCRtpTransceiver] = PEER_CONNECTION_TRANSCEIVERS.get(peer_connection)
    counted = {t.receiver.transport for t in transceivers if t.mid is not None or not negotiated_only}
    sctp: RTCSctpTransport | None = PEER_CONNECTION_SCTP.get(peer_connection)
    if sctp is not None and (sctp.mid is not None or not negotiated_only):
        counted.add(sctp.transport)
    PEER_CONNECTION_DTLS_TRANSPORTS.set(peer_connection, counted)
    PEER_CONNECTION_ICE_TRANSPORTS.set(peer_connection, {dtls.transport for dtls in counted})


# --- certificates ----------------------------------------------------------------------


def use_certificate(peer_connection: RTCPeerConnection, certificate: RTCCertificate | None) -> RTCCertificate:
    """Make a new aiortc peer connection use `certificate` for every DTLS transport, or,
    given none, keep the one aiortc made; returns the certificate in use.

    aiortc has no way to pass a certificate in: each RTCPeerConnection makes its own in its
    constructor and reads that list whenever it makes a DTLS transport, so the list is
    swapped before any transport exists."""
    made = getattr(peer_connection, PEER_CONNECTION_CERTIFICATES.name, None)
    if not isinstance(made, list) or not made:
        raise RuntimeError("this aiortc keeps its certificates elsewhere: update aiortc_seams.py")
    if certificate is None:
        in_use: RTCCertificate = made[0]
        return in_use
    PEER_CONNECTION_CERTIFICATES.set(peer_connection, [certificate])
    return certificate


def certificate_x509(certificate: RTCCertificate) -> x509.Certificate:
    cert: x509.Certificate = CERTIFICATE_X509.get(certificate)
    return cert


class CipherListCertificate(RTCCertificate):
    """aiortc's certificate, whose DTLS connections offer the cipher suites `CIPHERS` names
    (aiortc's own offer ECDSA suites only). Subclasses set CIPHERS."""

    CIPHERS: bytes = b""


def _ssl_context_with_ciphers(certificate: CipherListCertificate, srtp_profiles: list[Any]) -> SSL.Context:
    context: SSL.Context = CERTIFICATE_SSL_CONTEXT.get(RTCCertificate)(certificate, srtp_profiles)
    context.set_cipher_list(certificate.CIPHERS)
    return context


# Set as CipherListCertificate's own method, overriding aiortc's for its instances only.
CERTIFICATE_SSL_CONTEXT.set(CipherListCertificate, _ssl_context_with_ciphers)


# --- transceivers -----------------------------------------------------------------------


@contextlib.contextmanager
def unoffered_transceivers_kept(peer_connection: RTCPeerConnection) -> Iterator[None]:
    """Around aiortc's setLocalDescription(answer), which sets every transceiver's
    currentDirection from the direction the remote offered and fails ("None is not in
    list") on one the offer did not include: a transceiver the page added since, which JSEP
    leaves unassociated until its own next offer. Such a transceiver counts as offered
    "inactive" meanwhile, then is left as it was: no offered direction, no currentDirection."""
    unoffered = [
        transceiver for transceiver in peer_connection.getTransceivers()
        if transceiver.mid is None and TRANSCEIVER_OFFER_DIRECTION.get(transceiver) is None
    ]
    for transceiver in unoffered:
        TRANSCEIVER_OFFER_DIRECTION.set(transceiver, "inactive")
    try:
        yield
    finally:
        for transceiver in unoffered:
            TRANSCEIVER_OFFER_DIRECTION.set(transceiver, None)
            TRANSCEIVER_CURRENT_DIRECTION.set(transceiver, None)


@contextlib.contextmanager
def kept_from_remote_sections(transceivers: Sequence[RTCRtpTransceiver]) -> Iterator[None]:
    """Around aiortc's setRemoteDescription, which gives a remote section to the first
    transceiver of its kind with no mid: JSEP (5.10) gives a remote offer's new sections to
    a transceiver addTrack made, never to one of addTransceiver's, which waits for its own
    offer. These `transceivers` (not yet associated) carry a mid no section has meanwhile."""
    kept = [transceiver for transceiver in transceivers if transceiver.mid is None]
    for transceiver in kept:
        TRANSCEIVER_MID.set(transceiver, f"rtcshim-unassociated-{id(transceiver)}")
    try:
        yield
    finally:
        for transceiver in kept:
            TRANSCEIVER_MID.set(transceiver, None)


# --- RTP senders -----------------------------------------------------------------------


def negotiated_codecs(transceiver: RTCRtpTransceiver) -> list[RTCRtpCodecParameters]:
    """The codecs of the transceiver's last negotiation (a new list each time)."""
    codecs: list[RTCRtpCodecParameters] = TRANSCEIVER_CODECS.get(transceiver)
    return codecs


def negotiated_header_extensions(transceiver: RTCRtpTransceiver) -> list[RTCRtpHeaderExtensionParameters]:
    extensions: list[RTCRtpHeaderExtensionParameters] = TRANSCEIVER_HEADER_EXTENSIONS.get(transceiver)
    return extensions


def sender_ssrc(sender: RTCRtpSender) -> int:
    ssrc: int = SENDER_SSRC.get(sender)
    return ssrc


def sender_enabled(sender: RTCRtpSender) -> bool:
    """aiortc's switch: off, the sender drops frames unencoded. Its transceiver sets it
    from each negotiated direction."""
    enabled: bool = SENDER_ENABLED.get(sender)
    return enabled


def set_sender_enabled(sender: RTCRtpSender, enabled: bool) -> None:
    SENDER_ENABLED.set(sender, enabled)


def set_stream_id(sender: RTCRtpSender, stream_id: str) -> None:
    """The msid stream id aiortc writes for this sender (aiortc has one stream per sender)."""
    SENDER_STREAM_ID.set(sender, stream_id)


def sender_encoder(sender: RTCRtpSender) -> Any:
    """The sender's encoder, made by its first frame and anew when the codec changes; None
    before."""
    return SENDER_ENCODER.get(sender)


def on_encoded_frame(sender: RTCRtpSender, encoded: Callable[[MediaStreamTrack | None, Any], None]) -> None:
    """Call `encoded(track, frame)` each time the sender's loop took a frame through its
    encoder: `track` is what it read the frame from, `frame` the encoded frame, or None
    (dropped unencoded while the sender is disabled, or no payload). Also the one point
    where the encoder surely exists."""
    next_encoded_frame: Callable[[Any], Awaitable[Any]] = SENDER_NEXT_ENCODED_FRAME.get(sender)

    async def next_encoded_frame_and_tell(codec: Any) -> Any:
        track = sender.track  # what aiortc reads the frame from, as it starts
        frame = await next_encoded_frame(codec)
        encoded(track, frame)
        return frame

    SENDER_NEXT_ENCODED_FRAME.set(sender, next_encoded_frame_and_tell)


def on_rtcp_received(sender: RTCRtpSender, received: Callable[[AnyRtcpPacket], None]) -> None:
    """Call `received(packet)` once aiortc acted on each RTCP packet routed to this sender
    (the feedback naming its SSRC: a REMB has set the encoder's bitrate by then)."""
    handle_rtcp: Callable[[AnyRtcpPacket], Awaitable[None]] = SENDER_HANDLE_RTCP.get(sender)

    async def handle_rtcp_and_tell(packet: AnyRtcpPacket) -> None:
        await handle_rtcp(packet)
        received(packet)

    SENDER_HANDLE_RTCP.set(sender, handle_rtcp_and_tell)


# --- RTP receivers ---------------------------------------------------------------------


def on_rtcp_sent(receiver: RTCRtpReceiver, sent: Callable[[AnyRtcpPacket], None]) -> None:
    """Call `sent(packet)` after each RTCP packet the receiver sends (all go through one method)."""
    send_rtcp: Callable[[AnyRtcpPacket], Awaitable[None]] = RECEIVER_SEND_RTCP.get(receiver)

    async def send_rtcp_and_tell(packet: AnyRtcpPacket) -> None:
        await send_rtcp(packet)
        sent(packet)

    RECEIVER_SEND_RTCP.set(receiver, send_rtcp_and_tell)


def on_decoded_frame(remote_track: MediaStreamTrack, decoded: Callable[[Any], None]) -> None:
    """Call `decoded(frame)` for each frame aiortc's decoder thread queues for a receiver's
    track (it looks the queue's put up for every frame, so this may come after it started)."""
    queue = REMOTE_TRACK_QUEUE.get(remote_track)
    put: Callable[[Any], Awaitable[None]] = queue.put

    async def put_and_tell(frame: Any) -> None:
        if frame is not None:  # None: the end of the track
            decoded(frame)
        await put(frame)

    queue.put = put_and_tell


class RtpTap(IntEnum):
    """Where each tap sits on a receiver's RTP path, in the order a packet meets them.

    aiortc's transport hands each packet to the receiver's `_handle_rtp_packet`; the taps
    run before it (and may take the packet from it) or after it:

    SOURCES (after; rtp_sources.py): notes every packet that arrived, telephone-events
        included (they are RTP of the same SSRC), once the taps below and aiortc handled it.
        First, so that no tap can keep a packet from it.
    DTMF (before; dtmf_receiver.py): takes the telephone-events, which aiortc would hand
        to an audio decoder that has none for them (its thread dies), and renumbers the
        audio after them to close the gap.
    PAYLOAD_BYTES (before; media/meter.py): counts the payload bytes of each packet aiortc
        gets. After DTMF, so that inbound-rtp's bytesReceived counts what aiortc's
        packetsReceived counts: the media, without the events.
    """

    SOURCES = 1
    DTMF = 2
    PAYLOAD_BYTES = 3


TakeTap = Callable[[RtpPacket], bool | None]
HeardTap = Callable[[RtpPacket], None]


@dataclass(order=True)
class _Tap:
    position: RtpTap
    before: TakeTap | None = field(default=None, compare=False)
    after: HeardTap | None = field(default=None, compare=False)


class RtpPacketTaps:
    """The taps on one aiortc receiver's incoming RTP, installed once in its place."""

    def __init__(self, handle_rtp_packet: Callable[..., Awaitable[None]]) -> None:
        self._aiortc = handle_rtp_packet
        self._taps: list[_Tap] = []

    @classmethod
    def of(cls, receiver: RTCRtpReceiver) -> RtpPacketTaps:
        """The receiver's taps, installed the first time they are asked for."""
        handle = RECEIVER_HANDLE_RTP.get(receiver)
        installed = getattr(handle, "__self__", None)
        if isinstance(installed, RtpPacketTaps):
            return installed
        taps = cls(handle)
        RECEIVER_HANDLE_RTP.set(receiver, taps.handle_rtp_packet)
        return taps

    def add(self, position: RtpTap, *, before: TakeTap | None = None, after: HeardTap | None = None) -> None:
        """`before(packet)` runs on the packet's way to aiortc; returning True takes it: the
        taps below and aiortc never see it. `after(packet)` runs once the taps below and
        aiortc handled the packet (or one of them took it)."""
        if any(tap.position == position for tap in self._taps):
            raise ValueError(f"the receiver already has a {position.name} tap")
        bisect.insort(self._taps, _Tap(position, before, after))

    async def handle_rtp_packet(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        passed: list[_Tap] = []
        for tap in self._taps:
            passed.append(tap)
            if tap.before is not None and tap.before(packet):
                break
        else:
            await self._aiortc(packet, arrival_time_ms=arrival_time_ms)
        for tap in reversed(passed):
            if tap.after is not None:
                tap.after(packet)


# --- tracks and files ------------------------------------------------------------------


def set_track_id(track: MediaStreamTrack, track_id: str) -> None:
    """The id aiortc reports for a track of ours (it writes it into the SDP's msid)."""
    TRACK_ID.set(track, track_id)


def player_throttles_playback(player: MediaPlayer) -> bool:
    """Whether the player paces its input in real time (files) or not (live devices)."""
    throttles: bool = PLAYER_THROTTLE.get(player)
    return throttles


def keep_only_stream(player: MediaPlayer, kind: str) -> None:
    """Make the player decode only its `kind` stream: it decodes every stream it found and
    queues, without limit, the frames of a track nobody reads."""
    PLAYER_STREAMS.set(player, [stream for stream in PLAYER_STREAMS.get(player) if stream.type == kind])
    (PLAYER_AUDIO if kind == "video" else PLAYER_VIDEO).set(player, None)


# --- the codec table -------------------------------------------------------------------

Codecs = Mapping[str, Sequence[RTCRtpCodecParameters]]

# The codecs added, by kind, to aiortc's table for the tasks of this context.
_NO_CODECS: Codecs = MappingProxyType({})
_ADDED_CODECS: contextvars.ContextVar[Codecs] = contextvars.ContextVar("rtcshim_added_codecs", default=_NO_CODECS)


class ContextCodecTable(MutableMapping[str, list[RTCRtpCodecParameters]]):
    """aiortc's codec table, which answers with the codecs added for the current context
    last (`add_codecs`); elsewhere, aiortc's own."""

    def __init__(self, aiortc_codecs: dict[str, list[RTCRtpCodecParameters]]) -> None:
        self.aiortc_codecs = aiortc_codecs

    def __getitem__(self, kind: str) -> list[RTCRtpCodecParameters]:
        codecs = self.aiortc_codecs[kind]
        added = _ADDED_CODECS.get().get(kind)
        return [*codecs, *added] if added else codecs

    def __setitem__(self, kind: str, codecs: list[RTCRtpCodecParameters]) -> None:
        self.aiortc_codecs[kind] = codecs

    def __delitem__(self, kind: str) -> None:
        del self.aiortc_codecs[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(self.aiortc_codecs)

    def __len__(self) -> int:
        return len(self.aiortc_codecs)


def install_codec_table() -> None:
    """Put a ContextCodecTable in the place of aiortc's codec table (idempotent). aiortc
    reads it for offers, answers and getCapabilities."""
    table = CODECS.get(aiortc.codecs)
    if isinstance(table, ContextCodecTable):
        return
    if PEER_CONNECTION_CODECS.get(aiortc.rtcpeerconnection) is not table:
        raise RuntimeError("aiortc.rtcpeerconnection reads another codec table: update aiortc_seams.py")
    context_table = ContextCodecTable(table)
    CODECS.set(aiortc.codecs, context_table)
    PEER_CONNECTION_CODECS.set(aiortc.rtcpeerconnection, context_table)


def codec_table_installed() -> bool:
    return isinstance(CODECS.get(aiortc.codecs), ContextCodecTable)


def add_codecs(added: Codecs) -> None:
    """From now on, in the current context, aiortc's table has `added` after its own codecs:
    for this task and the tasks it starts (they copy its context), aiortc's own included."""
    _ADDED_CODECS.set(added)
