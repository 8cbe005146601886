"""What the inspector shows of a getStats report (server/stats.py's, the page's own): the
candidates and pairs, each RTP stream with its frame rate and bitrate, and one point of
each chart. Rates are the change since the previous report, per second of its timestamps."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Stats = dict[str, Any]

BYTES_CHART = "bytes/s"
PACKETS_CHART = "packets/s"
RTT_CHART = "round-trip time (ms)"
FPS_CHART = "frames/s"
BITRATE_CHART = "media kbit/s"
MESSAGES_CHART = "data channel messages/s"


def by_id(report: Iterable[Stats]) -> dict[str, Stats]:
    return {entry["id"]: entry for entry in report}


def rate(entry: Stats, previous: dict[str, Stats], field: str) -> float | None:
    """`field`'s change per second since the previous report; None without one."""
    before = previous.get(entry["id"])
    if before is None or field not in entry or field not in before:
        return None
    seconds = (entry["timestamp"] - before["timestamp"]) / 1000
    if seconds <= 0:
        return None
    change = float(entry[field] - before[field]) / seconds
    return change if change > 0 else 0.0


def summary(report: list[Stats], previous: dict[str, Stats]) -> dict[str, Any]:
    """`candidates`, `pairs` (the selected ones flagged), `streams` and the charts' `point`."""
    stats = by_id(report)
    selected = {entry.get("selectedCandidatePairId") for entry in report if entry["type"] == "transport"}
    candidates = [_candidate(entry) for entry in report if entry["type"] in ("local-candidate", "remote-candidate")]
    pairs = [_pair(entry, stats, entry["id"] in selected) for entry in report if entry["type"] == "candidate-pair"]
    streams = [_stream(entry, stats, previous) for entry in report if entry["type"] in ("outbound-rtp", "inbound-rtp")]
    timestamp = max((entry["timestamp"] for entry in report), default=0)
    return {"timestamp": timestamp, "candidates": candidates, "pairs": pairs, "streams": streams,
            "point": {"t": timestamp, "charts": _charts(report, previous, pairs, streams)}}


def _candidate(entry: Stats) -> Stats:
    return {"id": entry["id"], "side": "remote" if entry["type"] == "remote-candidate" else "local",
            "type": entry.get("candidateType"), "protocol": entry.get("protocol"),
            "address": entry.get("address"), "port": entry.get("port"), "priority": entry.get("priority")}


def _describe_candidate(entry: Stats | None) -> str:
    if entry is None:
        return "?"
    return f"{entry.get('protocol')} {entry.get('address')}:{entry.get('port')} {entry.get('candidateType')}"


def _pair(entry: Stats, stats: dict[str, Stats], selected: bool) -> Stats:
    round_trip = entry.get("currentRoundTripTime")
    return {"id": entry["id"], "transportId": entry.get("transportId"), "selected": selected,
            "local": _describe_candidate(stats.get(entry.get("localCandidateId", ""))),
            "remote": _describe_candidate(stats.get(entry.get("remoteCandidateId", ""))),
            "state": entry.get("state"), "nominated": entry.get("nominated"),
            "rttMs": None if round_trip is None else round(round_trip * 1000, 1),
            "bytesSent": entry.get("bytesSent"), "bytesReceived": entry.get("bytesReceived")}


def _stream(entry: Stats, stats: dict[str, Stats], previous: dict[str, Stats]) -> Stats:
    sending = entry["type"] == "outbound-rtp"
    bytes_field, frames_field = ("bytesSent", "framesEncoded") if sending else ("bytesReceived", "framesDecoded")
    byte_rate = rate(entry, previous, bytes_field)
    fps = entry.get("framesPerSecond")
    if fps is None and entry.get("kind") == "video":
        fps = rate(entry, previous, frames_field)
    source = stats.get(entry.get("mediaSourceId", ""), {})
    codec = stats.get(entry.get("codecId", ""), {})
    width, height = entry.get("frameWidth"), entry.get("frameHeight")
    return {"id": entry["id"], "direction": "send" if sending else "receive", "kind": entry.get("kind"),
            "mid": entry.get("mid"), "ssrc": entry.get("ssrc"),
            "trackIdentifier": entry.get("trackIdentifier") or source.get("trackIdentifier"),
            "codec": codec.get("mimeType"), "fps": None if fps is None else round(fps, 1),
            "kbps": None if byte_rate is None else round(byte_rate * 8 / 1000, 1),
            "frames": entry.get(frames_field), "size": f"{width}x{height}" if width else None,
            "packets": entry.get("packetsSent" if sending else "packetsReceived"),
            "packetsLost": entry.get("packetsLost")}


def _charts(
    report: list[Stats], previous: dict[str, Stats], pairs: list[Stats], streams: list[Stats],
) -> dict[str, dict[str, float]]:
    """Each chart's series values at this report; a series without a value yet is left out."""
    transports = [entry for entry in report if entry["type"] == "transport"]
    channels = [entry for entry in report if entry["type"] == "data-channel"]
    charts: dict[str, dict[str, float]] = {
        BYTES_CHART: _summed(transports, previous, {"sent": "bytesSent", "received": "bytesReceived"}),
        PACKETS_CHART: _summed(transports, previous, {"sent": "packetsSent", "received": "packetsReceived"}),
        MESSAGES_CHART: _summed(channels, previous, {"sent": "messagesSent", "received": "messagesReceived"}),
        RTT_CHART: {f"pair {pair['id']}": pair["rttMs"] for pair in pairs if pair["selected"] and pair["rttMs"]},
        FPS_CHART: {}, BITRATE_CHART: {},
    }
    for stream in streams:
        name = f"{stream['direction']} {stream['kind']} (mid {stream['mid']})"
        if stream["fps"] is not None:
            charts[FPS_CHART][name] = stream["fps"]
        if stream["kbps"] is not None:
            charts[BITRATE_CHART][name] = stream["kbps"]
    return charts


def _summed(entries: list[Stats], previous: dict[str, Stats], fields: dict[str, str]) -> dict[str, float]:
    values: dict[str, float] = {}
    for name, field in fields.items():
        rates = [value for entry in entries if (value := rate(entry, previous, field)) is not None]
        if rates:
            values[name] = round(sum(rates), 1)
    return values
