"""The bridge protocol: loads protocol.toml, validates messages against it, frames them.

protocol.toml is the contract between shim.js and the server; see its header for the
message shapes and the type language this module implements. A call's handles are looked
up here too (`resolve_call`), so commands receive the objects their `guid(Type)`s name.
"""

from __future__ import annotations

import json
import math
import re
import struct
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from .errors import BridgeTypeError
from .json_shape import JsonShape, measure

# Used with fullmatch: `$` would also match before a trailing newline.
HANDLE_PATTERN = re.compile(r"([A-Z][A-Za-z]*)@[A-Za-z0-9_-]{16,64}")
ROOT_HANDLE = "Session"
# Offered by a page that reads batch frames (protocol.toml, "Framing"); the server still
# selects "rtcshim" (admission.py).
BATCH_SUBPROTOCOL = "rtcshim-batch"
_LENGTH_PREFIX = struct.Struct(">I")


@dataclass(frozen=True)
class Command:
    params: dict[str, str]
    result: dict[str, str]
    # False: the page may send it without an id, and then gets no reply (header, "Messages").
    reply: bool = True


@dataclass(frozen=True)
class Interface:
    name: str
    parents: tuple[str, ...]
    initializer: dict[str, str]
    commands: dict[str, Command]
    events: dict[str, dict[str, str]]


# Looks up a handle of an interface: the live object, or raises (session.py: InvalidStateError).
ResolveHandle = Callable[[str, str], Any]
# Takes a new handle for the call that makes its object, or raises if it is in use.
ClaimHandle = Callable[[str], None]


@dataclass
class Protocol:
    version: int
    structs: dict[str, dict[str, str]]
    interfaces: dict[str, Interface]
    _type_cache: dict[str, _Type] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Protocol:
        text = resources.files("rtcshim").joinpath("protocol.toml").read_text("utf-8")
        raw = tomllib.loads(text)
        interfaces = {}
        for name, spec in raw["interfaces"].items():
            commands = {
                command: Command(dict(body.get("params", {})), dict(body.get("result", {})), body.get("reply", True))
                for command, body in spec.get("commands", {}).items()
            }
            interfaces[name] = Interface(
                name=name,
                parents=_as_tuple(spec.get("parent", ())),
                initializer=dict(spec.get("initializer", {})),
                commands=commands,
                events={event: dict(body) for event, body in spec.get("events", {}).items()},
            )
        protocol = cls(raw["version"], raw["structs"], interfaces)
        protocol._check_types_resolve()
        return protocol

    def _check_types_resolve(self) -> None:
        """Parse every type once, so a typo in protocol.toml fails at import."""
        fields: list[str] = []
        for struct_fields in self.structs.values():
            fields.extend(struct_fields.values())
        for interface in self.interfaces.values():
            fields.extend(interface.initializer.values())
            for command in interface.commands.values():
                fields.extend(command.params.values())
                fields.extend(command.result.values())
            for event_fields in interface.events.values():
                fields.extend(event_fields.values())
        for type_text in fields:
            self._type(type_text)

    def _type(self, text: str) -> _Type:
        cached = self._type_cache.get(text)
        if cached is None:
            cached = self._type_cache[text] = _parse_type(text, self.structs)
        return cached

    def validate_call(self, interface_name: str, method: str, params: Any) -> Command:
        """Check a call's params; returns the command, raises BridgeTypeError."""
        interface = self.interfaces[interface_name]
        command = interface.commands.get(method)
        if command is None:
            raise BridgeTypeError(f"{interface_name} has no command {method!r}")
        self._check_fields(command.params, params, f"{interface_name}.{method}")
        return command

    def resolve_call(self, interface_name: str, method: str, params: Any, resolve: ResolveHandle,
                     claim: ClaimHandle | None = None) -> dict[str, Any]:
        """A call's params, checked (as `validate_call`), with the object `resolve(handle,
        Type)` gives in the place of each `guid(Type)`, and each `new(Type)` passed to
        `claim` (so a handle in use is refused before any object is made): the one place
        a call's handles are looked up, after its shape is known to be right."""
        command = self.validate_call(interface_name, method, params)
        return _resolve_struct(params, command.params, self._type, _Handles(resolve, claim))

    def validate_result(self, interface_name: str, method: str, result: Any) -> None:
        command = self.interfaces[interface_name].commands[method]
        self._check_fields(command.result, result, f"{interface_name}.{method} result")

    def validate_event(self, interface_name: str, event: str, params: Any) -> None:
        interface = self.interfaces[interface_name]
        if event not in interface.events:
            raise BridgeTypeError(f"{interface_name} has no event {event!r}")
        self._check_fields(interface.events[event], params, f"{interface_name}.{event}")

    def validate_initializer(self, interface_name: str, initializer: Any) -> None:
        interface = self.interfaces[interface_name]
        self._check_fields(interface.initializer, initializer, f"{interface_name} initializer")

    def _check_fields(self, fields: dict[str, str], value: Any, where: str) -> None:
        _check_struct(value, fields, where, self._type)


