"""frame_pattern: stamps read back exactly, through codecs and scaling, and nothing else reads."""

from __future__ import annotations

import fractions
import json
import shutil
import subprocess
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import pytest

from rtcshim.media.frame_pattern import Stamp, read, stamp

REPO = Path(__file__).resolve().parent.parent
SIZES = [
    (160, 120), (161, 121), (176, 144), (240, 320), (319, 239), (320, 240), (352, 288), (640, 360),
    (640, 480), (800, 600), (1024, 768), (1280, 720), (1366, 768), (1920, 1080), (1080, 1920),
]
NOW_MS = 1_760_000_000_000

Pixels = npt.NDArray[np.uint8]


def scenery(width: int, height: int, seed: int = 0) -> Pixels:
    """Colour gradients with noise on top, which codecs find hard."""
    x, y = np.meshgrid(np.linspace(0, 255, width), np.linspace(0, 255, height))
    gradients = np.dstack([x, y, 255 - x])
    noise = np.random.default_rng(seed).integers(-40, 40, (height, width, 3))
    return np.clip(gradients + noise, 0, 255).astype(np.uint8)


def stamped(width: int, height: int, counter: int, timestamp_ms: int = NOW_MS) -> Pixels:
    pixels = scenery(width, height, seed=counter)
    stamp(pixels, counter, timestamp_ms)
    return pixels


def codec_round_trip(
    codec: str, frames: list[Pixels], options: dict[str, str], bit_rate: int | None = None
) -> list[Pixels]:
    """Encode `frames` at 30 fps and decode them again, as RGB."""
    height, width = frames[0].shape[:2]
    encoder = av.CodecContext.create(codec, "w")
    assert isinstance(encoder, av.VideoCodecContext)
    encoder.width, encoder.height = width, height
    encoder.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
    encoder.time_base = fractions.Fraction(1, 30)
    if bit_rate:
        encoder.bit_rate = bit_rate
    encoder.options = options
    decoder = av.CodecContext.create({"libvpx": "vp8", "libx264": "h264"}.get(codec, codec), "r")
    assert isinstance(decoder, av.VideoCodecContext)
    packets = []
    for index, pixels in enumerate(frames):
        frame = av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(format=encoder.pix_fmt)
        frame.pts = index
        packets += encoder.encode(frame)
    packets += encoder.encode(None)
    decoded = [frame for packet in packets for frame in decoder.decode(packet)]
    return [rgb_of(frame) for frame in decoded]


def rgb_of(frame: av.VideoFrame) -> Pixels:
    return np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)


# --- stamp and read --------------------------------------------------------------


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_read_returns_what_stamp_wrote(width: int, height: int) -> None:
    for counter, timestamp_ms in [(0, 0), (1, NOW_MS), (2**24 - 1, 2**48 - 1), (0xA5A5A5, NOW_MS + 999)]:
        assert read(stamped(width, height, counter, timestamp_ms)) == Stamp(counter, timestamp_ms)


def test_stamp_draws_only_the_band() -> None:
    pixels = scenery(640, 480)
    original = pixels.copy()
    stamp(pixels, 1, NOW_MS)
    band_height = 3 * 640 // 40
    assert np.array_equal(pixels[band_height:], original[band_height:])
    assert set(np.unique(pixels[:band_height])) == {0, 255}


def test_stamp_keeps_the_low_bits_of_large_numbers() -> None:
    assert read(stamped(320, 240, 2**24 + 5, 2**48 + 7)) == Stamp(5, 7)


def test_stamp_rejects_negative_numbers() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        stamp(scenery(320, 240), -1, NOW_MS)


@pytest.mark.parametrize(("width", "height"), [(1, 1), (159, 600), (100, 100), (1920, 100), (320, 20)])
def test_stamp_leaves_frames_too_small_alone(width: int, height: int) -> None:
    pixels = scenery(width, height)
    original = pixels.copy()
    stamp(pixels, 1, NOW_MS)
    assert np.array_equal(pixels, original)
    assert read(pixels) is None


def test_read_ignores_an_alpha_channel() -> None:
    rgba = np.dstack([stamped(640, 480, 42), np.full((480, 640), 255, np.uint8)])
    assert read(rgba) == Stamp(42, NOW_MS)


@pytest.mark.parametrize(
    ("width", "height"), [(960, 540), (640, 360), (480, 270), (320, 180), (256, 144), (200, 112), (160, 90)]
)
def test_read_survives_scaling_down(width: int, height: int) -> None:
    frame = av.VideoFrame.from_ndarray(stamped(1280, 720, 77), format="rgb24")
    scaled = frame.reformat(width=width, height=height, format="yuv420p", interpolation="BILINEAR")
    assert read(rgb_of(scaled)) == Stamp(77, NOW_MS)


# --- frames without a stamp --------------------------------------------------------


@pytest.mark.parametrize("level", [0, 128, 255])
def test_read_returns_none_on_a_flat_frame(level: int) -> None:
    assert read(np.full((480, 640, 3), level, np.uint8)) is None


