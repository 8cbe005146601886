"""RTCRtpTransceiver: one aiortc transceiver with its sender and receiver.

The page holds the sender and receiver objects; they act through this one handle. The
receiver's track is a MediaStreamTrack object of its own (a child of the peer
connection), whose source arrives when a remote description makes the receiver receive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiortc import RTCRtpTransceiver

from ..aiortc_seams import negotiated_codecs, set_stream_id
from ..dispatcher import Dispatcher, Params, Result, after_reply
from ..dtmf_receiver import DtmfReceiver, ReceivedTone
from ..errors import InvalidStateError
from ..media.fan_out import EnabledGate
from ..media.meter import watch_receiver
from ..rtcp_feedback import watch_receiver_feedback
from ..rtp_parameters import SendParameters, set_codec_preferences
from ..rtp_sources import RtpSources
from ..sdp_fixes import NO_STREAM
from ..telephone_event import send_codecs
from .dtmf_sender import DtmfSenderDispatcher
from .media_stream_track import MediaTrackDispatcher

if TYPE_CHECKING:
    from ..session import Session
    from .peer_connection import PeerConnectionDispatcher

class TransceiverDispatcher(Dispatcher):
    interface = "Transceiver"

    def __init__(
        self,
        session: Session,
        guid: str,
        parent: PeerConnectionDispatcher,
        transceiver: RTCRtpTransceiver,
        receiver_track: MediaTrackDispatcher,
    ) -> None:
        super().__init__(session, guid, parent)
        self.peer_connection = parent
        self.transceiver = transceiver
        self.receiver_track = receiver_track
        self.sender_track: MediaTrackDispatcher | None = None
        self.sender_feed: EnabledGate | None = None  # what the RTP sender reads
        self.receive_counters = watch_receiver(transceiver.receiver, self._media_arrived)
        self.receiver_feedback = watch_receiver_feedback(transceiver.receiver)
        # The sender's associated media stream ids (the page's addTrack, addTransceiver,
        # setStreams), in order and without repeats, and the set the last local description
        # was made with: "check if negotiation is needed" compares the two as sets.
        self.stream_ids: list[str] = []
        self.described_stream_ids: frozenset[str] = frozenset()
        # Whether the page was told of the receiver's remote track (a `track` event), and
        # in which msid streams.
        self.receiving = False
        self.remote_stream_ids: list[str] = []
        # Made or taken by addTrack: a remote offer's new section may take it (JSEP 5.10),
        # and a rollback keeps it, even one a remote offer made (webrtc-pc).
        self.made_by_add_track = False
        # The DTMF tones the remote peer sent on this transceiver (audio only).
        self.dtmf_received = (
            DtmfReceiver(transceiver, self._report_dtmf) if transceiver.kind == "audio" else None)
        self.commands = {
            "setDirection": self.set_direction,
            "replaceTrack": self.replace_track,
            "setStreams": self.set_streams,
            "stop": self.stop,
            "createDtmfSender": self.create_dtmf_sender,
            "setParameters": self.set_parameters,
            "setCodecPreferences": self.set_codec_preferences,
        }
        self.send_parameters = SendParameters(transceiver)
        self.dtmf_sender: DtmfSenderDispatcher | None = None
        self.rtp_sources = RtpSources(lambda sources: self.emit("sources", sources))
        self.rtp_sources.watch(transceiver.receiver)

    def initializer(self) -> dict[str, Any]:
        return {
            "kind": self.transceiver.kind, "mid": self.transceiver.mid,
            "direction": self.transceiver.direction,
            "currentDirection": self.transceiver.currentDirection,
            "receiverTrack": self.receiver_track.guid,
        }

    def state(self) -> dict[str, Any]:
        return {
            "transceiver": self.guid, "mid": self.transceiver.mid,
            "currentDirection": "stopped" if self.transceiver.stopped else self.transceiver.currentDirection,
            "stopped": self.transceiver.stopped,
            "transport": self._transport_guid(),
            "telephoneEvent": send_codecs(negotiated_codecs(self.transceiver))[1] is not None,
        }

    def _transport_guid(self) -> str | None:
        transport = self.peer_connection.transports.get(self.transceiver.sender.transport)
        return transport.guid if transport and not self.transceiver.stopped else None

    def report_remote_streams(self, stream_ids: list[str]) -> None:
        """A `track` event: the receiver's track is received, in these msid streams."""
        self.remote_stream_ids = stream_ids
        self.peer_connection.emit("track", {"transceiver": self.guid, "streams": stream_ids})

    def report_track_removed(self) -> None:
        """The remote no longer sends (or a rollback took back the offer that did): the
        receiver's track mutes and leaves its streams (`removeTrack`)."""
        self.receiving = False
        self.receiver_track.set_muted(True)
        self.peer_connection.emit("removeTrack", {"transceiver": self.guid})

    def send(self, track: MediaTrackDispatcher | None) -> None:
        """The sender's track: RTP carries this track's media from now on."""
        self.sender_track = track
        self.sender_feed = track.subscribe() if track else None
        if track is not None:
            track.source_meter()  # getStats' media-source counts from now on
        self.transceiver.sender.replaceTrack(self.sender_feed)

    async def set_direction(self, params: Params) -> Result:
        self._check_usable()
        self.transceiver.direction = params["direction"]
        after_reply(self.peer_connection.update_negotiation_needed)
        return {}

    def redirect(self, direction: str) -> None:
        """A direction the server chose itself (createOffer's legacy options): the page's
        transceiver shows it before the call's reply."""
        self.transceiver.direction = direction
        self.emit("directionChange", {"direction": direction})

    async def replace_track(self, params: Params) -> Result:
        self._check_usable()
        self.send(params["track"])
        if params["byAddTrack"]:
            self.made_by_add_track = True
        return {}

    def set_stream_ids(self, streams: list[str]) -> None:
        """The msid streams of the sender's track: aiortc writes the first, and
        sdp_fixes.write_stream_ids the others."""
        self.stream_ids = list(dict.fromkeys(streams))
        set_stream_id(self.transceiver.sender, streams[0] if streams else NO_STREAM)

    async def set_streams(self, params: Params) -> Result:
        self._check_usable()
        self.set_stream_ids(params["streams"])
        after_reply(self.peer_connection.update_negotiation_needed)
        return {}

    async def create_dtmf_sender(self, params: Params) -> Result:
        if self.transceiver.kind != "audio":
            raise InvalidStateError("only an audio sender has a DTMF sender")
        self.dtmf_sender = DtmfSenderDispatcher(self.session, params["dtmfSender"], self)
        return {}

    def dispose(self) -> None:
        self.rtp_sources.stop()
        super().dispose()

    def _media_arrived(self) -> None:
        """A frame was decoded: the receiver's track unmutes, if the page was told of it."""
        if self.receiving:
            self.receiver_track.set_muted(False)

    def _report_dtmf(self, tone: ReceivedTone) -> None:
        self.emit("dtmfReceived", {"tone": tone.tone})

    async def stop(self, params: Params) -> Result:
        if not self.transceiver.stopped:
            await self.halt()
            after_reply(self.peer_connection.update_negotiation_needed)
        return {}

    async def halt(self) -> None:
        """Stop sending and receiving for good; the receiver's track ends, DTMF stops mid-tone."""
        if self.dtmf_sender is not None:
            self.dtmf_sender.stop_playout()
        await self.transceiver.stop()
        self.receiver_track.end(notify=True)

    async def set_parameters(self, params: Params) -> Result:
        self._check_usable()
        self.send_parameters.set(params["active"], params["maxBitrate"])
        return {}

    async def set_codec_preferences(self, params: Params) -> Result:
        self._check_usable()
        set_codec_preferences(self.transceiver, params["codecs"])
        return {}

    def _check_usable(self) -> None:
        if self.peer_connection.closed:
            raise InvalidStateError("the RTCPeerConnection is closed")
        if self.transceiver.stopped:
            raise InvalidStateError("the transceiver is stopped")
