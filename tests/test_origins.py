"""OriginPolicy: which page origins may open the bridge and the relay, origin by origin."""

from __future__ import annotations

import pytest

from rtcshim.origins import OriginPolicy, normalise_origin, own_origin

OWN = "http://10.0.0.5:8765"  # the server's own origin, under an IP address

# (origin header, accepted by default)
DEFAULT_POLICY = [
    ("http://127.0.0.1:8765", True),
    ("http://127.0.0.1", True),
    ("https://127.0.0.1:3000", True),
    ("http://127.255.3.4:1", True),
    ("http://localhost:5173", True),
    ("https://LOCALHOST", True),
    ("http://app.localhost:8080", True),
    ("http://[::1]:8765", True),
    ("http://[::ffff:7f00:1]:80", True),
    (OWN, True),
    ("http://10.0.0.5:8765/", False),  # no origin: a path
    ("https://10.0.0.5:8765", False),  # another scheme, another origin
    ("http://10.0.0.5:9999", False),
    ("http://evil.example", False),
    ("https://localhost.evil.example", False),
    ("http://127.0.0.1.evil.example", False),
    ("http://[::2]", False),
    ("http://0.0.0.0:8765", False),
    ("ws://127.0.0.1:8765", False),  # loopback means http or https pages
    ("file://", False),
    ("chrome-extension://abcdef", False),
    ("null", False),
    (None, False),
    ("", False),
    ("garbage", False),
]


@pytest.mark.parametrize(("origin", "accepted"), DEFAULT_POLICY)
def test_allows_by_default_loopback_and_own_origin_only(origin: str | None, accepted: bool) -> None:
    assert OriginPolicy().allows(origin, OWN) is accepted


@pytest.mark.parametrize(("origin", "accepted"), [
    ("https://app.example.com", True),
    ("HTTPS://App.Example.COM:443", True),  # normalised as browsers serialise it
    ("https://app.example.com:8443", False),
    ("http://app.example.com", False),
    ("http://legacy.example:8080", True),
    ("null", True),
    ("http://evil.example", False),
    (None, False),
])
def test_allows_listed_origins_exactly(origin: str | None, accepted: bool) -> None:
    policy = OriginPolicy.from_options(["https://app.example.com", "http://LEGACY.example:8080", "null"])
    assert policy.allows(origin, OWN) is accepted


@pytest.mark.parametrize("origin", ["http://evil.example", "null", None, "garbage"])
def test_allows_every_origin_with_a_star(origin: str | None) -> None:
    assert OriginPolicy.from_options(["*"]).allows(origin, OWN)


def test_allows_own_origin_under_a_name_only_when_listed() -> None:
    # DNS rebinding: attacker.example now resolves to the server, so its pages' Origin
    # equals the server's own origin under that name.
    rebound = own_origin("ws", "attacker.example:8765")
    assert rebound == "http://attacker.example:8765"
    assert not OriginPolicy().allows("http://attacker.example:8765", rebound)
    listed = OriginPolicy.from_options(["http://attacker.example:8765"])
    assert listed.allows("http://attacker.example:8765", rebound)


@pytest.mark.parametrize(("scheme", "host", "origin"), [
    ("ws", "10.0.0.5:8765", "http://10.0.0.5:8765"),
    ("wss", "10.0.0.5:443", "https://10.0.0.5"),
    ("ws", "[::1]:80", "http://[::1]"),
    ("http", "Example.COM", "http://example.com"),
    ("ws", None, None),
    ("ws", "bad host:x", None),
])
def test_own_origin_is_the_scheme_and_host_of_the_request(scheme: str, host: str | None, origin: str | None) -> None:
    assert own_origin(scheme, host) == origin


@pytest.mark.parametrize(("text", "normalised"), [
    ("HTTP://Example.com:80", "http://example.com"),
    ("https://example.com:443", "https://example.com"),
    ("https://example.com:8443", "https://example.com:8443"),
    ("http://[::1]:8765", "http://[::1]:8765"),
    ("https://bücher.example", "https://xn--bcher-kva.example"),
    ("null", "null"),
])
def test_normalise_origin(text: str, normalised: str) -> None:
    assert normalise_origin(text) == normalised


@pytest.mark.parametrize("text", [
    "https://example.com/", "https://example.com/path", "https://example.com?x", "https://user@example.com",
    "example.com", "https://", "https://example.com:99999", "*",
])
def test_normalise_origin_refuses_what_is_no_origin(text: str) -> None:
    with pytest.raises(ValueError, match="not an origin"):
        normalise_origin(text)
