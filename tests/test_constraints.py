"""Constraint normalising and SelectSettings, without a session or a page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from rtcshim.errors import BridgeTypeError, to_wire
from rtcshim.media.constraints import OverconstrainedError, normalize, select_settings, supported_constraints


@dataclass(frozen=True)
class Device:
    kind: str
    device_id: str
    group_id: str = "group"
    capabilities: dict[str, Any] = field(default_factory=dict)


def camera(device_id: str = "camera", facing_mode: str = "user", **capabilities: Any) -> Device:
    return Device("videoinput", device_id, capabilities={
        "width": {"min": 160, "max": 1920}, "height": {"min": 120, "max": 1080},
        "frameRate": {"min": 1.0, "max": 60.0}, "facingMode": [facing_mode],
        "resizeMode": ["none", "crop-and-scale"], **capabilities,
    })


def microphone(device_id: str = "microphone", **capabilities: Any) -> Device:
    return Device("audioinput", device_id, capabilities={
        "sampleRate": {"min": 8000, "max": 48000}, "sampleSize": {"min": 16, "max": 16},
        "channelCount": {"min": 1, "max": 2}, "echoCancellation": [False],
        "autoGainControl": [False], "noiseSuppression": [False], **capabilities,
    })


def test_normalize_true_is_no_constraint() -> None:
    assert normalize(True) == {}


def test_normalize_bare_values_are_ideal() -> None:
    assert normalize({"width": 320, "facingMode": "user", "echoCancellation": True}) == {
        "width": {"ideal": 320}, "facingMode": {"ideal": ["user"]}, "echoCancellation": {"ideal": True},
    }


def test_normalize_keeps_exact_ideal_min_max() -> None:
    assert normalize({"width": {"min": 320, "ideal": 640, "max": 1280}, "deviceId": {"exact": "a"}}) == {
        "width": {"min": 320, "ideal": 640, "max": 1280}, "deviceId": {"exact": ["a"]},
    }


def test_normalize_truncates_whole_numbers() -> None:
    assert normalize({"width": 320.7, "frameRate": 29.97}) == {
        "width": {"ideal": 320}, "frameRate": {"ideal": 29.97},
    }


def test_normalize_drops_unknown_names_and_nulls() -> None:
    assert normalize({"torch": True, "width": None, "height": {"exact": None, "max": 480}}) == {
        "height": {"max": 480},
    }


def test_normalize_advanced_bare_values_are_exact_and_ideal_is_dropped() -> None:
    assert normalize({"advanced": [{"width": 1280}, {"height": {"ideal": 720, "min": 480}}]}) == {
        "advanced": [{"width": {"exact": 1280}}, {"height": {"min": 480}}],
    }


def test_normalize_is_idempotent() -> None:
    once = normalize({"width": 320, "deviceId": "a", "advanced": [{"facingMode": "user"}]})
    assert normalize(once) == once


def test_normalize_legacy_mandatory_becomes_required() -> None:
    legacy = {"mandatory": {"minWidth": 640, "maxWidth": "1280", "maxFrameRate": 30, "sourceId": "cam2"}}
    assert normalize(legacy) == {
        "width": {"min": 640, "max": 1280}, "frameRate": {"max": 30.0}, "deviceId": {"exact": ["cam2"]},
    }


def test_normalize_legacy_optional_becomes_advanced_sets_in_order() -> None:
    legacy = {"optional": [{"minWidth": 1280}, {"sourceId": "cam2"}, {"googEchoCancellation": "false"}]}
    assert normalize(legacy) == {"advanced": [
        {"width": {"min": 1280}}, {"deviceId": {"exact": ["cam2"]}}, {"echoCancellation": {"exact": False}},
    ]}


def test_normalize_legacy_ignores_unknown_names() -> None:
    legacy = {"mandatory": {"chromeMediaSource": "screen", "googLeakyBucket": True}, "optional": [{"googCpu": 1}]}
    assert normalize(legacy) == {}


def test_normalize_legacy_mixed_with_modern_raises_type_error() -> None:
    with pytest.raises(BridgeTypeError, match="cannot mix"):
        normalize({"mandatory": {"minWidth": 640}, "width": 640})


@pytest.mark.parametrize("constraints", [
    {"width": "640"},
    {"width": {"min": "320"}},
    {"frameRate": True},
    # Beyond a double (JSON allows it; JavaScript reads Infinity): not finite.
    {"width": 10**400},
    {"height": {"ideal": -(10**400)}},
    {"deviceId": 5},
    {"echoCancellation": "yes"},
    {"advanced": {"width": 640}},
    {"advanced": [640]},
    {"mandatory": {"minWidth": "wide"}},
    {"mandatory": [{"minWidth": 640}]},
    {"optional": {"minWidth": 640}},
    False,
    5,
    "video",
])
def test_normalize_malformed_raises_type_error(constraints: Any) -> None:
    with pytest.raises(BridgeTypeError):
        normalize(constraints)


def test_normalize_min_above_max_is_not_a_type_error() -> None:
    assert normalize({"width": {"min": 800, "max": 600}}) == {"width": {"min": 800, "max": 600}}
    with pytest.raises(OverconstrainedError) as raised:
        select_settings({"width": {"min": 800, "max": 600}}, [camera()])
    assert raised.value.constraint == "width"


def test_select_settings_true_gives_default_camera_settings() -> None:
    device, settings = select_settings(True, [camera("first"), camera("second")])
    assert device.device_id == "first"
    assert settings == {
        "deviceId": "first", "groupId": "group", "width": 640, "height": 480, "frameRate": 30.0,
        "aspectRatio": 4 / 3, "facingMode": "user", "resizeMode": "none",
    }


def test_select_settings_device_without_capabilities_gives_defaults() -> None:
    _, settings = select_settings({"width": 1280}, [Device("videoinput", "fixed", capabilities={"width": None})])
    assert (settings["width"], settings["height"], settings["frameRate"]) == (640, 480, 30.0)
    assert "facingMode" not in settings


def test_select_settings_device_id_exact_selects_that_device() -> None:
    device, settings = select_settings({"deviceId": {"exact": "second"}}, [camera("first"), camera("second")])
    assert device.device_id == settings["deviceId"] == "second"


def test_select_settings_device_id_in_capabilities_is_the_device_id() -> None:
    _, settings = select_settings({"deviceId": {"exact": "cam"}}, [camera("cam", deviceId="cam")])
    assert settings["deviceId"] == "cam"


def test_select_settings_device_id_ideal_prefers_that_device() -> None:
    device, _ = select_settings({"deviceId": "second"}, [camera("first"), camera("second")])
    assert device.device_id == "second"


def test_select_settings_unknown_exact_device_id_is_overconstrained() -> None:
    with pytest.raises(OverconstrainedError) as raised:
        select_settings({"deviceId": {"exact": "nope"}}, [camera("first"), camera("second")])
    assert raised.value.constraint == "deviceId"
    assert to_wire(raised.value)["name"] == "OverconstrainedError"


def test_select_settings_width_exact_320_gives_320x240() -> None:
    _, settings = select_settings({"width": {"exact": 320}}, [camera()])
    assert (settings["width"], settings["height"], settings["aspectRatio"]) == (320, 240, 4 / 3)


def test_select_settings_height_alone_follows_4_3() -> None:
    _, settings = select_settings({"height": 720}, [camera()])
    assert (settings["width"], settings["height"]) == (960, 720)


def test_select_settings_aspect_ratio_ideal_shapes_height() -> None:
    _, settings = select_settings({"width": 1280, "aspectRatio": 16 / 9}, [camera()])
    assert (settings["width"], settings["height"]) == (1280, 720)


def test_select_settings_aspect_ratio_exact_overrides_ideal_height() -> None:
    _, settings = select_settings({"width": 640, "height": 100, "aspectRatio": {"exact": 16 / 9}}, [camera()])
    assert (settings["width"], settings["height"]) == (640, 360)


def test_select_settings_min_above_capability_max_is_overconstrained() -> None:
    with pytest.raises(OverconstrainedError) as raised:
        select_settings({"width": {"min": 320}, "height": {"min": 2160}}, [camera()])
    assert raised.value.constraint == "height"


def test_select_settings_facing_mode_exact_environment_with_user_cameras_is_overconstrained() -> None:
    with pytest.raises(OverconstrainedError) as raised:
        select_settings({"facingMode": {"exact": "environment"}}, [camera("a"), camera("b")])
    assert raised.value.constraint == "facingMode"


def test_select_settings_different_failures_blame_no_constraint() -> None:
    devices = [camera("a", facing_mode="user"), camera("b", facing_mode="environment")]
    with pytest.raises(OverconstrainedError) as raised:
        select_settings({"deviceId": {"exact": "a"}, "facingMode": {"exact": "environment"}}, devices)
    assert raised.value.constraint == ""


def test_select_settings_ideal_facing_mode_prefers_matching_camera() -> None:
    devices = [camera("front", facing_mode="user"), camera("back", facing_mode="environment")]
    device, settings = select_settings({"facingMode": "environment"}, devices)
    assert device.device_id == "back"
    assert settings["facingMode"] == "environment"


def test_select_settings_ideal_out_of_range_clamps() -> None:
    _, settings = select_settings({"width": 4096, "height": 2160, "frameRate": 120}, [camera()])
    assert (settings["width"], settings["height"], settings["frameRate"]) == (1920, 1080, 60.0)


def test_select_settings_ideal_clamps_into_required_range() -> None:
    _, settings = select_settings({"width": {"ideal": 1920, "max": 800}}, [camera()])
    assert (settings["width"], settings["height"]) == (800, 600)


def test_select_settings_frame_rate_ideal_and_exact() -> None:
    _, ideal = select_settings({"frameRate": 15}, [camera()])
    _, exact = select_settings({"frameRate": {"exact": 24}}, [camera()])
    assert (ideal["frameRate"], exact["frameRate"]) == (15.0, 24.0)


def test_select_settings_ideal_picks_the_closer_device() -> None:
    small = camera("small", width={"min": 160, "max": 640}, height={"min": 120, "max": 480})
    device, settings = select_settings({"width": 1280}, [small, camera("large")])
    assert device.device_id == "large"
    assert (settings["width"], settings["height"]) == (1280, 960)


def test_select_settings_advanced_sets_apply_in_order_when_satisfiable() -> None:
    constraints = {"advanced": [{"width": 4096}, {"width": {"min": 1280}}, {"width": {"max": 1000}}]}
    _, settings = select_settings(constraints, [camera()])
    assert settings["width"] == 1280


def test_select_settings_advanced_device_id_overrides_ideal() -> None:
    devices = [camera("front", facing_mode="user"), camera("back", facing_mode="environment")]
    device, _ = select_settings({"facingMode": "user", "advanced": [{"deviceId": "back"}]}, devices)
    assert device.device_id == "back"


def test_select_settings_legacy_source_id_chooses_second_device() -> None:
    devices = [camera("first"), camera("second")]
    device, _ = select_settings(normalize({"optional": [{"sourceId": "second"}]}), devices)
    assert device.device_id == "second"
    device, _ = select_settings({"mandatory": {"sourceId": "second"}}, devices)
    assert device.device_id == "second"


def test_select_settings_legacy_mandatory_size() -> None:
    legacy = {"mandatory": {"minWidth": 1280, "maxWidth": 1280, "minHeight": 720, "maxHeight": 720}}
    _, settings = select_settings(legacy, [camera()])
    assert (settings["width"], settings["height"], settings["aspectRatio"]) == (1280, 720, 16 / 9)


def test_select_settings_audio_defaults() -> None:
    device, settings = select_settings(True, [microphone()])
    assert device.device_id == "microphone"
    assert settings == {
        "deviceId": "microphone", "groupId": "group", "sampleRate": 48000, "sampleSize": 16,
        "channelCount": 1, "echoCancellation": False, "autoGainControl": False, "noiseSuppression": False,
    }


def test_select_settings_audio_ideals_within_capabilities() -> None:
    _, settings = select_settings({"sampleRate": 16000, "channelCount": 2, "echoCancellation": True}, [microphone()])
    assert (settings["sampleRate"], settings["channelCount"], settings["echoCancellation"]) == (16000, 2, False)


def test_select_settings_audio_exact_boolean_not_offered_is_overconstrained() -> None:
    with pytest.raises(OverconstrainedError) as raised:
        select_settings({"echoCancellation": {"exact": True}}, [microphone()])
    assert raised.value.constraint == "echoCancellation"


def test_select_settings_video_constraints_on_audio_are_ignored_unless_required() -> None:
    _, settings = select_settings({"width": 640}, [microphone()])
    assert "width" not in settings
    with pytest.raises(OverconstrainedError) as raised:
        select_settings({"width": {"min": 640}}, [microphone()])
    assert raised.value.constraint == "width"


def test_select_settings_without_devices_raises_value_error() -> None:
    with pytest.raises(ValueError, match="NotFoundError"):
        select_settings(True, [])


def test_supported_constraints_lists_what_select_settings_understands() -> None:
    supported = supported_constraints()
    assert all(value is True for value in supported.values())
    assert {"width", "height", "aspectRatio", "frameRate", "facingMode", "resizeMode", "deviceId", "groupId",
            "sampleRate", "sampleSize", "channelCount", "echoCancellation", "autoGainControl",
            "noiseSuppression"} == supported.keys()
