"""The network policy: which addresses pages may make the server contact, and how a host
name is resolved and checked."""

from __future__ import annotations

import ipaddress
import socket
import threading

import pytest

from rtcshim import network_policy
from rtcshim.network_policy import NetworkPolicy, PolicyRefusal, ResolutionFailure

from .event_loop import run

OWN = ipaddress.ip_address("10.77.0.1")


def policy(*terms: str) -> NetworkPolicy:
    parsed = NetworkPolicy.parse(terms, own_ports=[8765])
    return NetworkPolicy(parsed.rules, parsed.open, parsed.own_ports, frozenset({OWN}))


# address, port, policy terms, allowed as an ICE server, allowed as a remote candidate
CASES = [
    ("203.0.113.7", 3478, (), True, True),
    ("2001:db8::7", 3478, (), True, True),
    ("127.0.0.1", 3478, (), False, False),
    ("127.8.9.1", 3478, (), False, False),
    ("::1", 3478, (), False, False),
    ("0.0.0.0", 3478, (), False, False),
    ("::", 3478, (), False, False),
    ("224.0.0.251", 5353, (), False, False),
    ("ff02::fb", 5353, (), False, False),
    ("255.255.255.255", 3478, (), False, False),
    ("169.254.169.254", 80, (), False, False),
    ("fe80::1", 3478, (), False, False),
    ("10.1.2.3", 3478, (), False, True),
    ("172.16.0.1", 3478, (), False, True),
    ("192.168.1.1", 3478, (), False, True),
    ("100.64.0.1", 3478, (), False, True),
    ("fd00::1", 3478, (), False, True),
    ("10.77.0.1", 50000, (), False, True),  # the server's own address, another port
    ("10.77.0.1", 8765, (), False, False),  # ... its listening port
    ("::ffff:127.0.0.1", 3478, (), False, False),  # IPv4-mapped
    ("::ffff:10.1.2.3", 3478, (), False, True),
    ("2002:7f00:1::1", 3478, (), False, False),  # 6to4 of 127.0.0.1
    ("64:ff9b::a9fe:a9fe", 80, (), False, False),  # NAT64 of 169.254.169.254
    ("127.0.0.1", 3478, ("allow=127.0.0.0/8",), True, True),
    ("127.0.0.1", 8765, ("allow=127.0.0.0/8",), False, False),  # never the server's own port
    ("127.0.0.1", 8765, ("open",), False, False),
    ("10.1.2.3", 3478, ("allow=10.0.0.0/8",), True, True),
    ("10.1.2.3", 3478, ("allow=10.0.0.0/8", "deny=10.1.0.0/16"), False, False),  # longest prefix wins
    ("10.2.0.1", 3478, ("allow=10.0.0.0/8", "deny=10.1.0.0/16"), True, True),
    ("203.0.113.7", 3478, ("deny=203.0.113.0/24",), False, False),
    ("192.168.1.1", 3478, ("open",), True, True),
    ("169.254.169.254", 80, ("open", "deny=169.254.0.0/16"), False, False),
    ("not-an-ip", 3478, ("open",), False, False),
]


@pytest.mark.parametrize(("address", "port", "terms", "as_server", "as_candidate"), CASES)
def test_refusal(address: str, port: int, terms: tuple[str, ...], as_server: bool, as_candidate: bool) -> None:
    checked = policy(*terms)
    assert (checked.refusal(address, port, server=True) is None,
            checked.refusal(address, port, server=False) is None) == (as_server, as_candidate)


def test_a_refusal_says_why_and_how_to_allow_it() -> None:
    assert policy().refusal("127.0.0.1", 3478, server=True) == (
        "a loopback address (allow it with --ice-policy allow=127.0.0.0/8)")
    assert policy("deny=203.0.113.0/24").refusal("203.0.113.1", 1, server=False) == (
        "in --ice-policy deny=203.0.113.0/24")


@pytest.mark.parametrize(("terms", "message"), [
    (["allow"], "expected open, allow=NET"),
    (["allow="], "expected open, allow=NET"),
    (["permit=10.0.0.0/8"], "expected open, allow=NET"),
    (["allow=10.0.0.0/33"], "10.0.0.0/33"),
    (["deny=example.com"], "example.com"),
])
def test_parse_refuses_bad_terms(terms: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        NetworkPolicy.parse(terms)


def test_parse_takes_several_networks_per_term() -> None:
    parsed = NetworkPolicy.parse(["allow=127.0.0.1,10.0.0.0/8", "default"])
    assert [str(rule.network) for rule in parsed.rules] == ["127.0.0.1/32", "10.0.0.0/8"]
    assert not parsed.open


def resolving_to(*addresses: str) -> NetworkPolicy:
    async def resolve(host: str, port: int) -> list[str]:
        return list(addresses)

    return NetworkPolicy(resolve=resolve)


def test_server_address_is_the_first_address_once_all_are_checked() -> None:
    async def scenario() -> None:
        assert await resolving_to("203.0.113.1", "203.0.113.2").server_address("stun.example", 3478) == "203.0.113.1"

    run(scenario())


def test_server_address_refuses_a_name_with_any_refused_address() -> None:
    async def scenario() -> None:
        with pytest.raises(PolicyRefusal, match=r"stun.example \(127.0.0.1\): a loopback address"):
            await resolving_to("203.0.113.1", "127.0.0.1").server_address("stun.example", 3478)

    run(scenario())


def test_server_address_of_an_ip_literal_resolves_nothing() -> None:
    async def scenario() -> None:
        async def resolve(host: str, port: int) -> list[str]:
            raise AssertionError("no lookup for an IP literal")

        assert await NetworkPolicy(resolve=resolve).server_address("2001:db8::1", 3478) == "2001:db8::1"
        with pytest.raises(PolicyRefusal):
            await NetworkPolicy(resolve=resolve).server_address("::1", 3478)

    run(scenario())


@pytest.mark.parametrize("lookup", ["fails", "hangs"])
def test_a_name_that_does_not_resolve_fails_quickly(lookup: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """No DNS leaves the test: getaddrinfo is replaced by one that fails, or one that
    outlives the policy's timeout (as glibc does when no resolver answers)."""
    async def scenario() -> None:
        released = threading.Event()

        def getaddrinfo(*args: object) -> list[object]:
            if lookup == "fails":
                raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
            released.wait(5)
            return []

        monkeypatch.setattr(network_policy.socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(network_policy, "RESOLVE_TIMEOUT", 0.05)
        try:
            with pytest.raises(ResolutionFailure, match=r"stun\.example did not resolve"):
                await NetworkPolicy(own_addresses=frozenset()).server_address("stun.example", 3478)
        finally:
            released.set()

    run(scenario())
