"""aiortc's private names: all still there, all used through aiortc_seams.py, and the
order of the taps on a receiver's incoming RTP."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any, cast

import aioice
import aiortc
import OpenSSL
from aioice import Connection
from aiortc import (
    RTCCertificate,
    RTCConfiguration,
    RTCDataChannel,
    RTCDtlsTransport,
    RTCIceGatherer,
    RTCIceTransport,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSctpTransport,
)
from aiortc.contrib.media import MediaPlayer
from aiortc.mediastreams import AudioStreamTrack, MediaStreamTrack
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpreceiver import RemoteStreamTrack
from aiortc.rtcsctptransport import DataChunk
from aiortc.rtp import RtpPacket
from OpenSSL import SSL

from rtcshim import aiortc_seams
from rtcshim.aiortc_seams import PRIVATE_NAMES, PrivateName, RtpPacketTaps, RtpTap
from rtcshim.dtmf_receiver import DtmfReceiver
from rtcshim.media.meter import watch_receiver
from rtcshim.rtp_sources import RtpSources
from rtcshim.telephone_event import TelephoneEvent

from .event_loop import run
from .test_media_sources import write_clip

SERVER = Path(__file__).resolve().parent.parent / "server"
SEAMS = SERVER / "aiortc_seams.py"


# --- every private name rtcshim uses is still there ---------------------------------


async def data_chunk_of(sctp: RTCSctpTransport) -> DataChunk:
    """A DATA chunk as aiortc's SCTP sends it, with the counters it keeps on each."""
    sent: list[DataChunk] = []

    async def keep(chunk: DataChunk) -> None:
        sent.append(chunk)

    sctp._send_chunk = keep  # type: ignore[method-assign,assignment]
    await sctp._send(stream_id=1, pp_id=51, user_data=b"seams")
    return sent[0]


async def real_holders(clip: Path) -> dict[type | ModuleType, object]:
    """One real instance of each class whose private names rtcshim uses."""
    peer_connection = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    transceiver = peer_connection.addTransceiver("audio")
    data_channel = peer_connection.createDataChannel("seams")
    assert peer_connection.sctp is not None
    dtls = transceiver.sender.transport
    holders: dict[type | ModuleType, object] = {
        RTCPeerConnection: peer_connection, RTCRtpTransceiver: transceiver, RTCRtpSender: transceiver.sender,
        RTCRtpReceiver: transceiver.receiver, RTCDtlsTransport: dtls, RTCIceTransport: dtls.transport,
        RTCIceGatherer: dtls.transport.iceGatherer,
        RTCSctpTransport: peer_connection.sctp, RTCDataChannel: data_channel,
        Connection: Connection(ice_controlling=True),
        RTCCertificate: RTCCertificate.generateCertificate(), RemoteStreamTrack: RemoteStreamTrack("audio"),
        MediaStreamTrack: AudioStreamTrack(), MediaPlayer: MediaPlayer(str(clip)),
        DataChunk: await data_chunk_of(peer_connection.sctp),
        SSL.Connection: SSL.Connection(SSL.Context(SSL.DTLS_METHOD), None),  # as aiortc's DTLS makes it
    }
    await peer_connection.close()
    return holders


def owner_name(owner: type | ModuleType) -> str:
    return owner.__name__ if isinstance(owner, ModuleType) else owner.__qualname__


def library(owner: type | ModuleType) -> str:
    top = (owner.__name__ if isinstance(owner, ModuleType) else owner.__module__).split(".")[0]
    version = {"aiortc": aiortc.__version__, "aioice": aioice.__version__, "OpenSSL": OpenSSL.__version__}.get(top, "")
    return f"{top} {version}".strip()


def missing(private: PrivateName, holder: object) -> str | None:
    """Why `holder` does not have `private` as rtcshim uses it, or None."""
    if not hasattr(holder, private.name):
        return "no longer has"
    value = getattr(holder, private.name)
    if private.kind == "attribute" and inspect.ismethod(value):
        return "has a method, not an attribute, at"
    if private.kind == "method" and not callable(value):
        return "has no method at"
    if private.kind == "coroutine method" and not inspect.iscoroutinefunction(value):
        return "has no coroutine method at"
    return None


