"""The host's addresses for ICE gathering: read again once two seconds old."""

from __future__ import annotations

import aioice.ice

from rtcshim.app import create_app
from rtcshim.host_addresses import REREAD_AFTER_S, HostAddresses


class Reader:
    """Host addresses that change at each read, counted."""

    def __init__(self) -> None:
        self.reads: list[tuple[bool, bool]] = []

    def __call__(self, use_ipv4: bool, use_ipv6: bool) -> list[str]:
        self.reads.append((use_ipv4, use_ipv6))
        return [f"10.0.0.{len(self.reads)}"]


def test_addresses_are_read_again_once_two_seconds_old() -> None:
    reader, now = Reader(), [100.0]
    addresses = HostAddresses(reader, clock=lambda: now[0])
    assert addresses(use_ipv4=True, use_ipv6=True) == ["10.0.0.1"]
    now[0] += REREAD_AFTER_S - 0.001
    assert addresses(use_ipv4=True, use_ipv6=True) == ["10.0.0.1"]
    now[0] += 0.001
    assert addresses(use_ipv4=True, use_ipv6=True) == ["10.0.0.2"]
    assert reader.reads == [(True, True)] * 2


def test_each_family_choice_is_read_on_its_own() -> None:
    reader = Reader()
    addresses = HostAddresses(reader, clock=lambda: 0.0)
    addresses(use_ipv4=True, use_ipv6=False)
    addresses(use_ipv4=True, use_ipv6=True)
    addresses(use_ipv4=True, use_ipv6=False)
    assert reader.reads == [(True, False), (True, True)]


def test_each_caller_gets_a_list_of_its_own() -> None:
    addresses = HostAddresses(Reader(), clock=lambda: 0.0)
    addresses(use_ipv4=True, use_ipv6=True).append("changed by aioice")
    assert addresses(use_ipv4=True, use_ipv6=True) == ["10.0.0.1"]


def test_the_app_puts_it_in_aioices_place_once() -> None:
    create_app()
    installed = aioice.ice.get_host_addresses
    assert isinstance(installed, HostAddresses)
    create_app()
    assert aioice.ice.get_host_addresses is installed
    assert not isinstance(installed.read, HostAddresses)
