"""Candidates from every STUN and TURN URL of the page, gathered after setLocalDescription.

aiortc gathers inside setLocalDescription, from the first STUN and the first TURN URL only,
contacting whatever the page named, and the call lasts as long as the slowest server takes
to answer or time out: a page could time it to learn whether a host's port is open. So
aiortc is given no ICE server (it gathers host candidates only, which takes no network
round trip), and this module gathers from every URL once the call has resolved: each URL's
host goes through the network policy (network_policy.py) and only the checked address is
contacted; each candidate is handed over as it comes (the page sees it trickle in), and a
URL that gives none is reported as webrtc-pc's icecandidateerror. A server that was
contacted and failed is reported at the same deadline however it failed (refused at once,
or silent), so no answer reveals more than whether it spoke STUN.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aioice import Candidate, Connection, stun, turn
from aioice.candidate import candidate_foundation, candidate_priority
from aioice.ice import StunProtocol

from .aiortc_seams import RTP_COMPONENT, add_local_candidate, host_protocols, keep_checks_open
from .ice_urls import IceServerUrl
from .network_policy import NetworkPolicy, PolicyRefusal, ResolutionFailure

logger = logging.getLogger(__name__)

# How long one URL may take, from the start of gathering (aioice's own bound).
GATHER_TIMEOUT = 5.0
# webrtc-pc: the errorCode of a server that could not be reached (no STUN error code).
UNREACHABLE = 701


@dataclass(frozen=True)
class IceCandidateError:
    """webrtc-pc's RTCPeerConnectionIceErrorEvent, without the local address (not shown)."""

    url: str
    error_code: int
    error_text: str


class _ServerFailed(Exception):
    """A contacted server gave no candidate; `error_code` is its STUN error code, if any."""

    def __init__(self, text: str, error_code: int = UNREACHABLE) -> None:
        super().__init__(text)
        self.error_code = error_code


class ServerGathering:
    """The gathering from the page's ICE servers for one aioice connection."""

    def __init__(
        self, connection: Connection, servers: list[tuple[IceServerUrl, dict[str, Any]]], policy: NetworkPolicy,
        *, relay_only: bool, found: Callable[[Candidate], None], failed: Callable[[IceCandidateError], None],
    ) -> None:
        """`servers`: every URL with its RTCIceServer (the credentials); `found` and `failed`
        are called for each candidate and each URL that gave none."""
        self.connection = connection
        self.servers = servers
        self.policy = policy
        self.relay_only = relay_only
        self._found = found
        self._failed = failed

    async def run(self) -> None:
        gathered = keep_checks_open(self.connection)
        try:
            await asyncio.gather(*(self._gather_from(url, server) for url, server in self.servers))
        finally:
            gathered()

    async def _gather_from(self, url: IceServerUrl, server: dict[str, Any]) -> None:
        if not url.is_turn and self.relay_only:
            return  # the relay policy uses no server-reflexive candidate (RFC 9429 3.5.3)
        unsupported = _unsupported(url)
        if unsupported is not None:
            self._failed(IceCandidateError(url.url, UNREACHABLE, unsupported))
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + GATHER_TIMEOUT
        try:
            address = await self.policy.server_address(url.host, url.port)
        except PolicyRefusal as refusal:
            logger.info("ICE server %s not contacted: rtcshim's --ice-policy refuses %s", url.url, refusal)
            self._failed(IceCandidateError(url.url, UNREACHABLE, f"refused by rtcshim's --ice-policy: {refusal}"))
            return
        except ResolutionFailure as failure:
            self._failed(IceCandidateError(url.url, UNREACHABLE, str(failure)))
            return
        try:
            async with asyncio.timeout_at(deadline):
                if url.is_turn:
                    await self._relay(url, address, server)
                else:
                    await self._server_reflexive(address, url.port)
        except (_ServerFailed, OSError, ssl.SSLError, TimeoutError, stun.TransactionError) as failure:
            # However it failed (refused at once, or silent), the page learns it at the deadline.
            await asyncio.sleep(max(0.0, deadline - loop.time()))
            code = UNREACHABLE
            if isinstance(failure, _ServerFailed):
                code = failure.error_code
            elif isinstance(failure, stun.TransactionFailed):
                code = failure.response.error_code or UNREACHABLE
            self._failed(IceCandidateError(url.url, code, _failure_text(url, failure)))

    async def _server_reflexive(self, address: str, port: int) -> None:
        """A binding request from each host socket of the server's address family."""
        version = ipaddress.ip_address(address).version
        bases = [p for p in host_protocols(self.connection)
                 if ipaddress.ip_address(p.local_candidate.host).version == version]
        if not bases:
            raise _ServerFailed(f"no local IPv{version} address to reach it from")
        results = await asyncio.gather(*(_binding(base, (address, port)) for base in bases), return_exceptions=True)
        found = [result for result in results if isinstance(result, Candidate)]
        for candidate in found:
            self._add(candidate)
        if not found:
            failure = next(result for result in results if isinstance(result, BaseException))
            raise failure

    async def _relay(self, url: IceServerUrl, address: str, server: dict[str, Any]) -> None:
        _, relay = await turn.create_turn_endpoint(
            lambda: StunProtocol(self.connection), server_addr=(address, url.port),
            username=server.get("username"), password=server.get("credential"),
            ssl=_tls_for(url.host) if url.is_secure else None, transport=url.transport,
        )
        sockname = relay.transport.get_extra_info("sockname")
        related = relay.transport.get_extra_info("related_address")
        if self.relay_only:
            # Keep the host address out of the relay candidate (RFC 9429 3.5.3, RFC 8839 5.1).
            related = ("0.0.0.0", 9) if ipaddress.ip_address(sockname[0]).version == 4 else ("::", 9)
        relay.local_candidate = Candidate(
            foundation=candidate_foundation("relay", "udp", sockname[0]), component=RTP_COMPONENT,
            transport="udp", priority=candidate_priority(RTP_COMPONENT, "relay"), host=sockname[0],
            port=sockname[1], type="relay", related_address=related[0], related_port=related[1],
        )
        self._add(relay.local_candidate, relay)

    def _add(self, candidate: Candidate, relay: StunProtocol | None = None) -> None:
        known = self.connection.local_candidates
        if any((c.type, c.host, c.port) == (candidate.type, candidate.host, candidate.port) for c in known):
            return  # two servers saw the same mapped address: one candidate
        add_local_candidate(self.connection, candidate, relay)
        self._found(candidate)


