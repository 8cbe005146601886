"""The stats builder: its pieces that need no connection (selection, ids, media meters),
and whole reports of two connections in-process, through the bridge protocol."""

from __future__ import annotations

import fractions
from typing import Any

import av
import numpy

from rtcshim.media.meter import MediaMeter
from rtcshim.serving import ServerThread
from rtcshim.stats import REFERENCES, StatsIds, select

from .fake_page import DATA_CHANNEL_INIT, FakePage, connect_bridge, local_description, new_handle, wait_connected


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


def unresolved_references(stats: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    ids = {entry["id"] for entry in stats}
    return [(entry["id"], key, entry[key]) for entry in stats for key in REFERENCES
            if key in entry and entry[key] not in ids]


def test_get_stats_references_resolve_at_every_step_of_a_negotiation(server: ServerThread) -> None:
    """An audio transceiver and a data channel, offered by one connection to another: each
    report, from the offer to the connected call, names only objects of itself."""
    with connect_bridge(server.url) as websocket:
        page = FakePage(websocket)
        offerer, answerer = page.create_peer_connection(), page.create_peer_connection()
        reports: dict[str, list[dict[str, Any]]] = {}

        def report(step: str, guid: str) -> None:
            reports[step] = page.call(guid, "getStats", {"transceiver": None, "side": None})["result"]["stats"]

        page.call(offerer, "createDataChannel", {"dataChannel": new_handle("DataChannel"), "label": "x",
                                                 "init": DATA_CHANNEL_INIT})
        page.call(offerer, "addTransceiver", {
            "transceiver": new_handle("Transceiver"), "receiverTrack": new_handle("MediaStreamTrack"),
            "receiverTrackId": "receiver-track", "kind": "audio", "track": None,
            "init": {"direction": "sendrecv", "streams": []}})
        report("offerer before the offer", offerer)
        offer = page.call(offerer, "createOffer", {"options": {}})["result"]["description"]
        page.call(offerer, "setLocalDescription", {"description": offer})
        report("offerer with its offer", offerer)
        page.call(answerer, "setRemoteDescription", {"description": local_description(page, offerer)})
        report("answerer with the offer", answerer)
        answer = page.call(answerer, "createAnswer", {})["result"]["description"]
        page.call(answerer, "setLocalDescription", {"description": answer})
        report("answerer with its answer", answerer)
        page.call(offerer, "setRemoteDescription", {"description": local_description(page, answerer)})
        report("offerer with the answer", offerer)
        wait_connected(page, offerer)
        wait_connected(page, answerer)
        report("offerer connected", offerer)
        report("answerer connected", answerer)

    assert {step: unresolved_references(stats) for step, stats in reports.items()} == {
        step: [] for step in reports}
    # Not empty shells: the offerer reports its transport before a pair is selected and
    # after; no codec is reported while no stream refers to it.
    assert {entry["type"] for entry in reports["offerer connected"]} >= {
        "peer-connection", "transport", "candidate-pair", "certificate", "data-channel"}
    assert "codec" not in {entry["type"] for entry in reports["answerer with the offer"]}
    for step, changes in (("offerer with its offer", 0), ("offerer connected", 1)):
        transports = [entry for entry in reports[step] if entry["type"] == "transport"]
        assert transports and all(entry["selectedCandidatePairChanges"] == changes for entry in transports), step
