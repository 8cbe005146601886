"""A limit that closes the bridge: the page's errors say which, and how to raise it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page

from rtcshim.limits import Limits
from rtcshim.serving import ServerThread

from .page_helpers import run


@pytest.fixture
def server() -> Iterator[ServerThread]:
    """A server of its own that takes one session per origin."""
    with ServerThread(strict=True, limits=Limits(sessions_per_origin=1)) as running:
        yield running


def test_a_session_beyond_the_origins_limit_fails_with_the_servers_reason(
    open_shim_page: Callable[[], Page],
) -> None:
    first, second = open_shim_page(), open_shim_page()
    assert run(first, "async () => typeof await window.rtcshim.session()") == "string"
    refused = run(second, """async () => {
      const session = await window.rtcshim.session().then(() => null, (error) => `${error.name}: ${error.message}`);
      const pc = new RTCPeerConnection();
      const offer = await pc.createOffer().then(() => null, (error) => `${error.name}: ${error.message}`);
      return { session, offer };
    }""")
    reason = ("OperationError: the rtcshim server closed the connection: too many sessions: "
              "this server's limit is 1 (--max-sessions-per-origin)")
    assert refused == {"session": reason, "offer": reason}