def test_every_private_name_rtcshim_uses_is_still_there(tmp_path: Path) -> None:
    holders = run(real_holders(write_clip(tmp_path / "clip.webm")))
    failures = []
    for private in PRIVATE_NAMES:
        holder = private.owner if isinstance(private.owner, ModuleType) else holders.get(private.owner)
        assert holder is not None, f"add a real {owner_name(private.owner)} to real_holders()"
        why = missing(private, holder)
        if why is not None:
            failures.append(f"{library(private.owner)} {why} {owner_name(private.owner)}.{private.name}: "
                            f"aiortc_seams.py needs a new hook for {private.needed_by}")
    assert not failures, "\n".join(failures)


def test_a_missing_name_is_reported_with_what_needs_it() -> None:
    gone = PrivateName(RTCRtpReceiver, "_handle_rtp_packet_gone", "coroutine method", "rtcshim's RTP taps")
    assert missing(gone, object()) == "no longer has"
    assert missing(aiortc_seams.RECEIVER_HANDLE_RTP, SimpleNamespace(_handle_rtp_packet=lambda: None)) == (
        "has no coroutine method at")


# --- the private names are used through the seam, and only there -------------------------


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_uses(tree: ast.AST) -> list[tuple[int, str]]:
    """Private names read or written on anything but `self`/`cls`, or named in getattr & co."""
    uses = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_private(node.attr):
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                uses.append((node.lineno, node.attr))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("getattr", "setattr", "hasattr", "delattr") and len(node.args) > 1
              and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)
              and is_private(node.args[1].value)):
            uses.append((node.lineno, node.args[1].value))
    return uses


def test_the_seam_touches_private_names_only_through_its_list() -> None:
    tree = ast.parse(SEAMS.read_text())
    assert private_uses(tree) == [], "aiortc_seams.py reads a private name that PRIVATE_NAMES does not list"
    entries = {name: value for name, value in vars(aiortc_seams).items() if isinstance(value, PrivateName)}
    assert set(entries.values()) == set(PRIVATE_NAMES), "a PrivateName is missing from PRIVATE_NAMES"
    loads = [node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)]
    unused = sorted(name for name in entries if loads.count(name) < 2)  # PRIVATE_NAMES itself is one
    assert unused == [], f"listed but used nowhere in aiortc_seams.py: {unused}"


def rtcshim_modules() -> dict[str, Path]:
    return {"rtcshim." + ".".join(path.relative_to(SERVER).with_suffix("").parts).removesuffix(".__init__"): path
            for path in SERVER.rglob("*.py")}


def own_private_names(trees: list[ast.AST]) -> set[str]:
    """The private names rtcshim's own code defines: methods, functions and `self._x`."""
    names = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and is_private(node.name):
                names.add(node.name)
            elif (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
                  and isinstance(node.value, ast.Name) and node.value.id == "self" and is_private(node.attr)):
                names.add(node.attr)
    return names


def foreign_private_names(cls: type) -> set[str]:
    """The private names of `cls`'s bases from outside rtcshim: theirs to keep."""
    names = set()
    for base in cls.__mro__[1:]:
        if base.__module__.startswith("rtcshim") or base.__module__ == "builtins":
            continue
        names |= {name for name in vars(base) if is_private(name)}
        try:
            names |= set(re.findall(r"\bself\.(_[A-Za-z]\w*)", inspect.getsource(base)))
        except (OSError, TypeError):
            pass
    return names