def test_read_returns_none_on_unstamped_frames() -> None:
    assert read(scenery(640, 480)) is None
    random = np.random.default_rng(7)
    for width, height in [(160, 120), (320, 240), (640, 480)]:
        for _ in range(100):
            assert read(random.integers(0, 256, (height, width, 3), dtype=np.uint8)) is None
            # Blocky noise has the pattern's own scale, which is harder to tell apart.
            cells = random.integers(0, 2, (height // 8 + 1, width // 8 + 1), dtype=np.uint8) * 255
            blocky = np.repeat(np.repeat(cells, 8, axis=0), 8, axis=1)[:height, :width, None]
            assert read(np.repeat(blocky, 3, axis=2)) is None


def test_read_rejects_a_flipped_bit() -> None:
    for cell in [20, 60, 100, 119]:  # in the counter, the timestamp and the CRC
        pixels = stamped(640, 480, 123)
        column, row = cell % 40, cell // 40
        block = pixels[row * 16 : (row + 1) * 16, column * 16 : (column + 1) * 16]
        block[...] = 255 - block
        assert read(pixels) is None


# --- through real codecs -----------------------------------------------------------

CODEC_CASES = [
    # (width, height, bit rate): modest rates for each size, as WebRTC uses.
    (160, 120, 100_000), (320, 240, 200_000), (640, 480, 400_000), (1280, 720, 1_000_000), (1920, 1080, 2_000_000),
]


@pytest.mark.parametrize(("width", "height", "bit_rate"), CODEC_CASES)
def test_read_survives_vp8(width: int, height: int, bit_rate: int) -> None:
    frames = [stamped(width, height, counter, NOW_MS + counter) for counter in range(8)]
    options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    decoded = codec_round_trip("libvpx", frames, options, bit_rate)
    assert [read(pixels) for pixels in decoded] == [Stamp(counter, NOW_MS + counter) for counter in range(8)]


@pytest.mark.parametrize(("width", "height", "bit_rate"), CODEC_CASES)
def test_read_survives_h264(width: int, height: int, bit_rate: int) -> None:
    assert "libx264" in av.codecs_available, "PyAV's wheel ships libx264; without it this must fail"
    frames = [stamped(width, height, counter, NOW_MS + counter) for counter in range(8)]
    decoded = codec_round_trip("libx264", frames, {"preset": "ultrafast", "tune": "zerolatency"}, bit_rate)
    assert [read(pixels) for pixels in decoded] == [Stamp(counter, NOW_MS + counter) for counter in range(8)]


@pytest.mark.parametrize(("width", "height"), [(160, 120), (640, 480), (1280, 720)])
def test_read_survives_the_worst_mjpeg(width: int, height: int) -> None:
    frames = [stamped(width, height, counter, NOW_MS + counter) for counter in range(3)]
    decoded = codec_round_trip("mjpeg", frames, {"qscale": "31"})
    assert [read(pixels) for pixels in decoded] == [Stamp(counter, NOW_MS + counter) for counter in range(3)]


def test_read_never_misreads_a_starved_encoder() -> None:
    """Below any sane bit rate some stamps are lost, but none reads as a wrong number."""
    frames = [stamped(640, 480, counter, NOW_MS + counter) for counter in range(20)]
    decoded = codec_round_trip("libvpx", frames, {"deadline": "realtime", "cpu-used": "8", "qmax": "63"}, 30_000)
    readings = [read(pixels) for pixels in decoded]
    for counter, found in enumerate(readings):
        assert found in (None, Stamp(counter, NOW_MS + counter))


# --- the JavaScript reader -----------------------------------------------------------

NODE_READER = """
const fs = require('fs');
globalThis.window = globalThis;
const [reader, casesPath, pixelsPath] = process.argv.slice(2);
require(reader);
const cases = JSON.parse(fs.readFileSync(casesPath, 'utf8'));
const pixels = fs.readFileSync(pixelsPath);
const results = cases.map(({width, height, offset}) => window.readFramePattern({
  width, height, data: new Uint8ClampedArray(pixels.buffer, pixels.byteOffset + offset, width * height * 4),
}));
console.log(JSON.stringify(results));
"""


def test_javascript_reader_agrees_with_python(tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node is not None, "Node.js runs static/frame-pattern.js here (test_code_quality needs it too)"
    frames = [stamped(width, height, index, NOW_MS + index) for index, (width, height) in enumerate(SIZES)]
    frames += codec_round_trip(
        "libvpx", [stamped(320, 240, counter, NOW_MS) for counter in range(3)], {"deadline": "realtime"}, 150_000
    )
    scaled = av.VideoFrame.from_ndarray(stamped(1280, 720, 5), format="rgb24").reformat(width=480, height=270)
    frames.append(rgb_of(scaled))
    frames += [scenery(640, 480), np.zeros((120, 160, 3), np.uint8), scenery(100, 80)]
    corrupted = stamped(640, 480, 9)
    corrupted[16:32, 0:16] = 255 - corrupted[16:32, 0:16]  # a counter cell
    frames.append(corrupted)

    cases, offset = [], 0
    with (tmp_path / "pixels.rgba").open("wb") as pixel_file:
        for pixels in frames:
            height, width = pixels.shape[:2]
            rgba = np.dstack([pixels, np.full((height, width), 255, np.uint8)])
            pixel_file.write(rgba.tobytes())
            cases.append({"width": width, "height": height, "offset": offset})
            offset += rgba.nbytes
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    (tmp_path / "reader.js").write_text(NODE_READER)
    result = subprocess.run(
        [node, str(tmp_path / "reader.js"), str(REPO / "static" / "frame-pattern.js"),
         str(tmp_path / "cases.json"), str(tmp_path / "pixels.rgba")],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr

    expected = [read(pixels) for pixels in frames]
    assert expected.count(None) == 4
    assert json.loads(result.stdout) == [
        None if found is None else {"counter": found.counter, "timestamp": found.timestamp_ms} for found in expected
    ]
