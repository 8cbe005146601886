"""ICE restart, the answerer's side (server/ice_restart.py), against a far peer of aioice.

The shim's peer connection answers a restart offer whose new credentials and candidates
are those of `restarter`, an aioice connection that plays the restarting browser: it learns
the shim's new credentials only when it "applies the answer" (`teach_answer`), later, as a
page's signalling does. Checks the shim sends before that reach a browser that cannot tell
them from a stranger's (Chromium then pairs them as peer-reflexive and may prune them for
good), so the answerer holds its checks until the peer's first one. On a virtual clock:
what is sent when does not depend on the machine's load (over loopback, a datagram is there
to read as soon as it is sent, so the clock jumps only while nothing is on its way).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from aioice import Connection, stun
from aiortc import RTCConfiguration, RTCIceTransport, RTCPeerConnection, RTCSessionDescription
from aiortc.rtcconfiguration import RTCIceTransportPolicy
from aiortc.rtcicetransport import candidate_from_aioice, candidate_to_aioice
from aiortc.sdp import SessionDescription

from rtcshim.aiortc_seams import host_protocols, ice_connection, selected_pair
from rtcshim.ice_restart import PEER_CHECKS_FIRST, IceRestarts

from .event_loop import run_in_virtual_time

# Long enough in virtual time for anything the test waits for to have happened many times.
NEVER = 600.0


@dataclass
class ShimChecks:
    """The checks the shim's new connection sent, with when, and whether the restarter had
    the answer by then."""

    restarter_answered: bool = False
    sent: list[tuple[float, bool]] = field(default_factory=list)

    def watch(self, connection: Connection) -> None:
        for protocol in host_protocols(connection):
            send_stun = protocol.send_stun

            def record_and_send(
                message: stun.Message, addr: tuple[str, int], send_stun: Callable[..., None] = send_stun,
            ) -> None:
                if message.message_class == stun.Class.REQUEST:
                    self.sent.append((asyncio.get_running_loop().time(), self.restarter_answered))
                send_stun(message, addr)

            protocol.send_stun = record_and_send  # type: ignore[method-assign]


async def connected_pair() -> tuple[RTCPeerConnection, RTCPeerConnection]:
    """The shim's peer connection and a far one, with a data channel, the shim offering
    (so the restart of the far end makes the shim the controlled agent)."""
    # No ICE server: aiortc would otherwise ask a public STUN server.
    shim, far = (RTCPeerConnection(RTCConfiguration(iceServers=[])) for _ in range(2))
    shim.createDataChannel("chat")
    await shim.setLocalDescription(await shim.createOffer())
    await far.setRemoteDescription(shim.localDescription)
    await far.setLocalDescription(await far.createAnswer())
    await shim.setRemoteDescription(far.localDescription)
    await until_ice(shim, "completed")
    return shim, far


def ice_of(peer_connection: RTCPeerConnection) -> RTCIceTransport:
    assert peer_connection.sctp is not None
    return peer_connection.sctp.transport.transport


async def until_ice(peer_connection: RTCPeerConnection, state: str) -> None:
    ice = ice_of(peer_connection)
    reached = asyncio.Event()
    ice.on("statechange", lambda: ice.state == state and reached.set())
    if ice.state != state:
        await asyncio.wait_for(reached.wait(), NEVER)


def restart_offer(offer_sdp: str, restarter: Connection) -> str:
    """The far end's offer, with the restarter's credentials and candidates."""
    description = SessionDescription.parse(offer_sdp)
    for media in description.media:
        assert media.ice is not None
        media.ice.usernameFragment = restarter.local_username
        media.ice.password = restarter.local_password
        media.ice_candidates = [candidate_from_aioice(candidate) for candidate in restarter.local_candidates]
        media.ice_candidates_complete = True
    return str(description)


async def teach_answer(restarter: Connection, answer_sdp: str) -> None:
    media = SessionDescription.parse(answer_sdp).media[0]
    assert media.ice is not None
    restarter.remote_username = media.ice.usernameFragment
    restarter.remote_password = media.ice.password
    for candidate in media.ice_candidates:
        await restarter.add_remote_candidate(candidate_to_aioice(candidate))
    await restarter.add_remote_candidate(None)


async def answer_restart(*, restarter_checks: bool) -> tuple[ShimChecks, float, bool]:
    """The shim answers the restart; the restarter takes the answer after half the time the
    shim may wait, and checks (or not: a peer that cannot reach the shim first). Returns the
    shim's checks, when it applied its answer, and whether its new pair carries the data."""
    shim, far = await connected_pair()
    restarter = Connection(ice_controlling=True)
    await restarter.gather_candidates()
    done = asyncio.Event()
    restarts = IceRestarts(shim, lambda connection: None, lambda ice: done.set())
    checks = ShimChecks()
    try:
        offer = restart_offer((await far.createOffer()).sdp, restarter)
        await restarts.renew_remote(offer, RTCIceTransportPolicy.ALL)
        fresh = ice_connection(ice_of(shim))
        checks.watch(fresh)
        await shim.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        restarts.remote_applied(offer)
        await shim.setLocalDescription(await shim.createAnswer())
        restarts.local_applied(shim.localDescription.sdp)
        answered_at = asyncio.get_running_loop().time()

        await asyncio.sleep(PEER_CHECKS_FIRST / 2)
        await teach_answer(restarter, shim.localDescription.sdp)
        checks.restarter_answered = True
        if not restarter_checks:
            while not checks.sent:
                await asyncio.sleep(PEER_CHECKS_FIRST / 10)
        await asyncio.wait_for(restarter.connect(), NEVER)
        await asyncio.wait_for(done.wait(), NEVER)
        return checks, answered_at, selected_pair(ice_connection(ice_of(shim))) is not None
    finally:
        await restarts.close()
        await restarter.close()
        await shim.close()
        await far.close()


def test_the_answerer_of_a_restart_checks_only_once_the_peer_has_its_answer() -> None:
    checks, _, carried = run_in_virtual_time(answer_restart(restarter_checks=True))
    assert checks.sent, "the shim checked the new pairs"
    assert [answered for _, answered in checks.sent] == [True] * len(checks.sent)
    assert carried


def test_the_answerer_of_a_restart_checks_on_its_own_when_the_peer_stays_silent() -> None:
    checks, answered_at, carried = run_in_virtual_time(answer_restart(restarter_checks=False))
    first_sent = checks.sent[0][0]
    assert first_sent - answered_at == pytest.approx(PEER_CHECKS_FIRST)
    assert carried
