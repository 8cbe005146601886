"""Hypothesis strategies for bridge frames, read from protocol.toml's type language.

`calls(...)` draws one call: a command of an interface, with params that mostly fit the
command's types and sometimes are mutated out of them. Its handles are `Ref`s, which
`Handles.frame` makes real only when the call is sent: which objects are live then
depends on how the server answered earlier calls, and hypothesis's draws must not depend
on anything but themselves. `raw_frames()` draws what no shim.js would send: broken JSON,
broken binary framing, deep nesting, lone surrogates. The SDPs are a real aiortc offer and
answer (`seed_descriptions`), cut, repeated and rewritten line by line.
"""

from __future__ import annotations

import json
import secrets
import struct
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from aiortc import RTCPeerConnection
from hypothesis import strategies as st

from rtcshim.protocol import PROTOCOL, encode

from .event_loop import run

# Strings a page could send that a server must survive: empty, huge, a lone surrogate,
# control characters, SDP syntax, numbers as text.
AWKWARD_STRINGS = ["", " ", "\ud800", "a\udfffb", "\x00", "\n", "\r\n", "9" * 40, "-1", "NaN",
                   "a=mid:", "a=group:BUNDLE 99", "Session", "x" * 5000, "é✓😀", "../../etc/passwd"]
ICE_URLS = ["stun:127.0.0.1:9", "stun:[::1]:9", "turn:127.0.0.1:9?transport=tcp", "turns:127.0.0.1:9",
            "stun:127.0.0.1:0", "stun:127.0.0.1:99999", "stun:", "http://127.0.0.1/", "stun:127.0.0.1?x=1",
            "stun:127.0.0.1:3478", "turn:[::1]", "stun:1.2.3.4.5"]
SDP_LINES = ["m=video 9 UDP/TLS/RTP/SAVPF 96", "a=group:BUNDLE 0 1 2 99", "a=mid:", "a=rtpmap:96 VP8/0",
             "a=fingerprint:sha-256 00", "a=ssrc:4294967296 cname:x", "a=sctp-port:0"]
# Values of the fields every other call depends on (a certificate, an ICE candidate's
# place), drawn most of the time so that calls get past their checks into aiortc.
REALISTIC: dict[str, list[Any]] = {
    "name": ["ECDSA", "RSASSA-PKCS1-v1_5"], "namedCurve": ["P-256", "P-384"], "modulusLength": [1024, 2048],
    "hash": ["SHA-256"], "sdpMid": ["0", "1", "2"], "sdpMLineIndex": [0, 1, 2], "label": ["chat", ""],
    "kind": ["audio", "video"], "tones": ["123", "A,B", "#*"], "type": ["offer", "answer"],
}
CONSTRAINTS = st.one_of(st.booleans(), st.fixed_dictionaries({}, optional={
    "width": st.one_of(st.integers(-10, 5000), st.fixed_dictionaries({"min": st.integers(0, 2000)})),
    "frameRate": st.one_of(st.floats(-1, 120), st.fixed_dictionaries({"ideal": st.floats(0, 60)})),
    "deviceId": st.sampled_from(["default", "nope", {"exact": "x"}]),
    "echoCancellation": st.booleans(),
    "mandatory": st.just({"minWidth": 320}),
}))
# Numbers JSON allows and a float can't hold, or only barely.
HUGE_CONSTRAINTS = {"width": {"ideal": 10**400}, "frameRate": {"max": 1e308}, "height": -(10**30)}
JSON_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-(2**64), 2**64),
                        st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20),
                        st.sampled_from(AWKWARD_STRINGS))
ANY_JSON = st.recursive(JSON_LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)


@dataclass(frozen=True)
class Ref:
    """A handle decided when the call is sent: a live object of `interface` most of the
    time (`choice` and `index` pick which), else a closed or an unknown one; for a new
    object, a fresh handle or, now and then, one in use."""

    use: str  # "target", "guid" or "new"
    interface: str
    choice: int
    index: int


def ref(use: str, interface: str) -> st.SearchStrategy[Ref]:
    return st.builds(Ref, st.just(use), st.just(interface), st.integers(0, 19), st.integers(0, 2**16))


@dataclass(frozen=True)
class Call:
    call_id: Any
    target: Ref
    method: str
    params: Any


