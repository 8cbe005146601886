"""The Recorder: every session and peer connection, kept from the registry's two feeds
(`Registry.subscribe`: created/disposed; `Registry.watch_traffic`: each call answered and
each event sent), for as long as it is started (while someone inspects).

Every call or event of a peer connection (or of one of its objects) is logged, except the
ones that come many times a second (a channel's messages, playback frames, getStats
polls): those only mark the connection changed, so its counters are shown anew. What
changed since the viewers were last told is collected by `take_updates`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..dispatcher import Dispatcher
from ..dispatchers.data_channel import DataChannelDispatcher
from ..dispatchers.peer_connection import PeerConnectionDispatcher
from ..registry import Called, Change, Registry, Traffic
from ..session import Session
from . import stats_view
from .records import LogEntry, PeerConnectionRecord, SessionRecord, summarised

# Closed sessions kept (with their peer connections) for the viewers, and closed peer
# connections kept in a session still open; the oldest goes first.
CLOSED_SESSIONS = 20
CLOSED_PEER_CONNECTIONS_PER_SESSION = 20
# (interface, call or event) that come too often to log.
NOT_LOGGED = {
    ("DataChannel", "send"), ("DataChannel", "bufferedAmountDecrease"), ("DataChannel", "message"),
    ("PeerConnection", "getStats"),
    ("MediaStreamTrack", "videoFrame"), ("MediaStreamTrack", "audioData"), ("MediaStreamTrack", "mediaSegment"),
    ("MediaStreamTrack", "pushVideo"), ("MediaStreamTrack", "pushAudio"), ("Transceiver", "sources"),
}


def now_ms() -> float:
    return time.time() * 1000


def peer_connection_of(target: Dispatcher) -> PeerConnectionDispatcher | None:
    """The peer connection an object belongs to (itself, for one); None for a session's own."""
    owner: Dispatcher | None = target
    while owner is not None and not isinstance(owner, PeerConnectionDispatcher):
        owner = owner.parent
    return owner


def log_entry(traffic: Traffic, now: float) -> LogEntry:
    """webrtc-internals' style: the call with its parameters and outcome, or the event with
    its own (the descriptions an event carries are left to the SDP view)."""
    target = traffic.target
    if isinstance(traffic, Called):
        name = traffic.method
        outcome = (f"rejected: {traffic.error.get('name')}: {traffic.error.get('message')}" if traffic.error
                   else "resolved" + (f": {summarised(traffic.result)}" if traffic.result else ""))
        value, kind = summarised(traffic.params), "call"
    else:
        name, outcome, kind = traffic.event, None, "event"
        params = {key: value for key, value in traffic.params.items() if key != "descriptions"}
        value = summarised(params) if traffic.payload is None else f"{len(traffic.payload)} bytes"
    if not isinstance(target, PeerConnectionDispatcher) and target.parent is not None:
        name = f"{target.interface}.{name}"
    return LogEntry(now, kind, name, value, outcome)


