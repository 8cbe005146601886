"""Errors that cross the bridge as {name, message}; the page rebuilds them by name.

`name` is a DOMException name or "TypeError", chosen as native Chromium would for the
same call. aiortc raises its own classes (named after DOMExceptions too) and ValueError;
`to_wire` maps them all.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

import aioice
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


class SdpSyntaxError(OperationError):
    """webrtc-pc: a description that does not parse rejects with an RTCError (an
    OperationError) whose errorDetail is "sdp-syntax-error", sdpLineNumber the line at fault."""

    def __init__(self, message: str, line_number: int | None = None) -> None:
        super().__init__(message)
        self.line_number = line_number


class NotSupportedError(BridgeError):
    name = "NotSupportedError"


class NotFoundError(BridgeError):
    name = "NotFoundError"


class InvalidCharacterError(BridgeError):
    name = "InvalidCharacterError"


class UnknownError(BridgeError):
    """Chromium's name for a peer connection beyond its limit."""

    name = "UnknownError"


_AIORTC_NAMES: dict[type[BaseException], str] = {
    aiortc.exceptions.InvalidStateError: "InvalidStateError",
    aiortc.exceptions.InvalidAccessError: "InvalidAccessError",
    aiortc.exceptions.OperationError: "OperationError",
    aiortc.exceptions.InternalError: "OperationError",
}


# What the page reads of an error that is Python's, not a message anyone wrote for it
# ("'NoneType' object has no attribute …", a bare KeyError's key): the server logs it whole.
INTERNAL_ERROR_MESSAGE = "the server could not carry out this call (its log tells why)"

_DEPENDENCIES = tuple(str(Path(module.__file__ or "").parent) for module in (aiortc, aioice))


def is_deliberate(error: BaseException) -> bool:
    """Whether the error's message was written for a reader: rtcshim's and aiortc's own
    exceptions, and a ValueError that aiortc or aioice raise themselves (about SDP or
    parameters), not one that Python raised inside their code ("None is not in list")."""
    if isinstance(error, BridgeError) or type(error) in _AIORTC_NAMES:
        return True
    if type(error) is not ValueError or error.__traceback__ is None:
        return False
    innermost = traceback.extract_tb(error.__traceback__)[-1]
    return innermost.filename.startswith(_DEPENDENCIES) and (innermost.line or "").lstrip().startswith("raise ")


def to_wire(error: BaseException) -> dict[str, Any]:
    """The {name, message} the page turns into a DOMException or TypeError; an
    OverconstrainedError also names its `constraint`, an RTCError its errorDetail."""
    if isinstance(error, BridgeError):
        name = error.name
    else:
        # aiortc reports malformed SDP and bad parameters as ValueError, assertions or
        # index errors from its parsers; a browser calls those an OperationError.
        name = _AIORTC_NAMES.get(type(error), "OperationError")
    message = (str(error) or type(error).__name__) if is_deliberate(error) else INTERNAL_ERROR_MESSAGE
    wire: dict[str, Any] = {"name": name, "message": message}
    if isinstance(error, SdpSyntaxError):
        wire.update(errorDetail="sdp-syntax-error", sdpLineNumber=error.line_number)
    constraint = getattr(error, "constraint", None)
    if isinstance(constraint, str):
        wire["constraint"] = constraint
    return wire
