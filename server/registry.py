"""Every live session and every object it owns, for Python code in the server's process.

`app.state.registry` (and `ServerThread.registry`) is one; the tests read it and subscribe
to it: a subscriber is called with ("created" | "disposed", object) for sessions and for
every remote object.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .dispatcher import Dispatcher
    from .session import Session

Change = Literal["created", "disposed"]
Listener = Callable[[Change, "Session | Dispatcher"], None]


class Registry:
    def __init__(self) -> None:
        self.sessions: dict[str, Session] = {}
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` on every change from now on; returns the unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

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
            listener(change, subject)

    def objects(self) -> list[Dispatcher]:
        """Every remote object of every session."""
        return [obj for session in self.sessions.values() for obj in session.handles.values()]
