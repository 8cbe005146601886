"""Remote mDNS candidates resolve beside the call that added them, not inside it.

Chromium hides its host addresses behind `<uuid>.local` names (draft-ietf-mmusic-mdns-ice-
candidates). aioice resolves such a name inside `add_remote_candidate`, waiting up to 1 s
for an answer, and aiortc awaits that inside setRemoteDescription and addIceCandidate:
where nothing answers mDNS (most servers, any container), each trickled name held the
page's operations chain for a second. Here a name resolves in a task of its own: the call
returns at once, and aioice adds the candidate once its address is known, as before (or
drops it, unresolved). End-of-candidates first lets those tasks take their first step, in
which aioice counts the name as being resolved: it then keeps the candidate that resolves
after the end (RFC 8838 section 14), and does not fail the checks for want of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aioice import Candidate, Connection
from aioice.mdns import is_mdns_hostname


class NamesResolvedAside:
    """One ICE connection's `add_remote_candidate`, which does not wait for mDNS names."""

    def __init__(self, connection: Connection) -> None:
        self.add: Callable[[Candidate | None], Awaitable[None]] = connection.add_remote_candidate
        self.resolving: set[asyncio.Task[None]] = set()
        connection.add_remote_candidate = self.add_remote_candidate  # type: ignore[method-assign]

    async def add_remote_candidate(self, remote_candidate: Candidate | None) -> None:
        if remote_candidate is not None and is_mdns_hostname(remote_candidate.host):
            task = asyncio.ensure_future(self.add(remote_candidate))
            self.resolving.add(task)
            task.add_done_callback(self.resolving.discard)
            return
        if remote_candidate is None and self.resolving:
            await asyncio.sleep(0)  # tasks run their first steps in the order they were made
        await self.add(remote_candidate)


def resolve_names_aside(connection: Connection) -> None:
    NamesResolvedAside(connection)
