"""Media Capture and Streams constraints: normalising what pages pass, and SelectSettings.

`normalize` turns one kind's constraints (getUserMedia's `audio` or `video` member, in
the modern or the 2013 mandatory/optional form) into one canonical modern dict.
`select_settings` picks a device and its settings as the spec's SelectSettings does:
required constraints filter, advanced sets narrow in order, the smallest fitness
distance to the ideals wins.

A device offers infinitely many settings dictionaries (any width in its range), so a
candidate here is a device plus the ranges and values still allowed; its settings are
the ideals clamped into those, or the kind's defaults.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from ..errors import BridgeError, BridgeTypeError

Range = tuple[float, float]
ConstraintSet = dict[str, dict[str, Any]]

DEFAULT_ASPECT_RATIO = 4 / 3

_DEFAULTS: dict[str, dict[str, float]] = {
    "videoinput": {"width": 640, "height": 480, "frameRate": 30.0},
    "audioinput": {"sampleRate": 48000, "sampleSize": 16, "channelCount": 1},
}

# MediaTrackSettings members per kind, in the order getSettings() reports them.
_SETTING_NAMES: dict[str, tuple[str, ...]] = {
    "videoinput": ("deviceId", "groupId", "width", "height", "frameRate", "aspectRatio", "facingMode", "resizeMode"),
    "audioinput": (
        "deviceId", "groupId", "sampleRate", "sampleSize", "channelCount",
        "echoCancellation", "autoGainControl", "noiseSuppression",
    ),
}


class OverconstrainedError(BridgeError):
    """No device can satisfy the required constraints.

    `constraint` names one that no device satisfies, or is "" when each device fails on
    a different one (the spec leaves it empty then).
    """

    name = "OverconstrainedError"

    def __init__(self, constraint: str, message: str = "") -> None:
        super().__init__(
            message or (f"no device satisfies the required {constraint!r} constraint" if constraint
                        else "no device satisfies all the required constraints")
        )
        self.constraint = constraint


class CandidateDevice(Protocol):
    """A camera or microphone getUserMedia may choose: any object with these attributes.

    `capabilities` has MediaTrackCapabilities shapes: {"min", "max"} for numbers, a list
    of allowed values otherwise, whose first entry is the device's default.
    """

    @property
    def kind(self) -> str: ...  # "videoinput" or "audioinput"
    @property
    def device_id(self) -> str: ...
    @property
    def group_id(self) -> str: ...
    @property
    def capabilities(self) -> dict[str, Any]: ...


DeviceT = TypeVar("DeviceT", bound=CandidateDevice)


# Parsing: one parser per constraint value type, raising TypeError as WebIDL would.

def _whole_number(name: str, value: Any) -> int:
    number = _double(name, value)
    # WebIDL's unsigned long conversion: truncate, then wrap.
    return int(number) % 2**32


def _double(name: str, value: Any) -> float:
    # An integer too large for a double is JavaScript's Infinity: not finite either.
    number = _as_float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    if number is None or not math.isfinite(number):
        raise BridgeTypeError(f"{name} must be a finite number or a constraint object")
    return number


def _as_float(value: int | float) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _strings(name: str, value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    if not all(isinstance(item, str) for item in values):
        raise BridgeTypeError(f"{name} must be a string, a list of strings or a constraint object, not {value!r}")
    return list(values)


def _boolean(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise BridgeTypeError(f"{name} must be a boolean or a constraint object, not {value!r}")
    return value


_WHOLE_NUMBERS = frozenset({"width", "height", "sampleRate", "sampleSize", "channelCount"})
_NUMBERS = _WHOLE_NUMBERS | {"aspectRatio", "frameRate"}
_PARSERS: dict[str, Callable[[str, Any], Any]] = {
    **{name: _whole_number for name in _WHOLE_NUMBERS},
    "aspectRatio": _double, "frameRate": _double,
    "deviceId": _strings, "groupId": _strings, "facingMode": _strings, "resizeMode": _strings,
    "echoCancellation": _boolean, "autoGainControl": _boolean, "noiseSuppression": _boolean,
}

# The 2013 names Chrome understood, as (modern name, member); it ignored all others.
_LEGACY_NAMES: dict[str, tuple[str, str]] = {
    "minWidth": ("width", "min"), "maxWidth": ("width", "max"),
    "minHeight": ("height", "min"), "maxHeight": ("height", "max"),
    "minFrameRate": ("frameRate", "min"), "maxFrameRate": ("frameRate", "max"),
    "minAspectRatio": ("aspectRatio", "min"), "maxAspectRatio": ("aspectRatio", "max"),
    "sourceId": ("deviceId", "exact"),
    "echoCancellation": ("echoCancellation", "exact"),
    "googEchoCancellation": ("echoCancellation", "exact"),
    "googAutoGainControl": ("autoGainControl", "exact"),
    "googNoiseSuppression": ("noiseSuppression", "exact"),
}


def supported_constraints() -> dict[str, bool]:
    """navigator.mediaDevices.getSupportedConstraints()."""
    return dict.fromkeys(_PARSERS, True)


def normalize(constraints: Any) -> dict[str, Any]:
    """One kind's constraints as a modern dict; normalising the result again keeps it.

    Each constraint becomes an object of exact/ideal/min/max, with strings as lists.
    Bare values are ideal in the basic set and exact in advanced sets, where ideal means
    nothing, as the spec says. Unknown names are dropped, as WebIDL drops unknown members.
    `False` is not accepted: a kind that was not asked for has no constraints to normalise.
    """
    if constraints is True:
        return {}
    if not isinstance(constraints, dict):
        raise BridgeTypeError(f"constraints must be true or a MediaTrackConstraints object, not {constraints!r}")
    if "mandatory" in constraints or "optional" in constraints:
        return _from_legacy(constraints)
    normalized: dict[str, Any] = _constraint_set(constraints, advanced=False)
    advanced = constraints.get("advanced")
    if advanced is not None:
        normalized["advanced"] = [_constraint_set(members, advanced=True) for members in _dicts("advanced", advanced)]
    return normalized


def _dicts(name: str, value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise BridgeTypeError(f"{name} must be a list of constraint objects, not {value!r}")
    return value


def _constraint_set(members: dict[str, Any], advanced: bool) -> ConstraintSet:
    constraint_set: ConstraintSet = {}
    for name, value in members.items():
        # WebIDL converts null to an empty dictionary: no constraint.
        if name not in _PARSERS or value is None:
            continue
        constraint = _constraint(name, value, advanced)
        if constraint:
            constraint_set[name] = constraint
    return constraint_set


def _constraint(name: str, value: Any, advanced: bool) -> dict[str, Any]:
    parse = _PARSERS[name]
    if not isinstance(value, dict):
        return {"exact" if advanced else "ideal": parse(name, value)}
    members: tuple[str, ...] = ("exact", "ideal", "min", "max") if name in _NUMBERS else ("exact", "ideal")
    if advanced:
        members = tuple(member for member in members if member != "ideal")
    return {member: parse(name, value[member]) for member in members if value.get(member) is not None}


def _from_legacy(constraints: dict[str, Any]) -> dict[str, Any]:
    if any(name in _PARSERS or name == "advanced" for name in constraints):
        raise BridgeTypeError("cannot mix mandatory/optional with modern constraints")
    mandatory = constraints.get("mandatory") or {}
    if not isinstance(mandatory, dict):
        raise BridgeTypeError(f"mandatory must be an object, not {mandatory!r}")
    normalized: dict[str, Any] = {}
    for legacy_name, value in mandatory.items():
        if legacy_name in _LEGACY_NAMES:
            name, member = _LEGACY_NAMES[legacy_name]
            normalized.setdefault(name, {})[member] = _legacy_value(name, value)
    # Chrome made each optional constraint an advanced set of its own, tried in order.
    advanced: list[ConstraintSet] = []
    for entry in _dicts("optional", constraints.get("optional") or []):
        for legacy_name, value in entry.items():
            if legacy_name in _LEGACY_NAMES:
                name, member = _LEGACY_NAMES[legacy_name]
                advanced.append({name: {member: _legacy_value(name, value)}})
    if advanced:
        normalized["advanced"] = advanced
    return normalized


def _legacy_value(name: str, value: Any) -> Any:
    # Chrome read legacy values as strings, so "640" and "true" worked as well as 640 and true.
    if isinstance(value, str) and name in _NUMBERS:
        try:
            value = float(value)
        except ValueError:
            raise BridgeTypeError(f"{name} must be a number, not {value!r}") from None
    elif isinstance(value, str) and _PARSERS[name] is _boolean:
        value = {"true": True, "false": False}.get(value, value)
    return _PARSERS[name](name, value)


# SelectSettings.

@dataclass(frozen=True)
class _Candidate(Generic[DeviceT]):
    device: DeviceT
    ranges: dict[str, Range]
    choices: dict[str, list[Any]]


def select_settings(constraints: Any, devices: Sequence[DeviceT]) -> tuple[DeviceT, dict[str, Any]]:
    """The device that best fits `constraints` (as `normalize` accepts), and its MediaTrackSettings.

    Devices earlier in the list win ties, so the default device goes first.
    """
    if not devices:
        raise ValueError("select_settings needs a device; getUserMedia reports NotFoundError before asking")
    normalized = normalize(constraints)
    basic: ConstraintSet = {name: value for name, value in normalized.items() if name != "advanced"}
    candidates: list[_Candidate[DeviceT]] = []
    failures: list[list[str]] = []
    for device in devices:
        candidate, failed = _narrow(_candidate(device), basic)
        if failed:
            failures.append(failed)
        else:
            candidates.append(candidate)
    if not candidates:
        blamed = next((name for name in failures[0] if all(name in failed for failed in failures)), "")
        raise OverconstrainedError(blamed)
    for advanced_set in normalized.get("advanced", []):
        narrowed = [_narrow(candidate, advanced_set) for candidate in candidates]
        # A set no candidate satisfies is skipped, not an error.
        candidates = [candidate for candidate, failed in narrowed if not failed] or candidates
    ideals = {name: constraint["ideal"] for name, constraint in basic.items() if "ideal" in constraint}
    settings = [_settings(candidate, ideals) for candidate in candidates]
    best = min(
        range(len(candidates)),
        key=lambda index: _fitness_distance(settings[index], ideals, candidates[index].device.kind),
    )
    return candidates[best].device, settings[best]


def _candidate(device: DeviceT) -> _Candidate[DeviceT]:
    capabilities = device.capabilities
    ranges: dict[str, Range] = {}
    for name, default in _DEFAULTS[device.kind].items():
        capability = capabilities.get(name)
        # A device that does not report a property always gives the default.
        ranges[name] = (capability["min"], capability["max"]) if isinstance(capability, dict) else (default, default)
    if device.kind == "videoinput":
        capability = capabilities.get("aspectRatio")
        (low_width, high_width), (low_height, high_height) = ranges["width"], ranges["height"]
        ranges["aspectRatio"] = (
            (capability["min"], capability["max"]) if isinstance(capability, dict)
            else (_ratio(low_width, high_height), _ratio(high_width, low_height))
        )
    choices: dict[str, list[Any]] = {
        name: _as_list(capabilities[name]) for name in _SETTING_NAMES[device.kind]
        if name not in _NUMBERS and capabilities.get(name) not in (None, [])
    }
    # Capabilities may repeat the ids (getCapabilities() does); the device's own are the truth.
    choices.update(deviceId=[device.device_id], groupId=[device.group_id])
    return _Candidate(device, ranges, choices)


def _narrow(candidate: _Candidate[DeviceT], constraint_set: ConstraintSet) -> tuple[_Candidate[DeviceT], list[str]]:
    """The candidate limited to what the set's required members allow, and the members it cannot meet."""
    ranges, choices = dict(candidate.ranges), dict(candidate.choices)
    failed: list[str] = []
    for name, constraint in constraint_set.items():
        if name in _NUMBERS:
            required = _required_range(constraint)
            if required is None:
                continue
            narrowed = _intersect(ranges[name], required) if name in ranges else None
            if narrowed is None:
                failed.append(name)
            else:
                ranges[name] = narrowed
        elif "exact" in constraint:
            allowed = [value for value in choices.get(name, []) if value in _as_list(constraint["exact"])]
            if allowed:
                choices[name] = allowed
            else:
                failed.append(name)
    if not failed and candidate.device.kind == "videoinput":
        frame_size = _frame_size_ranges(ranges)
        if frame_size is None:
            failed.append("aspectRatio" if "aspectRatio" in constraint_set else "height")
        else:
            ranges.update(frame_size)
    return _Candidate(candidate.device, ranges, choices), failed


