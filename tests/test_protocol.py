"""protocol.toml and its validator, without a socket."""

from __future__ import annotations

import re

import pytest

from rtcshim.errors import BridgeTypeError, InvalidStateError
from rtcshim.protocol import PROTOCOL, decode, encode

PC = "PeerConnection@" + "a" * 24
CONFIGURATION = {
    "iceServers": [], "iceTransportPolicy": "all", "bundlePolicy": "balanced",
    "rtcpMuxPolicy": "require", "iceCandidatePoolSize": 0, "certificates": [],
}


def test_load_every_parent_is_an_interface() -> None:
    for interface in PROTOCOL.interfaces.values():
        assert set(interface.parents) <= set(PROTOCOL.interfaces)


def test_validate_call_accepts_a_valid_call() -> None:
    PROTOCOL.validate_call("Session", "createPeerConnection",
                           {"peerConnection": PC, "configuration": CONFIGURATION})


def test_validate_call_unknown_method() -> None:
    with pytest.raises(BridgeTypeError, match="PeerConnection has no command 'fly'"):
        PROTOCOL.validate_call("PeerConnection", "fly", {})


def test_validate_call_wrong_type_names_the_field() -> None:
    with pytest.raises(BridgeTypeError, match=r"createOffer\.options\.iceRestart: expected a bool, got string"):
        PROTOCOL.validate_call("PeerConnection", "createOffer", {"options": {"iceRestart": "yes"}})


@pytest.mark.parametrize("expires", ["NaN", "Infinity", "-Infinity"])
def test_validate_call_number_not_finite(expires: str) -> None:
    """Python's json reads NaN and Infinity; the protocol's numbers are finite."""
    call = decode('{"id": 1, "guid": "Session", "method": "generateCertificate", '
                  f'"params": {{"algorithm": {{"name": "ECDSA", "expires": {expires}}}}}}}')
    with pytest.raises(BridgeTypeError, match=r"algorithm\.expires: expected a finite number, got"):
        PROTOCOL.validate_call("Session", "generateCertificate", call["params"])


def test_validate_call_unknown_field() -> None:
    with pytest.raises(BridgeTypeError, match="unknown field 'extra'"):
        PROTOCOL.validate_call("PeerConnection", "close", {"extra": 1})


def test_validate_call_missing_required_field() -> None:
    with pytest.raises(BridgeTypeError, match=r"setRemoteDescription\.description: is required"):
        PROTOCOL.validate_call("PeerConnection", "setRemoteDescription", {})


def test_validate_call_enum_value() -> None:
    with pytest.raises(BridgeTypeError, match=re.escape("'bogus' is not one of offer|pranswer")):
        PROTOCOL.validate_call("PeerConnection", "setRemoteDescription",
                               {"description": {"type": "bogus", "sdp": ""}})


def test_validate_call_int_bounds() -> None:
    init = {"ordered": True, "maxPacketLifeTime": None, "maxRetransmits": None,
            "protocol": "", "negotiated": True, "id": 65535}
    with pytest.raises(BridgeTypeError, match=re.escape("65535 is outside 0..65534")):
        PROTOCOL.validate_call("PeerConnection", "createDataChannel",
                               {"dataChannel": "DataChannel@" + "b" * 24, "label": "x", "init": init})


def test_validate_call_bool_is_not_an_int() -> None:
    candidate = {"candidate": "c", "sdpMid": None, "sdpMLineIndex": True}
    with pytest.raises(BridgeTypeError, match="expected an integer, got bool"):
        PROTOCOL.validate_call("PeerConnection", "addIceCandidate", {"candidate": candidate})


def test_validate_call_optional_may_be_null_or_absent() -> None:
    PROTOCOL.validate_call("PeerConnection", "setLocalDescription", {"description": None})
    PROTOCOL.validate_call("PeerConnection", "setLocalDescription", {})


def test_validate_call_handle_of_the_wrong_type() -> None:
    with pytest.raises(BridgeTypeError, match="expected a PeerConnection handle"):
        PROTOCOL.validate_call("Session", "createPeerConnection",
                               {"peerConnection": "DataChannel@" + "c" * 24, "configuration": CONFIGURATION})


def test_validate_call_handle_too_short() -> None:
    with pytest.raises(BridgeTypeError, match="expected a PeerConnection handle"):
        PROTOCOL.validate_call("Session", "createPeerConnection",
                               {"peerConnection": "PeerConnection@abc", "configuration": CONFIGURATION})


