"""What the page learns of a failed call: a DOMException name and a readable message."""

from __future__ import annotations

import aiortc.exceptions
import pytest
from aiortc import RTCPeerConnection

from rtcshim.errors import INTERNAL_ERROR_MESSAGE, InvalidStateError, SdpSyntaxError, to_wire

from .event_loop import run


def raised() -> BaseException:
    """An exception as Python's own code raises it, with its traceback."""
    try:
        [1].index(None)  # type: ignore[arg-type]
    except ValueError as error:
        return error
    raise AssertionError


def test_to_wire_keeps_a_bridge_error() -> None:
    assert to_wire(InvalidStateError("the RTCPeerConnection is closed")) == {
        "name": "InvalidStateError", "message": "the RTCPeerConnection is closed"}


def test_to_wire_gives_an_sdp_syntax_error_its_rtc_error_detail_and_line() -> None:
    """The page rebuilds it as an RTCError (webrtc-pc's setRemoteDescription of bad SDP)."""
    assert to_wire(SdpSyntaxError("invalid SDP at line 3: 'x'", 3)) == {
        "name": "OperationError", "message": "invalid SDP at line 3: 'x'",
        "errorDetail": "sdp-syntax-error", "sdpLineNumber": 3}


def test_to_wire_keeps_aiortc_exceptions() -> None:
    error = aiortc.exceptions.InvalidAccessError("Certificate fingerprint does not match")
    assert to_wire(error) == {"name": "InvalidAccessError", "message": "Certificate fingerprint does not match"}


def test_to_wire_keeps_a_value_error_aiortc_raises_on_purpose() -> None:
    async def both_lifetime_and_retransmits() -> BaseException:
        peer_connection = RTCPeerConnection()
        try:
            peer_connection.createDataChannel("x", maxPacketLifeTime=1, maxRetransmits=1)
        except ValueError as error:
            return error
        finally:
            await peer_connection.close()
        raise AssertionError

    assert to_wire(run(both_lifetime_and_retransmits())) == {
        "name": "OperationError", "message": "Cannot specify both maxPacketLifeTime and maxRetransmits"}


@pytest.mark.parametrize("error", [
    raised(), KeyError("description"), AttributeError("'NoneType' object has no attribute 'transport'"),
    IndexError("list index out of range"), AssertionError(), TypeError("'NoneType' object is not subscriptable"),
], ids=lambda error: type(error).__name__)
def test_to_wire_hides_python_internals(error: BaseException) -> None:
    assert to_wire(error) == {"name": "OperationError", "message": INTERNAL_ERROR_MESSAGE}
