"""RTCPeerConnection: one aiortc peer connection, made to behave like a browser's.

Most of the gaps between aiortc and a browser are bridged here, each in one method, the
rest in the helpers these methods call (sdp_fixes, telephone_event, configuration).
docs/design.md ("Where aiortc and a browser differ") lists every gap, what the page sees
instead, and the method or module that translates it: keep the two in step.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from aioice import Candidate, Connection
from aiortc import (
    RTCConfiguration,
    RTCDataChannel,
    RTCDtlsTransport,
    RTCIceTransport,
    RTCPeerConnection,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.rtcdtlstransport import RTCCertificate
from aiortc.rtcicetransport import candidate_from_aioice
from aiortc.sdp import candidate_from_sdp, candidate_to_sdp

from .. import configuration as config
from .. import connection_states, sdp_fixes, stats, telephone_event
from ..aiortc_seams import (
    count_transports,
    data_channel_ids_in_use,
    dtls_role,
    forget_unassociated_positions,
    give_data_channel_id,
    guard_connection,
    guard_remote_candidates,
    ice_connection,
    kept_from_remote_sections,
    sender_ssrc,
    unoffered_transceivers_kept,
    use_certificate,
)
from ..data_channel_ids import first_free_id
from ..dispatcher import Dispatcher, Params, Result, after_reply
from ..errors import (
    BridgeTypeError,
    InvalidAccessError,
    InvalidModificationError,
    InvalidStateError,
    OperationError,
)
from ..ice_gathering import IceCandidateError, ServerGathering
from ..ice_restart import IceRestarts, ice_transports_by_mid
from ..ice_urls import validate_ice_servers
from ..ice_without_candidates import CandidatelessStarts
from ..limits import Limits
from ..logs import short_handle
from ..parsed_sdp import parsed_sdp
from ..remote_candidates import RemoteSections
from ..rollback import Rollback
from ..socket_buffers import enlarge_socket_buffers
from .data_channel import DataChannelDispatcher
from .dtls_transport import DtlsTransportDispatcher
from .media_stream_track import MediaTrackDispatcher
from .sctp_transport import SctpTransportDispatcher
from .transceiver import TransceiverDispatcher

if TYPE_CHECKING:
    from ..session import Session

logger = logging.getLogger(__name__)

Description = dict[str, str] | None
T = TypeVar("T")

SENDING = ("sendrecv", "sendonly")
RECEIVING = ("sendrecv", "recvonly")
# offerToReceiveAudio/Video false: a receiving direction without its receiving half.
WITHOUT_RECEIVING = {"sendrecv": "sendonly", "recvonly": "inactive"}


# The page's SDP up to this size is read on the event loop (a browser's offer is a few KiB
# and takes about a millisecond, as much as a trip to a worker thread and back costs under
# load); a larger one, up to the sdp_bytes limit, in a worker thread.
SDP_READ_ON_LOOP_BYTES = 16 * 1024

# The signaling states in which a local description of each type may be set.
STATES_FOR_LOCAL = {
    "offer": ("stable", "have-local-offer"),
    "answer": ("have-remote-offer", "have-local-pranswer"),
    "pranswer": ("have-remote-offer", "have-local-pranswer"),
}


class PeerConnectionDispatcher(Dispatcher):
    interface = "PeerConnection"

    def __init__(
        self,
        session: Session,
        guid: str,
        parent: Dispatcher,
        configuration: dict[str, Any],
        aiortc_configuration: RTCConfiguration,
        *,
        certificate: RTCCertificate | None = None,
    ) -> None:
        """`certificate`: the page's, for DTLS; none: the ECDSA one aiortc makes."""
        super().__init__(session, guid, parent)
        self.configuration = configuration
        self._aiortc_configuration = aiortc_configuration
        self.peer_connection = RTCPeerConnection(aiortc_configuration)
        # The certificate every DTLS transport of this connection uses, kept here so that
        # nothing but use_certificate touches aiortc's private list.
        self.certificate = use_certificate(self.peer_connection, certificate)
        guard_remote_candidates(self.peer_connection, self._remote_candidate_allowed)
        self.candidateless = CandidatelessStarts(self.peer_connection)
        self.ice_restarts = IceRestarts(
            self.peer_connection, functools.partial(guard_connection, allowed=self._remote_candidate_allowed),
            self._ice_restarted)
        # The spec's operations chain: offer/answer/description/candidate calls run one
        # at a time, in the order the page made them.
        self._operations = asyncio.Lock()
        self._aiortc_idle = asyncio.Event()  # cleared while a description is applied (_uncancelled)
        self._aiortc_idle.set()
        self.closed = False
        self.signaling_state = "stable"
        self.ice_gathering_state = "new"
        self.ice_connection_state = "new"
        self.connection_state = "new"
        self.descriptions: dict[str, Description] = dict.fromkeys(
            ("currentLocalDescription", "pendingLocalDescription",
             "currentRemoteDescription", "pendingRemoteDescription")
        )
        self._descriptions_shown = dict(self.descriptions)  # as the page has them (`_descriptions_change`)
        self.transceivers: dict[RTCRtpTransceiver, TransceiverDispatcher] = {}
        self.transports: dict[RTCDtlsTransport, DtlsTransportDispatcher] = {}
        self.sctp_transport: SctpTransportDispatcher | None = None
        self._announced_candidates: set[str] = set()
        # The ICE connections whose gathering from the page's ICE servers started, and the
        # gatherings still running (iceGatheringState is complete once none is).
        self._server_gathered: set[Connection] = set()
        self._gathering_announced: set[Connection] = set()  # whose gathering the page saw start
        self._server_gatherings: set[asyncio.Task[None]] = set()
        self._last_created: dict[str, str] = {}  # the last offer and answer made, by type
        self.remote_sections = RemoteSections([], [])  # the remote description's, in order
        # The ICE transports that had end-of-candidates: aioice refuses candidates after it.
        self._remote_candidates_ended: set[RTCIceTransport] = set()
        self.rollback = Rollback(self)
        self.stats_ids = stats.StatsIds()
        self.data_channels_opened = 0
        self.data_channels_closed = 0
        self._sctp_role: str | None = None  # the DTLS role the page was told (sctpRole)
        self.peer_connection.on("iceconnectionstatechange", self.report_states)
        self.peer_connection.on("connectionstatechange", self.report_states)
        self.peer_connection.on("datachannel", self._announce_remote_data_channel)
        logger.info("session %s: %s made", session.id, short_handle(guid), extra={"session": session.id, "pc": guid})
        self.commands = {
            "createOffer": self.create_offer,
            "createAnswer": self.create_answer,
            "setLocalDescription": self.set_local_description,
            "setRemoteDescription": self.set_remote_description,
            "addIceCandidate": self.add_ice_candidate,
            "setConfiguration": self.set_configuration,
            "createDataChannel": self.create_data_channel,
            "addTransceiver": self.add_transceiver,
            "restartIce": self.restart_ice,
            "getStats": self.get_stats,
            "close": self.close,
        }

    # --- offer / answer ----------------------------------------------------------

    async def create_offer(self, params: Params) -> Result:
        async with self._operations:
            self._check_open()
            if self.signaling_state not in STATES_FOR_LOCAL["offer"]:
                raise InvalidStateError(
                    f'createOffer needs a stable or have-local-offer state; signalingState is "{self.signaling_state}"'
                )
            self._apply_legacy_offer_options(params["options"])
            if params["options"].get("iceRestart"):
                self.ice_restarts.requested = True
            return {"description": await self._create_description("offer")}

    async def create_answer(self, params: Params) -> Result:
        async with self._operations:
            self._check_open()
            if self.signaling_state not in ("have-remote-offer", "have-local-pranswer"):
                raise InvalidStateError(
                    f'createAnswer needs a remote offer; signalingState is "{self.signaling_state}"'
                )
            return {"description": await self._create_description("answer")}

    async def _create_description(self, description_type: str) -> dict[str, str]:
        """aiortc's offer or answer, with the fixes browsers need (see the module doc)."""
        if description_type == "offer":
            if self.ice_restarts.requested:
                await self.ice_restarts.renew_local(self._aiortc_configuration.iceTransportPolicy)
            created = await self.peer_connection.createOffer()
        else:
            created = await self.peer_connection.createAnswer()
        sdp = created.sdp
        remote_offer = self.descriptions["pendingRemoteDescription"]
        if description_type == "answer" and remote_offer is not None:
            sdp = sdp_fixes.bundle_as_offered(sdp, remote_offer["sdp"])
        negotiated = self.descriptions["currentRemoteDescription"]
        if description_type == "offer" and negotiated is not None:
            sdp = sdp_fixes.keep_extension_ids(sdp, negotiated["sdp"])
            sdp = sdp_fixes.keep_payload_types(sdp, negotiated["sdp"])
        sdp = sdp_fixes.reject_sections(sdp, self._stopped_mids())
        sdp = sdp_fixes.write_stream_ids(sdp, self._stream_ids_by_ssrc())
        self._last_created[created.type] = sdp
        return {"type": created.type, "sdp": sdp}

    def _stream_ids_by_ssrc(self) -> dict[int, list[str]]:
        """The senders whose track is in several streams, by the SSRC their sections carry."""
        return {sender_ssrc(t.transceiver.sender): t.stream_ids
                for t in self.transceivers.values() if len(t.stream_ids) > 1}

    def _stopped_mids(self) -> set[str]:
        return {t.mid for t in self.peer_connection.getTransceivers() if t.stopped and t.mid is not None}

    async def set_local_description(self, params: Params) -> Result:
        async with self._operations:
            self._check_open()
            description = params["description"]
            self._check_sdp_size(description)
            if description is not None and description["type"] in ("rollback", "pranswer"):
                await self._provisional_or_rollback("Local", description)
                return {}
            if description is not None and description["sdp"]:
                await self._check_description(description)
                self._check_sections_kept(description)
            else:
                # The implicit description: what createOffer or createAnswer would give.
                implicit = "answer" if self.signaling_state == "have-remote-offer" else "offer"
                description = await self._create_description(implicit)
            if description["type"] == "offer":
                self.rollback.before_offer()
            with unoffered_transceivers_kept(self.peer_connection):
                await self._uncancelled(self.peer_connection.setLocalDescription(
                    RTCSessionDescription(sdp=description["sdp"], type=description["type"])
                ))
            local = self.peer_connection.localDescription
            self.ice_restarts.local_applied(local.sdp)
            # aiortc writes its description anew, live ports and all: reject again.
            sdp = sdp_fixes.reject_sections(local.sdp, self._stopped_mids())
            sdp = sdp_fixes.keep_identity(sdp, description["sdp"])
            sdp = sdp_fixes.write_stream_ids(sdp, self._stream_ids_by_ssrc())
            if self.configuration["iceServers"]:
                sdp = sdp_fixes.drop_end_of_candidates(sdp)  # more are on their way
            sdp = sdp_fixes.unannounced_candidates_hidden(sdp, self._announced_candidates)
            for transceiver in self.transceivers.values():
                transceiver.described_stream_ids = frozenset(transceiver.stream_ids)
            self._settle_descriptions("Local", {"type": local.type, "sdp": sdp})
            self._report_gathering_without_transports()
            self.candidateless.start()
            after_reply(self._announce_local_candidates)
        self.update_negotiation_needed()
        return {}

    async def set_remote_description(self, params: Params) -> Result:
        async with self._operations:
            self._check_open()
            description = params["description"]
            self._check_sdp_size(description)
            if description["type"] in ("rollback", "pranswer"):
                await self._provisional_or_rollback("Remote", description)
                return {}
            self._check_answer_expected(description["type"])
            if description["type"] == "offer" and self.signaling_state == "have-local-offer":
                await self.rollback.roll_back()  # implicit, and kept even if the offer fails
            # Always in a worker thread, checks and read in one trip: a large SDP stays off
            # the event loop. (What the page did after asking, in the same task, such as an
            # addTrack whose transceiver the offer takes, came before: shim.js sends this
            # call once that task ended, as webrtc-pc's in-parallel step lets it.)
            remote = await asyncio.to_thread(_checked_remote_sdp, description["sdp"], self.session.limits)
            if description["type"] == "offer":
                self.rollback.before_offer()
                forget_unassociated_positions(self.peer_connection)
                await self.ice_restarts.renew_remote(remote.sdp, self._aiortc_configuration.iceTransportPolicy)
            with kept_from_remote_sections([
                dispatcher.transceiver for dispatcher in self.transceivers.values()
                if not (description["type"] == "offer" and dispatcher.made_by_add_track)
            ]):
                await self._uncancelled(self.peer_connection.setRemoteDescription(
                    RTCSessionDescription(sdp=remote.sdp, type=description["type"])))
            self.ice_restarts.remote_applied(remote.sdp)
            self.take_remote_sections(remote.sections)
            adopted = self._adopt_new_transceivers()
            if description["type"] == "offer":
                self.rollback.made_by_remote_offer(adopted)
            await self._stop_rejected(remote.rejected_mids)
            self._settle_descriptions("Remote", dict(description))
            self._report_gathering_without_transports()
            self.candidateless.start()
            self._report_remote_tracks(description)
            self.report_states()
        self.update_negotiation_needed()
        return {}

    async def _uncancelled(self, work: Coroutine[Any, Any, None]) -> None:
        """Run aiortc's description `work` to its end even if the page's socket closes
        meanwhile: it binds and stops sockets, and aioice keeps those it binds in a local
        list until all are bound, which a cancellation midway would lose for good. Still
        in the call's task, so that its events keep their order; `shutdown` waits for it."""
        self._aiortc_idle.clear()
        try:
            with self.session.uncancellable():
                await work
        finally:
            self._aiortc_idle.set()

    async def _check_description(self, description: dict[str, str]) -> None:
        await _read_sdp(_check_sdp_text, description["sdp"])

    def _check_sdp_size(self, description: Description) -> None:
        """Before anything reads the SDP: aiortc parses it on the event loop, in time
        that grows with its size (Chromium has no limit of its own)."""
        if description is not None:
            size = len(description["sdp"].encode("utf-8", "surrogatepass"))
            self.session.limits.check("sdp_bytes", size, f"the SDP is {size} bytes")

    def _check_sections_kept(self, description: dict[str, str]) -> None:
        """aiortc gives a local description's sections to its transceivers by position, and
        fails inside (its signaling state already changed) on a section it has no
        transceiver for: a page's munging may change a section's lines (2013 pages did), not
        add, drop, reorder or rename sections of what createOffer or createAnswer gave."""
        if self.signaling_state not in STATES_FOR_LOCAL.get(description["type"], ()):
            return  # aiortc's own check comes first: InvalidStateError, as in Chromium
        # A provisional answer is an answer this connection created, sent early.
        created = self._last_created.get("answer" if description["type"] == "pranswer" else description["type"])
        if created is None:
            raise InvalidModificationError(
                f"setLocalDescription needs an {description['type']} made by this connection (create one first)")
        if sdp_fixes.media_layout(created) != sdp_fixes.media_layout(description["sdp"]):
            raise InvalidModificationError(
                f"The {description['type']}'s media sections differ from the last one this connection created: "
                "their lines may be changed, not the sections, their order or their mids")

    def _check_answer_expected(self, description_type: str) -> None:
        """A remote answer needs our offer: InvalidStateError before the SDP is read, in
        webrtc-pc's order of checks."""
        if description_type == "answer" and self.signaling_state not in ("have-local-offer", "have-remote-pranswer"):
            raise InvalidStateError(f'Cannot set a remote answer in signaling state "{self.signaling_state}"')

    async def _provisional_or_rollback(self, side: str, description: dict[str, str]) -> None:
        """A rollback (its SDP ignored) or a provisional answer, which aiortc does not see
        (server/rollback.py)."""
        if description["type"] == "rollback":
            self.rollback.check(side)
            await self.rollback.roll_back()
            self.update_negotiation_needed()  # back in stable
            return
        Rollback.check_pranswer(side, self.signaling_state)
        await self._check_description(description)
        if side == "Local":
            self._check_sections_kept(description)
        else:
            await _read_sdp(functools.partial(RemoteSdp.read, limits=self.session.limits), description["sdp"])
        self._settle_descriptions(side, dict(description))

    def take_remote_sections(self, sections: RemoteSections) -> None:
        """The remote description's sections, set or rolled back to: candidates may end
        again on every transport."""
        self.remote_sections = sections
        self._remote_candidates_ended.clear()

    def _settle_descriptions(self, side: str, description: dict[str, str]) -> None:
        """Keep the spec's current/pending descriptions; report them with the new state."""
        other = "Remote" if side == "Local" else "Local"
        if description["type"] in ("offer", "pranswer"):
            self.descriptions[f"pending{side}Description"] = description
        else:
            self.descriptions[f"current{side}Description"] = description
            self.descriptions[f"pending{side}Description"] = None
            pending_offer = self.descriptions[f"pending{other}Description"]
            if pending_offer is not None:
                self.descriptions[f"current{other}Description"] = pending_offer
                self.descriptions[f"pending{other}Description"] = None
        self.report_signaling_state()

    def report_signaling_state(self, removed: Sequence[str] = ()) -> None:
        """The signaling state and the descriptions, as aiortc has them now (a provisional
        answer aiortc does not see); `removed`: the transceivers a rollback took away."""
        self.signaling_state = self.peer_connection.signalingState
        for side in ("Local", "Remote"):
            if (self.descriptions[f"pending{side}Description"] or {}).get("type") == "pranswer":
                self.signaling_state = f"have-{side.lower()}-pranswer"
        for transceiver in self.transceivers.values():
            transceiver.send_parameters.apply()  # aiortc re-enabled senders by direction
        count_transports(self.peer_connection, negotiated_only=True)
        self._update_transports()
        self.emit("signalingStateChange", {
            "signalingState": self.signaling_state, "descriptions": self._descriptions_change(),
            "transceivers": [transceiver.state() for transceiver in self.transceivers.values()],
            "sctp": self.sctp_transport.guid if self.sctp_transport else None,
            "removedTransceivers": list(removed),
        })
        self.report_states()  # the transports the description brought or took away count now
        self._give_data_channel_ids()

    # --- transports ------------------------------------------------------------------

    def _update_transports(self) -> None:
        """Announce the transports a description brought into use, and release those
        bundling made unused (aiortc moves bundled sections onto the first one's)."""
        in_use: dict[RTCDtlsTransport, str] = {}
        for transceiver in self.peer_connection.getTransceivers():
            if transceiver.mid is not None and not transceiver.stopped:
                in_use.setdefault(transceiver.sender.transport, transceiver.mid)
        sctp = self.peer_connection.sctp
        if sctp is not None and sctp.mid is not None:
            in_use.setdefault(sctp.transport, sctp.mid)
        elif self.sctp_transport is not None:  # a rollback took back the offer that made it
            self.sctp_transport.dispose()
            self.sctp_transport = None
        for dtls in list(self.transports):
            if dtls not in in_use:
                self.transports.pop(dtls).dispose()
        for dtls, mid in in_use.items():
            if dtls not in self.transports:
                self.transports[dtls] = DtlsTransportDispatcher(self, dtls, mid)
                self.transports[dtls].announce()
        if sctp is not None and sctp.mid is not None:
            if self.sctp_transport is None:
                self.sctp_transport = SctpTransportDispatcher(self, sctp, self.transports[sctp.transport])
                self.sctp_transport.announce()
            else:
                self.sctp_transport.use_transport(self.transports[sctp.transport])

    async def restart_ice(self, params: Params) -> Result:
        """webrtc-pc restartIce(): the next offer restarts ICE on every transport."""
        self._check_open()
        self.ice_restarts.requested = True
        after_reply(self.update_negotiation_needed)
        return {}

    def _ice_restarted(self, ice: Any) -> None:
        for transport in self.transports.values():
            if transport.dtls.transport is ice:
                transport.ice_restarted()

    # --- ICE -------------------------------------------------------------------------

    def _announce_local_candidates(self) -> None:
        """Fire the host candidates aiortc gathered during setLocalDescription, as trickle
        ICE, and start gathering from the page's ICE servers on each new transport."""
        if self.closed:
            return
        local = parsed_sdp(self.peer_connection.localDescription.sdp)
        fresh: list[dict[str, Any]] = []
        bundled_away = self._bundled_away_mids()
        for index, media in enumerate(local.media):
            if media.rtp.muxId in bundled_away:
                continue  # gathered by aiortc for a transport the answer drops: not a browser's
            ufrag = media.ice.usernameFragment if media.ice else None
            for gathered in media.ice_candidates:
                line = "candidate:" + candidate_to_sdp(gathered)
                # Bundled sections share a transport: announce its candidates once.
                if (key := f"{ufrag} {line}") not in self._announced_candidates:
                    self._announced_candidates.add(key)
                    fresh.append({"candidate": line, "sdpMid": media.rtp.muxId,
                                  "sdpMLineIndex": index, "usernameFragment": ufrag})
        started = self._start_server_gathering()
        # A transport that gathered anew (a new one, or one restarted) goes through the
        # gathering states even when it found no candidate (the relay policy).
        gathered_now = {ice_connection(dtls.transport) for dtls, transport in self.transports.items()
                        if dtls.transport.iceGatherer.state == "completed" and transport.mid not in bundled_away}
        renewed = gathered_now - self._gathering_announced
        for connection in renewed:
            enlarge_socket_buffers(connection)
        self._gathering_announced |= gathered_now
        if not fresh and not started and not renewed:
            return
        for dtls, transport in self.transports.items():
            if ice_connection(dtls.transport) in renewed | started:
                transport.show_gathering("gathering")
        self._report_ice_gathering_state("gathering")
        for wire_candidate in fresh:
            self.emit("iceCandidate", {
                "candidate": wire_candidate, "descriptions": self._show_host_candidate(wire_candidate["candidate"])})
        self._complete_gathering()

    def _report_gathering_without_transports(self) -> None:
        """webrtc-pc: with no transport (a renegotiation closed them all), iceGatheringState
        is new. A transport stays until the answer that closes it."""
        if self.signaling_state == "stable" and not ice_transports_by_mid(self.peer_connection):
            self._report_ice_gathering_state("new")

    def _complete_gathering(self) -> None:
        if not self._server_gatherings and not self.closed and self.ice_gathering_state == "gathering":
            for transport in self.transports.values():
                if transport.gathering_state_shown == "gathering":
                    transport.show_gathering("complete")
            descriptions = self._change_local_sdp(sdp_fixes.add_end_of_candidates)
            self._report_ice_gathering_state("complete", descriptions)
            self.emit("iceCandidate", {"candidate": None})

    def _start_server_gathering(self) -> set[Connection]:
        """Gather from every URL of the page's ICE servers on each transport aiortc has
        gathered host candidates for (ice_gathering.py); the connections that started."""
        servers = validate_ice_servers(self.configuration["iceServers"])
        started: set[Connection] = set()
        for dtls in self.transports:
            connection = ice_connection(dtls.transport)
            if not servers or connection in self._server_gathered or dtls.transport.iceGatherer.state != "completed":
                continue
            self._server_gathered.add(connection)
            gathering = ServerGathering(
                connection, servers, self.session.network_policy,
                relay_only=self.configuration["iceTransportPolicy"] == "relay",
                found=functools.partial(self._trickle, connection),
                failed=self._report_candidate_error,
            )
            task = asyncio.create_task(gathering.run(), name=f"{self.guid} ICE servers")
            self._server_gatherings.add(task)
            task.add_done_callback(self._server_gathering_done)
            started.add(connection)
        return started

    def _server_gathering_done(self, task: asyncio.Task[None]) -> None:
        self._server_gatherings.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("%s: gathering from ICE servers failed", self.guid, exc_info=task.exception())
        self._complete_gathering()

    def _trickle(self, connection: Connection, gathered: Candidate) -> None:
        """Fire a candidate gathered from an ICE server; the local description shows it from now on."""
        if self.closed:
            return
        line = "candidate:" + candidate_to_sdp(candidate_from_aioice(gathered))
        ufrag = connection.local_username
        if (key := f"{ufrag} {line}") in self._announced_candidates:
            return
        self._announced_candidates.add(key)
        local = self._shown_local_description()
        if local is None:
            return
        sections = parsed_sdp(local[1]["sdp"]).media
        index = next(i for i, media in enumerate(sections) if media.ice and media.ice.usernameFragment == ufrag)
        self.emit("iceCandidate", {
            "candidate": {"candidate": line, "sdpMid": sections[index].rtp.muxId, "sdpMLineIndex": index,
                          "usernameFragment": ufrag},
            "descriptions": self._show_candidate(ufrag, line),
        })

    def _shown_local_description(self) -> tuple[str, dict[str, str]] | None:
        """The local description the page sees candidates in (the pending one, if any), by name."""
        for name in ("pendingLocalDescription", "currentLocalDescription"):
            if (shown := self.descriptions[name]) is not None:
                return name, shown
        return None

    def _change_local_sdp(self, change: Callable[[str], str]) -> dict[str, Any]:
        """The local description the page sees, changed; the descriptions then."""
        if (local := self._shown_local_description()) is not None:
            name, shown = local
            self.descriptions[name] = {**shown, "sdp": change(shown["sdp"])}
        return self._descriptions_change()

    def _descriptions_change(self) -> dict[str, Description]:
        """The descriptions that changed since the page last heard, for the event that tells
        it now (protocol.toml: Descriptions; a candidate's event need not carry all four)."""
        changed = {name: description for name, description in self.descriptions.items()
                   if description != self._descriptions_shown[name]}
        self._descriptions_shown = dict(self.descriptions)
        return changed

    def _show_candidate(self, ufrag: str, line: str) -> dict[str, Any]:
        """The local description lists the candidate from its event on."""
        return self._change_local_sdp(functools.partial(sdp_fixes.add_candidate, ufrag=ufrag, candidate=line))

    def _show_host_candidate(self, line: str) -> dict[str, Any]:
        """webrtc-pc "surface the candidate" for a host candidate aiortc gathered: listed from
        its event on, in the sections that list it in aiortc's description (aiortc gives
        unbundled transports one ufrag, so `_show_candidate` cannot tell their sections apart)."""
        listed = sdp_fixes.sections_listing(self.peer_connection.localDescription.sdp, f"a={line}")
        return self._change_local_sdp(functools.partial(sdp_fixes.add_to_sections, indexes=listed, line=f"a={line}"))

    def _report_candidate_error(self, error: IceCandidateError) -> None:
        if not self.closed:
            self.emit("iceCandidateError", {
                "address": None, "port": None, "url": error.url, "errorCode": error.error_code,
                "errorText": error.error_text,
            })

    def _remote_candidate_allowed(self, address: str, port: int) -> bool:
        """The network policy on a remote candidate: a refused one is never checked; to
        the page it is a candidate that cannot be reached (addIceCandidate resolves)."""
        refusal = self.session.network_policy.refusal(address, port, server=False)
        if refusal is not None:
            logger.debug("%s: remote candidate %s port %d dropped: %s", self.guid, address, port, refusal)
        return refusal is None

    async def add_ice_candidate(self, params: Params) -> Result:
        async with self._operations:
            self._check_open()
            if self.peer_connection.remoteDescription is None:
                raise InvalidStateError("addIceCandidate needs a remote description first")
            candidate = params["candidate"]
            if candidate is None or not candidate["candidate"]:
                sections = self.remote_sections.sections_ended_by(candidate)
                for ice in {self._remote_ice_transport(index) for index in sections}:
                    if ice is not None and ice not in self._remote_candidates_ended:
                        self._remote_candidates_ended.add(ice)
                        await ice.addRemoteCandidate(None)
                self._show_remote_candidate(sections, sdp_fixes.END_OF_CANDIDATES)
                self.report_states()
                return {}
            index = self.remote_sections.section_of(candidate)
            parsed = self._parse_candidate(candidate, index)
            if self._remote_ice_transport(index) in self._remote_candidates_ended:
                # aioice refuses it; a browser drops it as well.
                logger.debug("%s: candidate after end-of-candidates dropped", self.guid)
                return {}
            await self.peer_connection.addIceCandidate(parsed)
            self._show_remote_candidate([index], "a=candidate:" + candidate_to_sdp(parsed))
            self.report_states()
        return {}

    def _parse_candidate(self, candidate: dict[str, Any], index: int) -> Any:
        line = candidate["candidate"].removeprefix("a=").removeprefix("candidate:")
        try:
            parsed = candidate_from_sdp(line)
        except (AssertionError, ValueError, IndexError) as error:
            raise OperationError(f"cannot parse candidate {candidate['candidate']!r}") from error
        parsed.sdpMid = self.remote_sections.mids[index]
        parsed.sdpMLineIndex = index
        return parsed

    def _remote_ice_transport(self, index: int) -> RTCIceTransport | None:
        """The ICE transport of the remote description's section at `index` (bundled
        sections share one); None for a section no transceiver took (rejected)."""
        mid = self.remote_sections.mids[index]
        sctp = self.peer_connection.sctp
        if sctp is not None and sctp.mid == mid:
            return sctp.transport.transport
        for transceiver in self.peer_connection.getTransceivers():
            if transceiver.mid == mid:
                return transceiver.receiver.transport.transport
        return None

    def _show_remote_candidate(self, sections: list[int], line: str) -> None:
        """webrtc-pc: an added candidate (or end-of-candidates) shows in the remote description."""
        pending = self.descriptions["pendingRemoteDescription"]
        which = "pendingRemoteDescription" if pending else "currentRemoteDescription"
        remote = self.descriptions[which]
        if remote is None:
            return
        self.descriptions[which] = {**remote, "sdp": sdp_fixes.add_to_sections(remote["sdp"], sections, line)}
        self.emit("remoteCandidate", {"descriptions": self._descriptions_change()})

    async def set_configuration(self, params: Params) -> Result:
        self._check_open()
        requested = params["configuration"]
        config.check_update(self.configuration, requested)
        if any(requested[key] != self.configuration[key] for key in ("iceServers", "iceTransportPolicy")):
            # As Chromium: the next offer gathers with them, under new credentials.
            self.ice_restarts.requested = True
        config.apply_update(self._aiortc_configuration, requested)
        self.configuration = requested
        return {}

    # --- data channels ------------------------------------------------------------

    async def create_data_channel(self, params: Params) -> Result:
        self._check_open()
        init = params["init"]
        if init["maxPacketLifeTime"] is not None and init["maxRetransmits"] is not None:
            raise BridgeTypeError("maxPacketLifeTime and maxRetransmits cannot both be set")
        if init["negotiated"] and init["id"] is None:
            raise BridgeTypeError("a negotiated data channel needs an id")
        self._check_room_for_data_channel()
        try:
            data_channel = self.peer_connection.createDataChannel(params["label"], **init)
        except ValueError as error:
            raise OperationError(str(error)) from error
        dispatcher = DataChannelDispatcher(self.session, params["dataChannel"], self, data_channel)
        if data_channel.readyState == "open":
            # A negotiated channel on a connected transport opens inside aiortc's
            # constructor, before anyone could listen.
            dispatcher.report_open()
        self._give_data_channel_ids()
        after_reply(self.update_negotiation_needed)
        return {}

    def _check_room_for_data_channel(self) -> None:
        limits, what = self.session.limits, "RTCDataChannel creation failed"
        limits.check("data_channels_per_peer_connection",
                     1 + sum(1 for child in self.children.values() if child.interface == "DataChannel"), what)
        limits.check("data_channels", self.session.held["DataChannel"] + 1, what)

    def _give_data_channel_ids(self) -> None:
        """Once the DTLS role is known, the in-band channels still without an id get one
        (data_channel_ids.py), and the page learns the role to number its next channels
        itself: createDataChannel's id is known when it returns."""
        sctp = self.peer_connection.sctp
        role = None if sctp is None else dtls_role(sctp.transport)
        if sctp is None or role is None:
            return
        in_use = data_channel_ids_in_use(sctp)
        for child in list(self.children.values()):
            if not isinstance(child, DataChannelDispatcher) or child.data_channel.id is not None:
                continue
            stream_id = first_free_id(role, in_use)
            if stream_id is None:
                child.fail(OperationError("every data channel id of this DTLS role is taken"), "data-channel-failure")
                continue
            give_data_channel_id(child.data_channel, stream_id)
            in_use.add(stream_id)
            child.emit("id", {"id": stream_id})
        if role != self._sctp_role:
            self._sctp_role = role
            self.emit("sctpRole", {"role": role})

    def _announce_remote_data_channel(self, data_channel: RTCDataChannel) -> None:
        if self.closed:
            return
        try:
            self._check_room_for_data_channel()
        except OperationError as error:
            logger.warning("%s: the remote peer's data channel %r closed: %s", self.guid, data_channel.label, error)
            data_channel.close()
            return
        dispatcher = DataChannelDispatcher(
            self.session, self.session.new_handle("DataChannel"), self, data_channel
        )
        dispatcher.announce()
        self.emit("dataChannel", {"dataChannel": dispatcher.guid})
        dispatcher.report_open()

    # --- media -----------------------------------------------------------------------

    async def add_transceiver(self, params: Params) -> Result:
        self._check_open()
        track: MediaTrackDispatcher | None = params["track"]
        init = params["init"]
        self.session.root.check_room_for_tracks()  # the receiver's track
        transceiver = self.peer_connection.addTransceiver(params["kind"], direction=init["direction"])
        dispatcher = self._adopt(
            transceiver, params["transceiver"], params["receiverTrack"], params["receiverTrackId"])
        dispatcher.made_by_add_track = bool(params["byAddTrack"])
        dispatcher.send(track)
        dispatcher.set_stream_ids(init["streams"])
        dispatcher.made_by_add_track = bool(params["byAddTrack"])
        after_reply(self.update_negotiation_needed)
        return {}

    def _adopt(
        self, transceiver: RTCRtpTransceiver, guid: str | None = None, receiver_guid: str | None = None,
        receiver_track_id: str | None = None,
    ) -> TransceiverDispatcher:
        """Wrap an aiortc transceiver; one the server made is announced to the page."""
        announce = guid is None
        receiver_track = MediaTrackDispatcher(
            self.session, receiver_guid or self.session.new_handle("MediaStreamTrack"), self,
            kind=transceiver.kind, track_id=receiver_track_id or str(uuid.uuid4()),
            label=f"remote {transceiver.kind}",
            source=None,
        )
        dispatcher = TransceiverDispatcher(
            self.session, guid or self.session.new_handle("Transceiver"), self, transceiver, receiver_track,
        )
        self.transceivers[transceiver] = dispatcher
        if announce:
            receiver_track.announce()
            dispatcher.announce()
        return dispatcher

    def _adopt_new_transceivers(self) -> list[TransceiverDispatcher]:
        return [self._adopt(transceiver) for transceiver in self.peer_connection.getTransceivers()
                if transceiver not in self.transceivers]

    async def _stop_rejected(self, mids: set[str]) -> None:
        """The remote rejected these sections: their transceivers stop (JSEP 5.10)."""
        for transceiver in self.transceivers.values():
            if transceiver.transceiver.mid in mids and not transceiver.transceiver.stopped:
                await transceiver.halt()

    def _report_remote_tracks(self, description: dict[str, str]) -> None:
        """webrtc-pc "process remote tracks": `track` for media the remote now sends, or
        sends in other msid streams; `removeTrack` where it stopped sending."""
        remote = parsed_sdp(description["sdp"])
        for media, stream_ids in zip(remote.media, sdp_fixes.msid_stream_ids(description["sdp"]), strict=True):
            transceiver = next(
                (t for t in self.transceivers.values() if t.transceiver.mid == media.rtp.muxId), None)
            if transceiver is None:
                continue
            local_direction = transceiver.transceiver.direction
            receiving = media.direction in SENDING and (
                description["type"] == "offer" or local_direction in RECEIVING)
            if receiving and not transceiver.receiving:
                transceiver.receiving = True
                remote_track = transceiver.transceiver.receiver.track
                if remote_track is not None:
                    transceiver.receiver_track.attach_source(remote_track)
                    transceiver.receive_counters.watch_decoded(remote_track)
                transceiver.report_remote_streams(stream_ids)
            elif receiving and set(stream_ids) != set(transceiver.remote_stream_ids):
                transceiver.report_remote_streams(stream_ids)
            elif not receiving and transceiver.receiving:
                transceiver.report_track_removed()

    # --- negotiation-needed ----------------------------------------------------------

    def update_negotiation_needed(self) -> None:
        """webrtc-pc "check if negotiation is needed", for what aiortc can negotiate, sent
        to the page wherever the answer may have changed, in the stable state; the page
        keeps the flag (docs/design.md, "Ordering", says how the two halves meet). Also while
        an operation runs: the page uses the answer once its chain is empty, and no later
        answer may come (createOffer, for one, sends none)."""
        if self.closed or self.signaling_state != "stable":
            return
        self.emit("negotiationNeeded", {"needed": self._is_negotiation_needed()})

    def _is_negotiation_needed(self) -> bool:
        local = self.descriptions["currentLocalDescription"]
        local_media = (
            {m.rtp.muxId: m for m in parsed_sdp(local["sdp"]).media} if local else {})
        if self.ice_restarts.requested:
            return True
        if self.peer_connection.sctp is not None and all(m.kind != "application" for m in local_media.values()):
            return True
        if any(t.mid is None and not t.stopped for t in self.peer_connection.getTransceivers()):
            return True
        return local is not None and (self._directions_changed(local["type"], local_media) or self._streams_changed())

    def _streams_changed(self) -> bool:
        """A sending transceiver's streams are not those of the local description's msid
        (setStreams with other streams; the same ones, repeated or reordered, change nothing)."""
        return any(
            transceiver.transceiver.mid is not None and not transceiver.transceiver.stopped
            and transceiver.transceiver.direction in SENDING
            and frozenset(transceiver.stream_ids) != transceiver.described_stream_ids
            for transceiver in self.transceivers.values()
        )

    def _directions_changed(self, local_type: str, local_media: dict[str, Any]) -> bool:
        """A transceiver's direction (or its stopping) is not what the last negotiation agreed."""
        remote = self.descriptions["currentRemoteDescription"]
        remote_media = (
            {m.rtp.muxId: m for m in parsed_sdp(remote["sdp"]).media} if remote else {})
        for transceiver in self.peer_connection.getTransceivers():
            if transceiver.mid is None or transceiver.mid not in local_media:
                continue
            media = local_media[transceiver.mid]
            if transceiver.stopped:
                if media.port != 0:  # stopped, but its section is not rejected yet
                    return True
                continue
            wanted = transceiver.direction
            offered = remote_media[transceiver.mid].direction if transceiver.mid in remote_media else None
            if local_type == "answer" and offered is not None:
                wanted = sdp_fixes.answer_direction(wanted, offered)
            if media.direction != wanted:
                return True
        return False

    def _apply_legacy_offer_options(self, options: dict[str, Any]) -> None:
        """webrtc-pc legacy extensions: offerToReceiveAudio/Video shape the transceivers.
        False takes receiving away (sendrecv to sendonly, recvonly to inactive); true adds
        one recvonly transceiver unless one already receives. Neither touches the
        negotiation-needed flag."""
        for kind in ("audio", "video"):
            wanted = options.get(f"offerToReceive{kind.capitalize()}")
            if wanted is None:
                continue
            transceivers = [
                dispatcher for transceiver, dispatcher in self.transceivers.items()
                if transceiver.kind == kind and not transceiver.stopped
            ]
            if wanted:
                if not any(t.transceiver.direction in RECEIVING for t in transceivers):
                    self._adopt(self.peer_connection.addTransceiver(kind, direction="recvonly"))
                continue
            for transceiver in transceivers:
                if transceiver.transceiver.direction in RECEIVING:
                    transceiver.redirect(WITHOUT_RECEIVING[transceiver.transceiver.direction])

    # --- states ------------------------------------------------------------------

    def _report_ice_gathering_state(self, state: str, descriptions: dict[str, Any] | None = None) -> None:
        if state != self.ice_gathering_state:
            self.ice_gathering_state = state
            self.emit("iceGatheringStateChange", {"iceGatheringState": state, "descriptions": descriptions})

    def report_states(self) -> None:
        """Tell the page what changed of the transports and of the states they make up, in
        one event: webrtc-pc changes a transport's state and "updates the ICE connection
        state" and "the connection state" in one task, every state set before the first
        of their events fires (the page then fires the transports' events, then
        iceconnectionstatechange, then connectionstatechange)."""
        if self.closed:
            return
        changes = [change for transport in self.transports.values() if (change := transport.take_change())]
        counted = self._counted_transports()
        states: dict[str, Any] = {"transports": changes}
        ice_connection_state = connection_states.ice_connection_state(counted)
        if ice_connection_state != self.ice_connection_state:
            self._log_state("iceConnectionState", self.ice_connection_state, ice_connection_state)
            self.ice_connection_state = states["iceConnectionState"] = ice_connection_state
        connection_state = connection_states.connection_state(counted)
        if connection_state != self.connection_state:
            self._log_state("connectionState", self.connection_state, connection_state)
            self.connection_state = states["connectionState"] = connection_state
        if changes or len(states) > 1:
            self.emit("statesChange", states)

    def _log_state(self, name: str, old: str, new: str) -> None:
        logger.info("session %s: %s %s %s -> %s", self.session.id, short_handle(self.guid), name, old, new,
                    extra={"session": self.session.id, "pc": self.guid, "state": name, "value": new})

    def _counted_transports(self) -> list[connection_states.TransportStates]:
        bundled_away = self._bundled_away_mids()
        return [
            connection_states.TransportStates(transport.mid, transport.browser_ice_state(), transport.dtls.state)
            for transport in self.transports.values()
            if transport.mid not in bundled_away or transport.dtls.state != "new"
        ]

    def _bundled_away_mids(self) -> set[str]:
        pending = self.descriptions["pendingLocalDescription"] or self.descriptions["pendingRemoteDescription"]
        local, remote = self.descriptions["currentLocalDescription"], self.descriptions["currentRemoteDescription"]
        negotiated = (connection_states.negotiated_bundle_tags(local["sdp"], remote["sdp"])
                      if local and remote else set())
        started = {transport.mid for transport in self.transports.values()
                   if transport.dtls.transport.state != "new" and transport.mid in negotiated}
        return connection_states.bundled_away_mids(pending["sdp"] if pending else None, started)

    # --- stats -------------------------------------------------------------------------

    async def get_stats(self, params: Params) -> Result:
        """Not in the operations chain: the spec gathers stats in parallel."""
        self._check_open()
        selector = None
        transceiver: TransceiverDispatcher | None = params["transceiver"]
        if transceiver is not None:
            if transceiver.parent is not self:
                raise InvalidAccessError("the sender or receiver belongs to another RTCPeerConnection")
            selector = (transceiver, params["side"] or "sender")
        return {"timestamp": stats.now_ms(), "stats": await stats.collect(self, selector)}

    # --- closing -----------------------------------------------------------------

    def _check_open(self) -> None:
        if self.closed:
            raise InvalidStateError("the RTCPeerConnection is closed")

    async def close(self, params: Params) -> Result:
        """Replies with what a closed connection still reports: its peer-connection stats."""
        await self.shutdown()
        return {"timestamp": stats.now_ms(), "stats": [stats.peer_connection_stats(self)]}

    async def shutdown(self) -> None:
        """close(): no event reaches the page after it. The handles go at once (before any
        later call of the page runs), the transports as aiortc closes them."""
        if self.closed:
            return
        self.closed = True
        self.signaling_state = "closed"
        logger.info("session %s: %s closed", self.session.id, short_handle(self.guid),
                    extra={"session": self.session.id, "pc": self.guid})
        try:
            self.dispose()
        finally:
            # Before aiortc closes the sockets: a relay allocation in flight would outlive them.
            for gathering in self._server_gatherings:
                gathering.cancel()
            await asyncio.gather(*self._server_gatherings, return_exceptions=True)
            await self._aiortc_idle.wait()  # a description being applied: see _uncancelled
            await self.ice_restarts.close()
            await self.peer_connection.close()


