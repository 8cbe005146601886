"""The network policy seen from a page: its STUN and TURN servers and its remote candidates.

Test servers on 127.0.0.1 count what reaches them (tests/stun_servers.py). The shared
server has the default policy, which refuses loopback; `loopback_server` allows it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from rtcshim.network_policy import NetworkPolicy
from rtcshim.serving import ServerThread

from ..ice_url_cases import CHROMIUM_ERRORS, DELIBERATE_DIFFERENCES
from ..stun_servers import PacketCounter, StunResponder, TurnListener
from .conftest import SHIM_INSTALLED, without_webrtc
from .page_helpers import load_page_helpers, run

# Gathers with the page's ICE servers; resolves with every icecandidate and
# icecandidateerror event, and when setLocalDescription resolved among them.
GATHER = """async (iceServers) => {
  const pc = window.pc = new RTCPeerConnection({ iceServers });
  const seen = [];
  pc.onicecandidate = (event) => seen.push(event.candidate ? { candidate: event.candidate.candidate } : 'end');
  pc.onicecandidateerror = (event) => seen.push(
    { url: event.url, errorCode: event.errorCode, errorText: event.errorText, address: event.address });
  pc.createDataChannel('x');
  await pc.setLocalDescription();
  seen.push('setLocalDescription resolved');
  await until(() => seen.includes('end'), 'end of candidates');
  return { seen, sdp: pc.localDescription.sdp };
}"""


# Each URL in the constructor and in setConfiguration, with credentials and without:
# [constructor, setConfiguration] error names ("ok" when it did not throw), per case.
URL_ERRORS = """(urls) => urls.map((url) => [true, false].map((credentials) => {
  const server = credentials ? { urls: url, username: 'u', credential: 'c' } : { urls: url };
  const name = (attempt) => { try { attempt(); return 'ok'; } catch (error) { return error.name; } };
  const pc = new RTCPeerConnection();
  const names = [name(() => new RTCPeerConnection({ iceServers: [server] }).close()),
                 name(() => pc.setConfiguration({ iceServers: [server] }))];
  pc.close();
  return names;
}))"""


def test_ice_server_urls_throw_what_native_chromium_throws(shim_page: Page, native_page: Page) -> None:
    urls = list(CHROMIUM_ERRORS)
    shim = shim_page.evaluate(URL_ERRORS, urls)
    native = native_page.evaluate(URL_ERRORS, urls)
    expected = [[[name, name] for name in names] for names in CHROMIUM_ERRORS.values()]
    assert dict(zip(urls, native, strict=True)) == dict(zip(urls, expected, strict=True)), "Chromium changed"
    assert dict(zip(urls, shim, strict=True)) == dict(zip(urls, expected, strict=True))
    differences = list(DELIBERATE_DIFFERENCES)
    assert shim_page.evaluate(URL_ERRORS, differences) == [
        [[name, name] for name in names] for names in DELIBERATE_DIFFERENCES.values()]
    assert native_page.evaluate(URL_ERRORS, differences) != shim_page.evaluate(URL_ERRORS, differences), (
        "Chromium now refuses these too: move them to CHROMIUM_ERRORS")


@pytest.fixture(scope="module")
def loopback_server() -> Iterator[ServerThread]:
    with ServerThread(network_policy=NetworkPolicy.parse(["allow=127.0.0.0/8"])) as server:
        yield server


@pytest.fixture
def loopback_page(browser: Browser, loopback_server: ServerThread) -> Iterator[Page]:
    context = without_webrtc(browser.new_context(base_url=loopback_server.url))
    page = context.new_page()
    page.goto("/static/blank.html")
    page.wait_for_function(SHIM_INSTALLED)
    yield load_page_helpers(page)
    context.close()
    loopback_server.close_sessions()


def start_responders(server: ServerThread, *mapped: tuple[str, int], hold: bool = False) -> list[StunResponder]:
    async def start() -> list[StunResponder]:
        return [await StunResponder.start(address, hold=hold) for address in mapped]

    return server.run(start())


def srflx(seen: list[Any]) -> list[str]:
    return [event["candidate"] for event in seen if isinstance(event, dict) and " typ srflx" in event.get(
        "candidate", "")]


def test_every_stun_url_gives_its_candidate_when_the_policy_allows(
    loopback_page: Page, loopback_server: ServerThread,
) -> None:
    responders = start_responders(loopback_server, ("203.0.113.1", 1111), ("203.0.113.2", 2222))
    try:
        result = run(loopback_page, GATHER, [{"urls": [responders[0].url, responders[1].url]}])
    finally:
        for responder in responders:
            loopback_server.loop.call_soon_threadsafe(responder.close)  # type: ignore[union-attr]
    found = srflx(result["seen"])
    assert any("203.0.113.1 1111 typ srflx" in line for line in found), found
    assert any("203.0.113.2 2222 typ srflx" in line for line in found), found
    assert all(responder.requests >= 1 for responder in responders)
    # The local description lists them too, as a browser's does once they trickled in.
    assert "203.0.113.1 1111 typ srflx" in result["sdp"] and "203.0.113.2 2222 typ srflx" in result["sdp"]
    assert result["seen"][-1] == "end"


def test_loopback_stun_servers_are_refused_by_default(shim_page: Page, server: ServerThread) -> None:
    responders = start_responders(server, ("203.0.113.1", 1111), ("203.0.113.2", 2222))
    try:
        result = run(shim_page, GATHER, [{"urls": responders[0].url}, {"urls": [responders[1].url]}])
    finally:
        for responder in responders:
            server.loop.call_soon_threadsafe(responder.close)  # type: ignore[union-attr]
    assert [responder.requests for responder in responders] == [0, 0]  # no packet reached them
    assert srflx(result["seen"]) == []
    errors = [event for event in result["seen"] if isinstance(event, dict) and "url" in event]
    assert [error["url"] for error in errors] == [responders[0].url, responders[1].url]
    for error in errors:
        assert error["errorCode"] == 701
        assert "rtcshim's --ice-policy" in error["errorText"] and "loopback" in error["errorText"]
        assert error["address"] is None


def test_set_local_description_does_not_wait_for_the_stun_answer(
    loopback_page: Page, loopback_server: ServerThread,
) -> None:
    """No timing oracle: the call resolves before the STUN server has answered anything."""
    (responder,) = start_responders(loopback_server, ("203.0.113.3", 3333), hold=True)
    assert responder.hold is not None
    try:
        run(loopback_page, """async (url) => {
          const pc = window.pc = new RTCPeerConnection({ iceServers: [{ urls: url }] });
          window.seen = [];
          pc.onicecandidate = (event) => window.seen.push(event.candidate ? event.candidate.candidate : 'end');
          pc.createDataChannel('x');
          await pc.setLocalDescription();
        }""", responder.url)
        assert responder.answered == 0  # setLocalDescription resolved without the answer
        loopback_server.loop.call_soon_threadsafe(responder.hold.set)  # type: ignore[union-attr]
        seen = run(loopback_page, """async () => {
          await until(() => window.seen.includes('end'), 'end of candidates');
          return window.seen;
        }""")
    finally:
        loopback_server.loop.call_soon_threadsafe(responder.hold.set)  # type: ignore[union-attr]
        loopback_server.loop.call_soon_threadsafe(responder.close)  # type: ignore[union-attr]
    assert responder.requests >= 1 and responder.answered >= 1
    assert any("203.0.113.3 3333 typ srflx" in line for line in seen), seen


def test_every_turn_url_is_tried(loopback_page: Page, loopback_server: ServerThread) -> None:
    async def start() -> list[TurnListener]:
        return [await TurnListener.start(), await TurnListener.start()]

    listeners = loopback_server.run(start())
    try:
        run(loopback_page, """async (urls) => {
          const pc = window.pc = new RTCPeerConnection({ iceServers: [{ urls, username: 'u', credential: 'c' }] });
          pc.createDataChannel('x');
          await pc.setLocalDescription();
        }""", [listeners[0].url, listeners[1].url])
        deadline = time.monotonic() + 30  # a watchdog, not a measurement
        while not all(listener.allocations for listener in listeners) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        loopback_page.evaluate("pc.close()")
        for listener in listeners:
            loopback_server.loop.call_soon_threadsafe(listener.close)  # type: ignore[union-attr]
    assert [listener.allocations >= 1 for listener in listeners] == [True, True]


def test_a_refused_remote_candidate_is_never_checked(shim_page: Page, server: ServerThread) -> None:
    """Two candidates of equal priority: the namespace's own address (allowed) and loopback
    (refused by default). Checks reach the first; none ever reaches the second."""
    async def start() -> list[PacketCounter]:
        own = next(str(address) for address in NetworkPolicy().own_addresses
                   if address.version == 4 and not address.is_loopback)
        return [await PacketCounter.start("127.0.0.1"), await PacketCounter.start(own)]

    refused, allowed = server.run(start())
    try:
        added = run(shim_page, """async ([refused, allowed]) => {
          const a = window.pc = new RTCPeerConnection();
          const b = new RTCPeerConnection();
          // Descriptions without candidates: a checks only the two below, and b none.
          const bare = (description) => ({ type: description.type, sdp: description.sdp.split('\\r\\n')
            .filter((line) => !line.startsWith('a=candidate') && line !== 'a=end-of-candidates').join('\\r\\n') });
          a.createDataChannel('x');
          await a.setLocalDescription();
          await b.setRemoteDescription(bare(a.localDescription));
          await b.setLocalDescription();
          await a.setRemoteDescription(bare(b.localDescription));
          const results = [];
          for (const [host, port] of [refused, allowed]) {
            await a.addIceCandidate({ candidate: `candidate:1 1 udp 2130706431 ${host} ${port} typ host`, sdpMid: '0' });
            results.push('resolved');
          }
          return results;
        }""", [list(refused.address), list(allowed.address)])
        deadline = time.monotonic() + 30  # a watchdog, not a measurement
        while allowed.datagrams < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        shim_page.evaluate("pc.close()")
        for counter in (refused, allowed):
            server.loop.call_soon_threadsafe(counter.close)  # type: ignore[union-attr]
    assert added == ["resolved", "resolved"]  # as for any candidate that cannot be reached
    assert allowed.datagrams >= 3
    assert refused.datagrams == 0
