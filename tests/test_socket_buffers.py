"""socket_buffers.py: rtcshim's ICE host sockets ask for large buffers, and get what the
kernel allows; rtcshim's SCTP associations are tuned (sctp_tuning.py)."""

from __future__ import annotations

import socket
from pathlib import Path

from rtcshim.aiortc_seams import host_protocols, ice_connection
from rtcshim.dispatchers.peer_connection import PeerConnectionDispatcher
from rtcshim.serving import ServerThread
from rtcshim.socket_buffers import SOCKET_BUFFER_BYTES

from .fake_page import FakePage, connect_bridge
from .test_data_channel_backpressure import connect_pair


def kernel_cap(name: str) -> int:
    return int(Path(f"/proc/sys/net/core/{name}").read_text())


def test_every_peer_connection_has_large_socket_buffers_and_a_tuned_association(server: ServerThread) -> None:
    with connect_bridge(server.url) as websocket:
        connect_pair(FakePage(websocket))
        peer_connections = [o for o in server.registry.objects() if isinstance(o, PeerConnectionDispatcher)]
        assert len(peer_connections) == 2
        buffers = []
        for dispatcher in peer_connections:
            sctp = dispatcher.peer_connection.sctp
            assert sctp is not None and dispatcher.sctp_transport is not None
            assert dispatcher.sctp_transport.tuning.sctp is sctp
            for protocol in host_protocols(ice_connection(sctp.transport.transport)):
                host_socket = protocol.transport.get_extra_info("socket")
                buffers.append((host_socket.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF),
                                host_socket.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)))
    # Linux doubles what it grants (its own bookkeeping), capped by the sysctl.
    expected = tuple(2 * min(SOCKET_BUFFER_BYTES, kernel_cap(cap)) for cap in ("rmem_max", "wmem_max"))
    assert buffers and set(buffers) == {expected}