async def _binding(base: StunProtocol, server: tuple[str, int]) -> Candidate:
    """The server-reflexive candidate a STUN binding request from `base` reveals."""
    request = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
    response, _ = await base.request(request, server)
    mapped = response.attributes.get("XOR-MAPPED-ADDRESS")
    if mapped is None:
        raise _ServerFailed("the binding response has no XOR-MAPPED-ADDRESS")
    local = base.local_candidate
    return Candidate(
        foundation=candidate_foundation("srflx", "udp", local.host), component=local.component,
        transport=local.transport, priority=candidate_priority(local.component, "srflx"),
        host=mapped[0], port=mapped[1], type="srflx", related_address=local.host, related_port=local.port,
    )


def _unsupported(url: IceServerUrl) -> str | None:
    if url.scheme == "stuns":
        return "rtcshim does not support stuns: URLs (aioice has no STUN over TLS)"
    if url.scheme == "turns" and url.transport == "udp":
        return "rtcshim does not support turns: over UDP (aioice has no DTLS for TURN)"
    return None


def _failure_text(url: IceServerUrl, failure: BaseException) -> str:
    if isinstance(failure, stun.TransactionFailed):
        return f"{url.scheme.upper()} server answered with an error: {failure}"
    # One text for a silent server, a closed port and a refused connection: no oracle.
    return f"{url.scheme.upper()} server gave no candidate"


class _NamedHostTls(ssl.SSLContext):
    """TLS to an address already checked by the policy, verified against the URL's host
    name (asyncio would verify against the address it connects to)."""

    server_name: str

    def wrap_bio(
        self, incoming: ssl.MemoryBIO, outgoing: ssl.MemoryBIO, server_side: bool = False,
        server_hostname: str | bytes | None = None, session: ssl.SSLSession | None = None,
    ) -> ssl.SSLObject:
        return super().wrap_bio(incoming, outgoing, server_side, self.server_name, session)


def _tls_for(host: str) -> ssl.SSLContext:
    context = _NamedHostTls(ssl.PROTOCOL_TLS_CLIENT)
    context.load_default_certs()
    context.server_name = host
    return context
