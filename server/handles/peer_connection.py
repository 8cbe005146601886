"""A peer connection of a page, from Python: states, descriptions, stats, and its children.

The states and descriptions are the ones the page's RTCPeerConnection shows (the server
tells the page each change: the page is at most one event behind). `wait_for` wakes on the
events that announce them. `data_channels`, `remote_tracks` and `local_tracks` give the
handles of what the connection holds now.
"""

from __future__ import annotations

from typing import Any, Literal, cast

from aiortc import RTCSessionDescription

from .. import stats
from ..dispatchers.data_channel import DataChannelDispatcher
from ..dispatchers.media_stream_track import MediaTrackDispatcher
from ..dispatchers.peer_connection import PeerConnectionDispatcher
from ..dispatchers.transceiver import TransceiverDispatcher
from ..errors import InvalidStateError
from .data_channel import AsyncDataChannel, DataChannel
from .handle import DEFAULT_TIMEOUT, Handle, describe_states
from .reach import Reach
from .track import AsyncTrack, Track

ConnectionState = Literal["new", "connecting", "connected", "disconnected", "failed", "closed"]
IceConnectionState = Literal["new", "checking", "connected", "completed", "disconnected", "failed", "closed"]
IceGatheringState = Literal["new", "gathering", "complete"]
SignalingState = Literal[
    "stable", "have-local-offer", "have-remote-offer", "have-local-pranswer", "have-remote-pranswer", "closed"]
Kind = Literal["audio", "video"]
# A getStats() report: each stats dictionary by its id, as RTCStatsReport maps them.
StatsReport = dict[str, dict[str, Any]]


class _PeerConnectionState(Handle[PeerConnectionDispatcher]):
    @property
    def connection_state(self) -> ConnectionState:
        closed = self._dispatcher.closed
        return "closed" if closed else cast(ConnectionState, self._dispatcher.connection_state)

    @property
    def ice_connection_state(self) -> IceConnectionState:
        closed = self._dispatcher.closed
        return "closed" if closed else cast(IceConnectionState, self._dispatcher.ice_connection_state)

    @property
    def ice_gathering_state(self) -> IceGatheringState:
        return cast(IceGatheringState, self._dispatcher.ice_gathering_state)

    @property
    def signaling_state(self) -> SignalingState:
        return cast(SignalingState, self._dispatcher.signaling_state)

    @property
    def local_description(self) -> RTCSessionDescription | None:
        """The page's `localDescription`: the pending one, else the current one."""
        return self._description("Local")

    @property
    def remote_description(self) -> RTCSessionDescription | None:
        """The page's `remoteDescription`: the pending one, else the current one."""
        return self._description("Remote")

    def _description(self, side: str) -> RTCSessionDescription | None:
        descriptions = self._dispatcher.descriptions
        shown = descriptions[f"pending{side}Description"] or descriptions[f"current{side}Description"]
        return None if shown is None else RTCSessionDescription(sdp=shown["sdp"], type=shown["type"])

    def _states(self) -> dict[str, str]:
        return {"connection_state": self.connection_state, "ice_connection_state": self.ice_connection_state,
                "ice_gathering_state": self.ice_gathering_state, "signaling_state": self.signaling_state}

    def _describe(self) -> str:
        return f" {self.connection_state}"

    def _data_channels(self) -> list[DataChannelDispatcher]:
        return [child for child in list(self._dispatcher.children.values())
                if isinstance(child, DataChannelDispatcher) and not child.disposed]

    def _transceivers(self) -> list[TransceiverDispatcher]:
        return list(self._dispatcher.transceivers.values())


