"""The host's interface addresses for ICE gathering, read again at most every two seconds.

aioice reads every interface of the host (ifaddr) each time a connection gathers its
candidates: 0.5 to 1.2 ms here, once per peer connection, inside setLocalDescription.
libwebrtc's BasicNetworkManager reads them every two seconds (rtc_base/network.cc, "Fetch
list of networks every two seconds"), so an interface that comes or goes reaches a
browser's candidates as late; `install` makes aioice's reader do the same.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import aioice.ice

REREAD_AFTER_S = 2.0

ReadAddresses = Callable[..., list[str]]  # aioice.ice.get_host_addresses(use_ipv4=, use_ipv6=)


class HostAddresses:
    """A reader of the host's addresses that reads again once its answer is REREAD_AFTER_S old."""

    def __init__(self, read: ReadAddresses, clock: Callable[[], float] = time.monotonic) -> None:
        self.read = read
        self._clock = clock
        self._read_at: dict[tuple[bool, bool], tuple[float, list[str]]] = {}

    def __call__(self, use_ipv4: bool, use_ipv6: bool) -> list[str]:
        now = self._clock()
        key = (use_ipv4, use_ipv6)
        read = self._read_at.get(key)
        if read is None or now - read[0] >= REREAD_AFTER_S:
            read = self._read_at[key] = (now, self.read(use_ipv4=use_ipv4, use_ipv6=use_ipv6))
        return list(read[1])  # aioice's to keep: a list of its own


def install() -> None:
    """Put a HostAddresses in the place of aioice's reader (idempotent), for every ICE
    connection of this process."""
    if not isinstance(aioice.ice.get_host_addresses, HostAddresses):
        aioice.ice.get_host_addresses = HostAddresses(aioice.ice.get_host_addresses)
