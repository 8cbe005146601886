"""The WebRTC libraries of 2013-2016, as published on npm, in pages of their day.

`tests/period_libraries` holds the pinned versions (installed by scripts/test, never
committed) and, in `pages/`, a page per library written the way pages used it. The
folder is served as a page tree (`rtcshim serve DIR`): the server injects the shim, the
pages and libraries stay as they are. Chromium's own WebRTC is removed, so every call
runs through the bridge; each test sends a data-channel message both ways and, where the
library makes calls, checks that the remote video's frames advance.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from rtcshim.dispatchers.peer_connection import PeerConnectionDispatcher
from rtcshim.page_tree import PageTree
from rtcshim.serving import ServerThread

from ..conftest import PLAYWRIGHT_CONFIG
from .page_helpers import load_page_helpers

LIBRARIES = Path(__file__).resolve().parents[1] / "period_libraries"

CALLER_AND_CALLEE = {"caller": "hello from the callee", "callee": "hello from the caller"}
SIMPLE_PEERS = {"initiator": "hello from the answerer", "answerer": "hello from the initiator"}
CHROME = {"browser": "chrome", "version": "{major}"}  # {major}: Chromium's major version


@dataclass(frozen=True)
class PeriodPage:
    """A page of tests/period_libraries/pages and what it must show once its call is up."""

    file: str
    detected: dict[str, Any]  # what the library concluded about the browser
    received: dict[str, str]  # the data-channel message each side received
    peer_connections: int = 2
    video: bool = True  # the remote <video> plays the caller's camera


PAGES = {
    "adapter.js 2015 (webrtc-adapter-test 0.1.9)": PeriodPage("adapter-2015.html", CHROME, CALLER_AND_CALLEE),
    "adapter.js late 2015 (webrtc-adapter-test 0.2.5)": PeriodPage(
        "adapter-late-2015.html", CHROME, CALLER_AND_CALLEE),
    "webrtc-adapter 0.0.7": PeriodPage("webrtc-adapter-0.0.7.html", {"standard": True}, CALLER_AND_CALLEE, video=False),
    "webrtc-adapter 1.0.6": PeriodPage("webrtc-adapter-1.0.6.html", CHROME, CALLER_AND_CALLEE),
    "webrtc-adapter 1.4.0": PeriodPage("webrtc-adapter-1.4.0.html", CHROME, CALLER_AND_CALLEE),
    "AdapterJS 0.13.4 (Temasys)": PeriodPage(
        "adapterjs-0.13.4.html", {"browser": "blink", "plugin": False}, CALLER_AND_CALLEE),
    "simple-peer 5.11.9": PeriodPage("simple-peer-5.11.9.html", {}, SIMPLE_PEERS),
    "simple-peer 6.4.4": PeriodPage("simple-peer-6.4.4.html", {}, SIMPLE_PEERS),
    # A Jingle video call and an SDP chat: two connections of two ends.
    "rtcpeerconnection 5.2.0 (SimpleWebRTC's)": PeriodPage(
        "rtcpeerconnection-5.2.0.html", {}, CALLER_AND_CALLEE, peer_connections=4),
}


@pytest.fixture
def period_server() -> Iterator[ServerThread]:
    running = ServerThread(page_tree=PageTree(LIBRARIES)).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def period_context(browser: Browser, period_server: ServerThread) -> Iterator[BrowserContext]:
    """Pages of the tree, with no WebRTC but the shim the server injects."""
    context = browser.new_context(base_url=period_server.url)
    context.add_init_script(PLAYWRIGHT_CONFIG.REMOVE_NATIVE_WEBRTC)
    yield context
    context.close()


def chromium_major(browser: Browser) -> int:
    return int(browser.version.split(".")[0])


def bridged_peer_connections(server: ServerThread) -> int:
    return sum(isinstance(remote, PeerConnectionDispatcher) for remote in server.registry.objects())


def assert_remote_video_plays(page: Page, what: str) -> None:
    """The synthetic camera's frame counter, read from the pixels, goes up."""
    load_page_helpers(page)
    first, second = page.evaluate("(what) => counterAdvances(document.getElementById('remote'), what)", what)
    assert second > first


