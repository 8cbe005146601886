"""Kernel room for the bursts of a peer connection's ICE sockets.

An SCTP association sends as much as its congestion window lets it, in one go; a peer on
the same machine (or a busy one) reads its socket later. With Linux's default 208 KiB
receive buffer, 10,000 messages of 100 bytes between two aiortc peers lost thousands of
datagrams, and each loss costs retransmits and, at worst, a T3 timeout of a second. Each
host socket asks for SOCKET_BUFFER_BYTES both ways; the kernel caps the request at
net.core.rmem_max / wmem_max (4 MiB on Debian) without failing.
"""

from __future__ import annotations

import socket

from aioice import Connection

from .aiortc_seams import host_protocols

# About the 1 MiB of user data aiortc's SCTP advertises as its window, as the kernel counts
# a datagram's bookkeeping too.
SOCKET_BUFFER_BYTES = 2 * 1024 * 1024


def enlarge_socket_buffers(connection: Connection) -> None:
    """Ask for SOCKET_BUFFER_BYTES of send and receive buffer on each of the connection's
    host sockets (its data goes through these, unless relayed)."""
    for protocol in host_protocols(connection):
        host_socket = protocol.transport.get_extra_info("socket")
        host_socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER_BYTES)
        host_socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER_BYTES)