class Handles:
    """The page's handles, by interface, as it knows them: a `new(Type)` handle is live
    once the call that named it succeeded (`settled`), as are the objects the server
    announced (`__create__`)."""

    def __init__(self) -> None:
        self.live: dict[str, list[str]] = defaultdict(list)
        self.gone: list[str] = []
        self._named: dict[int, list[tuple[str, str]]] = defaultdict(list)  # by call id

    def frame(self, call: Call) -> str | bytes:
        """The call's frame, its Refs made handles."""
        params = self._resolve(call.params, call.call_id)
        payload = None
        if isinstance(params, dict) and isinstance(params.get("data"), bytes):
            payload = params.pop("data")
        target = self._resolve(call.target, call.call_id)
        return encode({"id": call.call_id, "guid": target, "method": call.method, "params": params}, payload)

    def _resolve(self, value: Any, call_id: Any) -> Any:
        if isinstance(value, dict):
            return {key: self._resolve(item, call_id) for key, item in value.items()}
        if isinstance(value, list):
            return [self._resolve(item, call_id) for item in value]
        if not isinstance(value, Ref):
            return value
        live = self.live.get(value.interface, [])
        if value.use == "new":
            if live and value.choice == 0:
                return live[value.index % len(live)]  # a handle already in use
            handle = f"{value.interface}@{secrets.token_urlsafe(16)}"
            if isinstance(call_id, int):
                self._named[call_id].append((value.interface, handle))
            return handle
        if value.interface == "Session" and value.use == "target":
            return "Session"
        if live and value.choice < 18:
            return live[value.index % len(live)]
        if self.gone and value.choice == 18:
            return self.gone[value.index % len(self.gone)]
        return f"{value.interface}@{secrets.token_urlsafe(16)}"

    def settled(self, messages: list[dict[str, Any]]) -> None:
        """Take the server's word: replies (a success makes its new handles live), object
        announcements and disposals."""
        for message in messages:
            if "result" in message and isinstance(message.get("id"), int):
                for interface, handle in self._named.pop(message["id"], []):
                    self.live[interface].append(handle)
            elif message.get("event") == "__create__":
                self.live[message["params"]["type"]].append(message["params"]["guid"])
            elif message.get("event") == "__dispose__":
                interface = message["guid"].split("@")[0]
                if message["guid"] in self.live[interface]:
                    self.live[interface].remove(message["guid"])
                    self.gone.append(message["guid"])


def seed_descriptions() -> list[dict[str, str]]:
    """A real offer (audio, video, data) and its answer, made by two aiortc peers."""
    async def make() -> list[dict[str, str]]:
        offerer, answerer = RTCPeerConnection(), RTCPeerConnection()
        try:
            offerer.addTransceiver("audio")
            offerer.addTransceiver("video")
            offerer.createDataChannel("fuzz")
            await offerer.setLocalDescription(await offerer.createOffer())
            await answerer.setRemoteDescription(offerer.localDescription)
            await answerer.setLocalDescription(await answerer.createAnswer())
            return [{"type": "offer", "sdp": offerer.localDescription.sdp},
                    {"type": "answer", "sdp": answerer.localDescription.sdp}]
        finally:
            await offerer.close()
            await answerer.close()

    return run(make())


@st.composite
def mutated_sdp(draw: st.DrawFn, seeds: list[dict[str, str]]) -> str:
    lines = draw(st.sampled_from(seeds))["sdp"].split("\r\n")
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2, 4]))):  # intact often: a description that applies
        if not lines:
            break
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "repeat", "blank value", "replace", "number"]))
        if action == "drop":
            del lines[index]
        elif action == "repeat":
            lines.insert(index, lines[index])
        elif action == "blank value":
            lines[index] = lines[index].split(":", 1)[0] + ":"
        elif action == "replace":
            lines[index] = draw(st.sampled_from([*AWKWARD_STRINGS, *SDP_LINES]))
        else:
            lines[index] = "".join(
                str(draw(st.integers(-1, 2**33))) if part.isdigit() else part
                for part in _split_digits(lines[index]))
    return "\r\n".join(lines)


def _split_digits(line: str) -> list[str]:
    parts: list[str] = []
    for character in line:
        if parts and parts[-1][-1].isdigit() == character.isdigit():
            parts[-1] += character
        else:
            parts.append(character)
    return parts


def _value(draw: st.DrawFn, expected: Any, seeds: list[dict[str, str]], name: str) -> Any:
    """A value of the protocol type `expected` (protocol.py's parsed form): right most of the time."""
    if expected.optional and draw(st.integers(0, 3)) == 0:
        return None
    kind = expected.kind
    if kind == "union":
        return _value(draw, draw(st.sampled_from(expected.items)), seeds, name)
    if kind == "string":
        if name in REALISTIC and draw(st.integers(0, 4)):
            return draw(st.sampled_from(REALISTIC[name]))
        if name == "sdp":
            return draw(mutated_sdp(seeds))
        if name == "urls" or name.startswith("url"):
            return draw(st.sampled_from(ICE_URLS))
        if name == "candidate":
            return draw(st.sampled_from([
                "candidate:1 1 udp 2130706431 127.0.0.1 9 typ host", "candidate:1 1 udp 1 10.77.0.9 0 typ host",
                "candidate:x", "", "candidate:1 1 tcp 1 ::1 65535 typ host tcptype active"]))
        return draw(st.one_of(st.text(max_size=30), st.sampled_from(AWKWARD_STRINGS)))
    if kind == "enum":
        if name in REALISTIC and draw(st.integers(0, 4)):
            return draw(st.sampled_from(REALISTIC[name]))
        return draw(st.sampled_from(expected.options))
    if kind == "int":
        if name in REALISTIC and draw(st.integers(0, 4)):
            return draw(st.sampled_from(REALISTIC[name]))
        low, high = expected.bounds or (-(2**53), 2**53)
        return draw(st.integers(low, high))
    if kind == "number":
        return draw(st.floats(allow_nan=False, allow_infinity=False))
    if kind == "bool":
        return draw(st.booleans())
    if kind == "bytes":
        return draw(st.binary(max_size=2000))
    if kind == "any":
        return draw(st.one_of(CONSTRAINTS, ANY_JSON, st.just(HUGE_CONSTRAINTS)))
    if kind == "list":
        item = expected.items[0]
        # Mostly no ICE server (each costs a gathering) and no certificate: most are unknown.
        scarce = name == "iceServers" or item.kind == "guid"
        count = draw(st.sampled_from([0, 0, 0, 0, 1] if scarce else [0, 0, 1, 2, 3]))
        return [_value(draw, item, seeds, name) for _ in range(count)]
    if kind in ("guid", "new"):
        return draw(ref(kind, expected.struct_name))
    assert kind == "struct", kind
    return _struct(draw, dict(expected.struct_fields), seeds)


