"""/inspector in Chromium, through the real bridge: it shows a call another page makes as it
happens (session, peer connections, states, SDP, the selected pair, channel counters, a
track's frame rate, charts), then its end, without being reloaded; its JSON export; and its
refusal when admission says no."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from rtcshim.serving import ServerThread

TOKEN = "inspector-token_0123456789"
WAIT_MS = 30_000


@pytest.fixture
def inspector(browser: Browser, server: ServerThread) -> Iterator[Page]:
    """/inspector, live (its feed open), in a context of its own (no shim there)."""
    context = browser.new_context(base_url=server.url)
    page = context.new_page()
    page.goto("/inspector")
    expect(page.locator("#feed-status")).to_have_attribute("data-status", "live", timeout=WAIT_MS)
    page.evaluate("window.loadedOnce = true")  # gone if the page ever reloads
    yield page
    context.close()


def peer_connection_handles(server: ServerThread) -> list[str]:
    return [handle.guid for handle in server.registry.objects() if handle.interface == "PeerConnection"]


def text_number(page: Page, selector: str) -> float:
    """The number a cell shows, once it shows one."""
    page.wait_for_function("(selector) => document.querySelector(selector)?.textContent.trim() > 0", arg=selector,
                           timeout=WAIT_MS)
    return float(page.locator(selector).first.text_content() or "nan")


def test_inspector_shows_a_call_from_start_to_end_without_reloading(
    inspector: Page, open_shim_page: Callable[[], Page], server: ServerThread,
) -> None:
    caller = open_shim_page()
    caller.evaluate("async () => { window.call = await statsCall({ media: true }); }")
    (session,) = server.registry.sessions
    a, b = peer_connection_handles(server)
    expect(inspector.locator(f'[data-session="{session}"]')).to_be_visible()
    for handle in (a, b):
        pc = inspector.locator(f'[data-pc="{handle}"]')
        expect(pc.locator('[data-state="connectionState"]')).to_have_text("connected", timeout=WAIT_MS)
        expect(pc.locator('[data-state="signalingState"]')).to_have_text("stable")
        # The timeline went through the states, with times.
        expect(pc.locator(".timeline-table")).to_contain_text("connecting")
        expect(pc.locator(".timeline-table")).to_contain_text("connected")
        # Both descriptions, one section per m-line (audio, video, data) after the session part.
        for side in ("local", "remote"):
            sections = pc.locator(f".sdp-{side} details.sdp-section > summary")
            expect(sections).to_have_count(4)
            expect(sections.nth(1)).to_contain_text("audio · mid 0")
            expect(sections.nth(2)).to_contain_text("video · mid 1")
            expect(sections.nth(3)).to_contain_text("SCTP")
        expect(pc.locator(".pairs tr.selected")).to_have_count(1, timeout=WAIT_MS)
        expect(pc.locator(".pairs tr.selected")).to_contain_text("host")
    log = inspector.locator(f'[data-pc="{a}"] .log td.name')
    for name in ("createDataChannel", "createOffer", "setLocalDescription", "setRemoteDescription", "addIceCandidate",
                 "iceCandidate", "statesChange"):
        expect(log.filter(has_text=name).first).to_be_visible()

    # Counters rise as the page sends.
    sent = f'[data-pc="{a}"] .channels-table tr[data-label="test"] td.messagesSent'
    received = f'[data-pc="{b}"] .channels-table tr[data-label="test"] td.messagesReceived'
    caller.evaluate("() => { for (let i = 0; i < 3; i += 1) call.channel.send('hello'); }")
    expect(inspector.locator(sent)).to_have_text("3", timeout=WAIT_MS)
    expect(inspector.locator(received)).to_have_text("3", timeout=WAIT_MS)
    caller.evaluate("() => { for (let i = 0; i < 4; i += 1) call.channel.send('hello'); }")
    expect(inspector.locator(sent)).to_have_text("7", timeout=WAIT_MS)

    # The received camera, with its frame rate and bitrate; charts drawn from several samples.
    video = f'[data-pc="{b}"] .tracks-table tr[data-direction="receive"][data-kind="video"]'
    assert text_number(inspector, f"{video} td.fps") > 0
    assert text_number(inspector, f"{video} td.kbps") > 0
    assert text_number(inspector, f'[data-pc="{a}"] .tracks-table tr[data-direction="send"][data-kind="video"] td.fps') > 0
    for chart in ("bytes/s", "frames/s", "round-trip time (ms)"):
        inspector.wait_for_function(
            "([pc, chart]) => Number(document.querySelector(`[data-pc=\"${pc}\"] canvas[data-chart=\"${chart}\"]`)"
            "?.dataset.points) >= 2", arg=[a, chart], timeout=WAIT_MS)

    # pc.close() closes one connection; leaving the page closes the session and the other.
    caller.evaluate("() => call.a.close()")
    closed_a = inspector.locator(f'[data-pc="{a}"]')
    expect(closed_a).to_have_attribute("data-closed", "true", timeout=WAIT_MS)
    expect(closed_a.locator('[data-state="connectionState"]')).to_have_text("closed")
    expect(closed_a.locator('[data-state="signalingState"]')).to_have_text("closed")
    caller.close()
    expect(inspector.locator(f'[data-session="{session}"]')).to_have_attribute("data-closed", "true", timeout=WAIT_MS)
    expect(inspector.locator(f'[data-pc="{b}"]')).to_have_attribute("data-closed", "true")
    expect(inspector.locator(f'[data-pc="{b}"] [data-state="connectionState"]')).to_have_text("closed")
    # The counters as they were last: the page's numbers stay readable after the end.
    expect(inspector.locator(sent)).to_have_text("7")
    assert inspector.evaluate("window.loadedOnce") is True


def test_export_button_downloads_the_json_dump(
    inspector: Page, open_shim_page: Callable[[], Page], server: ServerThread, tmp_path: Path,
) -> None:
    caller = open_shim_page()
    caller.evaluate("async () => { window.call = await statsCall(); }")
    (session,) = server.registry.sessions
    a, b = peer_connection_handles(server)
    expect(inspector.locator(f'[data-pc="{a}"] [data-state="connectionState"]')).to_have_text(
        "connected", timeout=WAIT_MS)
    # A stats report taken once the channel was open (the sampler reads one a second: the
    # first may predate it).
    deadline = time.monotonic() + WAIT_MS / 1000
    while not channel_open_in_stats(inspector.request.get(f"{server.url}/inspector/dump").json(), a):
        assert time.monotonic() < deadline, "no stats report counted the open data channel"
        time.sleep(0.1)
    with inspector.expect_download() as download:
        inspector.click("#export")
    path = tmp_path / "dump.json"
    download.value.save_as(path)
    assert download.value.suggested_filename.startswith("rtcshim-inspector-")
    dump = json.loads(path.read_text())
    # Closed sessions of earlier tests may be kept too (server/inspector/recorder.py's bound).
    assert {a, b} <= set(dump["PeerConnections"])
    exported = dump["PeerConnections"][a]
    assert {"url", "rtcConfiguration", "updateLog", "stats", "states", "timeline", "localDescription",
            "remoteDescription", "dataChannels", "tracks", "candidates", "pairs", "log", "chart"} <= set(exported)
    assert exported["states"]["connectionState"] == "connected"
    assert exported["url"] == server.url
    assert "createOffer" in [entry["type"] for entry in exported["updateLog"]]
    assert exported["localDescription"]["type"] in ("offer", "answer")
    assert exported["dataChannels"][0]["label"] == "test"
    series = exported["stats"]["P-dataChannelsOpened"]
    assert series["statsType"] == "peer-connection"
    assert json.loads(series["values"])[-1] == 1
    (exported_session,) = (kept for kept in dump["sessions"] if kept["id"] == session)
    assert exported_session["peerConnections"] == [a, b]
    assert exported_session["closedAt"] is None


def channel_open_in_stats(dump: dict[str, Any], pc: str) -> bool:
    series = dump["PeerConnections"].get(pc, {}).get("stats", {}).get("P-dataChannelsOpened")
    return series is not None and json.loads(series["values"])[-1] == 1


@pytest.fixture
def token_server() -> Iterator[ServerThread]:
    with ServerThread(token=TOKEN) as running:
        yield running


@pytest.fixture
def plain_context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context()
    yield context
    context.close()


def test_inspector_is_refused_without_the_servers_token(token_server: ServerThread, plain_context: BrowserContext) -> None:
    page = plain_context.new_page()
    # A token in the address wins over the one the server builds into its own pages' script.
    page.goto(f"{token_server.url}/inspector#token=not-the-token")
    status = page.locator("#feed-status")
    expect(status).to_have_attribute("data-status", "refused", timeout=WAIT_MS)
    expect(status).to_contain_text("token")
    page.click("#export")
    expect(status).to_contain_text("export refused: the token is not this rtcshim server's")
    # Without one, the page of the server's own origin on this machine is given it.
    page.goto(f"{token_server.url}/inspector")
    expect(status).to_have_attribute("data-status", "live", timeout=WAIT_MS)