def test_no_other_module_touches_a_private_name_of_aiortc() -> None:
    modules = rtcshim_modules()
    trees = {name: ast.parse(path.read_text()) for name, path in modules.items()}
    own = own_private_names(list(trees.values()))
    failures = [f"{modules[name].relative_to(SERVER)}:{line}: {attr}"
                for name, tree in trees.items() if name != "rtcshim.aiortc_seams"
                for line, attr in private_uses(tree) if attr not in own]
    # A subclass of an aiortc class that sets or defines one of its base's private names.
    for name, tree in trees.items():
        classes = [node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
        if name == "rtcshim.aiortc_seams" or not classes:
            continue
        module = importlib.import_module(name)
        for node in classes:
            cls = getattr(module, node.name, None)
            if inspect.isclass(cls):
                shared = own_private_names([node]) & foreign_private_names(cls)
                failures += [f"{modules[name].relative_to(SERVER)}: {node.name}.{attr} is its base's"
                             for attr in shared]
    assert failures == [], "aiortc's private names outside aiortc_seams.py:\n" + "\n".join(failures)


# --- the taps on a receiver's incoming RTP -----------------------------------------------

PCMU = RTCRtpCodecParameters(mimeType="audio/PCMU", clockRate=8000, channels=1, payloadType=0)
EVENTS_8K = RTCRtpCodecParameters(mimeType="audio/telephone-event", clockRate=8000, channels=1, payloadType=126)


def test_rtp_taps_see_packets_in_their_order_whatever_order_they_were_added_in() -> None:
    """SOURCES notes every packet after the rest handled it, DTMF takes the events and
    renumbers the audio after them, PAYLOAD_BYTES counts only what aiortc gets."""
    seen: list[tuple[Any, ...]] = []

    async def aiortc_handle_rtp_packet(packet: RtpPacket, arrival_time_ms: int) -> None:
        seen.append(("aiortc", packet.payload_type, packet.sequence_number))

    receiver = SimpleNamespace(_handle_rtp_packet=aiortc_handle_rtp_packet)
    transceiver = SimpleNamespace(receiver=receiver, _codecs=[PCMU, EVENTS_8K])

    # Added in the reverse of their order on the path.
    counters = watch_receiver(cast(RTCRtpReceiver, receiver))
    DtmfReceiver(cast(RTCRtpTransceiver, transceiver), lambda tone: seen.append(("tone", tone.tone)))

    class NotingSources(RtpSources):
        def heard(self, packet: RtpPacket) -> None:
            seen.append(("sources", packet.payload_type, packet.sequence_number, counters.bytes_received))
            super().heard(packet)

    sources = NotingSources(lambda report: None)
    sources.watch(cast(RTCRtpReceiver, receiver))
    assert receiver._handle_rtp_packet == RtpPacketTaps.of(cast(RTCRtpReceiver, receiver)).handle_rtp_packet

    async def scenario() -> None:
        for packet in (
            RtpPacket(payload_type=0, sequence_number=10, timestamp=0, ssrc=5, payload=b"a" * 160),
            RtpPacket(payload_type=126, sequence_number=11, timestamp=160, ssrc=5,
                      payload=TelephoneEvent(code=1, end=True, volume=10, duration=800).pack()),
            RtpPacket(payload_type=0, sequence_number=12, timestamp=320, ssrc=5, payload=b"b" * 150),
        ):
            await receiver._handle_rtp_packet(packet, arrival_time_ms=0)
        sources.stop()

    run(scenario())
    assert seen == [
        ("aiortc", 0, 10), ("sources", 0, 10, 160),
        # The event: kept from aiortc and from the byte count, noted as a source all the same.
        ("tone", "1"), ("sources", 126, 11, 160),
        # The audio after it, moved down to close the gap, for aiortc and the sources alike.
        ("aiortc", 0, 11), ("sources", 0, 11, 310),
    ]


def test_a_receiver_has_one_tap_per_position() -> None:
    receiver = SimpleNamespace(_handle_rtp_packet=None)
    taps = RtpPacketTaps.of(cast(RTCRtpReceiver, receiver))
    taps.add(RtpTap.SOURCES, after=lambda packet: None)
    try:
        taps.add(RtpTap.SOURCES, after=lambda packet: None)
    except ValueError as error:
        assert str(error) == "the receiver already has a SOURCES tap"
    else:
        raise AssertionError("a second SOURCES tap was added")


def test_the_far_peer_is_heard_on_every_socket_not_only_the_nominated_pairs() -> None:
    """aioice may nominate a pair on another of its sockets after it connected (seen with
    200 calls on 2 cores): the far-peer watch must still hear the peer there."""
    connection = Connection(ice_controlling=True)
    received: list[tuple[str, bytes]] = []
    sockets = [SimpleNamespace(datagram_received=lambda data, addr, name=name: received.append((name, data)))
               for name in ("first", "second")]
    aiortc_seams.ICE_PROTOCOLS.get(connection).extend(sockets)
    aiortc_seams.ICE_NOMINATED.get(connection)[1] = SimpleNamespace(protocol=sockets[0])
    heard: list[int] = []
    aiortc_seams.on_datagram_heard(connection, lambda: heard.append(len(received)))

    sockets[1].datagram_received(b"dtls", ("10.0.0.2", 5000))
    sockets[0].datagram_received(b"stun", ("10.0.0.2", 5000))
    assert heard == [0, 1]  # each heard before aioice handles it
    assert received == [("second", b"dtls"), ("first", b"stun")]
