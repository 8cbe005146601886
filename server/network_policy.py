"""Which addresses a page may make the server contact: its ICE servers and its remote candidates.

A page names hosts and ports (STUN and TURN URLs, candidates) and the server sends packets
there from its own network: without a policy, any website its user visits could probe the
server's loopback services and private network (server-side request forgery). The policy
(`--ice-policy`, docs/security/ice-policy.md) refuses by default what a browser on this host
would have no reason to reach:

- never, for anything: the server's own listening ports on its own addresses (not even
  with `open`);
- by default, for ICE servers and remote candidates: loopback, unspecified, multicast,
  broadcast and link-local addresses;
- by default, for ICE servers only: private ranges (RFC 1918, CGNAT 100.64.0.0/10, ULA
  fc00::/7). Remote candidates in private ranges stay allowed: peers on the same LAN (and
  two pages on this very host) reach each other there, which is WebRTC's point.

`allow=NET,...` and `deny=NET,...` override the defaults for the networks they name (the
longest matching prefix wins); `open` drops the defaults. An IPv6 address that embeds an
IPv4 one (mapped ::ffff:a.b.c.d, 6to4, NAT64) is judged by both.

A host name is resolved once, every address it resolves to is checked, and only a checked
address is contacted: DNS cannot change the answer between the check and the use.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import ifaddr

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolve = Callable[[str, int], Awaitable[list[str]]]

# A lookup that takes longer fails (an unreachable resolver otherwise takes glibc ~6 s).
RESOLVE_TIMEOUT = 2.0
# Lookups run in threads of their own (getaddrinfo blocks): a page that names many slow
# hosts waits for these, not for the event loop's default executor.
_DNS_LOOKUPS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="rtcshim-dns")

_NEVER_REACHED = {
    "loopback": ("127.0.0.0/8", "::1/128"),
    "unspecified": ("0.0.0.0/8", "::/128"),
    "multicast": ("224.0.0.0/4", "ff00::/8"),
    "broadcast": ("255.255.255.255/32",),
    "link-local": ("169.254.0.0/16", "fe80::/10"),
}
_PRIVATE = {"private": ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")}
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _networks(groups: Mapping[str, tuple[str, ...]]) -> tuple[tuple[IpNetwork, str], ...]:
    return tuple((ipaddress.ip_network(network), kind) for kind, networks in groups.items() for network in networks)


DEFAULT_REFUSED_ALWAYS = _networks(_NEVER_REACHED)
DEFAULT_REFUSED_SERVERS = _networks(_PRIVATE)


class PolicyRefusal(Exception):
    """The policy refused an address; the message says which and why (for the page and the log)."""


class ResolutionFailure(Exception):
    """A host name did not resolve (or not in time)."""


@dataclass(frozen=True)
class Rule:
    network: IpNetwork
    allowed: bool


@dataclass(frozen=True)
class NetworkPolicy:
    """The `--ice-policy` in force: explicit rules over the defaults (the module doc)."""

    rules: tuple[Rule, ...] = ()
    open: bool = False
    # The ports the server listens on, and the addresses that are this host's.
    own_ports: frozenset[int] = frozenset()
    own_addresses: frozenset[IpAddress] = field(default_factory=lambda: _host_addresses())
    resolve: Resolve = field(default=lambda host, port: _resolve(host, port), compare=False)

    @classmethod
    def parse(cls, terms: Iterable[str], *, own_ports: Iterable[int] = ()) -> NetworkPolicy:
        """The policy of the `--ice-policy` values `terms`: each `open`, `default`,
        `allow=NET[,NET...]` or `deny=NET[,NET...]` (NET: an address or a CIDR network).
        Raises ValueError naming the bad term."""
        rules: list[Rule] = []
        is_open = False
        for term in terms:
            key, equals, value = term.strip().partition("=")
            if not equals and key in ("open", "default"):
                is_open = is_open or key == "open"
                continue
            if key not in ("allow", "deny") or not value:
                raise ValueError(f"--ice-policy {term!r}: expected open, allow=NET,... or deny=NET,...")
            for text in value.split(","):
                try:
                    network = ipaddress.ip_network(text.strip(), strict=False)
                except ValueError as error:
                    raise ValueError(f"--ice-policy {term!r}: {error}") from None
                rules.append(Rule(network, key == "allow"))
        return cls(tuple(rules), is_open, frozenset(own_ports))

    def with_own_ports(self, ports: Iterable[int]) -> NetworkPolicy:
        return NetworkPolicy(self.rules, self.open, self.own_ports | frozenset(ports), self.own_addresses,
                             self.resolve)

    def refusal(self, address: str, port: int, *, server: bool) -> str | None:
        """Why the server may not send to `address`:`port`, or None if it may. `server`:
        the address is an ICE server's (else a remote candidate's)."""
        try:
            ip = ipaddress.ip_address(address.split("%")[0])
        except ValueError:
            return "not an IP address"
        judged = [ip, *_embedded_ipv4(ip)]
        if port in self.own_ports and any(self._is_own(judged_ip) for judged_ip in judged):
            return f"port {port} of this server's own address"
        for judged_ip in judged:
            reason = self._refusal(judged_ip, server=server)
            if reason is not None:
                return reason
        return None

    def _is_own(self, ip: IpAddress) -> bool:
        return ip.is_loopback or ip.is_unspecified or ip in self.own_addresses

    def _refusal(self, ip: IpAddress, *, server: bool) -> str | None:
        matching = [rule for rule in self.rules if ip.version == rule.network.version and ip in rule.network]
        if matching:
            rule = max(matching, key=lambda rule: rule.network.prefixlen)
            return None if rule.allowed else f"in --ice-policy deny={rule.network}"
        if self.open:
            return None
        defaults = DEFAULT_REFUSED_ALWAYS + (DEFAULT_REFUSED_SERVERS if server else ())
        for network, kind in defaults:
            if ip.version == network.version and ip in network:
                return f"a {kind} address (allow it with --ice-policy allow={network})"
        return None

    async def server_address(self, host: str, port: int) -> str:
        """The one address to contact for an ICE server `host`: an IP literal, or the
        first address `host` resolves to, once every address it resolves to passed the
        policy. Raises PolicyRefusal or ResolutionFailure."""
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            addresses = await self.resolve(host, port)
        if not addresses:
            raise ResolutionFailure(f"{host} has no address")
        for address in addresses:
            reason = self.refusal(address, port, server=True)
            if reason is not None:
                shown = address if address == host else f"{host} ({address})"
                raise PolicyRefusal(f"{shown}: {reason}")
        return addresses[0]


def _embedded_ipv4(ip: IpAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 address an IPv6 one carries to the same host (mapped, 6to4, NAT64)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    embedded = [ip.ipv4_mapped, ip.sixtofour]
    if ip in _NAT64:
        embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [address for address in embedded if address is not None]


def _host_addresses() -> frozenset[IpAddress]:
    """Every address of this host's interfaces (those aioice gathers candidates from)."""
    addresses: set[IpAddress] = set()
    for adapter in ifaddr.get_adapters():
        for adapter_ip in adapter.ips:
            text = adapter_ip.ip if isinstance(adapter_ip.ip, str) else adapter_ip.ip[0]
            try:
                addresses.add(ipaddress.ip_address(text.split("%")[0]))
            except ValueError:
                continue
    return frozenset(addresses)


async def _resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, in the resolver's order, within RESOLVE_TIMEOUT."""
    loop = asyncio.get_running_loop()
    lookup = loop.run_in_executor(_DNS_LOOKUPS, socket.getaddrinfo, host, port, 0, socket.SOCK_DGRAM)
    try:
        infos = await asyncio.wait_for(lookup, RESOLVE_TIMEOUT)
    except (TimeoutError, OSError, UnicodeError) as error:
        raise ResolutionFailure(f"{host} did not resolve ({error or 'no answer in time'})") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))