class AsyncPeerConnection(_PeerConnectionState):
    """A page's RTCPeerConnection, for asyncio code (each method runs on the server's loop)."""

    async def wait_for(
        self, *, connection_state: ConnectionState | None = None,
        ice_connection_state: IceConnectionState | None = None,
        ice_gathering_state: IceGatheringState | None = None, signaling_state: SignalingState | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Until every state given has that value at once. A connection that closes first
        raises InvalidStateError; after `timeout` seconds, TimeoutError names the states seen."""
        wanted = {name: value for name, value in (
            ("connection_state", connection_state), ("ice_connection_state", ice_connection_state),
            ("ice_gathering_state", ice_gathering_state), ("signaling_state", signaling_state),
        ) if value is not None}
        if not wanted:
            raise TypeError("wait_for needs at least one state to wait for")

        def reached() -> bool | None:
            states = self._states()
            if all(states[name] == value for name, value in wanted.items()):
                return True
            if self._dispatcher.closed:
                raise InvalidStateError(
                    f"{self.guid} closed while waiting for {describe_states(wanted)}; it has {describe_states(states)}")
            return None

        await self._reach.run(self._reach.watch.until(
            reached, timeout,
            lambda: f"{self.guid} never had {describe_states(wanted)}; it has {describe_states(self._states())}"))

    async def get_stats(self) -> StatsReport:
        """The page's `getStats()` report (webrtc-stats dictionaries, server timestamps)."""
        return await self._reach.run(self._get_stats())

    async def _get_stats(self) -> StatsReport:
        if self._dispatcher.closed:  # as the page's: the peer-connection stats alone
            report = [stats.peer_connection_stats(self._dispatcher)]
        else:
            report = await stats.collect(self._dispatcher)
        return {entry["id"]: entry for entry in report}

    async def data_channels(self) -> list[AsyncDataChannel]:
        """The connection's open and connecting data channels, both sides', oldest first."""
        return await self._reach.read(
            lambda: [AsyncDataChannel(channel, self._reach) for channel in self._data_channels()])

    async def wait_for_data_channel(
        self, label: str | None = None, timeout: float = DEFAULT_TIMEOUT,
    ) -> AsyncDataChannel:
        """The first of `data_channels` labelled `label` (any, if None), once there is one."""
        found = await self._reach.run(self._reach.watch.until(
            lambda: next((channel for channel in self._data_channels() if label in (None, channel.data_channel.label)),
                         None), timeout,
            lambda: f"{self.guid} has no data channel labelled {label!r}; its channels: "
                    f"{[channel.data_channel.label for channel in self._data_channels()]}"))
        return AsyncDataChannel(found, self._reach)

    async def remote_tracks(self, kind: Kind | None = None) -> list[AsyncTrack]:
        """The tracks the connection receives (the page had their `track` events), of `kind`."""
        return await self._reach.read(lambda: [AsyncTrack(track, self._reach) for track in self._remote(kind)])

    async def wait_for_remote_track(self, kind: Kind | None = None, timeout: float = DEFAULT_TIMEOUT) -> AsyncTrack:
        """The first of `remote_tracks(kind)`, once there is one."""
        found = await self._reach.run(self._reach.watch.until(
            lambda: next(iter(self._remote(kind)), None), timeout,
            lambda: f"{self.guid} receives no {kind or 'audio or video'} track"))
        return AsyncTrack(found, self._reach)

    async def local_tracks(self, kind: Kind | None = None) -> list[AsyncTrack]:
        """The tracks the connection's senders send (`sender.track`), of `kind`."""
        return await self._reach.read(lambda: [
            AsyncTrack(transceiver.sender_track, self._reach) for transceiver in self._transceivers()
            if transceiver.sender_track is not None and kind in (None, transceiver.sender_track.kind)])

    def _remote(self, kind: Kind | None) -> list[MediaTrackDispatcher]:
        return [transceiver.receiver_track for transceiver in self._transceivers()
                if transceiver.receiving and kind in (None, transceiver.receiver_track.kind)]


class PeerConnection(_PeerConnectionState):
    """A page's RTCPeerConnection, for a sync test (each method waits for the server's loop)."""

    def __init__(self, dispatcher: PeerConnectionDispatcher, reach: Reach) -> None:
        super().__init__(dispatcher, reach)
        self._async = AsyncPeerConnection(dispatcher, reach)

    def wait_for(
        self, *, connection_state: ConnectionState | None = None,
        ice_connection_state: IceConnectionState | None = None,
        ice_gathering_state: IceGatheringState | None = None, signaling_state: SignalingState | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """As AsyncPeerConnection.wait_for."""
        self._reach.block(self._async.wait_for(
            connection_state=connection_state, ice_connection_state=ice_connection_state,
            ice_gathering_state=ice_gathering_state, signaling_state=signaling_state, timeout=timeout),
            "PeerConnection.wait_for")

    def get_stats(self) -> StatsReport:
        """As AsyncPeerConnection.get_stats."""
        return self._reach.block(self._async.get_stats(), "PeerConnection.get_stats")

    def data_channels(self) -> list[DataChannel]:
        """As AsyncPeerConnection.data_channels."""
        return [DataChannel(channel._dispatcher, self._reach)
                for channel in self._reach.block(self._async.data_channels(), "PeerConnection.data_channels")]

    def wait_for_data_channel(self, label: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> DataChannel:
        """As AsyncPeerConnection.wait_for_data_channel."""
        found = self._reach.block(
            self._async.wait_for_data_channel(label, timeout), "PeerConnection.wait_for_data_channel")
        return DataChannel(found._dispatcher, self._reach)

    def remote_tracks(self, kind: Kind | None = None) -> list[Track]:
        """As AsyncPeerConnection.remote_tracks."""
        return [Track(track._dispatcher, self._reach)
                for track in self._reach.block(self._async.remote_tracks(kind), "PeerConnection.remote_tracks")]

    def wait_for_remote_track(self, kind: Kind | None = None, timeout: float = DEFAULT_TIMEOUT) -> Track:
        """As AsyncPeerConnection.wait_for_remote_track."""
        found = self._reach.block(
            self._async.wait_for_remote_track(kind, timeout), "PeerConnection.wait_for_remote_track")
        return Track(found._dispatcher, self._reach)

    def local_tracks(self, kind: Kind | None = None) -> list[Track]:
        """As AsyncPeerConnection.local_tracks."""
        return [Track(track._dispatcher, self._reach)
                for track in self._reach.block(self._async.local_tracks(kind), "PeerConnection.local_tracks")]
