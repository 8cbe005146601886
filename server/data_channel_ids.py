"""Which SCTP stream an in-band data channel takes (RFC 8832, section 6).

The DTLS client numbers its channels with even ids, the DTLS server with odd ones, so
that both peers can open channels at once without taking the same stream. webrtc-pc
gives a channel its id as soon as the DTLS role is known (an answer was applied), not
when SCTP connects as aiortc would: until then `id` is null. shim.js numbers the page's
later channels with the same rule (RTCPeerConnection's #freeDataChannelId).
"""

from __future__ import annotations

from collections.abc import Collection

# RFC 8831's largest stream id: 65535 is reserved.
MAX_ID = 65534


def first_free_id(role: str, in_use: Collection[int]) -> int | None:
    """The lowest id of the DTLS role's ("client" or "server") parity that no channel
    holds; None when all are taken."""
    start = 0 if role == "client" else 1
    return next((stream_id for stream_id in range(start, MAX_ID + 1, 2) if stream_id not in in_use), None)
