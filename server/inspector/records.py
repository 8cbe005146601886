"""What the inspector keeps of one session and of one peer connection: the state timeline,
the API calls and events (as webrtc-internals' update log lists them), the descriptions,
data channels and tracks as last seen, and the stats samples. Read from the dispatchers
themselves (server/dispatchers/) while they live; frozen as last seen once disposed."""

from __future__ import annotations

import json
from collections import deque
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ..dispatchers.data_channel import DataChannelDispatcher
from .sdp_view import sdp_sections
from .stats_history import StatsHistory, iso_time

if TYPE_CHECKING:
    from ..dispatchers.media_stream_track import MediaTrackDispatcher
    from ..dispatchers.peer_connection import PeerConnectionDispatcher

# Bounds on what one peer connection keeps: its log (the oldest entries go first), the
# characters of one entry's value, its state changes, its chart points (one a second).
LOG_ENTRIES = 500
VALUE_CHARS = 2000
STATE_CHANGES = 200
CHART_POINTS = 300

INITIAL_STATES = {"signalingState": "stable", "iceGatheringState": "new", "iceConnectionState": "new",
                  "connectionState": "new"}
STATES = {  # the inspector's names (webrtc-pc's attributes) -> the dispatcher's attributes
    "signalingState": "signaling_state", "iceGatheringState": "ice_gathering_state",
    "iceConnectionState": "ice_connection_state", "connectionState": "connection_state",
}


def summarised(value: Any) -> str:
    """JSON of `value`, cut to VALUE_CHARS (an entry's SDP can be long)."""
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= VALUE_CHARS else text[:VALUE_CHARS] + f"… ({len(text)} characters)"


@dataclass(frozen=True)
class LogEntry:
    """A call the page made (`kind` "call", `outcome` "resolved…" or "rejected…") or an
    event the server sent it ("event", no outcome); `time` in ms since the epoch."""

    time: float
    kind: str
    name: str
    value: str
    outcome: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def track_view(track: MediaTrackDispatcher | None) -> dict[str, Any] | None:
    if track is None:
        return None
    return {"id": track.track_id, "label": track.label, "kind": track.kind,
            "readyState": "ended" if track.ended else "live", "muted": track.muted, "enabled": track.enabled}


def channel_view(channel: DataChannelDispatcher) -> dict[str, Any]:
    data_channel = channel.data_channel
    return {"handle": channel.guid, "label": data_channel.label, "id": data_channel.id,
            "protocol": data_channel.protocol, "ordered": data_channel.ordered, "readyState": channel.ready_state,
            "messagesSent": channel.messages_sent, "bytesSent": channel.bytes_sent,
            "messagesReceived": channel.messages_received, "bytesReceived": channel.bytes_received,
            "bufferedAmount": channel.buffered_amount}


class SessionRecord:
    """One page's bridge: its origin, when it opened and closed, its peer connections and
    its own calls (getUserMedia, createPeerConnection)."""

    def __init__(self, session_id: str, origin: str | None, opened_at: float, seen_from_start: bool) -> None:
        self.id = session_id
        self.origin = origin
        self.opened_at = opened_at
        self.seen_from_start = seen_from_start
        self.closed_at: float | None = None
        self.peer_connections: list[str] = []
        self.log: deque[LogEntry] = deque(maxlen=LOG_ENTRIES)
        self.new_log: list[LogEntry] = []  # not yet sent to the viewers

    def add_log(self, entry: LogEntry) -> None:
        self.log.append(entry)
        self.new_log.append(entry)

    def view(self) -> dict[str, Any]:
        """Without the log (sent as it comes)."""
        return {"id": self.id, "origin": self.origin, "openedAt": self.opened_at, "closedAt": self.closed_at,
                "seenFromStart": self.seen_from_start, "peerConnections": list(self.peer_connections)}


