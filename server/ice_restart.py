"""ICE restart (RFC 8445 section 9, webrtc-pc restartIce) on aiortc, which has none.

aiortc's RTCIceTransport wraps one aioice Connection for good, with the credentials it was
made with. A restart needs new credentials, new candidates and new checks while DTLS, SCTP
and RTP go on without a new handshake, as in a browser. So a restarted ICE transport gets a
new aioice Connection beside its old one, in three steps:

1. renewed (at createOffer with a restart asked for, or at setRemoteDescription of an offer
   whose credentials changed: the peer restarted): the new connection, its host
   candidates gathered, goes under the transport for all but the data path
   (`aiortc_seams.swap_in_connection`). The next descriptions carry its credentials and
   candidates, the remote's candidates go to it; data still flows over the old pair, and
   whatever either connection receives lands in the one queue DTLS reads.
2. checking: once the local description with the new credentials is applied and the
   remote's new credentials are known, the new connection runs its checks. The answerer of
   the peer's restart first waits for the peer's own first check (`PEER_CHECKS_FIRST`):
   a check that reaches Chromium before our answer does is paired as peer-reflexive, of a
   lower priority than the pair in use, and pruned for good; Chromium then never checks,
   so never nominates, a new pair on that network, and keeps the old pair for ever.
3. done: checked, the data path moves to the new pair (`carry_data_on`) and the old
   connection closes; DTLS never sees the change. Failed, the new connection closes,
   which aiortc reports as its ICE transport failed, as a browser whose restart fails.
   A transport restarted in its first checks ends them with the restart's outcome: aiortc
   then starts DTLS, over the new pair. A failed transport (its final state in aiortc)
   that a restart brings back is completed again, its DTLS handshaking over the new pair
   if it never had (`aiortc_seams.recover_failed_transport`).

As Chromium does, the side that offers a restart is the controlling agent from then on.

What happens to the gathering and the states the page sees is the peer connection's
(peer_connection.py); this module keeps the connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from aioice import Connection
from aiortc import RTCDtlsTransport, RTCIceTransport, RTCPeerConnection
from aiortc.rtcconfiguration import RTCIceTransportPolicy
from aiortc.rtcicetransport import ICE_TRANSPORT_POLICIES

from .aiortc_seams import (
    carry_data_on,
    end_checks_promptly,
    end_first_checks,
    ice_connection,
    on_peer_check,
    recover_failed_transport,
    stay_closed,
    swap_in_connection,
)
from .parsed_sdp import parsed_sdp

logger = logging.getLogger(__name__)

# The ICE transport states a restart applies to (webrtc-pc restarts every transport): one
# still in its first checks too, whose checks then end with the restart's
# (`aiortc_seams.end_first_checks`).
RESTARTABLE = ("checking", "completed", "failed")

# How long, in seconds, the answerer of the peer's restart holds its own checks back for the
# peer's first check. The peer checks as soon as it has our answer; the bound is for a peer
# whose checks cannot reach us until ours went out (a NAT or a TURN permission of ours).
PEER_CHECKS_FIRST = 2.0


@dataclass(eq=False)
class _Restart:
    ice: RTCIceTransport
    old: Connection
    fresh: Connection
    remote_known: bool = False
    local_applied: bool = False
    peer_checked: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    checks: asyncio.Task[None] | None = field(default=None, repr=False)


class IceRestarts:
    """The ICE restarts of one peer connection."""

    def __init__(
        self, peer_connection: RTCPeerConnection, guard: Callable[[Connection], None],
        done: Callable[[RTCIceTransport], None],
    ) -> None:
        """`guard(connection)` applies the network policy to a new connection's remote
        candidates; `done(ice)` is called once a transport carries data on its new pair."""
        self.peer_connection = peer_connection
        self._guard = guard
        self._done = done
        # webrtc-pc's [[LocalIceCredentialsToReplace]]: restartIce() (or a changed ICE
        # policy) was asked for, and the next offer restarts every transport.
        self.requested = False
        self._restarts: dict[RTCIceTransport, _Restart] = {}

    def data_connection(self, ice: RTCIceTransport) -> Connection:
        """The connection `ice` carries data on: the old one while its restart checks."""
        restart = self._restarts.get(ice)
        return restart.old if restart is not None else ice_connection(ice)

    async def renew_local(self, policy: RTCIceTransportPolicy) -> None:
        """New credentials on every transport in use, for the offer being made (a
        transport whose restart is still on its way keeps the credentials it has)."""
        self.requested = False
        for ice in ice_transports_by_mid(self.peer_connection).values():
            if ice.state in RESTARTABLE and ice not in self._restarts:
                await self._renew(ice, policy, controlling=True)

    async def renew_remote(self, sdp: str, policy: RTCIceTransportPolicy) -> None:
        """Before a remote offer is applied: the transports whose remote credentials it
        changes (the peer restarted them) are renewed, with these credentials known."""
        ices = ice_transports_by_mid(self.peer_connection)
        for media in parsed_sdp(sdp).media:
            ice = ices.get(media.rtp.muxId)
            if ice is None or media.ice is None or ice.state not in RESTARTABLE:
                continue
            if ice not in self._restarts and media.ice.usernameFragment != ice_connection(ice).remote_username:
                await self._renew(ice, policy, controlling=False)

    def remote_applied(self, sdp: str) -> None:
        """A remote description was applied: the new credentials of the restarted transports."""
        ices = ice_transports_by_mid(self.peer_connection)
        for media in parsed_sdp(sdp).media:
            restart = self._restarts.get(ices.get(media.rtp.muxId))  # type: ignore[arg-type]
            if restart is None or restart.remote_known or media.ice is None:
                continue
            restart.fresh.remote_username = media.ice.usernameFragment
            restart.fresh.remote_password = media.ice.password
            restart.fresh.remote_is_lite = media.ice.iceLite
            restart.remote_known = True
            self._check_when_ready(restart)

    def local_applied(self, sdp: str) -> None:
        """A local description was applied: the peer is about to learn the new credentials."""
        ufrags = {media.ice.usernameFragment for media in parsed_sdp(sdp).media if media.ice}
        for restart in list(self._restarts.values()):
            if restart.fresh.local_username in ufrags:
                restart.local_applied = True
                self._check_when_ready(restart)

    async def close(self) -> None:
        """The peer connection closes: the old connections of the restarts under way too
        (aiortc knows only the new ones)."""
        restarts, self._restarts = list(self._restarts.values()), {}
        for restart in restarts:
            if restart.checks is not None:
                restart.checks.cancel()
        await asyncio.gather(*(r.checks for r in restarts if r.checks), return_exceptions=True)
        for restart in restarts:
            await restart.old.close()

    # --- the steps ---------------------------------------------------------------------

    async def _renew(self, ice: RTCIceTransport, policy: RTCIceTransportPolicy, *, controlling: bool) -> None:
        old = ice_connection(ice)
        fresh = Connection(ice_controlling=controlling, transport_policy=ICE_TRANSPORT_POLICIES[policy])
        self._guard(fresh)
        stay_closed(fresh)
        end_checks_promptly(fresh)
        await fresh.gather_candidates()
        swap_in_connection(ice, fresh)
        restart = self._restarts[ice] = _Restart(ice, old, fresh)
        on_peer_check(fresh, restart.peer_checked.set)
        logger.debug("ICE restart: %s renewed (%s -> %s)", ice, old.local_username, fresh.local_username)

    def _check_when_ready(self, restart: _Restart) -> None:
        if restart.remote_known and restart.local_applied and restart.checks is None:
            restart.checks = asyncio.create_task(self._check(restart), name="ICE restart checks")

    async def _check(self, restart: _Restart) -> None:
        if not restart.fresh.ice_controlling and not restart.fresh.remote_is_lite:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(restart.peer_checked.wait(), PEER_CHECKS_FIRST)
        try:
            await restart.fresh.connect()
        except ConnectionError:
            logger.info("ICE restart failed: no candidate pair of the new credentials answered")
            self._restarts.pop(restart.ice, None)
            end_first_checks(restart.old, restart.fresh, succeeded=False)
            await restart.fresh.close()  # aiortc's transport reports failed
            await self._first_checks_ended(restart.ice)
            await restart.old.close()
            return
        carry_data_on(restart.ice, restart.old)
        self._restarts.pop(restart.ice, None)
        end_first_checks(restart.old, restart.fresh, succeeded=True)
        await self._first_checks_ended(restart.ice)
        await restart.old.close()
        dtls = self._dtls_of(restart.ice)
        if dtls is not None:
            await recover_failed_transport(self.peer_connection, dtls)
        self._done(restart.ice)

    @staticmethod
    async def _first_checks_ended(ice: RTCIceTransport) -> None:
        """Until aiortc's transport took the outcome of the first checks: its old
        connection closes after (closing it first would read as a failure)."""
        ended = asyncio.Event()
        ice.on("statechange", ended.set)
        try:
            if ice.state == "checking":
                await ended.wait()
        finally:
            ice.remove_listener("statechange", ended.set)

    def _dtls_of(self, ice: RTCIceTransport) -> RTCDtlsTransport | None:
        transports = [transceiver.receiver.transport for transceiver in self.peer_connection.getTransceivers()]
        if self.peer_connection.sctp is not None:
            transports.append(self.peer_connection.sctp.transport)
        return next((dtls for dtls in transports if dtls.transport is ice), None)


def ice_transports_by_mid(peer_connection: RTCPeerConnection) -> dict[str, RTCIceTransport]:
    """The ICE transport each negotiated section is carried on (bundled sections share one)."""
    ices = {
        transceiver.mid: transceiver.receiver.transport.transport
        for transceiver in peer_connection.getTransceivers()
        if transceiver.mid is not None and not transceiver.stopped
    }
    sctp = peer_connection.sctp
    if sctp is not None and sctp.mid is not None:
        ices[sctp.mid] = sctp.transport.transport
    return ices
