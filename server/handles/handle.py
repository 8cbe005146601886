"""What every handle has: the server's object it stands for, and how it reaches it."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from ..dispatcher import Dispatcher
from .reach import Reach

D = TypeVar("D", bound=Dispatcher)

# How long a wait waits, by default (seconds), as Playwright's 30 000 ms.
DEFAULT_TIMEOUT = 30.0


class Handle(Generic[D]):
    """Two handles are equal when they stand for the same object, sync or async alike."""

    def __init__(self, dispatcher: D, reach: Reach) -> None:
        self._dispatcher = dispatcher
        self._reach = reach

    @property
    def guid(self) -> str:
        """The handle both sides know the object by (`PeerConnection@…`), as the page's
        `rtcshim.handleOf(object)` returns it."""
        return self._dispatcher.guid

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Handle) and other._dispatcher is self._dispatcher

    def __hash__(self) -> int:
        return hash(self._dispatcher.guid)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._dispatcher.guid}{self._describe()}>"

    def _describe(self) -> str:
        return ""


def describe_states(states: dict[str, Any]) -> str:
    return ", ".join(f"{name} {value!r}" for name, value in states.items())
