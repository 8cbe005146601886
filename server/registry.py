"""Every live session and every object it owns, for Python code in the server's process.

`app.state.registry` (and `ServerThread.registry`) is one; the tests read it and subscribe
to it: a subscriber is called with ("created" | "disposed", object) for sessions and for
every remote object. A traffic watcher sees every page's bridge: each call once it is
answered (`Called`) and each event sent to a page (`Emitted`), in the order they happen
on the server's loop; the Python handles and the inspector are built on it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .dispatcher import Dispatcher
    from .session import Session

logger = logging.getLogger(__name__)

Change = Literal["created", "disposed"]
Listener = Callable[[Change, "Session | Dispatcher"], None]


@dataclass(frozen=True)
class Called:
    """A page's call, once answered. `params` are as the page sent them (handles, not
    objects); `error` is what the page got instead of `result`: `{name, message}`."""

    target: Dispatcher
    method: str
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: dict[str, Any] | None


@dataclass(frozen=True)
class Emitted:
    """An event sent to a page; `payload` is a binary message's bytes (else None)."""

    target: Dispatcher
    event: str
    params: dict[str, Any]
    payload: bytes | None


Traffic = Called | Emitted
TrafficWatcher = Callable[[Traffic], None]


class Registry:
    def __init__(self) -> None:
        self.sessions: dict[str, Session] = {}
        self._listeners: list[Listener] = []
        self._watchers: list[TrafficWatcher] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` on every change from now on; returns the unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def watch_traffic(self, watcher: TrafficWatcher) -> Callable[[], None]:
        """Call `watcher` with every call answered and every event sent, from now on, on the
        server's loop; returns the function that stops it. A watcher must not block."""
        self._watchers.append(watcher)
        return lambda: self._watchers.remove(watcher)

    @property
    def watched(self) -> bool:
        """Whether anyone watches the traffic (sessions build no record for nobody)."""
        return bool(self._watchers)

    def traffic(self, record: Traffic) -> None:
        for watcher in list(self._watchers):
            try:
                watcher(record)
            except Exception:  # a watcher's bug must not break the page's bridge
                logger.exception("a traffic watcher failed on %r", record)

    def session_opened(self, session: Session) -> None:
        self.sessions[session.id] = session
        self.notify("created", session)

    def session_closed(self, session: Session) -> None:
        self.sessions.pop(session.id, None)
        self.notify("disposed", session)

    def sessions_from(self, origin: str | None) -> int:
        """Open sessions whose page sent this Origin header (None: sent none). One still
        closing (its socket gone, its peer connections closing) no longer counts: a page
        that reloads gets its new session at once."""
        return sum(1 for session in self.sessions.values() if session.origin == origin and not session.closed)

    def notify(self, change: Change, subject: Session | Dispatcher) -> None:
        for listener in list(self._listeners):
            try:
                listener(change, subject)
            except Exception:  # a listener's bug must not fail the page's call
                logger.exception("a registry listener failed on %s %r", change, subject)

    def objects(self) -> list[Dispatcher]:
        """Every remote object of every session."""
        return [obj for session in self.sessions.values() for obj in session.handles.values()]
