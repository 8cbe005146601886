"""Gathering from the page's ICE servers: what a contacted server that fails reveals."""

from __future__ import annotations

import asyncio
import socket

import pytest
from aioice import Candidate, Connection, TransportPolicy

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


def test_checks_wait_for_the_relay_candidates_still_being_gathered() -> None:
    """Relay only, as an answerer whose far peer ended its candidates before the TURN server
    answered: aioice has no pair yet, and would fail the connection at once; it waits for
    the gathering, and fails only once that ended without a candidate."""
    async def scenario() -> None:
        connection = Connection(ice_controlling=False, transport_policy=TransportPolicy.RELAY)
        await connection.gather_candidates()  # relay only, and aioice has no TURN server: nothing
        connection.remote_username, connection.remote_password = "far", "far-password"
        await connection.add_remote_candidate(Candidate(
            foundation="1", component=1, transport="udp", priority=1, host="127.0.0.1", port=9, type="relay"))
        await connection.add_remote_candidate(None)  # the far peer's end-of-candidates
        with socket.socket() as silent:  # a TURN server that never answers
            silent.bind(("127.0.0.1", 0))
            silent.listen()
            url = parse_ice_url(f"turn:127.0.0.1:{silent.getsockname()[1]}?transport=tcp")
            gathering = asyncio.create_task(ServerGathering(
                connection, [(url, CREDENTIALS)], NetworkPolicy.parse(["allow=127.0.0.0/8"], own_ports=[]),
                relay_only=True, found=lambda candidate: None, failed=lambda error: None,
            ).run())
            checks = asyncio.create_task(connection.connect())
            await asyncio.sleep(0.2)  # aioice's checks loop turns every 20 ms
            assert not checks.done()
            gathering.cancel()  # the gathering ends without a candidate
            with pytest.raises(ConnectionError, match="ICE negotiation failed"):
                await checks
        await connection.close()

    run(scenario())
