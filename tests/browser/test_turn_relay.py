"""A call through a real TURN relay: Debian's coturn with deploy/coturn/turnserver.conf, on loopback.

Both ends use `iceTransportPolicy: "relay"`, as peers behind NAT that can only meet through
the relay: the shimmed page (whose candidates the rtcshim server gathers from coturn) and a
native Chromium page. The server runs as an operator runs it next to a TURN server on
loopback or a private address: `--ice-policy allow=127.0.0.1/32`, without which it refuses
to contact the relay (as the last test shows).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from rtcshim.network_policy import NetworkPolicy
from rtcshim.serving import ServerThread, free_port

from ..deploy.coturn import Coturn
from .conftest import SHIM_INSTALLED, with_native_webrtc, without_webrtc
from .page_helpers import load_page_helpers, run
from .relay_calls import CallPages, join_call, new_room, shim_and_native, wait_call_up
from .test_ice_policy import GATHER
from .test_media_interop_native import assert_video_flows

# The pair each end's transport selected, by the types of its two candidates; the types of
# every candidate the end knows. Once it carried bytes both ways: under load an end may have
# settled on its pair after the other had started sending on theirs.
SELECTED_PAIR = """async () => until(async () => {
  const stats = await statsOf(window.call.pc);
  const transport = ofType(stats, 'transport').find((entry) => entry.selectedCandidatePairId);
  const pair = stats[transport.selectedCandidatePairId];
  const selected = {
    local: stats[pair.localCandidateId].candidateType, remote: stats[pair.remoteCandidateId].candidateType,
    bytesSent: pair.bytesSent, bytesReceived: pair.bytesReceived,
    candidateTypes: [...ofType(stats, 'local-candidate'), ...ofType(stats, 'remote-candidate')]
      .map((candidate) => candidate.candidateType) };
  window.lastSelectedPair = selected;
  return selected.bytesSent > 0 && selected.bytesReceived > 0 && selected;
}, () => `bytes both ways on the selected pair: ${JSON.stringify(window.lastSelectedPair)}`)"""


@pytest.fixture(scope="module")
def turn_server() -> Iterator[Coturn]:
    folder = Path(tempfile.mkdtemp(prefix="rtcshim-coturn-"))
    coturn = Coturn(folder, free_port())
    try:
        yield coturn
    finally:
        coturn.stop()  # fails if a turnserver process is left
        shutil.rmtree(folder)


@pytest.fixture(scope="module")
def relaying_server() -> Iterator[ServerThread]:
    """The server with `--ice-policy allow=127.0.0.1/32`: the TURN server is on loopback here."""
    with ServerThread(network_policy=NetworkPolicy.parse(["allow=127.0.0.1/32"])) as server:
        yield server


def blank_page(context: BrowserContext) -> Page:
    page = context.new_page()
    page.goto("/static/blank.html")
    page.wait_for_function(SHIM_INSTALLED)
    return load_page_helpers(page)


@pytest.fixture
def pages(browser: Browser, relaying_server: ServerThread) -> Iterator[CallPages]:
    shim_context = without_webrtc(browser.new_context(base_url=relaying_server.url))
    native_context = with_native_webrtc(browser.new_context(base_url=relaying_server.url))
    yield from shim_and_native(blank_page(shim_context), blank_page(native_context))
    shim_context.close()
    native_context.close()
    relaying_server.close_sessions()


def relay_only(turn_server: Coturn) -> dict[str, Any]:
    return {"iceServers": [turn_server.ice_server], "iceTransportPolicy": "relay"}


@pytest.mark.parametrize("offerer", ["shim", "native"], ids=["shim_offers", "native_offers"])
def test_a_call_connects_through_coturn_only(pages: CallPages, turn_server: Coturn, offerer: str) -> None:
    allocations_before = len(turn_server.allocations())
    room = new_room("turn")
    for name, page in pages._asdict().items():
        join_call(page, room, offerer=offerer == name, channel="relayed", configuration=relay_only(turn_server))
    for name, page in pages._asdict().items():
        state = wait_call_up(page, remote_tracks=2, name=name)
        assert sorted(state["remoteKinds"]) == ["audio", "video"], state
        assert state["candidatesSent"] > 0 and state["candidatesReceived"] > 0, state

    # Each end knows relayed candidates only; its selected pair joins two, and carries the call.
    for name, page in pages._asdict().items():
        pair = run(page, SELECTED_PAIR)
        assert set(pair["candidateTypes"]) == {"relay"}, (name, pair)
        assert (pair["local"], pair["remote"]) == ("relay", "relay"), (name, pair)
    # Data both ways.
    for sender, receiver in ((pages.shim, pages.native), (pages.native, pages.shim)):
        sender.evaluate("window.call.until((call) => call.ready, 'the data channel open')")
        text = f"through coturn from the {'shimmed' if sender is pages.shim else 'native'} page"
        sender.evaluate("(text) => window.call.channel.send(text)", text)
        run(receiver, """async (text) => {
          await window.call.until((call) => call.received.includes(text), `the message ${text}`);
        }""", text)
    assert_video_flows(pages, "through coturn")
    # coturn allocated for both ends, with the test's user.
    users = turn_server.allocations()[allocations_before:]
    assert len(users) >= 2 and set(users) == {"rtcshim"}, turn_server.log.read_text()[-2000:]


def test_the_default_ice_policy_refuses_a_loopback_turn_server(
    shim_page: Page, server: ServerThread, turn_server: Coturn,
) -> None:
    """Without `--ice-policy allow=...` the server never contacts a TURN server on loopback:
    the page hears why, and coturn makes no allocation."""
    allocations_before = len(turn_server.allocations())
    result = run(shim_page, GATHER.replace("{ iceServers }", "{ iceServers, iceTransportPolicy: 'relay' }"),
                 [turn_server.ice_server])
    errors = [event for event in result["seen"] if isinstance(event, dict) and "url" in event]
    assert [(error["url"], error["errorCode"]) for error in errors] == [(turn_server.url, 701)]
    assert "rtcshim's --ice-policy" in errors[0]["errorText"] and "loopback" in errors[0]["errorText"]
    assert [event for event in result["seen"] if isinstance(event, dict) and "candidate" in event] == []
    assert len(turn_server.allocations()) == allocations_before
