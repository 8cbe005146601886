"""ICE restart between a shimmed page and a native Chromium page (server/ice_restart.py).

Both pages join one relay call (relay_calls.py) with camera, microphone and a data channel.
Then one page restarts ICE (`restartIce()` and a re-offer) and the other answers: both
descriptions carry new credentials, the shim's data goes over a pair of the new
candidates, messages and the shim's camera still cross, and neither page's connection
states drop back (native stays connected through a restart, and so must the shim).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page

from .page_helpers import assert_counters_advance
from .relay_calls import (
    CallPages,
    join_call,
    new_room,
    remote_video_stamps,
    renegotiate,
    shim_and_native,
    wait_call_up,
)

# The ice-ufrag and ice-pwd of each description the page sent and received, in order;
# the states it saw; and what its data channel received.
RECORD = """() => {
  const credentials = (sdp) => [/a=ice-ufrag:(\\S+)/.exec(sdp)[1], /a=ice-pwd:(\\S+)/.exec(sdp)[1]];
  const call = window.call;
  return {
    sent: call.descriptions.filter((d) => d.sent).map((d) => credentials(d.sdp)),
    received: call.descriptions.filter((d) => !d.sent).map((d) => credentials(d.sdp)),
    iceConnectionStates: [...call.iceConnectionStates],
    connectionStates: [...call.connectionStates],
    messages: [...call.received],
    error: call.error,
  };
}"""

# On the shimmed page: new credentials, and the selected pair's local candidate is one of
# the transport's candidates (those of its current credentials).
SHIM_ON_NEW_PAIR = """async (oldUfrag) => {
  const ice = window.call.pc.sctp.transport.iceTransport;
  await window.call.until(() => {
    const pair = ice.getSelectedCandidatePair();
    return pair !== null && ice.getLocalParameters().usernameFragment !== oldUfrag
      && ice.getLocalCandidates().some((candidate) => candidate.port === pair.local.port);
  }, () => `the shim carries data on a pair of the new credentials: ${JSON.stringify({
    pair: ice.getSelectedCandidatePair() && ice.getSelectedCandidatePair().local.port, parameters: ice.getLocalParameters(), state: ice.state,
    candidates: ice.getLocalCandidates().map((c) => [c.port, c.usernameFragment]), error: window.call.error })}`);
  return ice.getSelectedCandidatePair().local.port;
}"""



@pytest.fixture
def pages(shim_page: Page, native_page: Page) -> Iterator[CallPages]:
    yield from shim_and_native(shim_page, native_page)


def start_call(pages: CallPages, offerer: str) -> None:
    room = new_room("restart-native")
    join_call(pages.shim, room, offerer=offerer == "shim", channel="chat")
    join_call(pages.native, room, offerer=offerer == "native", channel="chat")
    for name, page in pages._asdict().items():
        wait_call_up(page, remote_tracks=2, name=name)
        page.wait_for_function("window.call.ready || window.call.error !== null")


def exchange(pages: CallPages, text: str) -> None:
    for sender, receiver in ((pages.shim, pages.native), (pages.native, pages.shim)):
        sender.evaluate("(text) => window.call.channel.send(text)", text)
        receiver.evaluate(
            "(text) => window.call.until(() => window.call.received.includes(text), `message ${text}`)", text)


def record(page: Page) -> dict[str, Any]:
    recorded: dict[str, Any] = page.evaluate(RECORD)
    return recorded


def shim_ice(pages: CallPages) -> dict[str, Any]:
    parameters: dict[str, Any] = pages.shim.evaluate("""() => {
      const ice = window.call.pc.sctp.transport.iceTransport;
      return { ufrag: ice.getLocalParameters().usernameFragment, port: ice.getSelectedCandidatePair().local.port };
    }""")
    return parameters


@pytest.mark.parametrize("restarter", ["native", "shim"], ids=["native_restarts", "shim_restarts"])
def test_ice_restart_either_way_keeps_media_and_data_flowing(pages: CallPages, restarter: str) -> None:
    # The side that did not offer first restarts: its restart also flips the ICE roles.
    start_call(pages, offerer="shim" if restarter == "native" else "native")
    exchange(pages, "before restart")
    before = {name: record(page) for name, page in pages._asdict().items()}
    shim_before = shim_ice(pages)

    restarting, answering = (pages.native, pages.shim) if restarter == "native" else (pages.shim, pages.native)
    restarting.evaluate("window.call.pc.restartIce()")
    renegotiate(restarting, answering)
    new_port = pages.shim.evaluate(SHIM_ON_NEW_PAIR, shim_before["ufrag"])
    assert new_port != shim_before["port"]

    exchange(pages, "after restart")
    stamps = remote_video_stamps(pages.native, 0, "native page, after the restart: the shim's camera")
    assert_counters_advance(stamps)

    for name, page in pages._asdict().items():
        after = record(page)
        assert after["error"] is None, f"{name}: {after['error']}"
        # New ufrag and pwd in the re-offer and in its answer, as each page saw them.
        for direction in ("sent", "received"):
            old, new = before[name][direction][-1], after[direction][-1]
            assert old[0] != new[0] and old[1] != new[1], (name, direction, old, new)
        for states in ("iceConnectionStates", "connectionStates"):
            since = after[states][len(before[name][states]):]
            assert not set(since) & {"new", "checking", "connecting", "disconnected", "failed"}, (name, states, since)