def _as_tuple(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


# --- the type language --------------------------------------------------------------


@dataclass(frozen=True)
class _Type:
    kind: str  # string|int|number|bool|bytes|any|enum|union|list|struct|guid|new
    optional: bool = False
    options: tuple[str, ...] = ()
    bounds: tuple[int, int] | None = None
    items: tuple[_Type, ...] = ()
    struct_name: str = ""
    struct_fields: tuple[tuple[str, str], ...] = ()
    # Whether resolve_call has work in a value of this type: a guid(Type) to look up, a
    # new(Type) to claim, or a struct whose left-out fields it fills.
    resolves: bool = False


_PRIMITIVES = {"string", "int", "number", "bool", "bytes", "any"}


def _parse_type(text: str, structs: dict[str, dict[str, str]]) -> _Type:
    text = text.strip()
    optional = text.endswith("?")
    if optional:
        text = text[:-1]
    if "|" in text and not text.startswith("enum("):
        parts = tuple(_parse_type(part, structs) for part in text.split("|"))
        return _Type("union", optional, items=parts, resolves=any(part.resolves for part in parts))
    if text.startswith("[") and text.endswith("]"):
        item = _parse_type(text[1:-1], structs)
        return _Type("list", optional, items=(item,), resolves=item.resolves)
    call = re.fullmatch(r"(\w+)\((.*)\)", text)
    if call:
        name, argument = call.groups()
        if name == "enum":
            return _Type("enum", optional, options=tuple(argument.split("|")))
        if name == "int":
            low, high = argument.split("..")
            return _Type("int", optional, bounds=(int(low), int(high)))
        if name in ("guid", "new"):
            return _Type(name, optional, struct_name=argument, resolves=True)
        raise ValueError(f"unknown type constructor in protocol.toml: {text}")
    if text in _PRIMITIVES:
        return _Type(text, optional)
    if text in structs:
        return _Type("struct", optional, struct_name=text, struct_fields=tuple(structs[text].items()), resolves=True)
    raise ValueError(f"unknown type in protocol.toml: {text}")


_JSON_NAMES = {str: "string", bool: "bool", int: "int", float: "number",
               bytes: "bytes", list: "list", dict: "object", type(None): "null"}


def _describe(value: Any) -> str:
    return _JSON_NAMES.get(type(value), type(value).__name__)


_Resolve = Callable[[str], _Type]


def _check_struct(value: Any, fields: dict[str, str], where: str, resolve: _Resolve) -> None:
    if not isinstance(value, dict):
        raise BridgeTypeError(f"{where}: expected an object, got {_describe(value)}")
    unknown = set(value) - set(fields)
    if unknown:
        raise BridgeTypeError(f"{where}: unknown field {sorted(unknown)[0]!r}")
    for name, type_text in fields.items():
        _check_value(value.get(name), resolve(type_text), f"{where}.{name}", resolve)


def _check_value(value: Any, expected: _Type, where: str, resolve: _Resolve) -> None:
    if value is None:
        if expected.optional:
            return
        raise BridgeTypeError(f"{where}: is required")
    kind = expected.kind
    if kind == "any":
        if not _is_json(value):
            raise BridgeTypeError(f"{where}: expected JSON, got a number that is not finite")
        return
    if kind == "union":
        errors = []
        for option in expected.items:
            try:
                _check_value(value, option, where, resolve)
                return
            except BridgeTypeError as error:
                errors.append(str(error))
        raise BridgeTypeError(f"{where}: matches none of its types ({'; '.join(errors)})")
    if kind in ("string", "enum"):
        if not isinstance(value, str):
            raise BridgeTypeError(f"{where}: expected a string, got {_describe(value)}")
        if kind == "enum" and value not in expected.options:
            raise BridgeTypeError(f"{where}: {value!r} is not one of {'|'.join(expected.options)}")
        return
    if kind == "bool":
        if not isinstance(value, bool):
            raise BridgeTypeError(f"{where}: expected a bool, got {_describe(value)}")
        return
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise BridgeTypeError(f"{where}: expected an integer, got {_describe(value)}")
        if expected.bounds and not expected.bounds[0] <= value <= expected.bounds[1]:
            low, high = expected.bounds
            raise BridgeTypeError(f"{where}: {value} is outside {low}..{high}")
        return
    if kind == "number":
        # Python's json reads NaN and Infinity, which JSON (and JavaScript's) has not.
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise BridgeTypeError(f"{where}: expected a finite number, got {_describe(value)}")
        return
    if kind == "bytes":
        if not isinstance(value, bytes):
            raise BridgeTypeError(f"{where}: expected bytes, got {_describe(value)}")
        return
    if kind == "list":
        if not isinstance(value, list):
            raise BridgeTypeError(f"{where}: expected a list, got {_describe(value)}")
        for index, item in enumerate(value):
            _check_value(item, expected.items[0], f"{where}[{index}]", resolve)
        return
    if kind in ("guid", "new"):
        match = HANDLE_PATTERN.fullmatch(value) if isinstance(value, str) else None
        if match is None or match.group(1) != expected.struct_name:
            raise BridgeTypeError(f"{where}: expected a {expected.struct_name} handle")
        return
    if kind == "struct":
        _check_struct(value, dict(expected.struct_fields), where, resolve)
        return
    raise AssertionError(kind)


def _is_json(value: Any) -> bool:
    """Whether `value` has no NaN or Infinity, which Python's json reads and JSON has not
    (an `any` value may come back to the page, as getConstraints() does)."""
    pending = [value]
    while pending:  # a loop, not recursion: the value may be as deep as the frame allows
        item = pending.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return False
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True


# --- handles -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Handles:
    resolve: ResolveHandle
    claim: ClaimHandle | None


def _resolve_struct(value: dict[str, Any], fields: dict[str, str], resolve_type: _Resolve,
                    resolve: _Handles) -> dict[str, Any]:
    """Every field the struct declares: one the page left out (only an optional may be) is
    None, so that commands read their params alike whether a field was null or absent."""
    return {name: _resolve_value(value.get(name), resolve_type(type_text), resolve_type, resolve)
            for name, type_text in fields.items()}


def _resolve_value(value: Any, expected: _Type, resolve_type: _Resolve, resolve: _Handles) -> Any:
    """`value` (already checked against `expected`) with its handles resolved."""
    if value is None or not expected.resolves:
        return value
    if expected.kind == "guid":
        return resolve.resolve(value, expected.struct_name)
    if expected.kind == "new":
        if resolve.claim is not None:
            resolve.claim(value)
        return value
    if expected.kind == "list":
        return [_resolve_value(item, expected.items[0], resolve_type, resolve) for item in value]
    if expected.kind == "struct":
        return _resolve_struct(value, dict(expected.struct_fields), resolve_type, resolve)
    assert expected.kind == "union", expected.kind
    for option in expected.items:
        try:
            _check_value(value, option, "", resolve_type)
        except BridgeTypeError:
            continue
        return _resolve_value(value, option, resolve_type, resolve)
    raise AssertionError("a checked value matches one of its union's types")


# --- framing ------------------------------------------------------------------------


# A lone UTF-16 surrogate: JavaScript strings may hold one, UTF-8 cannot carry it.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def encode(message: dict[str, Any], payload: bytes | None = None) -> str | bytes:
    """A text frame, or a binary frame when the message carries a payload.

    Strict JSON (a NaN or an Infinity raises ValueError, as JSON.parse would refuse them).
    A message holding a lone surrogate, which a page may send and the server echo back,
    is written all in ASCII \\u escapes: the page reads back exactly the string it sent.
    """
    header = json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    if LONE_SURROGATE.search(header):
        header = json.dumps(message, separators=(",", ":"), allow_nan=False)
    if payload is None:
        return header
    header_bytes = header.encode("utf-8")
    return _LENGTH_PREFIX.pack(len(header_bytes)) + header_bytes + payload


class MessageTooComplex(BridgeTypeError):
    """A message nested deeper, or holding more values, than the server parses; `call_id`
    is its id when readable."""

    def __init__(self, shape: JsonShape, call_id: int | None) -> None:
        super().__init__(f"the message nests {shape.depth} deep and holds {shape.values} values")
        self.shape = shape
        self.call_id = call_id


# A message's id when it is the first key, as the shim writes it: readable without parsing.
_LEADING_ID = re.compile(r'\s*\{\s*"id"\s*:\s*(\d{1,15})\s*[,}]')


# The shape past which a message is refused before it is parsed: (depth, values).
ShapeLimits = tuple[int, int]


def decode(frame: str | bytes, shape_limits: ShapeLimits | None = None) -> Any:
    """The message in a frame; a binary frame's payload becomes params["data"]. A message
    past `shape_limits` is refused before it is parsed (MessageTooComplex)."""
    if isinstance(frame, str):
        return _parse(frame, shape_limits)
    if len(frame) < _LENGTH_PREFIX.size:
        raise BridgeTypeError("binary frame shorter than its length prefix")
    (header_length,) = _LENGTH_PREFIX.unpack_from(frame)
    header_end = _LENGTH_PREFIX.size + header_length
    if header_end > len(frame):
        raise BridgeTypeError("binary frame shorter than its header")
    message = _parse(frame[_LENGTH_PREFIX.size:header_end].decode("utf-8"), shape_limits)
    if not isinstance(message, dict) or not isinstance(message.get("params", {}), dict):
        raise BridgeTypeError("binary frame header is not a message object")
    message.setdefault("params", {})["data"] = bytes(frame[header_end:])
    return message


def _parse(text: str, shape_limits: ShapeLimits | None) -> Any:
    if shape_limits is not None and (shape := measure(text, *shape_limits)) is not None:
        leading_id = _LEADING_ID.match(text)
        raise MessageTooComplex(shape, int(leading_id.group(1)) if leading_id else None)
    return json.loads(text)


PROTOCOL = Protocol.load()