def _struct(draw: st.DrawFn, fields: dict[str, str], seeds: list[dict[str, str]]) -> dict[str, Any]:
    value = {}
    for name, type_text in fields.items():
        # The type as protocol.py parses it: the fuzzer follows the server's own reading.
        item = _value(draw, PROTOCOL._type(type_text), seeds, name)
        if item is not None or draw(st.booleans()):  # optional: left out, or null
            value[name] = item
    return value


def _mutate(draw: st.DrawFn, params: dict[str, Any]) -> Any:
    action = draw(st.sampled_from(["drop", "extra", "retype", "not an object", "deep"]))
    if action == "drop" and params:
        params.pop(draw(st.sampled_from(sorted(params))))
    elif action == "extra":
        params[draw(st.text(max_size=10))] = draw(ANY_JSON)
    elif action == "retype" and params:
        params[draw(st.sampled_from(sorted(params)))] = draw(ANY_JSON)
    elif action == "not an object":
        return draw(ANY_JSON)
    elif action == "deep":
        deep: Any = 1
        # Deeper ones are raw_frames' (json.dumps itself recurses).
        for _ in range(draw(st.sampled_from([50, 500]))):
            deep = [deep]
        params["deep"] = deep
    return params


# Where calls go: the root and peer connections most, as a page's script does.
TARGETS = ["Session", "Session", "Session", "PeerConnection", "PeerConnection", "PeerConnection",
           *(name for name in PROTOCOL.interfaces if name not in ("Session", "PeerConnection"))]


@st.composite
def calls(draw: st.DrawFn, call_id: int, seeds: list[dict[str, str]]) -> Call:
    """One call, from a page that mostly follows the protocol (`Handles.frame` frames it)."""
    interface = PROTOCOL.interfaces[draw(st.sampled_from(TARGETS))]
    target = draw(ref("target", interface.name))
    if not interface.commands or draw(st.integers(0, 19)) == 0:
        method = draw(st.sampled_from(["", "__proto__", "constructor", "close", "createOffer"]))
        params: Any = {}
    else:
        method = draw(st.sampled_from(sorted(interface.commands)))
        params = _struct(draw, interface.commands[method].params, seeds)
        if draw(st.integers(0, 4)) == 0:
            params = _mutate(draw, params)
    if draw(st.integers(0, 29)) == 0:
        return Call(draw(st.sampled_from([None, "7", 1.5, True, -1, 2**70])), target, method, params)
    return Call(call_id, target, method, params)


@st.composite
def raw_frames(draw: st.DrawFn) -> str | bytes:
    """A frame no shim.js sends."""
    kind = draw(st.sampled_from(["text", "bytes", "prefix", "deep", "deep params", "not an object",
                                 "nan", "surrogate handle", "trailing newline handle"]))
    if kind == "text":
        return draw(st.text(max_size=200))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "prefix":
        header = json.dumps({"id": 1, "guid": "Session", "method": "enumerateDevices", "params": {}}).encode()
        return struct.pack(">I", draw(st.integers(0, 2**32 - 1))) + header[: draw(st.integers(0, len(header)))]
    if kind == "deep":
        depth = draw(st.sampled_from([1000, 100_000]))
        return "[" * depth + "]" * depth
    if kind == "deep params":
        depth = draw(st.sampled_from([100, 2000]))
        return '{"id":1,"guid":"Session","method":"getUserMedia","params":{"audio":' + "[" * depth + "]" * depth + "}}"
    if kind == "not an object":
        return json.dumps(draw(ANY_JSON))
    if kind == "nan":
        return '{"id":1,"guid":"Session","method":"getUserMedia","params":{"audio":NaN,"video":Infinity}}'
    if kind == "surrogate handle":
        return '{"id":1,"guid":"PeerConnection@\\ud800\\ud800abcdefghijklmnop","method":"close","params":{}}'
    return json.dumps({"id": 1, "guid": f"PeerConnection@{secrets.token_urlsafe(16)}\n", "method": "close",
                       "params": {}})
