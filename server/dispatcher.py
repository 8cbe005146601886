"""The server half of one remote object: wraps one aiortc object for one session.

Each subclass names its protocol interface and maps the interface's commands to
coroutines. Objects form a tree (a data channel belongs to its peer connection);
disposing a parent disposes its subtree, and the page is told of each disposal.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from .session import Session

Params = dict[str, Any]
Result = dict[str, Any]
CommandHandler = Callable[[Params], Awaitable[Result]]
# A command the page may send without an id (protocol.toml, `reply = false`): run at once,
# answered by nothing; what the page must hear of a failure, the handler emits.
UnansweredHandler = Callable[[Params], None]

logger = logging.getLogger(__name__)

# Callbacks to run once the current call's reply is sent (see `after_reply`). Each call
# runs in its own task, so each gets its own list.
_after_reply: contextvars.ContextVar[list[Callable[[], None]]] = contextvars.ContextVar(
    "after_reply"
)


class Dispatcher:
    interface: ClassVar[str]

    def __init__(self, session: Session, guid: str, parent: Dispatcher | None) -> None:
        self.session = session
        self.guid = guid
        self.parent = parent
        self.children: dict[str, Dispatcher] = {}
        self.disposed = False
        self.commands: dict[str, CommandHandler] = {}
        self.unanswered: dict[str, UnansweredHandler] = {}
        session.register(self)
        if parent is not None:
            parent.children[guid] = self

    def initializer(self) -> dict[str, Any]:
        """The state the page needs to build its object, for `__create__`."""
        return {}

    def emit(self, event: str, params: Params | None = None, payload: bytes | None = None, lazy: bool = False) -> None:
        """`lazy`: see Session.send_event."""
        if not self.disposed:
            self.session.send_event(self, event, params or {}, payload, lazy)

    def announce(self) -> None:
        """Tell the page about an object the server created."""
        assert self.parent is not None
        self.parent.emit(
            "__create__",
            {"type": self.interface, "guid": self.guid, "initializer": self.initializer()},
        )

    async def shutdown(self) -> None:
        """Release what this object holds outside Python (sockets, tasks); then dispose.

        A child whose shutdown fails is logged, its siblings still shut down, and `dispose`
        forgets it: one broken object must not keep a page's sockets open.
        """
        for child in list(self.children.values()):
            try:
                await child.shutdown()
            except Exception:
                logger.warning("session %s: shutting %s down failed", self.session.id, child.guid, exc_info=True)
        self.dispose()

    def dispose(self) -> None:
        """Forget this object and its subtree (subclasses first let go of what they listen
        to); a child whose own dispose fails is logged and forgotten all the same."""
        if self.disposed:
            return
        for child in list(self.children.values()):
            try:
                child.dispose()
            except Exception:
                logger.warning("session %s: disposing %s failed", self.session.id, child.guid, exc_info=True)
                Dispatcher.dispose(child)
        self.session.unregister(self)
        self.disposed = True
        self.commands = {}  # bound methods of this object: a cycle that would keep it alive
        self.unanswered = {}
        if self.parent is not None:
            self.parent.children.pop(self.guid, None)

    def __repr__(self) -> str:
        return f"<{self.guid}>"


def after_reply(callback: Callable[[], None]) -> None:
    """Run `callback` right after the reply of the call being handled is sent.

    For events the spec fires after a method settles (the candidates gathered by
    setLocalDescription, negotiationneeded), which must not overtake the reply.
    """
    _after_reply.get().append(callback)


def start_call() -> list[Callable[[], None]]:
    callbacks: list[Callable[[], None]] = []
    _after_reply.set(callbacks)
    return callbacks
