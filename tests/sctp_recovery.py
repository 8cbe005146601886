"""How an aiortc SCTP association recovered from lost packets, watched from outside: its
entries into fast recovery and its T3 expiries (RFC 9260 sections 7.2.4 and 6.3.3)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiortc import RTCSctpTransport
from aiortc.rtcsctptransport import SackChunk


@dataclass
class Recovery:
    fast_recovery_entries: int = 0
    t3_expired_at: list[float] = field(default_factory=list)  # on the association's loop clock


def watch_recovery(sctp: RTCSctpTransport) -> Recovery:
    """Counts the SACKs handled and the T3 timers started from now on."""
    recovery = Recovery()
    receive_sack, t3_expired = sctp._receive_sack_chunk, sctp._t3_expired

    async def receive_and_count(chunk: SackChunk) -> None:
        recovering = sctp._fast_recovery_exit is not None
        await receive_sack(chunk)
        recovery.fast_recovery_entries += not recovering and sctp._fast_recovery_exit is not None

    def expire_and_note() -> None:
        recovery.t3_expired_at.append(asyncio.get_running_loop().time())
        t3_expired()

    sctp._receive_sack_chunk = receive_and_count  # type: ignore[method-assign]
    sctp._t3_expired = expire_and_note  # type: ignore[method-assign]
    return recovery