def _frame_size_ranges(ranges: dict[str, Range]) -> dict[str, Range] | None:
    """Width, height and aspect ratio ranges cut to the sizes all three allow together, if any."""
    (low_width, high_width), (low_height, high_height) = ranges["width"], ranges["height"]
    aspect_ratio = _intersect(
        ranges["aspectRatio"], (_ratio(low_width, high_height), _ratio(high_width, low_height))
    )
    if aspect_ratio is None:
        return None
    low_ratio, high_ratio = aspect_ratio
    width = _intersect(ranges["width"], (low_ratio * low_height, high_ratio * high_height))
    height = _intersect(ranges["height"], (_ratio(low_width, high_ratio), _ratio(high_width, low_ratio)))
    if width is None or height is None:
        return None
    return {"width": width, "height": height, "aspectRatio": aspect_ratio}


def _settings(candidate: _Candidate[Any], ideals: dict[str, Any]) -> dict[str, Any]:
    kind = candidate.device.kind
    frame_size = _frame_size(candidate.ranges, ideals) if kind == "videoinput" else {}
    settings: dict[str, Any] = {}
    for name in _SETTING_NAMES[kind]:
        if name in frame_size:
            settings[name] = frame_size[name]
        elif name in candidate.ranges:
            wanted = ideals.get(name, _DEFAULTS[kind][name])
            settings[name] = (
                _clamp_whole(wanted, candidate.ranges[name]) if name in _WHOLE_NUMBERS
                else _clamp(wanted, candidate.ranges[name])
            )
        elif name in candidate.choices:
            allowed = candidate.choices[name]
            wanted = [value for value in _as_list(ideals.get(name, [])) if value in allowed]
            settings[name] = (wanted or allowed)[0]
    return settings


