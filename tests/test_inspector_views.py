"""The inspector's readings of SDP and of getStats reports (server/inspector/sdp_view.py,
stats_view.py, stats_history.py): no server, no browser."""

from __future__ import annotations

import json

from rtcshim.inspector import stats_history, stats_view
from rtcshim.inspector.sdp_view import sdp_sections
from rtcshim.inspector.stats_history import StatsHistory

SDP = "\r\n".join([
    "v=0", "o=- 1 1 IN IP4 0.0.0.0", "s=-", "t=0 0", "a=group:BUNDLE 0 1",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 0", "c=IN IP4 0.0.0.0", "a=mid:0", "a=sendrecv",
    "a=rtpmap:111 opus/48000/2", "a=rtpmap:0 PCMU/8000",
    "a=candidate:1 1 udp 2130706431 10.77.0.1 5000 typ host", "a=candidate:2 1 udp 2130706431 10.77.0.2 5002 typ host",
    "m=video 0 UDP/TLS/RTP/SAVPF 96", "a=mid:1", "a=inactive", "a=rtpmap:96 VP8/90000",
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "a=mid:2", "a=sctp-port:5000",
    "a=candidate:1 1 udp 2130706431 10.77.0.1 5000 typ host", "",
])


def test_sdp_sections_one_per_m_line_headed_by_what_it_negotiates() -> None:
    sections = sdp_sections(SDP)
    assert [section["heading"] for section in sections] == [
        "session",
        "audio · mid 0 · sendrecv · opus/48000/2, PCMU/8000 · 2 candidates",
        "video · mid 1 · rejected (port 0) · inactive · VP8/90000 · 0 candidates",
        "application · mid 2 · SCTP · 1 candidate",
    ]
    assert sections[0]["lines"] == ["v=0", "o=- 1 1 IN IP4 0.0.0.0", "s=-", "t=0 0", "a=group:BUNDLE 0 1"]
    assert sections[1]["lines"][0] == "m=audio 9 UDP/TLS/RTP/SAVPF 111 0"
    # Every line kept, in order, none empty.
    assert [line for section in sections for line in section["lines"]] == SDP.split("\r\n")[:-1]