@pytest.mark.parametrize("library", PAGES)
def test_period_library_runs_a_call(
    library: str, browser: Browser, period_context: BrowserContext, period_server: ServerThread
) -> None:
    expected = PAGES[library]
    page = period_context.new_page()
    page.goto(f"/pages/{expected.file}")
    outcome = page.evaluate("window.outcome")
    detected = {name: chromium_major(browser) if value == "{major}" else value
                for name, value in expected.detected.items()}
    assert outcome == {**detected, "received": expected.received}
    assert bridged_peer_connections(period_server) == expected.peer_connections
    if expected.video:
        assert_remote_video_plays(page, f"{library}: the callee's video")


@pytest.fixture
def peer_server_port() -> Iterator[int]:
    """npm's `peer` 0.2, the PeerJS server of peerjs 0.3's day, on loopback."""
    server = subprocess.Popen(
        ["node", str(LIBRARIES / "peer_server.js")], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        port: int = json.loads(server.stdout.readline())["port"]
        yield port
    finally:
        server.kill()
        server.wait()


def test_peerjs_chats_and_calls_between_two_pages(
    period_context: BrowserContext, period_server: ServerThread, peer_server_port: int
) -> None:
    alice, bob = period_context.new_page(), period_context.new_page()
    for page, name in [(alice, "alice"), (bob, "bob")]:
        page.goto(f"/pages/peerjs-0.3.14.html?id={name}&port={peer_server_port}")
        assert page.evaluate("ready") == name
    caller = alice.evaluate("call('bob')")
    callee = bob.evaluate("answered()")
    assert caller == {"browser": "Chrome", "received": "hello from bob", "errors": []}
    assert callee == {"browser": "Chrome", "received": "hello from alice", "errors": []}
    # One connection for the chat and one for the call, at each end.
    assert bridged_peer_connections(period_server) == 4
    assert_remote_video_plays(alice, "peerjs: bob's video at alice")
    assert_remote_video_plays(bob, "peerjs: alice's video at bob")


# --- the WebRTC samples of 2015, as published ---------------------------------------------

SAMPLES = LIBRARIES / "node_modules" / "webrtc-adapter-test-0.1.9" / "src"


@pytest.fixture
def samples_context(browser: Browser) -> Iterator[BrowserContext]:
    """webrtc-adapter-test 0.1.9 carries the WebRTC project's sample pages of its day, with
    their adapter.js: served as a page tree, untouched."""
    with ServerThread(page_tree=PageTree(SAMPLES)) as server:
        context = browser.new_context(base_url=server.url)
        context.add_init_script(PLAYWRIGHT_CONFIG.REMOVE_NATIVE_WEBRTC)
        yield context
        context.close()


def test_sample_peer_connection_page_calls_itself(samples_context: BrowserContext) -> None:
    page = samples_context.new_page()
    page.goto("/content/peerconnection/pc1/")
    page.click("#startButton")
    page.wait_for_function("document.getElementById('localVideo').videoWidth > 0")
    page.click("#callButton")
    load_page_helpers(page)
    first, second = page.evaluate(
        "counterAdvances(document.getElementById('remoteVideo'), 'the sample page: the remote video')")
    assert second > first
    assert page.evaluate("webrtcDetectedBrowser") == "chrome"


def test_sample_data_channel_page_sends_text(samples_context: BrowserContext) -> None:
    page = samples_context.new_page()
    page.goto("/content/datachannel/basic/")
    page.click("#startButton")
    page.wait_for_function("!document.getElementById('sendButton').disabled")
    page.fill("#dataChannelSend", "typed into a 2015 sample page")
    page.click("#sendButton")
    page.wait_for_function(
        "document.getElementById('dataChannelReceive').value === 'typed into a 2015 sample page'")
