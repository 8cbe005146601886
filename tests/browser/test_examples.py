"""The example pages, driven through their own UI in a browser whose only WebRTC is the shim.

Each chat test types into one side and reads the other side's log: the text can only get
there over the data channel. The server's registry then shows the peer connections the
call really ran on.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from rtcshim.serving import ServerThread

from .example_pages import CONNECT_TIMEOUT_MS, PageProblems, bridged_peer_connections, open_example
from .relay_calls import new_room

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"

# Every example page and the title the index must list it by.
EXAMPLE_TITLES = {
    "datachannel-callee.html": "Data channel chat: the callee",
    "datachannel-caller.html": "Data channel chat: the caller",
    "dtmf-dialpad.html": "DTMF dial pad",
    "identity.html": "Identity: Alice and Bob prove who they are",
    "loopback-chat.html": "Loopback data channel chat",
    "pick-source.html": "Pick a camera and a microphone",
    "stats.html": "Connection statistics, legacy and modern",
    "video-call-callee.html": "Video call: the callee",
    "video-call-caller.html": "Video call: the caller",
    "video-loopback.html": "Loopback video call",
}

CALLER_GREETING = "Hello from the caller: the data channel is open."

def send_through_ui(page: Page, input_selector: str, button_selector: str, text: str) -> None:
    page.fill(input_selector, text)  # waits for the input to be enabled: the channel is open
    page.click(button_selector)


@pytest.mark.parametrize("first", ["caller", "callee"], ids=["caller_first", "callee_first"])
def test_datachannel_chat_delivers_messages_both_ways(
    shim_context: BrowserContext, server: ServerThread, first: str
) -> None:
    problems = PageProblems()
    room = new_room("test")
    second = "callee" if first == "caller" else "caller"
    pages: dict[str, Page] = {}

    pages[first] = open_example(
        shim_context, problems, f"/examples/datachannel-{first}.html?room={room}", first
    )
    # The first tab is alone in the room before the second one opens.
    expect(pages[first].locator("#status")).to_contain_text(f'In room "{room}"')
    pages[second] = open_example(
        shim_context, problems, f"/examples/datachannel-{second}.html?room={room}", second
    )
    caller, callee = pages["caller"], pages["callee"]

    # The seed's flow: the caller sends a message as soon as its channel opens.
    expect(callee.locator("#log")).to_contain_text(
        "Caller: " + CALLER_GREETING, timeout=CONNECT_TIMEOUT_MS
    )
    from_callee = "from the callee " + uuid.uuid4().hex
    send_through_ui(callee, "#message", "#send", from_callee)
    expect(caller.locator("#log")).to_contain_text("Callee: " + from_callee)
    from_caller = "from the caller " + uuid.uuid4().hex
    send_through_ui(caller, "#message", "#send", from_caller)
    expect(callee.locator("#log")).to_contain_text("Caller: " + from_caller)

    for page in (caller, callee):
        expect(page.locator("#status")).to_contain_text('the "Mydata" data channel is open')
    # One real aiortc peer connection per tab, each in that tab's own bridge session,
    # connected, without ICE servers, and carrying the seed's "Mydata" channel.
    peer_connections = bridged_peer_connections(server)
    assert len(peer_connections) == 2
    assert len({peer_connection.session for peer_connection in peer_connections}) == 2
    for peer_connection in peer_connections:
        assert peer_connection.connection_state == "connected"
        assert peer_connection.ice_servers == 0
        assert peer_connection.data_channel_labels == ("Mydata",)
    assert problems.reports == []


def test_loopback_chat_delivers_messages_both_ways(
    shim_context: BrowserContext, server: ServerThread
) -> None:
    problems = PageProblems()
    page = open_example(shim_context, problems, "/examples/loopback-chat.html", "loopback")

    from_alice = "from Alice " + uuid.uuid4().hex
    send_through_ui(page, "#alice-message", "#alice-send", from_alice)
    expect(page.locator("#bob-log")).to_contain_text(
        "Alice: " + from_alice, timeout=CONNECT_TIMEOUT_MS
    )
    from_bob = "from Bob " + uuid.uuid4().hex
    send_through_ui(page, "#bob-message", "#bob-send", from_bob)
    expect(page.locator("#alice-log")).to_contain_text("Bob: " + from_bob)
    # Each side's own log shows what it sent, never as the other's message.
    expect(page.locator("#alice-log")).not_to_contain_text("Alice: " + from_alice)
    expect(page.locator("#bob-log")).not_to_contain_text("Bob: " + from_bob)

    expect(page.locator("#status")).to_contain_text("Connected")
    peer_connections = bridged_peer_connections(server)
    assert len(peer_connections) == 2
    assert len({peer_connection.session for peer_connection in peer_connections}) == 1
    for peer_connection in peer_connections:
        assert peer_connection.connection_state == "connected"
        assert peer_connection.ice_servers == 0
        assert peer_connection.data_channel_labels == ("Mydata",)
    assert problems.reports == []


def test_examples_index_lists_every_example_with_its_title(
    shim_context: BrowserContext, server: ServerThread
) -> None:
    assert sorted(page.name for page in EXAMPLES_DIR.glob("*.html")) == sorted(EXAMPLE_TITLES)
    page = shim_context.new_page()
    page.goto("/examples/")

    links = page.locator("ul.examples li a.example")
    expect(links).to_have_count(len(EXAMPLE_TITLES))
    for file, title in EXAMPLE_TITLES.items():
        link = page.locator(f'a.example[href="/examples/{file}"]')
        expect(link).to_have_text(title)
        # Each entry also carries the pages' own descriptions.
        expect(page.locator("ul.examples li", has=link).locator("p").first).not_to_be_empty()

    for file, title in EXAMPLE_TITLES.items():
        page.goto("/examples/")
        page.click(f'ul.examples li a.example[href="/examples/{file}"]')
        expect(page).to_have_title(title)


def test_examples_index_opens_caller_and_callee_in_one_room(shim_context: BrowserContext, server: ServerThread) -> None:
    problems = PageProblems()
    index = problems.watch(shim_context.new_page(), "index")
    index.goto("/examples/")
    together = index.locator("ul.examples p.together")
    # One entry per two-tab example, holding both of its pages.
    expect(together).to_have_count(2)
    for pair in ("datachannel", "video-call"):
        entry = index.locator("ul.examples li", has=index.locator(f'a.example[href="/examples/{pair}-caller.html"]'))
        expect(entry.locator(f'a.example[href="/examples/{pair}-callee.html"]')).to_have_count(1)
        room = entry.locator("p.together code").inner_text()
        tabs = {}
        for side in ("caller", "callee"):
            with shim_context.expect_page() as opened:
                entry.locator(f"p.together a.{side}").click()
            tabs[side] = problems.watch(opened.value, side)
            expect(tabs[side]).to_have_url(f"{server.url}/examples/{pair}-{side}.html?room={room}")
            expect(tabs[side].locator("#room-name")).to_have_text(room)
        if pair == "datachannel":  # the two tabs met: the channel opened on both sides
            for side in ("caller", "callee"):
                expect(tabs[side].locator("#message")).to_be_enabled(timeout=CONNECT_TIMEOUT_MS)
        for tab in tabs.values():
            tab.close()
    # Each render gets a room of its own: two readers of one server don't meet.
    rooms = set()
    for _ in range(2):
        index.reload()
        rooms.add(index.locator("ul.examples p.together code").first.inner_text())
    assert len(rooms) == 2
    assert problems.reports == []


def test_example_pages_request_nothing_missing(shim_context: BrowserContext, server: ServerThread) -> None:
    missing: list[str] = []
    for path in ["/examples/", *(f"/examples/{file}" for file in EXAMPLE_TITLES)]:
        page = shim_context.new_page()
        page.on("response", lambda response: missing.append(response.url) if response.status >= 400 else None)
        page.goto(path, wait_until="load")
        # Headless Chromium fetches no icon: the page's own must be served (else a tab shows a 404).
        (icon,) = page.eval_on_selector_all('link[rel="icon"]', "(links) => links.map((link) => link.href)")
        fetched = page.request.get(icon)
        assert fetched.status == 200, path
        assert fetched.headers["content-type"] == "image/svg+xml"
        page.close()
    assert missing == []

