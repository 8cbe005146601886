"""ICE transports that gathered no candidate: aiortc never starts them, a browser fails them.

aiortc starts a transport's checks only once it has a local candidate, so a transport
without one (the relay policy without a TURN server, or an aioice connection whose
components a remote end-of-candidates with no candidate pruned before it gathered) stays
new for good, and so does the call. A browser runs its checks anyway, which fail once the
remote's candidates have ended: iceConnectionState checking, then failed, from which an
ICE restart recovers (ice_restart.py). rtcshim starts such transports itself, with the
remote's credentials from the remote description; once their checks find a pair (through
a candidate gathered since: the relay policy's TURN candidates come after aiortc's own
gathering), aiortc's connect step runs again for their DTLS, RTP and SCTP.
"""

from __future__ import annotations

import asyncio

from aiortc import RTCIceParameters, RTCIceTransport, RTCPeerConnection

from .aiortc_seams import start_skipped_transports
from .ice_restart import ice_transports_by_mid
from .parsed_sdp import parsed_sdp


class CandidatelessStarts:
    """Starts the ICE transports of one peer connection that aiortc leaves new."""

    def __init__(self, peer_connection: RTCPeerConnection) -> None:
        self.peer_connection = peer_connection
        self._checks: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        """After a description is applied: each transport that gathered nothing and whose
        remote credentials are known starts its checks (aiortc would have, had it a candidate)."""
        local, remote = self.peer_connection.localDescription, self.peer_connection.remoteDescription
        if local is None or remote is None:
            return
        remote_ice = {media.rtp.muxId: media.ice for media in parsed_sdp(remote.sdp).media}
        started: set[RTCIceTransport] = set()
        for mid, ice in ice_transports_by_mid(self.peer_connection).items():
            parameters = remote_ice.get(mid)
            if (ice in started or parameters is None or ice.state != "new"
                    or ice.iceGatherer.state != "completed" or ice.iceGatherer.getLocalCandidates()):
                continue
            started.add(ice)
            task = asyncio.create_task(self._start(ice, parameters), name="ICE checks without a local candidate")
            self._checks.add(task)
            task.add_done_callback(self._checks.discard)

    async def _start(self, ice: RTCIceTransport, parameters: RTCIceParameters) -> None:
        await ice.start(parameters)
        # A pair was found, through a candidate gathered since (a TURN server's): aiortc,
        # which skipped this transport, starts its DTLS, RTP and SCTP now.
        await start_skipped_transports(self.peer_connection)