def transport(timestamp: float, sent: int, received: int) -> dict[str, object]:
    return {"id": "T1", "type": "transport", "timestamp": timestamp, "bytesSent": sent, "bytesReceived": received,
            "packetsSent": sent // 100, "packetsReceived": received // 100, "selectedCandidatePairId": "CP1"}


def report(timestamp: float, sent: int, frames: int) -> list[dict[str, object]]:
    return [
        transport(timestamp, sent, sent * 2),
        {"id": "CP1", "type": "candidate-pair", "timestamp": timestamp, "localCandidateId": "IL",
         "remoteCandidateId": "IR", "state": "succeeded", "nominated": True, "currentRoundTripTime": 0.0125},
        {"id": "CP2", "type": "candidate-pair", "timestamp": timestamp, "localCandidateId": "IL",
         "remoteCandidateId": "IX", "state": "waiting", "nominated": False},
        {"id": "IL", "type": "local-candidate", "timestamp": timestamp, "protocol": "udp", "address": "10.77.0.1",
         "port": 5000, "candidateType": "host", "priority": 1},
        {"id": "IR", "type": "remote-candidate", "timestamp": timestamp, "protocol": "udp", "address": "10.77.0.1",
         "port": 6000, "candidateType": "srflx", "priority": 2},
        {"id": "OTV1", "type": "outbound-rtp", "timestamp": timestamp, "kind": "video", "mid": "1",
         "bytesSent": sent, "framesEncoded": frames, "mediaSourceId": "SV1", "codecId": "CO96",
         "frameWidth": 640, "frameHeight": 480},
        {"id": "SV1", "type": "media-source", "timestamp": timestamp, "trackIdentifier": "camera-track"},
        {"id": "CO96", "type": "codec", "timestamp": timestamp, "mimeType": "video/VP8"},
        {"id": "D1", "type": "data-channel", "timestamp": timestamp, "messagesSent": frames, "messagesReceived": 0},
    ]


def test_summary_flags_the_selected_pair_and_describes_its_candidates() -> None:
    summary = stats_view.summary(report(1000, 0, 0), {})
    selected = [pair for pair in summary["pairs"] if pair["selected"]]
    assert selected == [{"id": "CP1", "transportId": None, "selected": True, "local": "udp 10.77.0.1:5000 host",
                         "remote": "udp 10.77.0.1:6000 srflx", "state": "succeeded", "nominated": True,
                         "rttMs": 12.5, "bytesSent": None, "bytesReceived": None}]
    assert [pair["remote"] for pair in summary["pairs"] if not pair["selected"]] == ["?"]  # not in the report
    assert {(candidate["side"], candidate["port"]) for candidate in summary["candidates"]} == {
        ("local", 5000), ("remote", 6000)}


def test_summary_rates_are_changes_per_second_of_the_reports_timestamps() -> None:
    first = report(1000, 1000, 10)
    second = report(3000, 51000, 70)  # two seconds later
    summary = stats_view.summary(second, stats_view.by_id(first))
    (stream,) = summary["streams"]
    assert stream == {"id": "OTV1", "direction": "send", "kind": "video", "mid": "1", "ssrc": None,
                      "trackIdentifier": "camera-track", "codec": "video/VP8", "fps": 30.0, "kbps": 200.0,
                      "frames": 70, "size": "640x480", "packets": None, "packetsLost": None}
    charts = summary["point"]["charts"]
    assert summary["point"]["t"] == 3000
    assert charts[stats_view.BYTES_CHART] == {"sent": 25000.0, "received": 50000.0}
    assert charts[stats_view.PACKETS_CHART] == {"sent": 250.0, "received": 500.0}
    assert charts[stats_view.RTT_CHART] == {"pair CP1": 12.5}
    assert charts[stats_view.FPS_CHART] == {"send video (mid 1)": 30.0}
    assert charts[stats_view.BITRATE_CHART] == {"send video (mid 1)": 200.0}
    assert charts[stats_view.MESSAGES_CHART] == {"sent": 30.0, "received": 0.0}


def test_summary_without_a_previous_report_has_no_rates() -> None:
    summary = stats_view.summary(report(1000, 1000, 10), {})
    assert summary["streams"][0]["fps"] is None and summary["streams"][0]["kbps"] is None
    assert summary["point"]["charts"][stats_view.BYTES_CHART] == {}


def test_a_counter_that_goes_back_rates_zero_not_negative() -> None:
    later = transport(2000, 10, 10)
    assert stats_view.rate(later, {"T1": transport(1000, 500, 500)}, "bytesSent") == 0.0
    assert stats_view.rate(later, {"T1": transport(2000, 0, 0)}, "bytesSent") is None  # no time passed


def test_stats_history_dumps_series_as_webrtc_internals_does() -> None:
    history = StatsHistory()
    history.add(report(1000, 100, 1))
    history.add(report(2000, 300, 2))
    dump = history.dump()
    assert dump["T1-bytesSent"] == {"statsType": "transport", "startTime": "1970-01-01T00:00:01.000+00:00",
                                    "endTime": "1970-01-01T00:00:02.000+00:00", "values": "[100, 300]"}
    assert "CP1-nominated" not in dump  # booleans and strings are not series
    assert "IL-address" not in dump


def test_stats_history_is_bounded() -> None:
    history = StatsHistory()
    for second in range(stats_history.SAMPLES_PER_SERIES + 5):
        history.add([{"id": "P", "type": "peer-connection", "timestamp": second * 1000.0,
                      "dataChannelsOpened": second}])
    values = json.loads(history.dump()["P-dataChannelsOpened"]["values"])
    assert len(values) == stats_history.SAMPLES_PER_SERIES
    assert values[-1] == stats_history.SAMPLES_PER_SERIES + 4
    history.add([{"id": f"X{index}", "type": "codec", "timestamp": 0, "clockRate": 1}
                 for index in range(stats_history.MAX_SERIES + 10)])
    assert len(history.dump()) == stats_history.MAX_SERIES