class Recorder:
    def __init__(self, registry: Registry, changed: Callable[[], None] = lambda: None) -> None:
        """`changed` is called whenever there is something new for `take_updates`."""
        self.registry = registry
        self.changed = changed
        self.sessions: dict[str, SessionRecord] = {}
        self.peer_connections: dict[str, PeerConnectionRecord] = {}
        self._changed_sessions: set[str] = set()
        self._changed_peer_connections: set[str] = set()
        self._forgotten: list[dict[str, str]] = []  # {"session": id} or {"peerConnection": handle}
        self._stop: list[Callable[[], None]] = []

    # --- starting and stopping ----------------------------------------------------------

    def start(self) -> None:
        """Record from now on; what lives already is recorded as it is now."""
        if self._stop:
            return
        now = now_ms()
        for session in list(self.registry.sessions.values()):
            self._add_session(session, now, seen_from_start=False)
            for handle in list(session.handles.values()):
                self._created(handle, now, seen_from_start=False)
        self._stop = [self.registry.subscribe(self._on_change), self.registry.watch_traffic(self._on_traffic)]

    def stop(self) -> None:
        for stop in self._stop:
            stop()
        self._stop = []

    @property
    def started(self) -> bool:
        return bool(self._stop)

    # --- the feeds ----------------------------------------------------------------------------

    def _on_change(self, change: Change, subject: Session | Dispatcher) -> None:
        now = now_ms()
        if isinstance(subject, Session):
            if change == "created":
                self._add_session(subject, now, seen_from_start=True)
            else:
                self._session_closed(subject, now)
        elif change == "created":
            self._created(subject, now, seen_from_start=True)
        else:
            self._disposed(subject, now)

    def _on_traffic(self, traffic: Traffic) -> None:
        now = now_ms()
        peer_connection = peer_connection_of(traffic.target)
        name = traffic.method if isinstance(traffic, Called) else traffic.event
        logged = (traffic.target.interface, name) not in NOT_LOGGED
        if peer_connection is None:
            session = self.sessions.get(traffic.target.session.id)
            if session is not None and logged:
                session.add_log(log_entry(traffic, now))
                self._mark_session(session.id)
            return
        record = self.peer_connections.get(peer_connection.guid)
        if record is None or record.closed:
            return
        if logged:  # the others change no state: their counters are read at the next push
            record.add_log(log_entry(traffic, now))
            record.refresh(now)
        self._mark_peer_connection(record.handle)

    def _add_session(self, session: Session, now: float, seen_from_start: bool) -> None:
        if session.id not in self.sessions:
            self.sessions[session.id] = SessionRecord(session.id, session.origin, now, seen_from_start)
            self._mark_session(session.id)

    def _created(self, dispatcher: Dispatcher, now: float, seen_from_start: bool) -> None:
        if isinstance(dispatcher, PeerConnectionDispatcher):
            session = self.sessions.get(dispatcher.session.id)
            if session is None or dispatcher.guid in self.peer_connections:
                return
            self.peer_connections[dispatcher.guid] = PeerConnectionRecord(dispatcher, now, seen_from_start)
            session.peer_connections.append(dispatcher.guid)
            self._mark_session(session.id)
            self._mark_peer_connection(dispatcher.guid)
        elif isinstance(dispatcher, DataChannelDispatcher) and dispatcher.parent is not None:
            # Its parent: its own attributes come after the registry hears of it.
            record = self.peer_connections.get(dispatcher.parent.guid)
            if record is not None:
                record.add_channel(dispatcher)
                self._mark_peer_connection(record.handle)

    def _disposed(self, dispatcher: Dispatcher, now: float) -> None:
        if isinstance(dispatcher, PeerConnectionDispatcher):
            record = self.peer_connections.get(dispatcher.guid)
            if record is not None and not record.closed:
                record.close(now)
                self._mark_peer_connection(record.handle)
                self._forget_closed_peer_connections(record.session_id)
        elif isinstance(dispatcher, DataChannelDispatcher):
            record = self.peer_connections.get(dispatcher.peer_connection.guid)
            if record is not None:
                record.channel_gone(dispatcher)
                self._mark_peer_connection(record.handle)

    def _session_closed(self, session: Session, now: float) -> None:
        record = self.sessions.get(session.id)
        if record is None:
            return
        record.closed_at = now
        for handle in record.peer_connections:  # disposed already; as a fallback, if one was not
            peer_connection = self.peer_connections[handle]
            if not peer_connection.closed:
                peer_connection.close(now)
                self._mark_peer_connection(handle)
        self._mark_session(session.id)
        closed = [session_id for session_id, kept in self.sessions.items() if kept.closed_at is not None]
        for session_id in closed[:max(0, len(closed) - CLOSED_SESSIONS)]:
            self._forget(session_id)

    def _forget(self, session_id: str) -> None:
        record = self.sessions.pop(session_id)
        for handle in record.peer_connections:
            self.peer_connections.pop(handle, None)
            self._changed_peer_connections.discard(handle)
        self._changed_sessions.discard(session_id)
        self._forgotten.append({"session": session_id})
        self.changed()

    def _forget_closed_peer_connections(self, session_id: str) -> None:
        """A page that keeps making and closing connections keeps only its last closed ones."""
        session = self.sessions.get(session_id)
        if session is None:
            return
        closed = [handle for handle in session.peer_connections if self.peer_connections[handle].closed]
        for handle in closed[:max(0, len(closed) - CLOSED_PEER_CONNECTIONS_PER_SESSION)]:
            session.peer_connections.remove(handle)
            del self.peer_connections[handle]
            self._changed_peer_connections.discard(handle)
            self._forgotten.append({"peerConnection": handle})
            self._mark_session(session_id)

    # --- stats ----------------------------------------------------------------------------------

    def live_peer_connections(self) -> list[PeerConnectionDispatcher]:
        return [record.dispatcher for record in self.peer_connections.values()
                if record.dispatcher is not None and not record.dispatcher.closed]

    def add_report(self, handle: str, report: list[dict[str, Any]]) -> None:
        """A getStats report of a live peer connection (the sampler's)."""
        record = self.peer_connections.get(handle)
        if record is None or record.closed:
            return
        record.add_report(report, stats_view.summary(report, record.last_report))
        record.refresh(now_ms())
        self._mark_peer_connection(handle)

    # --- for the viewers -------------------------------------------------------------------------

    def _mark_session(self, session_id: str) -> None:
        self._changed_sessions.add(session_id)
        self.changed()

    def _mark_peer_connection(self, handle: str) -> None:
        self._changed_peer_connections.add(handle)
        self.changed()

    def snapshot(self) -> dict[str, Any]:
        """Everything, for a viewer that just joined."""
        return {"type": "snapshot", "time": now_ms(),
                "sessions": [{**session.view(), "log": [entry.to_json() for entry in session.log]}
                             for session in self.sessions.values()],
                "peerConnections": [{**record.view(), "log": [entry.to_json() for entry in record.log],
                                     "points": list(record.points)} for record in self.peer_connections.values()]}

    def take_updates(self) -> list[dict[str, Any]]:
        """What changed since the last call, as the feed's messages: `forget` (a closed session
        or peer connection no longer kept), `session` and `peerConnection` (its view, and its new log entries and
        chart points)."""
        updates: list[dict[str, Any]] = [{"type": "forget", **forgotten} for forgotten in self._forgotten]
        for session_id in self._changed_sessions:
            session = self.sessions[session_id]
            updates.append({"type": "session", "session": session.view(),
                            "log": [entry.to_json() for entry in session.new_log]})
            session.new_log = []
        for handle in self._changed_peer_connections:
            record = self.peer_connections[handle]
            updates.append({"type": "peerConnection", "peerConnection": record.view(),
                            "log": [entry.to_json() for entry in record.new_log], "points": record.new_points})
            record.new_log, record.new_points = [], []
        self._forgotten.clear()
        self._changed_sessions.clear()
        self._changed_peer_connections.clear()
        return updates

    def dump(self) -> dict[str, Any]:
        """The export (docs/inspector.md, "The JSON export")."""
        return {
            "exportedAt": now_ms(),
            "PeerConnections": {record.handle: record.dump(self.sessions[record.session_id].origin)
                                for record in self.peer_connections.values()},
            "sessions": [{**session.view(), "log": [entry.to_json() for entry in session.log]}
                         for session in self.sessions.values()],
        }
