"""A page's session, from Python: found from the page, and the page's objects found in it.

`ServerThread.page_session(page)` asks the page for its session id (`rtcshim.session()`,
which opens the bridge if the page has not yet) and finds the session in the registry.
From there, `peer_connection(js)` (and `data_channel`, `track`) takes one of the page's
objects, as a Playwright JSHandle or a JavaScript expression, asks the page for its
handle (`rtcshim.handleOf`) and returns the server's object for it. Anything with
Playwright's `evaluate` does (a sync or an async Page, Frame or JSHandle): rtcshim does not
import Playwright.
"""

from __future__ import annotations

import inspect
from typing import Any, Protocol, TypeVar

from ..dispatcher import Dispatcher
from ..dispatchers.data_channel import DataChannelDispatcher
from ..dispatchers.media_stream_track import MediaTrackDispatcher
from ..dispatchers.peer_connection import PeerConnectionDispatcher
from ..media.sources import MediaSources
from ..registry import Registry
from ..session import Session
from .data_channel import AsyncDataChannel, DataChannel
from .handle import DEFAULT_TIMEOUT
from .peer_connection import AsyncPeerConnection, PeerConnection
from .reach import Reach
from .track import AsyncTrack, Track

D = TypeVar("D", bound=Dispatcher)

SESSION_OF_PAGE = "window.rtcshim ? window.rtcshim.session() : null"
HANDLE_OF_OBJECT = "(object) => window.rtcshim ? window.rtcshim.handleOf(object) : null"


class Evaluates(Protocol):
    """What rtcshim asks of a Playwright Page, Frame or JSHandle (sync or async API)."""

    def evaluate(self, expression: str, arg: Any = None) -> Any: ...


# One of the page's objects: a JSHandle of it, or a JavaScript expression the page evaluates.
JsObject = Evaluates | str


def evaluated_now(target: Evaluates, expression: str, what: str) -> Any:
    """`target.evaluate`'s value, for the sync handles: an async Playwright object is refused."""
    value = target.evaluate(expression)
    if inspect.isawaitable(value):
        if inspect.iscoroutine(value):
            value.close()
        raise TypeError(f"{what} is for Playwright's sync API; with its async API, "
                        "use ServerThread.async_page_session and await the Async handles")
    return value


async def evaluated(target: Evaluates, expression: str) -> Any:
    """`target.evaluate`'s value, whether the API is async (a coroutine) or sync."""
    value = target.evaluate(expression)
    return await value if inspect.isawaitable(value) else value


class _PageSessionState:
    def __init__(self, session: Session, page: Evaluates, reach: Reach) -> None:
        self._session = session
        self._page = page
        self._reach = reach

    @property
    def id(self) -> str:
        """The session id, as the page's `rtcshim.session()` resolves to it."""
        return self._session.id

    @property
    def origin(self) -> str | None:
        """The page's Origin header (None: it sent none)."""
        return self._session.origin

    @property
    def closed(self) -> bool:
        """Whether the page's bridge is gone (it closed or navigated away)."""
        return self._session.closed

    def _script_for(self, js: JsObject) -> tuple[Evaluates, str]:
        """How to ask the page for `js`'s handle: evaluate on the page, or on the JSHandle."""
        if isinstance(js, str):
            return self._page, f"(() => {{ const object = ({js}); return ({HANDLE_OF_OBJECT})(object); }})()"
        return js, HANDLE_OF_OBJECT

    def _find(self, guid: Any, dispatcher_type: type[D], js: JsObject) -> D:
        """The live object of this session called `guid`, of `dispatcher_type`."""
        shown = js if isinstance(js, str) else "the object"
        expected = dispatcher_type.interface
        if guid is None:
            raise LookupError(f"{shown} is not one of the page's rtcshim objects (or it was closed): "
                              f"rtcshim.handleOf gave null; expected a live {expected}")
        found = self._session.handles.get(guid)
        if found is None or found.disposed:
            raise LookupError(f"{guid} is not a live object of session {self.id}")
        if not isinstance(found, dispatcher_type):
            raise LookupError(f"{shown} is a {found.interface} ({guid}), not a {expected}")
        return found

    def _open_peer_connections(self) -> list[PeerConnectionDispatcher]:
        return [dispatcher for dispatcher in list(self._session.handles.values())
                if isinstance(dispatcher, PeerConnectionDispatcher) and not dispatcher.closed]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id}{' closed' if self.closed else ''}>"


