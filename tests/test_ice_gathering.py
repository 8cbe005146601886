"""Gathering from the page's ICE servers: what a contacted server that fails reveals."""

from __future__ import annotations

import asyncio
import socket

import pytest
from aioice import Connection

from rtcshim import ice_gathering
from rtcshim.ice_gathering import IceCandidateError, ServerGathering
from rtcshim.ice_urls import parse_ice_url
from rtcshim.network_policy import NetworkPolicy

from .event_loop import run

CREDENTIALS = {"username": "u", "credential": "c"}


async def report_for(url: str) -> tuple[IceCandidateError, float]:
    """The error a TURN URL gives, and when, from the start of gathering."""
    loop = asyncio.get_running_loop()
    errors: list[tuple[IceCandidateError, float]] = []
    started = loop.time()
    gathering = ServerGathering(
        Connection(ice_controlling=True), [(parse_ice_url(url), CREDENTIALS)],
        NetworkPolicy.parse(["allow=127.0.0.0/8"], own_ports=[]), relay_only=False,
        found=lambda candidate: None, failed=lambda error: errors.append((error, loop.time() - started)),
    )
    await gathering.run()
    (reported,) = errors
    return reported


def test_an_open_port_and_a_closed_one_fail_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    """No port scanner: a TCP port that accepts and one that refuses give the same error,
    neither before the deadline (a closed port refuses at once)."""
    async def scenario() -> None:
        monkeypatch.setattr(ice_gathering, "GATHER_TIMEOUT", 0.3)
        with socket.socket() as listening, socket.socket() as unused:
            listening.bind(("127.0.0.1", 0))
            listening.listen()
            unused.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
            open_error, open_at = await report_for(f"turn:127.0.0.1:{listening.getsockname()[1]}?transport=tcp")
            closed_error, closed_at = await report_for(f"turn:127.0.0.1:{unused.getsockname()[1]}?transport=tcp")
        assert (open_error.error_code, open_error.error_text) == (closed_error.error_code, closed_error.error_text)
        assert open_error.error_code == 701
        assert closed_at >= 0.3 and open_at >= 0.3  # the deadline, whatever the port did

    run(scenario())


def test_a_refused_server_is_reported_without_contact() -> None:
    async def scenario() -> None:
        errors: list[IceCandidateError] = []
        gathering = ServerGathering(
            Connection(ice_controlling=True), [(parse_ice_url("turn:127.0.0.1:9?transport=tcp"), CREDENTIALS)],
            NetworkPolicy(), relay_only=False, found=lambda candidate: None, failed=errors.append,
        )
        await gathering.run()
        assert [(error.url, error.error_code) for error in errors] == [("turn:127.0.0.1:9?transport=tcp", 701)]
        assert "rtcshim's --ice-policy" in errors[0].error_text

    run(scenario())
