"""Typed handles on the objects a page made, for tests and programs in the server's process.

`ServerThread.page_session(page)` gives a page's `PageSession`; from it, the server's
object behind one of the page's objects (`peer_connection(js)`, `data_channel(js)`,
`track(js)`), each a handle whose state reads at once and whose methods run on the
server's loop: sync (`PeerConnection`, …) for a sync Playwright test, and `Async…` twins
for asyncio code (`ServerThread.async_page_session`). One module per concept; waits wake
on the registry's traffic (watch.py). docs/python-api.md is the reference.
"""

from .data_channel import AsyncDataChannel, DataChannel
from .page_session import AsyncPageSession, Evaluates, PageSession
from .peer_connection import AsyncPeerConnection, PeerConnection
from .track import AsyncRecording, AsyncTrack, Recording, Track

__all__ = [
    "AsyncDataChannel", "AsyncPageSession", "AsyncPeerConnection", "AsyncRecording", "AsyncTrack",
    "DataChannel", "Evaluates", "PageSession", "PeerConnection", "Recording", "Track",
]