class AsyncPageSession(_PageSessionState):
    """A page's bridge session, for asyncio code (with Playwright's async API)."""

    async def peer_connection(self, js: JsObject) -> AsyncPeerConnection:
        """The page's RTCPeerConnection `js` (a JSHandle, or an expression such as "pc")."""
        return AsyncPeerConnection(await self._lookup(js, PeerConnectionDispatcher), self._reach)

    async def data_channel(self, js: JsObject) -> AsyncDataChannel:
        """The page's RTCDataChannel `js`."""
        return AsyncDataChannel(await self._lookup(js, DataChannelDispatcher), self._reach)

    async def track(self, js: JsObject) -> AsyncTrack:
        """The page's MediaStreamTrack `js` (one of rtcshim's: a track the engine made
        itself is not one)."""
        return AsyncTrack(await self._lookup(js, MediaTrackDispatcher), self._reach)

    async def peer_connections(self) -> list[AsyncPeerConnection]:
        """The page's open peer connections, oldest first."""
        return await self._reach.read(
            lambda: [AsyncPeerConnection(dispatcher, self._reach) for dispatcher in self._open_peer_connections()])

    async def wait_for_peer_connection(self, timeout: float = DEFAULT_TIMEOUT) -> AsyncPeerConnection:
        """The page's first open peer connection, once it made one."""
        found = await self._reach.run(self._reach.watch.until(
            lambda: next(iter(self._open_peer_connections()), None),
            timeout, lambda: f"session {self.id} made no peer connection"))
        return AsyncPeerConnection(found, self._reach)

    async def use_media_sources(self, media_sources: MediaSources) -> None:
        """The devices the page's next getUserMedia and enumerateDevices offer (tracks it
        already has keep theirs)."""

        def use() -> None:
            self._session.media_sources = media_sources

        await self._reach.read(use)

    async def _lookup(self, js: JsObject, dispatcher_type: type[D]) -> D:
        guid = await evaluated(*self._script_for(js))
        return await self._reach.read(lambda: self._find(guid, dispatcher_type, js))


class PageSession(_PageSessionState):
    """A page's bridge session, for a sync test (with Playwright's sync API): the page is
    evaluated in this thread, the server's objects read on the server's loop."""

    def __init__(self, session: Session, page: Evaluates, reach: Reach) -> None:
        super().__init__(session, page, reach)
        self._async = AsyncPageSession(session, page, reach)

    def peer_connection(self, js: JsObject) -> PeerConnection:
        """As AsyncPageSession.peer_connection."""
        return PeerConnection(self._lookup(js, PeerConnectionDispatcher, "PageSession.peer_connection"), self._reach)

    def data_channel(self, js: JsObject) -> DataChannel:
        """As AsyncPageSession.data_channel."""
        return DataChannel(self._lookup(js, DataChannelDispatcher, "PageSession.data_channel"), self._reach)

    def track(self, js: JsObject) -> Track:
        """As AsyncPageSession.track."""
        return Track(self._lookup(js, MediaTrackDispatcher, "PageSession.track"), self._reach)

    def peer_connections(self) -> list[PeerConnection]:
        """As AsyncPageSession.peer_connections."""
        return [PeerConnection(found._dispatcher, self._reach)
                for found in self._reach.block(self._async.peer_connections(), "PageSession.peer_connections")]

    def wait_for_peer_connection(self, timeout: float = DEFAULT_TIMEOUT) -> PeerConnection:
        """As AsyncPageSession.wait_for_peer_connection."""
        found = self._reach.block(self._async.wait_for_peer_connection(timeout), "PageSession.wait_for_peer_connection")
        return PeerConnection(found._dispatcher, self._reach)

    def use_media_sources(self, media_sources: MediaSources) -> None:
        """As AsyncPageSession.use_media_sources."""
        self._reach.block(self._async.use_media_sources(media_sources), "PageSession.use_media_sources")

    def _lookup(self, js: JsObject, dispatcher_type: type[D], what: str) -> D:
        self._reach.refuse_on_server_loop(what)  # before the page is asked anything
        guid = evaluated_now(*self._script_for(js), what)
        return self._reach.block(self._reach.read(lambda: self._find(guid, dispatcher_type, js)), what)


def page_session(page: Evaluates, reach: Reach) -> PageSession:
    """`ServerThread.page_session`: the page's session, for a sync test."""
    reach.refuse_on_server_loop("ServerThread.page_session")
    session_id = evaluated_now(page, SESSION_OF_PAGE, "ServerThread.page_session")
    session = reach.block(reach.read(lambda: _session_of(session_id, reach.registry)), "ServerThread.page_session")
    return PageSession(session, page, reach)


async def async_page_session(page: Evaluates, reach: Reach) -> AsyncPageSession:
    """`ServerThread.async_page_session`: the page's session, for asyncio code."""
    session_id = await evaluated(page, SESSION_OF_PAGE)
    session = await reach.read(lambda: _session_of(session_id, reach.registry))
    return AsyncPageSession(session, page, reach)


def _session_of(session_id: Any, registry: Registry) -> Session:
    if session_id is None:
        raise LookupError("the page has no rtcshim: window.rtcshim is undefined (shim.js is not loaded)")
    session = registry.sessions.get(session_id)
    if session is None:
        raise LookupError(f"the page's session {session_id} is not one of this server's: its bridge "
                          "connects to another server, or closed")
    return session
