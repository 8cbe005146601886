"""The server's ICE server URL checks, against native Chromium's error names."""

from __future__ import annotations

import pytest

from rtcshim.errors import BridgeError
from rtcshim.ice_urls import IceServerUrl, parse_ice_url, validate_ice_servers

from .ice_url_cases import CHROMIUM_ERRORS, DELIBERATE_DIFFERENCES, OK


def error_name(url: str, *, has_credentials: bool) -> str:
    try:
        parse_ice_url(url, has_credentials=has_credentials)
    except BridgeError as error:
        return error.name
    return OK


@pytest.mark.parametrize(("url", "expected"), {**CHROMIUM_ERRORS, **DELIBERATE_DIFFERENCES}.items())
def test_parse_ice_url_gives_chromiums_error(url: str, expected: tuple[str, str]) -> None:
    assert (error_name(url, has_credentials=True), error_name(url, has_credentials=False)) == expected


@pytest.mark.parametrize(("url", "parsed"), [
    ("stun:example.com", ("stun", "example.com", 3478, "udp")),
    ("STUN:Example.com:19302", ("stun", "Example.com", 19302, "udp")),
    ("stuns:example.com", ("stuns", "example.com", 5349, "udp")),
    ("turn:example.com", ("turn", "example.com", 3478, "udp")),
    ("turn:example.com?transport=TCP", ("turn", "example.com", 3478, "tcp")),
    ("turns:example.com", ("turns", "example.com", 5349, "tcp")),
    ("turn:[::1]:3479?transport=udp", ("turn", "::1", 3479, "udp")),
    ("stun:1.2.3.4:0005", ("stun", "1.2.3.4", 5, "udp")),
])
def test_parse_ice_url_gives_what_to_contact(url: str, parsed: tuple[str, str, int, str]) -> None:
    assert parse_ice_url(url) == IceServerUrl(url, *parsed)  # type: ignore[arg-type]


def test_validate_ice_servers_lists_every_url_of_every_server() -> None:
    servers = [{"urls": ["stun:a.example", "stun:b.example"]},
               {"urls": ["turn:c.example"], "username": "u", "credential": "c"}]
    assert [url.host for url, _ in validate_ice_servers(servers)] == ["a.example", "b.example", "c.example"]


def test_validate_ice_servers_refuses_a_server_without_urls() -> None:
    with pytest.raises(BridgeError) as raised:
        validate_ice_servers([{"urls": []}])
    assert raised.value.name == "SyntaxError"
