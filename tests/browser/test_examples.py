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

    links = page.locator("ul.examples li a")
    expect(links).to_have_count(len(EXAMPLE_TITLES))
    for file, title in EXAMPLE_TITLES.items():
        link = page.locator(f'a[href="/examples/{file}"]')
        expect(links.and_(link)).to_have_text(title)
        # Each entry also carries the page's own description.
        expect(page.locator("ul.examples li", has=link).locator("p")).not_to_be_empty()

    for file, title in EXAMPLE_TITLES.items():
        page.goto("/examples/")
        page.click(f'ul.examples li a[href="/examples/{file}"]')
        expect(page).to_have_title(title)

