"""Example pages driven through their own UI: opening them, watching them for errors, and
reading from the server what they made.

`open_example(context, problems, path, name)` opens a page of the server (with the page
helpers, for reading its video and audio); `PageProblems` collects the uncaught
exceptions and console errors of every page it watches; `bridged_peer_connections(server)`
is every peer connection the server holds for the pages, read on the server's own loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import BrowserContext, ConsoleMessage, Page

from rtcshim.dispatchers.data_channel import DataChannelDispatcher
from rtcshim.dispatchers.peer_connection import PeerConnectionDispatcher
from rtcshim.serving import ServerThread

from .page_helpers import load_page_helpers

# ICE over loopback connects in well under a second; this only bounds a hung test.
CONNECT_TIMEOUT_MS = 20_000


class PageProblems:
    """Uncaught exceptions and console errors of the pages a test opens."""

    def __init__(self) -> None:
        self.reports: list[str] = []

    def watch(self, page: Page, name: str) -> Page:
        page.on("pageerror", lambda error: self.reports.append(f"{name}: uncaught {error}"))
        page.on("console", lambda message: self._console(name, message))
        return page

    def _console(self, name: str, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            self.reports.append(f"{name}: console error {message.text} ({where})")


def open_example(context: BrowserContext, problems: PageProblems, path: str, name: str) -> Page:
    page = problems.watch(context.new_page(), name)
    page.goto(path)
    return load_page_helpers(page)


@dataclass(frozen=True)
class BridgedTransceiver:
    kind: str
    current_direction: str | None
    sends_from: str | None  # the label of the device whose frames the sender carries


@dataclass(frozen=True)
class BridgedPeerConnection:
    """What the server holds for one of the page's peer connections."""

    session: str
    connection_state: str
    ice_servers: int
    data_channel_labels: tuple[str, ...]
    transceivers: tuple[BridgedTransceiver, ...]


def bridged_peer_connections(server: ServerThread) -> list[BridgedPeerConnection]:
    """Every peer connection the server holds, read on the server's own loop."""

    async def collect() -> list[BridgedPeerConnection]:
        return [
            BridgedPeerConnection(
                session=remote_object.session.id,
                connection_state=remote_object.peer_connection.connectionState,
                ice_servers=len(remote_object.configuration["iceServers"]),
                data_channel_labels=tuple(sorted(
                    child.data_channel.label
                    for child in remote_object.children.values()
                    if isinstance(child, DataChannelDispatcher)
                )),
                transceivers=tuple(
                    BridgedTransceiver(
                        kind=transceiver.transceiver.kind,
                        current_direction=transceiver.transceiver.currentDirection,
                        sends_from=transceiver.sender_track.label if transceiver.sender_track else None,
                    )
                    for transceiver in remote_object.transceivers.values()
                ),
            )
            for remote_object in server.registry.objects()
            if isinstance(remote_object, PeerConnectionDispatcher)
        ]

    found: list[BridgedPeerConnection] = server.run(collect())
    return found