@pytest.mark.parametrize("handle", ["PeerConnection@" + "a" * 24 + "\n", "PeerConnection@" + "a" * 24 + "\r\n"])
def test_validate_call_handle_with_a_line_end(handle: str) -> None:
    with pytest.raises(BridgeTypeError, match="expected a PeerConnection handle"):
        PROTOCOL.validate_call("Session", "createPeerConnection",
                               {"peerConnection": handle, "configuration": CONFIGURATION})


def test_validate_call_any_holds_only_finite_numbers() -> None:
    call = decode('{"params": {"audio": false, "video": {"advanced": [{"bogus": [NaN]}]}}}')
    with pytest.raises(BridgeTypeError, match=r"getUserMedia\.video: expected JSON, got a number that is not finite"):
        PROTOCOL.validate_call("Session", "getUserMedia", call["params"])


def test_validate_call_union_of_string_and_bytes() -> None:
    PROTOCOL.validate_call("DataChannel", "send", {"data": "text"})
    PROTOCOL.validate_call("DataChannel", "send", {"data": b"\x00\x01"})
    with pytest.raises(BridgeTypeError, match="matches none of its types"):
        PROTOCOL.validate_call("DataChannel", "send", {"data": 5})


def resolve_to_pairs(handle: str, interface: str) -> tuple[str, str]:
    """Stands for a session's handle table: each handle "found" as (interface, handle)."""
    if handle.endswith("unknown"):
        raise InvalidStateError(f"{handle} does not exist (it was closed, or never made)")
    return (interface, handle)


def test_resolve_call_gives_every_guid_as_its_object_and_leaves_the_rest() -> None:
    certificates = ["Certificate@" + "c" * 24, "Certificate@" + "e" * 24]
    params = {"peerConnection": PC, "configuration": {**CONFIGURATION, "certificates": certificates}}
    resolved = PROTOCOL.resolve_call("Session", "createPeerConnection", params, resolve_to_pairs)
    # new(Type) stays a handle: the command makes its object.
    assert resolved == {"peerConnection": PC, "configuration": {
        **CONFIGURATION, "certificates": [("Certificate", certificates[0]), ("Certificate", certificates[1])]}}
    assert params["configuration"]["certificates"] == certificates  # the call's own params are left as they were
    stats = {"transceiver": "Transceiver@" + "t" * 24, "side": "receiver"}
    assert PROTOCOL.resolve_call("PeerConnection", "getStats", stats, resolve_to_pairs) == {
        "transceiver": ("Transceiver", stats["transceiver"]), "side": "receiver"}
    # What the page left out of the optional is null, as the dispatchers read it.
    assert PROTOCOL.resolve_call("PeerConnection", "getStats", {"transceiver": None}, resolve_to_pairs) == {
        "transceiver": None, "side": None}


def test_resolve_call_checks_the_shape_before_it_looks_handles_up() -> None:
    unknown = "u" * 17 + "unknown"
    with pytest.raises(InvalidStateError, match="does not exist"):
        PROTOCOL.resolve_call("Transceiver", "replaceTrack", {"track": "MediaStreamTrack@" + unknown}, resolve_to_pairs)
    with pytest.raises(BridgeTypeError, match="expected a MediaStreamTrack handle"):
        PROTOCOL.resolve_call("Transceiver", "replaceTrack", {"track": "Certificate@" + unknown}, resolve_to_pairs)
    bad_configuration = {**CONFIGURATION, "bundlePolicy": "none", "certificates": ["Certificate@" + unknown]}
    with pytest.raises(BridgeTypeError, match="bundlePolicy"):
        PROTOCOL.resolve_call("Session", "createPeerConnection",
                              {"peerConnection": PC, "configuration": bad_configuration}, resolve_to_pairs)


def test_validate_event_checks_params() -> None:
    with pytest.raises(BridgeTypeError, match=re.escape("'done' is not one of new|gathering|complete")):
        PROTOCOL.validate_event("PeerConnection", "iceGatheringStateChange", {"iceGatheringState": "done"})


def test_encode_text_frame_is_json() -> None:
    assert encode({"id": 1, "result": {}}) == '{"id":1,"result":{}}'


def test_decode_binary_frame_puts_payload_in_data() -> None:
    frame = encode({"id": 3, "guid": "DataChannel@" + "d" * 24, "method": "send", "params": {}}, b"\x00\xffpayload")
    assert isinstance(frame, bytes)
    message = decode(frame)
    assert message["params"]["data"] == b"\x00\xffpayload"
    assert message["method"] == "send"


@pytest.mark.parametrize("frame", [b"\x00\x00", b"\x00\x00\x00\x10{}", b"\x00\x00\x00\x02[]"])
def test_decode_binary_frame_malformed(frame: bytes) -> None:
    with pytest.raises(BridgeTypeError):
        decode(frame)
