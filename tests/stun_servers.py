"""Test-grade STUN and TURN servers on loopback, which count what reaches them.

`StunResponder` answers binding requests with a mapped address of the test's choosing (so
two servers give two distinguishable server-reflexive candidates), and can hold its
answers until the test releases them. `TurnListener` answers no TURN request: it only
counts the allocations attempted on it (UDP datagrams, or TCP connections).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, cast

from aioice import stun


@dataclass
class UdpEndpoint(asyncio.DatagramProtocol):
    """A UDP socket of the test's on loopback (or the address given)."""

    transport: asyncio.DatagramTransport | None = field(default=None, repr=False, kw_only=True)

    async def bind(self, host: str = "127.0.0.1") -> None:
        await asyncio.get_running_loop().create_datagram_endpoint(lambda: self, local_addr=(host, 0))

    @property
    def address(self) -> tuple[str, int]:
        assert self.transport is not None
        host, port = self.transport.get_extra_info("sockname")[:2]
        return host, port

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


@dataclass
class StunResponder(UdpEndpoint):
    """A STUN server answering binding requests with `mapped` as the XOR-MAPPED-ADDRESS."""

    mapped: tuple[str, int]
    requests: int = 0
    answered: int = 0
    hold: asyncio.Event | None = None  # set: answers wait until it is set

    @classmethod
    async def start(cls, mapped: tuple[str, int], *, hold: bool = False) -> StunResponder:
        """A responder on a free 127.0.0.1 port, on the running loop."""
        responder = cls(mapped, hold=asyncio.Event() if hold else None)
        await responder.bind()
        return responder

    @property
    def url(self) -> str:
        return f"stun:127.0.0.1:{self.address[1]}"

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        try:
            request = stun.parse_message(data)
        except ValueError:
            return
        if request.message_method != stun.Method.BINDING or request.message_class != stun.Class.REQUEST:
            return
        self.requests += 1
        asyncio.get_running_loop().create_task(self._answer(request, (addr[0], addr[1])))

    async def _answer(self, request: stun.Message, addr: tuple[str, int]) -> None:
        if self.hold is not None:
            await self.hold.wait()
        response = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.RESPONSE,
                                transaction_id=request.transaction_id)
        response.attributes["XOR-MAPPED-ADDRESS"] = self.mapped
        assert self.transport is not None
        self.transport.sendto(bytes(response), addr)
        self.answered += 1


@dataclass
class TurnListener(UdpEndpoint):
    """A silent TURN server on UDP: `allocations` counts the Allocate requests it got."""

    allocations: int = 0

    @classmethod
    async def start(cls) -> TurnListener:
        listener = cls()
        await listener.bind()
        return listener

    @property
    def url(self) -> str:
        return f"turn:127.0.0.1:{self.address[1]}"

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        try:
            message = stun.parse_message(data)
        except ValueError:
            return
        if message.message_method == stun.Method.ALLOCATE and message.message_class == stun.Class.REQUEST:
            self.allocations += 1


@dataclass
class PacketCounter(UdpEndpoint):
    """A UDP socket that counts every datagram reaching it (a remote candidate's)."""

    datagrams: int = 0

    @classmethod
    async def start(cls, host: str = "127.0.0.1") -> PacketCounter:
        counter = cls()
        await counter.bind(host)
        return counter

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        self.datagrams += 1
