"""shim.js and the server's dispatchers follow protocol.toml: nothing more, nothing less."""

from __future__ import annotations

import re
from pathlib import Path

from aiortc import RTCConfiguration

from rtcshim.certificate import CertificateDispatcher, generate
from rtcshim.data_channel import DataChannelDispatcher
from rtcshim.dispatcher import Dispatcher
from rtcshim.dtmf_sender import DtmfSenderDispatcher
from rtcshim.peer_connection import PeerConnectionDispatcher
from rtcshim.protocol import PROTOCOL
from rtcshim.registry import Registry
from rtcshim.serving import ServerThread
from rtcshim.session import Session
from rtcshim.transports import DtlsTransportDispatcher, SctpTransportDispatcher

from .fake_page import CONFIGURATION

SHIM = (Path(__file__).resolve().parent.parent / "shim.js").read_text()


def shim_commands() -> set[str]:
    """Every command name shim.js passes to the bridge's call()."""
    return set(re.findall(r"(?:#call\(|\[CALL\]\(|\.call\([^,()]+,\s*)'(\w+)'", SHIM))


def shim_event_handlers() -> dict[str, set[str]]:
    """Each interface's [EVENTS] table in shim.js, by the comment that names it."""
    tables = re.findall(
        r"\(protocol\.toml: (\w+) events\)\.\n\s*\[EVENTS\] = \{(?:\};|\n(.*?)\n    \};)", SHIM, re.S)
    return {interface: set(re.findall(r"^      (\w+): \(", body, re.M)) for interface, body in tables}


def test_shim_calls_exactly_the_protocol_commands() -> None:
    declared = {name for interface in PROTOCOL.interfaces.values() for name in interface.commands}
    assert shim_commands() == declared


def test_shim_handles_exactly_the_protocol_events() -> None:
    declared = {name: set(interface.events) for name, interface in PROTOCOL.interfaces.items()}
    assert shim_event_handlers() == declared


def test_dispatchers_implement_exactly_the_protocol_commands(server: ServerThread) -> None:
    async def command_tables() -> dict[str, set[str]]:
        session = Session(Registry())
        peer_connection = PeerConnectionDispatcher(
            session, "PeerConnection@" + "p" * 24, session.root, CONFIGURATION, RTCConfiguration(iceServers=[]))
        data_channel = DataChannelDispatcher(
            session, "DataChannel@" + "d" * 24, peer_connection,
            peer_connection.peer_connection.createDataChannel("x"))
        transceiver = peer_connection._adopt(peer_connection.peer_connection.addTransceiver("audio"))
        certificate = CertificateDispatcher(
            session, "Certificate@" + "c" * 24, session.root, generate({"name": "ECDSA", "namedCurve": "P-256"}))
        dtls_transport = DtlsTransportDispatcher(peer_connection, transceiver.transceiver.sender.transport, "0")
        sctp_transport = SctpTransportDispatcher(peer_connection, peer_connection.peer_connection.sctp, dtls_transport)
        dtmf_sender = DtmfSenderDispatcher(session, "DtmfSender@" + "t" * 24, transceiver)
        dispatchers: list[Dispatcher] = [
            session.root, peer_connection, data_channel, transceiver, transceiver.receiver_track,
            dtls_transport, sctp_transport, dtmf_sender, certificate]
        await peer_connection.shutdown()
        return {dispatcher.interface: set(dispatcher.commands) for dispatcher in dispatchers}

    # aiortc objects need an event loop: the test server's.
    tables = server.run(command_tables())
    assert tables == {name: set(interface.commands) for name, interface in PROTOCOL.interfaces.items()}
