"""The live WebM stream an engine without MediaStream plays through MSE (media/webm_playback.py).

What the server sends is decoded back with FFmpeg, as the page's MSE would: every frame
arrives, in order, on the session's clock, and a new frame size starts a new stream.
"""

from __future__ import annotations

import io
import itertools

import av
import numpy as np

from rtcshim.media.webm_playback import LiveWebm


def video_frame(width: int, height: int, level: int) -> av.VideoFrame:
    return av.VideoFrame.from_ndarray(np.full((height, width, 3), level, np.uint8), format="rgb24")


def tone_frame(index: int, samples: int = 960) -> av.AudioFrame:
    """The `index`th 20 ms of a steady 440 Hz tone."""
    wave = np.sin(np.arange(index * samples, (index + 1) * samples) * 2 * np.pi * 440 / 48000) * 8000
    frame = av.AudioFrame.from_ndarray(wave.astype(np.int16).reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = 48000
    return frame


def decoded(data: bytes) -> list[av.VideoFrame | av.AudioFrame]:
    with av.open(io.BytesIO(data)) as container:
        return list(container.decode(container.streams[0]))


def test_video_frames_arrive_in_order_on_the_session_clock() -> None:
    seconds = itertools.count(10.0, 0.033)
    stream = LiveWebm("video", lambda: next(seconds))
    chunks = [stream.encode(video_frame(320, 240, level)) for level in range(0, 250, 10)]
    assert chunks[0].startswith(b"\x1a\x45\xdf\xa3"), "the first chunk opens with the EBML header"
    frames = decoded(b"".join(chunks))
    # The muxer holds a frame until the next one begins its cluster.
    assert len(frames) >= len(chunks) - 1
    assert [frame.width for frame in frames] == [320] * len(frames)
    times = [frame.time for frame in frames]
    assert times == sorted(times) and abs(times[0] - 10.0) < 0.01
    levels = [int(frame.to_ndarray(format="rgb24").mean()) for frame in frames]
    assert all(abs(level - expected) <= 3 for level, expected in zip(levels, range(0, 250, 10), strict=False))


def test_a_new_frame_size_starts_a_new_stream() -> None:
    stream = LiveWebm("video", lambda: 1.0)
    for _ in range(3):
        stream.encode(video_frame(320, 240, 100))
    restarted = stream.encode(video_frame(640, 480, 100)) + stream.encode(video_frame(640, 480, 100))
    # The old stream's last frame, then a header: MSE takes a new one in the same SourceBuffer.
    header = restarted.find(b"\x1a\x45\xdf\xa3")
    assert header >= 0
    assert {(frame.width, frame.height) for frame in decoded(restarted[header:])} == {(640, 480)}


def test_same_clock_reading_still_gives_increasing_timestamps() -> None:
    stream = LiveWebm("video", lambda: 2.0)
    frames = decoded(b"".join(stream.encode(video_frame(160, 120, 50)) for _ in range(6)))
    times = [frame.time for frame in frames]
    assert len(set(times)) == len(times) and times == sorted(times)


def test_audio_is_vorbis_whose_timeline_is_the_sample_count() -> None:
    stream = LiveWebm("audio", lambda: 5.0)
    data = b"".join(stream.encode(tone_frame(index)) for index in range(100))  # 2 s of 20 ms frames
    assert stream.mime_type == 'audio/webm; codecs="vorbis"'
    frames = decoded(data)
    assert frames and all(frame.sample_rate == 48000 for frame in frames)
    samples = np.concatenate([frame.to_ndarray()[0] for frame in frames])
    spectrum = np.abs(np.fft.rfft(samples))
    assert abs(np.argmax(spectrum[1:]) + 1 - 440 * len(samples) / 48000) <= 2, "the tone survives"
    assert 4.9 < frames[0].time < 5.2 and frames[-1].time < 5.0 + 2.0