class PeerConnectionRecord:
    def __init__(self, dispatcher: PeerConnectionDispatcher, now: float, seen_from_start: bool) -> None:
        """`seen_from_start`: recorded since it was made (the registry says so from inside
        Dispatcher.__init__, before the connection's own attributes exist: nothing is read
        of it until its first call or event); else since the inspector opened (read now)."""
        self.handle = dispatcher.guid
        self.session_id = dispatcher.session.id
        self.dispatcher: PeerConnectionDispatcher | None = dispatcher
        self.created_at = now
        self.seen_from_start = seen_from_start
        self.closed_at: float | None = None
        self.configuration: dict[str, Any] = {}
        self.states = dict(INITIAL_STATES)
        self.timeline: deque[dict[str, Any]] = deque(
            ({"time": now, "state": name, "value": value} for name, value in self.states.items()),
            maxlen=STATE_CHANGES)
        self.log: deque[LogEntry] = deque(maxlen=LOG_ENTRIES)
        self.descriptions: dict[str, Any] = {}
        self.transceivers: list[dict[str, Any]] = []
        self.channels: dict[str, DataChannelDispatcher | dict[str, Any]] = {}
        self.stats: dict[str, Any] | None = None  # stats_view.summary of the last report
        self.last_report: dict[str, dict[str, Any]] = {}
        self.points: deque[dict[str, Any]] = deque(maxlen=CHART_POINTS)
        self.history = StatsHistory()
        # Not yet sent to the viewers (the feed takes them).
        self.new_log: list[LogEntry] = []
        self.new_points: list[dict[str, Any]] = []
        if not seen_from_start:
            self.refresh(now)

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    def add_log(self, entry: LogEntry) -> None:
        self.log.append(entry)
        self.new_log.append(entry)

    def add_channel(self, channel: DataChannelDispatcher) -> None:
        self.channels[channel.guid] = channel

    def channel_gone(self, channel: DataChannelDispatcher) -> None:
        """A disposed channel keeps its last counters; to its page it is closed (pc.close()
        closes its channels at once, before aiortc's do)."""
        if channel.guid in self.channels:
            self.channels[channel.guid] = {**channel_view(channel), "readyState": "closed"}

    def refresh(self, now: float) -> None:
        """Read the connection again: its state changes join the timeline."""
        dispatcher = self.dispatcher
        if dispatcher is None:
            return
        for name, attribute in STATES.items():
            self._set_state(name, getattr(dispatcher, attribute), now)
        self.configuration = dispatcher.configuration
        self.descriptions = dict(dispatcher.descriptions)
        self.transceivers = [{
            "handle": transceiver.guid, "mid": transceiver.transceiver.mid, "kind": transceiver.transceiver.kind,
            "direction": transceiver.transceiver.direction,
            "currentDirection": transceiver.transceiver.currentDirection,
            "sender": track_view(transceiver.sender_track), "receiver": track_view(transceiver.receiver_track),
        } for transceiver in dispatcher.transceivers.values()]

    def _set_state(self, name: str, value: str, now: float) -> None:
        if self.states[name] != value:
            self.states[name] = value
            self.timeline.append({"time": now, "state": name, "value": value})

    def close(self, now: float) -> None:
        """Disposed (pc.close(), or its page went): webrtc-pc's closed states, and the last view kept."""
        self.refresh(now)
        for name in ("signalingState", "iceConnectionState", "connectionState"):
            self._set_state(name, "closed", now)
        self.closed_at = now
        self.dispatcher = None

    def add_report(self, report: list[dict[str, Any]], summary: dict[str, Any]) -> None:
        self.stats = summary
        self.last_report = {entry["id"]: entry for entry in report}
        self.history.add(report)
        self.points.append(summary["point"])
        self.new_points.append(summary["point"])

    def tracks(self) -> list[dict[str, Any]]:
        """The transceivers' tracks, each with its RTP stream's rates (by mid and direction)."""
        streams = (self.stats or {}).get("streams", [])
        tracks = []
        for transceiver in self.transceivers:
            rates = {stream["direction"]: stream for stream in streams if stream["mid"] == transceiver["mid"]
                     and stream["kind"] == transceiver["kind"]}
            tracks.append({**transceiver, "sent": rates.get("send"), "received": rates.get("receive")})
        return tracks

    def view(self) -> dict[str, Any]:
        """What the page shows, without the log and the chart points (sent as they come)."""
        local = self.descriptions.get("pendingLocalDescription") or self.descriptions.get("currentLocalDescription")
        remote = self.descriptions.get("pendingRemoteDescription") or self.descriptions.get(
            "currentRemoteDescription")
        stats = self.stats or {}
        return {
            "handle": self.handle, "session": self.session_id, "createdAt": self.created_at,
            "closedAt": self.closed_at, "seenFromStart": self.seen_from_start, "configuration": self.configuration,
            "states": dict(self.states), "timeline": list(self.timeline),
            "localDescription": _described(local), "remoteDescription": _described(remote),
            "dataChannels": [channel if isinstance(channel, dict) else channel_view(channel)
                             for channel in self.channels.values()],
            "tracks": self.tracks(), "candidates": stats.get("candidates", []), "pairs": stats.get("pairs", []),
            "statsTimestamp": stats.get("timestamp"),
        }

    def dump(self, origin: str | None) -> dict[str, Any]:
        """The export: webrtc-internals' fields for one connection (url, rtcConfiguration,
        updateLog, stats), then the inspector's own views."""
        return {
            "url": origin, "rtcConfiguration": self.configuration,
            "updateLog": [{"time": iso_time(entry.time), "type": entry.name,
                           "value": entry.value if entry.outcome is None else f"{entry.value} -> {entry.outcome}"}
                          for entry in self.log],
            "stats": self.history.dump(),
            **self.view(), "log": [entry.to_json() for entry in self.log], "chart": list(self.points),
            "lastReport": list(self.last_report.values()),
        }


def _described(description: dict[str, str] | None) -> dict[str, Any] | None:
    if description is None:
        return None
    return {"type": description["type"], "sdp": description["sdp"], "sections": sdp_sections(description["sdp"])}