def _frame_size(ranges: dict[str, Range], ideals: dict[str, Any]) -> dict[str, Any]:
    """Width and height nearest the ideals; one given alone sets the other through the aspect ratio."""
    if "aspectRatio" in ideals:
        wanted_ratio = ideals["aspectRatio"]
    elif "width" in ideals and "height" in ideals:
        wanted_ratio = _ratio(ideals["width"], ideals["height"])
    else:
        wanted_ratio = DEFAULT_ASPECT_RATIO
    ratio = _clamp(wanted_ratio, ranges["aspectRatio"])
    low_ratio, high_ratio = ranges["aspectRatio"]
    if "height" in ideals and "width" not in ideals:
        height = _clamp_whole(ideals["height"], ranges["height"])
        width_range = _intersect(ranges["width"], (height * low_ratio, height * high_ratio)) or ranges["width"]
        width = _clamp_whole(height * ratio, width_range)
    else:
        width = _clamp_whole(ideals.get("width", _DEFAULTS["videoinput"]["width"]), ranges["width"])
        height_range = (
            _intersect(ranges["height"], (_ratio(width, high_ratio), _ratio(width, low_ratio))) or ranges["height"]
        )
        height = _clamp_whole(ideals.get("height", _ratio(width, ratio)), height_range)
    return {"width": width, "height": height, "aspectRatio": _ratio(width, height)}


