"""Errors that cross the bridge as {name, message}; the page rebuilds them by name.

`name` is a DOMException name or "TypeError", chosen as native Chromium would for the
same call. aiortc raises its own classes (named after DOMExceptions too) and ValueError;
`to_wire` maps them all.
"""

from __future__ import annotations

import aiortc.exceptions


class BridgeError(Exception):
    """An error the page sees as the DOMException called `name`."""

    name = "OperationError"


class BridgeTypeError(BridgeError):
    name = "TypeError"


class InvalidStateError(BridgeError):
    name = "InvalidStateError"


class InvalidAccessError(BridgeError):
    name = "InvalidAccessError"


class InvalidModificationError(BridgeError):
    name = "InvalidModificationError"


class OperationError(BridgeError):
    name = "OperationError"


class NotSupportedError(BridgeError):
    name = "NotSupportedError"


class NotFoundError(BridgeError):
    name = "NotFoundError"


class InvalidCharacterError(BridgeError):
    name = "InvalidCharacterError"


_AIORTC_NAMES: dict[type[BaseException], str] = {
    aiortc.exceptions.InvalidStateError: "InvalidStateError",
    aiortc.exceptions.InvalidAccessError: "InvalidAccessError",
    aiortc.exceptions.OperationError: "OperationError",
    aiortc.exceptions.InternalError: "OperationError",
}


def to_wire(error: BaseException) -> dict[str, str]:
    """The {name, message} the page turns into a DOMException or TypeError; an
    OverconstrainedError also names its `constraint`."""
    if isinstance(error, BridgeError):
        name = error.name
    else:
        # aiortc reports malformed SDP and bad parameters as ValueError, assertions or
        # index errors from its parsers; a browser calls those an OperationError.
        name = _AIORTC_NAMES.get(type(error), "OperationError")
    message = str(error) or type(error).__name__
    wire = {"name": name, "message": message}
    constraint = getattr(error, "constraint", None)
    if isinstance(constraint, str):
        wire["constraint"] = constraint
    return wire
