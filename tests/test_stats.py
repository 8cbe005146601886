"""The stats builder's pieces that need no connection: selection, ids, media meters."""

from __future__ import annotations

import fractions

import av
import numpy

from rtcshim.media_meter import MediaMeter
from rtcshim.stats import StatsIds, select


def test_select_follows_references_transitively() -> None:
    stats = {
        "O": {"id": "O", "type": "outbound-rtp", "transportId": "T", "codecId": "C", "remoteId": "R"},
        "R": {"id": "R", "type": "remote-inbound-rtp", "localId": "O"},
        "C": {"id": "C", "type": "codec", "transportId": "T"},
        "T": {"id": "T", "type": "transport", "selectedCandidatePairId": "CP"},
        "CP": {"id": "CP", "type": "candidate-pair", "localCandidateId": "L", "remoteCandidateId": "missing"},
        "L": {"id": "L", "type": "local-candidate"},
        "I": {"id": "I", "type": "inbound-rtp", "transportId": "T"},
        "D": {"id": "D", "type": "data-channel"},
    }
    assert sorted(entry["id"] for entry in select(stats, ["O"])) == ["C", "CP", "L", "O", "R", "T"]
    assert select(stats, ["unknown"]) == []


def test_stats_ids_are_stable_and_numbered_per_prefix() -> None:
    ids = StatsIds()
    names = [ids.name("a", "D"), ids.name("b", "D"), ids.name("a", "D"), ids.name("a", "SA")]
    assert names == ["D1", "D2", "D1", "SA1"]


def test_media_meter_counts_video_frames_and_size() -> None:
    meter = MediaMeter()
    for _ in range(3):
        meter.count(av.VideoFrame(320, 240, "yuv420p"))
    assert meter.video_stats("framesEncoded") == {
        "framesEncoded": 3, "frameWidth": 320, "frameHeight": 240, "framesPerSecond": 3}
    assert meter.video_stats("frames", size_prefix="")["width"] == 320


def test_media_meter_measures_audio_level_and_energy() -> None:
    meter = MediaMeter()
    rate, samples = 48000, 960
    tone = (numpy.sin(2 * numpy.pi * 440 * numpy.arange(samples) / rate) * 16384).astype(numpy.int16)
    for _ in range(50):  # one second
        frame = av.AudioFrame.from_ndarray(tone.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        frame.time_base = fractions.Fraction(1, rate)
        meter.count(frame)
    stats = meter.audio_stats()
    # A half-scale sine: RMS 0.5 / sqrt(2); energy is its square over one second.
    assert abs(stats["audioLevel"] - 0.5 / numpy.sqrt(2)) < 0.001
    assert abs(stats["totalSamplesDuration"] - 1.0) < 1e-9
    assert abs(stats["totalAudioEnergy"] - 0.125) < 0.001
    assert meter.samples == rate