async def _read_sdp(read: Callable[[str], T], sdp: str) -> T:
    """`read(sdp)`, in a worker thread if the SDP is large: it may be up to --max-sdp-bytes,
    and the event loop serves every session (SDP_READ_ON_LOOP_BYTES)."""
    if len(sdp) <= SDP_READ_ON_LOOP_BYTES:
        return read(sdp)
    return await asyncio.to_thread(read, sdp)


def _checked_remote_sdp(sdp: str, limits: Limits) -> RemoteSdp:
    _check_sdp_text(sdp)
    return RemoteSdp.read(sdp, limits)


def _check_sdp_text(sdp: str) -> None:
    sdp_fixes.check_syntax(sdp)
    sdp_fixes.check_mids(sdp)
    sdp_fixes.check_dtls_setup(sdp)
    sdp_fixes.check_parses(sdp)


class RemoteSdp(NamedTuple):
    """What setRemoteDescription reads of the page's SDP (by `_read_sdp`)."""

    sdp: str  # as aiortc takes it
    rejected_mids: set[str]
    sections: RemoteSections  # addIceCandidate's sdpMid, sdpMLineIndex and usernameFragment

    @classmethod
    def read(cls, sdp: str, limits: Limits) -> RemoteSdp:
        sdp_fixes.check_rtcp_mux(sdp)
        sdp_fixes.check_unique_msids(sdp)
        candidates = sdp.count("\na=candidate:")
        limits.check("sdp_candidates", candidates, f"the description holds {candidates} ICE candidates")
        fixed = telephone_event.events_last(
            sdp_fixes.drop_unlisted_formats(sdp_fixes.accept_rejected_sections(sdp)))
        return cls(fixed, sdp_fixes.rejected_mids(sdp), RemoteSections.of(parsed_sdp(fixed)))