def _fitness_distance(settings: dict[str, Any], ideals: dict[str, Any], kind: str) -> float:
    """The spec's fitness distance; required members add nothing here, having been met already."""
    distance = 0.0
    for name, ideal in ideals.items():
        if name not in settings:
            # A member of the other kind does not apply; one this device lacks is a miss.
            distance += 1.0 if name in _SETTING_NAMES[kind] else 0.0
        elif name in _NUMBERS:
            actual = settings[name]
            distance += abs(actual - ideal) / max(abs(actual), abs(ideal)) if actual != ideal else 0.0
        else:
            distance += 0.0 if settings[name] in _as_list(ideal) else 1.0
    return distance


def _required_range(constraint: dict[str, Any]) -> Range | None:
    if not {"exact", "min", "max"} & constraint.keys():
        return None
    exact = constraint.get("exact")
    low = max(constraint.get("min", -math.inf), -math.inf if exact is None else exact)
    high = min(constraint.get("max", math.inf), math.inf if exact is None else exact)
    return (low, high)


def _intersect(first: Range, second: Range) -> Range | None:
    low, high = max(first[0], second[0]), min(first[1], second[1])
    return (low, high) if low <= high else None


def _clamp(value: float, bounds: Range) -> float:
    return min(max(value, bounds[0]), bounds[1])


def _clamp_whole(value: float, bounds: Range) -> int:
    whole = round(_clamp(value, bounds))
    # Rounding may step just outside a fractional bound (a height from an aspect ratio).
    if whole < bounds[0]:
        return math.ceil(bounds[0])
    if whole > bounds[1]:
        return math.floor(bounds[1])
    return whole


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.inf


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
